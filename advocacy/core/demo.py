"""The demo organisation loaded by ``make run``. Every step is idempotent: running it
twice finds what the first run made instead of duplicating it."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import Role, User

DEMO_PASSWORD = "candor-demo-2026"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    display_name: str
    role: Role
    time_zone: str
    language: str


DEMO_PEOPLE = (
    DemoPerson("employee@demo.candor.test", "Leo Marini", Role.EMPLOYEE, "Europe/Rome", "en"),
    DemoPerson("author@demo.candor.test", "Ana Putri", Role.COMMS_AUTHOR, "Asia/Jakarta", "en"),
    DemoPerson("reviewer@demo.candor.test", "Jonas Weber", Role.COMMS_REVIEWER, "Europe/Berlin", "en"),
    DemoPerson("admin@demo.candor.test", "Dana Admin", Role.ADMIN, "UTC", "en"),
)


def _ensure_person(person: DemoPerson) -> tuple[User, bool]:
    user, created = User.objects.get_or_create(
        email=person.email,
        defaults={
            "display_name": person.display_name,
            "role": person.role,
            "time_zone": person.time_zone,
            "language": person.language,
            "is_staff": person.role == Role.ADMIN,
            "is_superuser": person.role == Role.ADMIN,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=person.email, defaults={"verified": True, "primary": True}
    )
    return user, created


@transaction.atomic
def demo_seed() -> dict[str, int]:
    """Create the demo people (and, as features land, their programme). Returns counts
    of what was created this time, so a second run reports zeros."""
    created = {"people": 0}
    for person in DEMO_PEOPLE:
        _, was_created = _ensure_person(person)
        created["people"] += int(was_created)
    return created
