"""Sign-ins happen inside django.contrib.auth and allauth; these receivers hand them to
``accounts.services.login_record`` so they reach the audit log like every other change."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from accounts.models import User
from accounts.services import login_record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    login_record(user=user, succeeded=True)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Credentials are never recorded; the person is named only if the login matches one.
    login = (credentials or {}).get("email") or (credentials or {}).get("username") or ""
    user = User.objects.filter(email__iexact=str(login)).first() if login else None
    login_record(user=user, succeeded=False)
