"""The employee feed, the post preview, and shares."""

from __future__ import annotations

import re
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from accounts.timezones import user_zone
from advocacy.api.serializers.common import (
    LocalDateTimeField,
    NetworkField,
    ReadModelSerializer,
    UTCDateTimeField,
    id_field,
)
from advocacy.drafts.content import final_text
from advocacy.drafts.models import Draft
from advocacy.drafts.services import LANGUAGES
from advocacy.program.selectors import disclosure_for
from advocacy.sharing.models import Share

MAX_POST_TEXT = 10_000
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_REFUSED_CHARACTERS = (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator)


class FeedItemSerializer(ReadModelSerializer):
    """A published post, with the ready-to-share text for each of its networks."""

    campaign = serializers.CharField(source="campaign.name", read_only=True, allow_null=True)
    body = serializers.CharField(source="published_version.body", read_only=True)
    link = serializers.CharField(source="published_version.link", read_only=True)
    language = serializers.CharField(source="published_version.language", read_only=True)
    networks = serializers.ListField(source="published_version.networks", child=NetworkField(), read_only=True)
    image = serializers.ImageField(
        source="published_version.image", read_only=True, allow_null=True, help_text="Absolute URL, or null."
    )
    image_alt = serializers.CharField(source="published_version.image_alt", read_only=True)
    expires_at = UTCDateTimeField(source="published_version.expires_at", read_only=True, allow_null=True)
    texts = serializers.SerializerMethodField(
        help_text="Per network: the final text, disclosure first, as it would be posted unedited."
    )

    class Meta:
        model = Draft
        fields = [
            "id", "title", "campaign", "published_at", "body", "link", "language", "networks", "image",
            "image_alt", "expires_at", "texts",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_texts(self, draft: Draft) -> dict[str, str]:
        version = draft.published_version
        assert version is not None  # the feed lists published drafts only
        disclosure = self._disclosure(version.language)
        return {
            network: final_text(disclosure=disclosure, body=version.body_for(network), link=version.link)
            for network in version.networks
        }

    def _disclosure(self, language: str) -> str:
        # One lookup per language per response, however long the feed.
        cache = self.context.setdefault("disclosures", {})
        if language not in cache:
            cache[language] = disclosure_for(language=language)
        return cache[language]


class PreviewSerializer(serializers.Serializer):
    """Any text at all: a preview never fails, it lists what is wrong instead."""

    text = serializers.CharField(
        max_length=MAX_POST_TEXT, allow_blank=True, trim_whitespace=False, help_text="The full post text."
    )
    network = NetworkField()
    account = id_field(
        required=False, allow_null=True, help_text="One of your accounts: its own length limit then applies."
    )
    draft = id_field(
        required=False,
        allow_null=True,
        help_text=(
            "A post from your feed. Its link and image are then added as the network will receive them "
            "(on Bluesky a post with an image carries the link in its text), and the check is the one a share "
            "of that post passes."
        ),
    )
    language = serializers.ChoiceField(
        choices=LANGUAGES, default="en", help_text="The post's language, which decides the disclosure."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # NUL and unpaired surrogates are reported as problems (see validate), not refused.
        text = self.fields["text"]
        text.validators = [v for v in text.validators if not isinstance(v, _REFUSED_CHARACTERS)]

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        """Adds ``unpostable``: problems a share would be refused for before any network rule."""
        text = data["text"]
        data["unpostable"] = []
        if "\x00" in text:
            data["unpostable"].append("The text contains a NUL character, which cannot be posted.")
        if _LONE_SURROGATE.search(text):
            data["unpostable"].append(
                "The text contains broken Unicode (an unpaired surrogate), which cannot be posted."
            )
            # What an encoder would send instead; also keeps the reply encodable.
            data["text"] = _LONE_SURROGATE.sub("\ufffd", text)
        return data


class PostCheckSerializer(serializers.Serializer):
    network = NetworkField()
    ok = serializers.BooleanField(help_text="True when there are no problems.")
    count = serializers.IntegerField(help_text="Length as the network counts it.")
    limit = serializers.IntegerField()
    unit = serializers.CharField(help_text="What is counted, e.g. `graphemes`.")
    problems = serializers.ListField(child=serializers.CharField(), help_text="Plain-words reasons, if any.")


class ShareSerializer(ReadModelSerializer):
    """Times are UTC; ``scheduled_at_local`` is the same moment in your own time zone."""

    network = NetworkField(read_only=True)
    draft_title = serializers.CharField(source="draft.title", read_only=True)
    account_handle = serializers.CharField(source="account.handle", read_only=True)
    scheduled_at_local = serializers.SerializerMethodField()
    time_zone = serializers.SerializerMethodField(help_text="Your time zone, used for scheduled_at_local.")
    editable = serializers.BooleanField(
        source="is_editable", read_only=True, help_text="Still scheduled or awaiting review."
    )
    edited = serializers.BooleanField(
        read_only=True,
        help_text="The text differs from the approved post (the disclosure aside). When the programme reviews "
        "edited shares, such a share is in state `review` until a comms reviewer approves it.",
    )

    class Meta:
        model = Share
        fields = [
            "id", "draft", "draft_title", "account", "account_handle", "network", "text", "disclosure",
            "language", "state", "scheduled_at", "scheduled_at_local", "time_zone", "sent_at", "external_url",
            "last_error", "cancelled_reason", "created_at", "updated_at", "editable", "edited",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_scheduled_at_local(self, share: Share) -> str:
        return share.scheduled_at.astimezone(user_zone(self.context["request"].user)).isoformat()

    def get_time_zone(self, share: Share) -> str:
        return str(user_zone(self.context["request"].user))


def _post_text(**kwargs: Any) -> serializers.CharField:
    # Not trimmed: leading whitespace before the disclosure is exactly what the check must see.
    return serializers.CharField(max_length=MAX_POST_TEXT, trim_whitespace=False, **kwargs)


class ShareCreateSerializer(serializers.Serializer):
    draft = id_field(help_text="A published post from the feed.")
    account = id_field(help_text="One of your connected accounts.")
    text = _post_text(help_text="Final text; must start with the disclosure.")
    scheduled_at = LocalDateTimeField(
        required=False, allow_null=True, help_text="Omit for now. Without an offset: in your own time zone."
    )


class ShareTargetSerializer(serializers.Serializer):
    account = id_field(help_text="One of your connected accounts.")
    text = _post_text(help_text="Final text for this account; must start with the disclosure.")


class ShareBatchCreateSerializer(serializers.Serializer):
    draft = id_field(help_text="A published post from the feed.")
    # many=True hands min_length/max_length to the ListSerializer; the stubs type only the child's arguments.
    targets = ShareTargetSerializer(  # type: ignore[call-arg]
        many=True, min_length=1, max_length=20, help_text="One entry per account."
    )
    scheduled_at = LocalDateTimeField(
        required=False, allow_null=True, help_text="Omit for now. Without an offset: in your own time zone."
    )


class ShareBatchSerializer(serializers.Serializer):
    shares = ShareSerializer(many=True)


class ShareEditSerializer(serializers.Serializer):
    text = _post_text(required=False)
    scheduled_at = LocalDateTimeField(required=False, help_text="Without an offset: in your own time zone.")
