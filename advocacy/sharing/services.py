"""Employees sharing published drafts to their own accounts.

A share's text is final: the disclosure first, checked here when it is created or
edited and again by the posting engine right before sending. Editing and cancelling
are conditional updates on ``state='scheduled'``, so they can never race a worker
that has already started sending.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.drafts.content import check_post
from advocacy.drafts.models import Draft
from advocacy.drafts.selectors import published_draft_get
from advocacy.ledger.models import ConnectedAccount
from advocacy.program.selectors import disclosure_for, participation_state
from advocacy.sharing.models import Share

MAX_SCHEDULE_AHEAD = dt.timedelta(days=90)
PAST_TOLERANCE = dt.timedelta(minutes=2)


def _check_text(*, text: str, network: str, disclosure: str, account: ConnectedAccount) -> None:
    check = check_post(
        network=network, text=text, disclosure=disclosure, max_characters=account.max_characters
    )
    if not check.ok:
        raise ValidationFailed(
            " ".join(check.problems), fields={"text": list(check.problems)}, code="text_rejected"
        )


def _check_time(*, when: dt.datetime, draft: Draft) -> None:
    if timezone.is_naive(when):
        raise ValidationFailed("The time needs a time zone.", fields={"scheduled_at": ["Give a time zone."]})
    now = timezone.now()
    if when < now - PAST_TOLERANCE:
        raise ValidationFailed(
            "That time has passed; pick a time in the future or 'now'.",
            fields={"scheduled_at": ["The time is in the past."]},
        )
    if when > now + MAX_SCHEDULE_AHEAD:
        raise ValidationFailed(
            "Shares can be scheduled at most 90 days ahead.",
            fields={"scheduled_at": ["Too far in the future."]},
        )
    expires = draft.published_version.expires_at
    if expires is not None and when >= expires:
        raise ValidationFailed(
            f"This post expires at {expires:%Y-%m-%d %H:%M} UTC; schedule it before then.",
            fields={"scheduled_at": ["After the post's expiry."]},
        )


def _kick_dispatcher() -> None:
    """Shares due now should not wait for the next beat tick."""
    from advocacy.sharing.tasks import dispatch_due_shares

    dispatch_due_shares.delay_on_commit()


@transaction.atomic
def share_create(
    *,
    employee: User,
    draft_id: int,
    account_id: int,
    text: str,
    scheduled_at: dt.datetime | None = None,
) -> Share:
    """Schedule one post of a published draft on one of the employee's own accounts."""
    if not user_can(employee, Capability.PARTICIPATE):
        raise NotAllowed("This account cannot take part in the programme.")
    state = participation_state(user=employee)
    if not state.enrolled:
        raise Conflict("Join the programme before sharing.", code="not_enrolled")
    if state.needs_reconsent:
        raise Conflict(
            "The programme policy changed; read it and confirm before sharing again.", code="policy_outdated"
        )
    draft = published_draft_get(user=employee, draft_id=draft_id)
    account = ConnectedAccount.objects.filter(pk=account_id, owner=employee).first()
    if account is None:
        raise ValidationFailed(
            "Choose one of your own connected accounts.", fields={"account": ["Not one of your accounts."]}
        )
    if not account.is_usable:
        raise Conflict(
            f"{account} is not usable ({account.get_status_display().lower()}). Reconnect it first.",
            code="account_unusable",
        )
    version = draft.published_version
    if account.network not in version.networks:
        raise ValidationFailed(
            f"This post is not meant for {account.get_network_display()}.",
            fields={"account": ["Network not offered for this post."]},
        )
    disclosure = disclosure_for(language=version.language)
    _check_text(text=text, network=account.network, disclosure=disclosure, account=account)
    when = scheduled_at or timezone.now()
    _check_time(when=when, draft=draft)
    share = Share.objects.create(
        employee=employee,
        draft=draft,
        draft_version=version,
        account=account,
        network=account.network,
        text=text,
        disclosure=disclosure,
        language=version.language,
        scheduled_at=when,
        next_attempt_at=when,
    )
    audit_record(
        actor=employee,
        action=AuditAction.SHARE_SCHEDULED,
        target=share,
        subject=employee,
        new={
            "draft": draft.pk,
            "version": version.number,
            "account": account.pk,
            "scheduled_at": when.isoformat(),
        },
    )
    if when <= timezone.now() + dt.timedelta(seconds=30):
        _kick_dispatcher()
    return share


def _owned_share(*, employee: User, share_id: int) -> Share:
    share = (
        Share.objects.select_related("draft__published_version", "account")
        .filter(pk=share_id, employee=employee)
        .first()
    )
    if share is None:
        raise ValidationFailed("No such share.", code="not_found")
    return share


@transaction.atomic
def share_edit(
    *, employee: User, share_id: int, text: str | None = None, scheduled_at: dt.datetime | None = None
) -> Share:
    share = _owned_share(employee=employee, share_id=share_id)
    if text is None and scheduled_at is None:
        return share
    new_text = share.text if text is None else text
    new_time = share.scheduled_at if scheduled_at is None else scheduled_at
    _check_text(text=new_text, network=share.network, disclosure=share.disclosure, account=share.account)
    if scheduled_at is not None:
        _check_time(when=new_time, draft=share.draft)
    updated = Share.objects.filter(pk=share.pk, state=Share.State.SCHEDULED).update(
        text=new_text, scheduled_at=new_time, next_attempt_at=new_time, updated_at=timezone.now()
    )
    if not updated:
        raise Conflict(
            "Sending has already started, so this share can no longer be changed.", code="share_locked"
        )
    audit_record(
        actor=employee,
        action=AuditAction.SHARE_EDITED,
        target=share,
        subject=employee,
        old={"text": share.text, "scheduled_at": share.scheduled_at.isoformat()},
        new={"text": new_text, "scheduled_at": new_time.isoformat()},
    )
    share.refresh_from_db()
    return share


@transaction.atomic
def share_cancel(*, employee: User, share_id: int) -> Share:
    share = _owned_share(employee=employee, share_id=share_id)
    if not _cancel_rows(ids=[share.pk], actor=employee, reason="You cancelled it."):
        raise Conflict(
            "Sending has already started, so this share can no longer be cancelled.", code="share_locked"
        )
    share.refresh_from_db()
    return share


def _cancel_rows(*, ids: Sequence[int], actor: User | None, reason: str) -> int:
    """Cancel the given shares that are still scheduled; audit each one. Caller holds the transaction."""
    if not ids:
        return 0
    pending = list(
        Share.objects.select_for_update()
        .filter(pk__in=ids, state=Share.State.SCHEDULED)
        .select_related("employee")
    )
    if not pending:
        return 0
    Share.objects.filter(pk__in=[s.pk for s in pending], state=Share.State.SCHEDULED).update(
        state=Share.State.CANCELLED, cancelled_reason=reason[:300], updated_at=timezone.now()
    )
    for share in pending:
        audit_record(
            actor=actor,
            action=AuditAction.SHARE_CANCELLED,
            target=share,
            subject=share.employee,
            old={"state": Share.State.SCHEDULED},
            new={"state": Share.State.CANCELLED, "reason": reason},
        )
    return len(pending)


def share_cancel_pending_for_user(*, user: User, actor: User | None, reason: str) -> int:
    ids = list(Share.objects.filter(employee=user, state=Share.State.SCHEDULED).values_list("pk", flat=True))
    return _cancel_rows(ids=ids, actor=actor, reason=reason)


def share_cancel_pending_for_draft(*, draft: Draft, actor: User | None, reason: str) -> int:
    ids = list(Share.objects.filter(draft=draft, state=Share.State.SCHEDULED).values_list("pk", flat=True))
    return _cancel_rows(ids=ids, actor=actor, reason=reason)


def share_cancel_pending_for_account(*, account: ConnectedAccount, actor: User | None, reason: str) -> int:
    ids = list(
        Share.objects.filter(account=account, state=Share.State.SCHEDULED).values_list("pk", flat=True)
    )
    return _cancel_rows(ids=ids, actor=actor, reason=reason)
