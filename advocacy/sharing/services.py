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
from django.utils.translation import get_language, gettext, gettext_lazy, gettext_noop

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.drafts.content import check_share, unix_newlines
from advocacy.drafts.models import Draft, DraftVersion
from advocacy.drafts.selectors import published_draft_get
from advocacy.ledger.models import ConnectedAccount
from advocacy.program.selectors import disclosure_for, participation_state
from advocacy.sharing.models import Share

MAX_SCHEDULE_AHEAD = dt.timedelta(days=90)
IN_DOUBT = "outcome_unknown"
IN_DOUBT_MESSAGE = gettext_lazy(
    "Candor is checking whether an earlier attempt already reached the network, "
    "so this post cannot be changed or cancelled until that is known."
)
PAST_TOLERANCE = dt.timedelta(minutes=2)


def _label(label: str) -> str:
    """A status label mid-sentence: lower case in English, as written in other languages."""
    return label.lower() if (get_language() or "en").startswith("en") else label


def _check_text(*, text: str, network: str, disclosure: str, account: ConnectedAccount, version: DraftVersion) -> None:
    # The final post is checked: on some networks the draft's link is added to the text.
    check = check_share(
        network=network, text=text, disclosure=disclosure, version=version, max_characters=account.max_characters
    )
    if not check.ok:
        raise ValidationFailed(" ".join(check.problems), fields={"text": list(check.problems)}, code=check.codes[0])


def _check_time(*, when: dt.datetime, expires: dt.datetime | None) -> None:
    if timezone.is_naive(when):
        raise ValidationFailed(
            gettext("The time needs a time zone."), fields={"scheduled_at": [gettext("Give a time zone.")]}
        )
    now = timezone.now()
    if when < now - PAST_TOLERANCE:
        raise ValidationFailed(
            gettext("That time has passed; pick a time in the future or 'now'."),
            fields={"scheduled_at": [gettext("The time is in the past.")]},
        )
    if when > now + MAX_SCHEDULE_AHEAD:
        raise ValidationFailed(
            gettext("Shares can be scheduled at most 90 days ahead."),
            fields={"scheduled_at": [gettext("Too far in the future.")]},
        )
    if expires is not None and when >= expires:
        raise ValidationFailed(
            gettext("This post expires at %(expiry)s UTC; schedule it before then.")
            % {"expiry": f"{expires:%Y-%m-%d %H:%M}"},
            fields={"scheduled_at": [gettext("After the post's expiry.")]},
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
    text = unix_newlines(text)
    if not user_can(employee, Capability.PARTICIPATE):
        raise NotAllowed(gettext("This account cannot take part in the programme."))
    state = participation_state(user=employee)
    if not state.enrolled:
        raise Conflict(gettext("Join the programme before sharing."), code="not_enrolled")
    if state.needs_reconsent:
        raise Conflict(
            gettext("The programme policy changed; read it and confirm before sharing again."), code="policy_outdated"
        )
    draft = published_draft_get(user=employee, draft_id=draft_id)
    account = ConnectedAccount.objects.filter(pk=account_id, owner=employee).first()
    if account is None:
        raise ValidationFailed(
            gettext("Choose one of your own connected accounts."),
            fields={"account": [gettext("Not one of your accounts.")]},
        )
    if not account.is_usable:
        raise Conflict(
            gettext("%(account)s is not usable (%(status)s). Reconnect it first.")
            % {"account": account, "status": _label(account.get_status_display())},
            code="account_unusable",
        )
    version = draft.published_version
    if account.network not in version.networks:
        raise ValidationFailed(
            gettext("This post is not meant for %(network)s.") % {"network": account.get_network_display()},
            fields={"account": [gettext("Network not offered for this post.")]},
        )
    disclosure = disclosure_for(language=version.language)
    _check_text(text=text, network=account.network, disclosure=disclosure, account=account, version=version)
    when = scheduled_at or timezone.now()
    _check_time(when=when, expires=version.expires_at)
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
        raise ValidationFailed(gettext("No such share."), code="not_found")
    return share


@transaction.atomic
def share_edit(
    *, employee: User, share_id: int, text: str | None = None, scheduled_at: dt.datetime | None = None
) -> Share:
    share = _owned_share(employee=employee, share_id=share_id)
    if text is None and scheduled_at is None:
        return share
    new_text = share.text if text is None else unix_newlines(text)
    new_time = share.scheduled_at if scheduled_at is None else scheduled_at
    _check_text(
        text=new_text,
        network=share.network,
        disclosure=share.disclosure,
        account=share.account,
        version=share.draft_version,
    )
    if scheduled_at is not None:
        # The share keeps the version it was made from, and that version's expiry.
        _check_time(when=new_time, expires=share.draft_version.expires_at)
    if share.in_doubt:
        raise Conflict(str(IN_DOUBT_MESSAGE), code="share_in_doubt")
    updated = (
        Share.objects.filter(pk=share.pk, state=Share.State.SCHEDULED)
        .exclude(last_error_code=IN_DOUBT)
        .update(text=new_text, scheduled_at=new_time, next_attempt_at=new_time, updated_at=timezone.now())
    )
    if not updated:
        raise Conflict(
            gettext("Sending has already started, so this share can no longer be changed."), code="share_locked"
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
    if share.in_doubt and share.state == Share.State.SCHEDULED:
        raise Conflict(str(IN_DOUBT_MESSAGE), code="share_in_doubt")
    if not _cancel_rows(ids=[share.pk], actor=employee, reason=gettext_noop("You cancelled it.")):
        raise Conflict(
            gettext("Sending has already started, so this share can no longer be cancelled."), code="share_locked"
        )
    share.refresh_from_db()
    return share


def _cancel_rows(*, ids: Sequence[int], actor: User | None, reason: str) -> int:
    """Cancel the given shares that are still scheduled; audit each one. Caller holds the transaction."""
    if not ids:
        return 0
    pending = list(
        Share.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, state=Share.State.SCHEDULED)
        # In-doubt shares may already be live: the engine reconciles them first and
        # then cancels them itself if they must not go out.
        .exclude(last_error_code=IN_DOUBT)
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
    ids = list(Share.objects.filter(account=account, state=Share.State.SCHEDULED).values_list("pk", flat=True))
    return _cancel_rows(ids=ids, actor=actor, reason=reason)
