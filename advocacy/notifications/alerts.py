"""Notifications about work in progress: review requested and decided (comms), and a
connected account whose token is about to expire (its owner)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import ROLE_CAPABILITIES, Capability, user_can
from advocacy.drafts.models import ReviewDecision
from advocacy.ledger.models import ConnectedAccount
from advocacy.notifications.models import Notification
from advocacy.notifications.services import notify, recipient_locale

# LinkedIn tokens last 60 days; a week's notice leaves time to reconnect.
TOKEN_WARNING = dt.timedelta(days=7)
Decision = ReviewDecision.Decision


def _reviewers() -> list[User]:
    roles = [role for role, capabilities in ROLE_CAPABILITIES.items() if Capability.REVIEW_DRAFTS in capabilities]
    return [u for u in User.objects.filter(role__in=roles, is_active=True) if user_can(u, Capability.REVIEW_DRAFTS)]


def review_decision_notify(*, decision_id: int) -> int:
    """Tell the people one review step concerns: on *submitted* every reviewer except
    the version's author (and whoever submitted it); on *changes requested* or
    *approved* the version's author, unless they made that decision themselves.
    Call after commit. Idempotent per decision. Returns how many were notified."""
    decision = (
        ReviewDecision.objects.select_related("version__draft", "version__created_by", "reviewer")
        .filter(pk=decision_id)
        .first()
    )
    if decision is None:
        return 0
    version, actor = decision.version, decision.reviewer
    if decision.decision == Decision.SUBMITTED:
        kind = Notification.Kind.REVIEW_REQUESTED
        recipients = [u for u in _reviewers() if u.pk not in {version.created_by_id, actor.pk}]
    elif decision.decision in (Decision.CHANGES_REQUESTED, Decision.APPROVED):
        kind = Notification.Kind.REVIEW_DECIDED
        author = version.created_by
        recipients = [author] if author.is_active and author.pk != actor.pk else []
    else:
        return 0
    link = reverse("portal:draft", args=[version.draft_id])
    sent = 0
    for person in recipients:
        with recipient_locale(person):
            title, body = _review_text(decision)
        if notify(user=person, kind=kind, title=title, body=body, link=link, dedupe_key=f"{kind}:{decision.pk}"):
            sent += 1
    return sent


def _review_text(decision: ReviewDecision) -> tuple[str, str]:
    values = {
        "title": decision.version.draft.title,
        "name": decision.reviewer.name,
        "number": decision.version.number,
    }
    if decision.decision == Decision.SUBMITTED:
        title = _("Review requested: %(title)s") % values
        body = _("%(name)s submitted version %(number)s for review. Someone other than its author must approve it.")
    elif decision.decision == Decision.CHANGES_REQUESTED:
        title = _("Changes requested: %(title)s") % values
        body = _("%(name)s asked for changes to version %(number)s.")
    else:
        title = _("Approved: %(title)s") % values
        body = _("%(name)s approved version %(number)s. It can now be published.")
    body = body % values
    if decision.comment:
        body = f"{body}\n\n{decision.comment}"
    return title, body


def tokens_warn_expiring(*, now: dt.datetime | None = None) -> int:
    """Warn the owners of connected accounts whose token expires within a week. Each
    account and expiry is warned about once (a reconnect sets a new expiry, which
    gets its own warning). Returns how many warnings were sent."""
    now = now or timezone.now()
    accounts = ConnectedAccount.objects.filter(
        status=ConnectedAccount.Status.ACTIVE,
        token_expires_at__gt=now,
        token_expires_at__lte=now + TOKEN_WARNING,
        owner__is_active=True,
    ).select_related("owner")
    sent = 0
    link = reverse("portal:connections")
    for account in accounts:
        owner, expires = account.owner, account.token_expires_at
        assert expires is not None  # filtered above
        with recipient_locale(owner):
            when = date_format(timezone.localtime(expires), "DATETIME_FORMAT")
            values = {"account": str(account), "when": when}
            title = _("Reconnect %(account)s before %(when)s") % values
            body = (
                _(
                    "Candor's access to %(account)s ends on %(when)s. Reconnect it before then so your "
                    "scheduled posts can still go out."
                )
                % values
            )
        note = notify(
            user=owner,
            kind=Notification.Kind.RECONNECT_NEEDED,
            title=title,
            body=body,
            link=link,
            dedupe_key=f"token_expiry:{account.pk}:{int(expires.timestamp())}",
        )
        sent += note is not None
    return sent
