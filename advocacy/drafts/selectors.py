from __future__ import annotations

import datetime as dt
import difflib
import functools
from dataclasses import dataclass
from typing import Any, TypedDict

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Team, User
from accounts.permissions import Capability, user_can
from advocacy.drafts.audience import meant_for
from advocacy.drafts.models import Draft, DraftVersion, ReviewDecision


def _comms(user: User) -> None:
    if not (user_can(user, Capability.WRITE_DRAFTS) or user_can(user, Capability.REVIEW_DRAFTS)):
        raise PermissionDenied


def drafts_for_comms(*, user: User, state: str | None = None) -> QuerySet[Draft]:
    _comms(user)
    drafts = Draft.objects.select_related("working_version__created_by", "created_by", "campaign")
    return drafts.filter(state=state) if state else drafts


def teams_for_audience(*, user: User) -> QuerySet[Team]:
    """The teams a draft can be meant for (the comms team chooses among them)."""
    _comms(user)
    return Team.objects.order_by("name")


def review_queue(*, user: User) -> QuerySet[Draft]:
    if not user_can(user, Capability.REVIEW_DRAFTS):
        raise PermissionDenied
    return (
        Draft.objects.filter(state=Draft.State.IN_REVIEW)
        .select_related("working_version__created_by", "created_by", "campaign")
        .order_by("updated_at")
    )


def draft_get_for_comms(*, user: User, draft_id: int) -> Draft:
    _comms(user)
    draft = (
        Draft.objects.select_related("working_version__created_by", "published_version", "created_by", "campaign")
        .filter(pk=draft_id)
        .first()
    )
    if draft is None:
        raise Http404("No such draft.")
    return draft


def draft_history(*, draft: Draft) -> tuple[list[DraftVersion], list[ReviewDecision]]:
    versions = list(draft.versions.select_related("created_by", "approved_by").order_by("-number"))
    decisions = list(
        ReviewDecision.objects.filter(version__draft=draft)
        .select_related("reviewer", "version")
        .order_by("-created_at")
    )
    return versions, decisions


def feed_for_employee(*, user: User) -> QuerySet[Draft]:
    """Published drafts an employee may share now (not retired, not expired) and
    that are meant for them (``advocacy.drafts.audience``)."""
    _require_participant(user)
    return _not_expired(_feed()).filter(meant_for(user))


class FeedCard(TypedDict):
    """What one card of the feed shows."""

    pk: int
    title: str
    campaign_name: str | None
    body: str
    link: str
    image: str
    image_alt: str
    networks: list[str]
    expires_at: dt.datetime | None


def feed_cards_for_employee(*, user: User, offset: int, limit: int) -> list[FeedCard]:
    """One page of the feed, newest first, as plain rows with only what a card shows, in
    one query. ``image`` is the stored file's URL, or "".

    Rows rather than models: a draft, its version and its campaign per card, with every
    column, cost more to fetch and build than the page needs (bench/)."""
    _require_participant(user)
    rows = list(_not_expired(_feed_cards()).filter(meant_for(user))[offset : offset + limit])
    storage = DraftVersion._meta.get_field("image").storage
    for row in rows:
        row["image"] = storage.url(row["image"]) if row["image"] else ""
    return rows


def _require_participant(user: User) -> None:
    if not user_can(user, Capability.PARTICIPATE):
        raise PermissionDenied


# The feed's querysets are built once per process and cloned by each use (``.all()``,
# a slice, ``.filter()``), never evaluated themselves: building them cost as much as
# running them (bench/). They take no per-request value: the expiry filter, which needs
# the time, is added per call (Candor's clock, not the database's: tests move it).
@functools.cache
def _feed() -> QuerySet[Draft]:
    return (
        Draft.objects.filter(published_version__isnull=False)
        .exclude(state=Draft.State.RETIRED)
        .select_related("published_version", "campaign")
        .order_by("-published_at")
    )


def _not_expired(drafts: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
    return drafts.filter(
        Q(published_version__expires_at__isnull=True) | Q(published_version__expires_at__gt=timezone.now())
    )


@functools.cache
def _feed_cards() -> QuerySet[Draft, FeedCard]:
    return _feed().values(
        "pk",
        "title",
        campaign_name=F("campaign__name"),
        body=F("published_version__body"),
        link=F("published_version__link"),
        image=F("published_version__image"),
        image_alt=F("published_version__image_alt"),
        networks=F("published_version__networks"),
        expires_at=F("published_version__expires_at"),
    )


def published_draft_get(*, user: User, draft_id: int) -> Draft:
    draft = feed_for_employee(user=user).filter(pk=draft_id).first()
    if draft is None:
        raise Http404("This post is not available to share.")
    return draft


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str


def version_diff(*, old: DraftVersion, new: DraftVersion) -> dict[str, object]:
    """Line diff of the body plus a list of other fields that changed."""
    lines = []
    for line in difflib.ndiff(old.body.splitlines(), new.body.splitlines()):
        tag, text = line[:2], line[2:]
        if tag == "? ":
            continue
        lines.append(DiffLine({"  ": "same", "+ ": "added", "- ": "removed"}[tag], text))
    changed = [
        (name, getattr(old, name), getattr(new, name))
        for name in ("link", "language", "networks", "variants", "expires_at", "image_alt")
        if getattr(old, name) != getattr(new, name)
    ]
    if old.image.name != new.image.name:
        changed.append(("image", old.image.name or "—", new.image.name or "—"))
    return {"old": old, "new": new, "lines": lines, "changed": changed}
