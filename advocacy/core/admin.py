"""The Django admin pages that other packages register, taken away.

Each of them edits something a promise depends on, with no service and no audit event
behind it: an MFA ``Authenticator`` is what makes a reviewer's approval theirs, and ``Group``
permissions would grant rights that Candor's roles do not know about, and a ``SocialApp``
would change which identity provider signs people in (Candor reads that from settings).
Email addresses and SSO links stay visible, view only (``accounts/admin.py``).

They are unregistered rather than made read-only: the admin asks every registered
page for permission before deleting the rows that cascade from a person, so read-only
pages would block deleting someone nothing refers to. This app is listed after allauth
and DRF in INSTALLED_APPS, so their pages are registered by the time this runs.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialApp
from django.contrib import admin
from django.contrib.auth.models import Group

for _model in (Group, SocialApp, Authenticator):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
