from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from advocacy.notifications.models import NotificationPreference


class PreferenceForm(forms.Form):
    digest = forms.ChoiceField(
        label=_("Digest of new posts to share"),
        choices=NotificationPreference.Digest.choices,
        widget=forms.RadioSelect,
    )
