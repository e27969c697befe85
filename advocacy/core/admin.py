"""The Django admin pages that other packages register, taken away.

Each of them edits something a promise depends on, with no service and no audit event
behind it: an ``EmailAddress`` decides who signs in as whom, a ``SocialAccount`` links an
identity-provider login to a person (linking it to someone else is acting as them), an
MFA ``Authenticator`` is what makes a reviewer's approval theirs, and ``Group``
permissions would grant rights that Candor's roles do not know about. Candor's own
pages and services change these, and audit it.

They are unregistered rather than made read-only: the admin asks every registered
page for permission before deleting the rows that cascade from a person, so read-only
pages would block deleting someone nothing refers to. This app is listed after allauth
and DRF in INSTALLED_APPS, so their pages are registered by the time this runs.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin
from django.contrib.auth.models import Group

for _model in (Group, EmailAddress, SocialApp, SocialAccount, SocialToken, Authenticator):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
