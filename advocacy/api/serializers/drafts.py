"""Drafts, their immutable versions, review decisions and diffs."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team
from advocacy.api.serializers.common import (
    LocalDateTimeField,
    NetworkField,
    PersonSerializer,
    ReadModelSerializer,
    named_choice_field,
)
from advocacy.drafts.models import NETWORK_CHOICES, Draft, DraftVersion, ReviewDecision
from advocacy.drafts.services import LANGUAGES, DraftContent, content_from_version

DraftStateField = named_choice_field("DraftState", Draft.State.choices)
_CONTENT_FIELDS = {f.name for f in dataclasses.fields(DraftContent)} - {"keep_image_from"}


class ToneFlagSerializer(serializers.Serializer):
    kind = serializers.CharField()
    reason = serializers.CharField()


@extend_schema_field({"type": "string", "maxLength": 500, "description": 'Absolute URL, or "" when there is none.'})
class OptionalLinkField(serializers.CharField):
    """A stored link: a URL or the empty string. Documented as a plain string, since
    ``format: uri`` would reject the empty string the API returns for no link."""


class DraftVersionSerializer(ReadModelSerializer):
    link = OptionalLinkField(read_only=True)
    image = serializers.ImageField(read_only=True, allow_null=True, help_text="Absolute URL, or null.")
    networks = serializers.ListField(child=NetworkField(), read_only=True)
    variants = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text="Text that replaces the body on one network."
    )
    tone_flags = ToneFlagSerializer(many=True, read_only=True, help_text="Hints for the reviewer, never blocks.")
    created_by = PersonSerializer(read_only=True)
    approved_by = PersonSerializer(read_only=True, allow_null=True)
    audience_teams = serializers.SerializerMethodField(
        help_text="Ids of the teams the post is meant for (null: a team deleted since, which nobody is in)."
    )
    audience_languages = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Languages the post is meant for."
    )

    class Meta:
        model = DraftVersion
        fields = [
            "number", "body", "link", "image", "image_alt", "language", "networks", "variants", "expires_at",
            "tone_flags", "audience_teams", "audience_languages", "created_by", "created_at", "approved_by",
            "approved_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(allow_null=True)))
    def get_audience_teams(self, version: DraftVersion) -> list[int | None]:
        return [row.team_id for row in version.audience_teams.all()]


class DraftSerializer(ReadModelSerializer):
    state = DraftStateField(read_only=True)
    campaign = serializers.CharField(source="campaign.name", read_only=True, allow_null=True)
    created_by = PersonSerializer(read_only=True)
    working_version = DraftVersionSerializer(read_only=True, help_text="The version being edited or reviewed.")
    published_version = DraftVersionSerializer(
        read_only=True, allow_null=True, help_text="The version employees see, if any."
    )

    class Meta:
        model = Draft
        fields = [
            "id", "title", "campaign", "state", "created_by", "working_version", "published_version",
            "published_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class DraftSummarySerializer(ReadModelSerializer):
    state = DraftStateField(read_only=True)
    campaign = serializers.CharField(source="campaign.name", read_only=True, allow_null=True)
    created_by = PersonSerializer(read_only=True)
    version = serializers.IntegerField(source="working_version.number", read_only=True)
    version_author = PersonSerializer(source="working_version.created_by", read_only=True)
    tone_flags = ToneFlagSerializer(source="working_version.tone_flags", many=True, read_only=True)

    class Meta:
        model = Draft
        fields = [
            "id", "title", "campaign", "state", "created_by", "version", "version_author", "tone_flags",
            "published_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class TeamSerializer(ReadModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]
        read_only_fields = fields


class DraftFilterSerializer(serializers.Serializer):
    state = DraftStateField(required=False, help_text="Only drafts in this state.")


class DraftContentSerializer(serializers.Serializer):
    """The content of one version. JSON, or multipart when an image is uploaded."""

    body = serializers.CharField(max_length=5000)
    networks = serializers.ListField(child=NetworkField(), allow_empty=False, max_length=len(NETWORK_CHOICES))
    language = serializers.ChoiceField(choices=LANGUAGES, default="en")
    link = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    variants = serializers.DictField(
        child=serializers.CharField(max_length=5000, allow_blank=True),
        required=False,
        help_text="Optional text per network, replacing the body there (keys: chosen networks).",
    )
    expires_at = LocalDateTimeField(
        required=False, allow_null=True, help_text="Without an offset: in your own time zone."
    )
    image = serializers.FileField(
        required=False, write_only=True, help_text="JPEG, PNG, WebP or GIF, at most 5 MB (multipart)."
    )
    image_alt = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    audience_teams = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=500,
        help_text="Ids of the teams the post is meant for. With no teams and no languages: everyone.",
    )
    audience_languages = serializers.ListField(
        child=serializers.ChoiceField(choices=LANGUAGES),
        required=False,
        max_length=len(LANGUAGES),
        help_text="Only people who use one of these languages see the post.",
    )

    def content(self, *, base: DraftVersion | None = None) -> DraftContent:
        """The validated input as ``DraftContent``; fields not sent keep ``base``'s values."""
        fields: dict[str, Any] = content_from_version(base) if base is not None else {}
        fields.update({key: value for key, value in self.validated_data.items() if key in _CONTENT_FIELDS})
        return DraftContent(**fields)


class DraftCreateSerializer(DraftContentSerializer):
    title = serializers.CharField(max_length=140, help_text="Internal title, never posted.")
    campaign = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class DraftEditSerializer(DraftContentSerializer):
    """Partial: only the fields sent change; the result is a new version."""

    title = serializers.CharField(max_length=140, required=False)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class RequiredCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000, help_text="What should change.")


class RetireSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RetireResultSerializer(serializers.Serializer):
    draft = DraftSerializer()
    cancelled_shares = serializers.IntegerField(help_text="Scheduled shares of this post that were cancelled.")


class ReviewDecisionSerializer(ReadModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)
    reviewer = PersonSerializer(read_only=True)

    class Meta:
        model = ReviewDecision
        fields = ["id", "version", "reviewer", "decision", "comment", "created_at"]
        read_only_fields = fields


class DraftHistorySerializer(serializers.Serializer):
    versions = DraftVersionSerializer(many=True, help_text="Newest first.")
    decisions = ReviewDecisionSerializer(many=True, help_text="Newest first.")


class DiffQuerySerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        # "from" is a Python keyword, so these cannot be class attributes.
        return {
            "from": serializers.IntegerField(min_value=1, max_value=2**31, help_text="Older version number."),
            "to": serializers.IntegerField(min_value=1, max_value=2**31, help_text="Newer version number."),
        }


class DiffLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["same", "added", "removed"])
    text = serializers.CharField()


class DiffChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField()
    new = serializers.JSONField()


class DiffSerializer(serializers.Serializer):
    from_version = serializers.IntegerField(source="old.number")
    to_version = serializers.IntegerField(source="new.number")
    lines = DiffLineSerializer(many=True, help_text="Line diff of the body.")
    changed = serializers.SerializerMethodField(help_text="Other fields that differ.")

    @extend_schema_field(DiffChangeSerializer(many=True))
    def get_changed(self, diff: dict[str, Any]) -> list[dict[str, Any]]:
        rows = [{"field": name, "old": old, "new": new} for name, old, new in diff["changed"]]
        # many=True makes a ListSerializer, whose data is a list; the stubs type it as one item's dict.
        return cast("list[dict[str, Any]]", DiffChangeSerializer(rows, many=True).data)
