from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.forms import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _


class CandorAccountAdapter(DefaultAccountAdapter):
    """Self sign-up is off unless CANDOR_SIGNUP_OPEN is set, and then limited to the
    organisation's email domains when CANDOR_SIGNUP_DOMAINS lists them."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.CANDOR_SIGNUP_OPEN

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        domains = settings.CANDOR_SIGNUP_DOMAINS
        if domains and email.rsplit("@", 1)[-1].lower() not in domains:
            raise ValidationError(
                _("Use your work email address (%(domains)s).") % {"domains": ", ".join(domains)}
            )
        return email
