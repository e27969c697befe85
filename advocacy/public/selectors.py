"""What readers may know about a post or the programme, and nothing more.

Every page here is public: no login, no cookies, nothing about the reader stored.
What a post's page says is decided once, here (``public_post_get``), so the page, its
Open Graph tags and any later reader (a feed, the JSON) cannot say more than this.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.http import Http404

from accounts.models import User
from advocacy.ledger.models import ConnectedAccount
from advocacy.networks.registry import NETWORKS
from advocacy.program.models import Enrollment, PolicyVersion
from advocacy.program.selectors import disclosure_for
from advocacy.public.models import PublicName
from advocacy.sharing.models import Share

LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


@dataclass(frozen=True)
class PublicPost:
    """The facts a post's public page shows. When the person has left the programme or
    the organisation, or was erased, ``withdrawn`` is set and every other fact is
    empty: the page then says only that the post was shared through the programme."""

    public_id: str
    organisation: str
    withdrawn: bool
    speaker: str = ""  # the name the employee chose to show; "" for "an employee of …"
    corporate: bool = False
    network: str = ""
    network_name: str = ""
    url: str = ""
    sent_at: dt.datetime | None = None
    edited: bool = False
    approved_at: dt.datetime | None = None
    edits_reviewed_at: dt.datetime | None = None
    policy_number: int | None = None


def public_post_get(*, public_id: str) -> PublicPost:
    """The public facts of the sent post ``public_id``; 404 for anything not sent."""
    share = (
        Share.objects.select_related("employee", "account", "draft_version")
        .filter(public_id=public_id, state=Share.State.SENT)
        .first()
    )
    if share is None:
        raise Http404("No such post.")
    organisation = settings.CANDOR_ORGANISATION_NAME
    person: User = share.employee
    if not _still_speaking(person):
        return PublicPost(public_id=public_id, organisation=organisation, withdrawn=True)
    chosen = PublicName.objects.filter(user=person).values_list("name", flat=True).first() or ""
    enrollment = Enrollment.objects.filter(user=person).select_related("policy_version").first()
    return PublicPost(
        public_id=public_id,
        organisation=organisation,
        withdrawn=False,
        speaker=chosen,
        corporate=share.account.ownership == ConnectedAccount.Ownership.CORPORATE,
        network=share.network,
        network_name=NETWORKS.get(share.network, share.network),
        url=share.external_url,
        sent_at=share.sent_at,
        edited=share.edited,
        approved_at=share.draft_version.approved_at,
        edits_reviewed_at=share.reviewed_at if share.edited else None,
        policy_number=enrollment.policy_version.number if enrollment else None,
    )


def _still_speaking(person: User) -> bool:
    """Active, and taking part: leaving the programme or the organisation (erasure
    comes after deactivation) withdraws everything but the fact of the share."""
    if not person.is_active:
        return False
    return Enrollment.objects.filter(user=person, status=Enrollment.Status.ACTIVE).exists()


@dataclass(frozen=True)
class PolicyEntry:
    number: int
    effective_date: dt.date
    title: str
    body: str
    language: str  # of ``title`` and ``body``: the reader's, or English when not translated
    texts: dict[str, dict[str, str]]  # every language's title and body, as published


@dataclass(frozen=True)
class PublicProgramme:
    organisation: str
    policy: PolicyEntry | None  # the one in force, in the reader's language
    history: list[PolicyEntry]  # newest first
    participants: int | None  # None when fewer than CANDOR_MIN_GROUP_SIZE take part
    minimum_group: int
    networks: list[tuple[str, str]]  # (key, name)
    disclosures: dict[str, str]  # language → the disclosure every post starts with


def public_programme(*, language: str) -> PublicProgramme:
    """The programme as readers and researchers may see it. The number of people who
    take part is shown only when at least ``CANDOR_MIN_GROUP_SIZE`` do."""
    versions = list(PolicyVersion.objects.order_by("-number"))
    history = [_entry(version, language) for version in versions]
    minimum = settings.CANDOR_MIN_GROUP_SIZE
    taking_part = Enrollment.objects.filter(status=Enrollment.Status.ACTIVE, user__is_active=True).count()
    used = set(
        ConnectedAccount.objects.filter(
            Q(status__in=ConnectedAccount.LIVE_STATUSES) | Q(shares__state=Share.State.SENT)
        )
        .values_list("network", flat=True)
        .distinct()
    )
    return PublicProgramme(
        organisation=settings.CANDOR_ORGANISATION_NAME,
        policy=history[0] if history else None,
        history=history,
        participants=taking_part if taking_part >= minimum else None,
        minimum_group=minimum,
        networks=[(key, name) for key, name in NETWORKS.items() if key in used],
        disclosures={code: disclosure_for(language=code) for code in LANGUAGES},
    )


def _entry(version: PolicyVersion, language: str) -> PolicyEntry:
    text = version.text_for(language)
    shown = language if language in version.texts else "en"
    return PolicyEntry(
        number=version.number,
        effective_date=version.effective_date,
        title=text.get("title", ""),
        body=text.get("body", ""),
        language=shown,
        texts=version.texts,
    )
