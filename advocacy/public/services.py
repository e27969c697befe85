"""Writes behind the public pages: only the name an employee shows readers."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.compose import hidden_characters
from advocacy.core.errors import NotAllowed, ValidationFailed
from advocacy.public.models import PublicName

MAX_PUBLIC_NAME = 80


@transaction.atomic
def public_name_set(*, actor: User, name: str) -> PublicName:
    """Show ``name`` on the public pages of ``actor``'s posts; "" shows "an employee
    of <organisation>" instead. Only the person themselves chooses it."""
    if not actor.is_active:
        raise NotAllowed(gettext("Only active people can choose how their posts name them."))
    name = " ".join(name.split())
    if len(name) > MAX_PUBLIC_NAME:
        message = gettext("A public name can be at most %(count)s characters.") % {"count": MAX_PUBLIC_NAME}
        raise ValidationFailed(message, fields={"name": [message]}, code="public_name_too_long")
    if hidden_characters(text=name):
        message = gettext("A public name must be visible text: it has characters readers cannot see.")
        raise ValidationFailed(message, fields={"name": [message]}, code="public_name_hidden_characters")
    row, _created = PublicName.objects.select_for_update().get_or_create(user=actor)
    old = row.name
    if old != name:
        row.name = name
        row.save(update_fields=["name", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.PUBLIC_NAME_CHANGED,
            target=row,
            subject=actor,
            old={"shown": bool(old)},
            new={"shown": bool(name)},
        )
    return row
