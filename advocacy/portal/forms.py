from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from advocacy.drafts.models import NETWORK_CHOICES

LANGUAGE_CHOICES = [("en", "English"), ("de", "Deutsch"), ("id", "Bahasa Indonesia"), ("it", "Italiano")]


class OptInForm(forms.Form):
    policy_version = forms.IntegerField(widget=forms.HiddenInput)
    accept = forms.BooleanField(
        required=False,
        label=_("I have read the policy and I want to take part. I know I can leave at any time."),
    )


class DraftForm(forms.Form):
    title = forms.CharField(label=_("Internal title"), max_length=140)
    campaign = forms.CharField(label=_("Campaign (optional)"), max_length=120, required=False)
    body = forms.CharField(label=_("Post text"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
    link = forms.URLField(label=_("Link (optional)"), required=False, max_length=500, assume_scheme="https")
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    networks = forms.MultipleChoiceField(
        label=_("Networks"), choices=NETWORK_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    expires_at = forms.DateTimeField(
        label=_("Expires (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    image = forms.FileField(label=_("Image (optional)"), required=False)
    image_alt = forms.CharField(label=_("Image description (alt text)"), required=False, max_length=1000)
    audience_teams = forms.ModelMultipleChoiceField(
        label=_("Meant for these teams (none ticked: everyone)"),
        queryset=Team.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_languages = forms.MultipleChoiceField(
        label=_("Meant for people who use these languages (none ticked: every language)"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # With no teams yet there is nothing to tick: no empty list of teams.
        if not Team.objects.exists():
            del self.fields["audience_teams"]
        # One optional text per network the registry knows, right after the main text,
        # so a new network gets its variant without touching this form.
        fields = list(self.fields.items())
        at = [name for name, _field in fields].index("networks") + 1
        variants = [(variant_field(network), _variant_field(name)) for network, name in NETWORK_CHOICES]
        self.fields = dict(fields[:at] + variants + fields[at:])

    def variants(self) -> dict[str, str]:
        """The variants typed for the networks chosen (a variant for a network not
        chosen is not part of the post)."""
        chosen = set(self.cleaned_data.get("networks") or ())
        return {
            network: text
            for network, _name in NETWORK_CHOICES
            if network in chosen and (text := self.cleaned_data.get(variant_field(network)) or "").strip()
        }


def variant_field(network: str) -> str:
    """The form field holding ``network``'s variant (the service names it ``variants.<network>``)."""
    return f"variant_{network}"


def _variant_field(network_name: str) -> forms.CharField:
    return forms.CharField(
        label=format_lazy(_("Text for {network} (optional, replaces the post text there)"), network=network_name),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "data-variant": network_name}),
        max_length=5000,
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class ShareForm(forms.Form):
    text = forms.CharField(label=_("Your post"), widget=forms.Textarea(attrs={"rows": 7}), max_length=10000)
    accounts = forms.MultipleChoiceField(label=_("Post to"), widget=forms.CheckboxSelectMultiple)
    when = forms.ChoiceField(
        label=_("When"),
        choices=[("now", _("Now")), ("later", _("Later"))],
        widget=forms.RadioSelect,
        initial="now",
    )
    scheduled_at = forms.DateTimeField(
        label=_("Date and time (your time zone)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, account_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["accounts"]).choices = account_choices

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("when") == "later" and not data.get("scheduled_at"):
            self.add_error("scheduled_at", _("Pick a date and time, or choose “Now”."))
        return data


class ShareEditForm(forms.Form):
    text = forms.CharField(label=_("Your post"), widget=forms.Textarea(attrs={"rows": 7}), max_length=10000)
    scheduled_at = forms.DateTimeField(
        label=_("Date and time (your time zone)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class BlueskyConnectForm(forms.Form):
    handle = forms.CharField(label=_("Handle"), max_length=253, help_text=_("e.g. alice.bsky.social"))
    app_password = forms.CharField(
        label=_("App password"),
        widget=forms.PasswordInput,
        max_length=64,
        help_text=_("Create one under Settings → App passwords. Never use your main password."),
    )
    app_password_name = forms.CharField(
        label=_("App password name (optional)"),
        max_length=64,
        required=False,
        help_text=_(
            "The name you gave the app password in Bluesky, for example “Candor”. With it, Candor can delete "
            "the app password itself when you disconnect or leave; without it, you delete it yourself."
        ),
    )
    service_url = forms.URLField(
        label=_("Server"), initial="https://bsky.social", assume_scheme="https", max_length=255
    )
