"""The one place that decides who may do what.

Roles map to capabilities; views, API permissions, templates and services ask
``user_can(user, Capability.X)`` and never compare roles themselves.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from rest_framework.permissions import BasePermission

from accounts.models import Role


class Capability(StrEnum):
    PARTICIPATE = "participate"  # opt in, connect own accounts, share
    WRITE_DRAFTS = "write_drafts"
    REVIEW_DRAFTS = "review_drafts"
    MANAGE_PROGRAM = "manage_program"  # policy versions, disclosure settings
    OFFBOARD = "offboard"
    VIEW_AUDIT = "view_audit"
    RUN_DIAGNOSTICS = "run_diagnostics"


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.EMPLOYEE: frozenset({Capability.PARTICIPATE}),
    Role.COMMS_AUTHOR: frozenset({Capability.PARTICIPATE, Capability.WRITE_DRAFTS}),
    Role.COMMS_REVIEWER: frozenset({Capability.PARTICIPATE, Capability.WRITE_DRAFTS, Capability.REVIEW_DRAFTS}),
    Role.ADMIN: frozenset(
        {
            Capability.PARTICIPATE,
            Capability.MANAGE_PROGRAM,
            Capability.OFFBOARD,
            Capability.VIEW_AUDIT,
            Capability.RUN_DIAGNOSTICS,
        }
    ),
}


def capabilities_for(user: Any) -> frozenset[Capability]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    return ROLE_CAPABILITIES.get(user.role, frozenset())


def user_can(user: Any, capability: Capability) -> bool:
    return capability in capabilities_for(user)


def require(capability: Capability) -> type[BasePermission]:
    """A DRF permission class for one capability: ``permission_classes = [require(Capability.X)]``."""

    class HasCapability(BasePermission):
        message = f"Your role does not allow this ({capability.value})."

        def has_permission(self, request: Any, view: Any) -> bool:
            return user_can(request.user, capability)

    HasCapability.__name__ = f"Can{capability.value.title().replace('_', '')}"
    return HasCapability
