"""The demo organisation loaded by ``make run``. Every step is idempotent: running it
twice finds what the first run made instead of duplicating it."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import Role, Team, User

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
            "team": Team.objects.get_or_create(name="Demo")[0],
            "is_staff": person.role == Role.ADMIN,
            "is_superuser": person.role == Role.ADMIN,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(user=user, email=person.email, defaults={"verified": True, "primary": True})
    return user, created


DEMO_POLICY = {
    "en": {
        "title": "Candor advocacy programme policy",
        "body": "Taking part is voluntary and never part of your job. You share only what you want, on your own "
        "accounts, and every post says up front that you work here. You can edit the text, but not remove the "
        "disclosure. You can leave at any time in one click; your scheduled posts are then cancelled. Your "
        "accounts stay yours: Candor never passes them to anyone, and hands them back when you leave.",
    },
    "de": {
        "title": "Richtlinie des Candor-Programms",
        "body": "Die Teilnahme ist freiwillig und nie Teil Ihrer Arbeit. Jeder Beitrag sagt zuerst, dass Sie hier "
        "arbeiten. Sie können jederzeit mit einem Klick austreten.",
    },
    "id": {
        "title": "Kebijakan program Candor",
        "body": "Keikutsertaan bersifat sukarela. Setiap unggahan menyebutkan di awal bahwa Anda bekerja di sini. "
        "Anda dapat keluar kapan saja dengan satu klik.",
    },
    "it": {
        "title": "Regolamento del programma Candor",
        "body": "La partecipazione è volontaria. Ogni post dice subito che lavori qui. Puoi uscire in qualsiasi "
        "momento con un clic.",
    },
}
DEMO_DRAFT_TITLE = "Welcome to Candor"


def _ensure_policy(admin: User) -> bool:
    from advocacy.program.models import PolicyVersion
    from advocacy.program.services import policy_publish

    if PolicyVersion.objects.exists():
        return False
    policy_publish(actor=admin, texts=DEMO_POLICY)
    return True


def _ensure_sample_draft(author: User, reviewer: User) -> bool:
    """One published post so the employee feed is not empty on first look."""
    from advocacy.drafts import services as drafts
    from advocacy.drafts.models import Draft

    if Draft.objects.filter(title=DEMO_DRAFT_TITLE).exists():
        return False
    content = drafts.DraftContent(
        body="Our robots now sort 40% more parcels per hour — and the team that built them is hiring.",
        link="https://example.com/robots",
        networks=["bluesky", "mastodon", "linkedin", "x"],
    )
    draft = drafts.draft_create(actor=author, title=DEMO_DRAFT_TITLE, content=content, campaign="Launch week")
    drafts.draft_submit(actor=author, draft_id=draft.pk)
    drafts.draft_approve(actor=reviewer, draft_id=draft.pk, comment="Clear and honest.")
    drafts.draft_publish(actor=author, draft_id=draft.pk)
    return True


@transaction.atomic
def demo_seed() -> dict[str, int]:
    """Create the demo people, the programme policy and one published post. Returns
    counts of what was created this time, so a second run reports zeros."""
    created = {"people": 0, "policies": 0, "posts": 0}
    people = {}
    for person in DEMO_PEOPLE:
        user, was_created = _ensure_person(person)
        people[person.role] = user
        created["people"] += int(was_created)
    created["policies"] += int(_ensure_policy(people[Role.ADMIN]))
    created["posts"] += int(_ensure_sample_draft(people[Role.COMMS_AUTHOR], people[Role.COMMS_REVIEWER]))
    return created
