"""The posting engine: claim due shares, send each exactly once, classify failures.

* The database is the source of truth. ``dispatch_due`` claims due rows
  (``scheduled`` → ``sending``; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and
  enqueues one send task per share after commit.
* ``share_send`` takes a lease on the row before talking to the network, so a
  duplicate delivery of the same task does nothing; network calls happen outside
  any transaction; every outcome is a conditional update on ``state='sending'``.
* When the previous attempt's outcome is unknown (timeout, 5xx, worker killed
  mid-send), the next attempt **reconciles first** with the network and never
  blindly posts again. If the network cannot tell, the share becomes *unknown*
  and a person is asked.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.drafts.content import check_post
from advocacy.drafts.models import Draft
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import (
    account_credentials_update,
    account_mark_needs_reconnect,
)
from advocacy.ledger.sessions import session_for
from advocacy.networks import base as net
from advocacy.networks.registry import get_client
from advocacy.notifications.models import Notification
from advocacy.notifications.services import notify
from advocacy.program.selectors import user_may_share
from advocacy.sharing.limits import ACCOUNT_POST_BUDGET, MAX_ATTEMPTS, backoff_seconds
from advocacy.sharing.models import Share

logger = logging.getLogger(__name__)
State = Share.State
LEASE = dt.timedelta(seconds=settings.CANDOR_SEND_LEASE_SECONDS)
OUTCOME_UNKNOWN = "outcome_unknown"
DISPATCH_BATCH = 500


# --- dispatching -------------------------------------------------------------------


def _late_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=settings.CANDOR_MAX_LATENESS_MINUTES)


def dispatch_due(*, now: dt.datetime | None = None, limit: int = DISPATCH_BATCH) -> list[int]:
    """Claim due shares and enqueue their send tasks. Safe to run concurrently
    (two beats started by mistake): a row is claimed by exactly one caller."""
    from advocacy.sharing.tasks import send_share

    now = now or timezone.now()
    share_missed_sweep(now=now)
    # Backpressure: claimed shares that no worker has picked up yet wait in the broker.
    # Keep at most ``limit`` of them there, and leave the rest of a large fan-out
    # 'scheduled' in the database until the workers catch up; queued longer than a
    # lease, recover_stale would take them for lost and enqueue them a second time
    # (bench/: a 10,000-share fan-out re-enqueued hundreds of shares every tick).
    limit -= Share.objects.filter(state=State.SENDING, lease_until__isnull=True).count()
    if limit <= 0:
        return []
    with transaction.atomic():
        # In-doubt shares are dispatched however late they are: they reconcile first.
        due = Share.objects.filter(
            Q(scheduled_at__gte=_late_cutoff(now)) | Q(last_error_code=OUTCOME_UNKNOWN),
            state=State.SCHEDULED,
            next_attempt_at__lte=now,
        ).order_by("next_attempt_at", "pk")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = _claim(list(due.values_list("pk", flat=True)[:limit]), now)
        for share_id in ids:
            transaction.on_commit(lambda share_id=share_id: send_share.apply_async(args=[share_id], queue="posting"))
    return ids


def _claim(ids: list[int], now: dt.datetime) -> list[int]:
    """scheduled → sending for those of ``ids`` still scheduled; returns exactly the
    rows this caller claimed (UPDATE … RETURNING, so a concurrent dispatcher's rows
    are never counted as ours)."""
    if not ids:
        return []
    stamp = connection.ops.adapt_datetimefield_value(now)
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"UPDATE {connection.ops.quote_name(Share._meta.db_table)} "  # noqa: S608  # nosec B608
        "SET state = %s, claimed_at = %s, updated_at = %s "
        f"WHERE id IN ({placeholders}) AND state = %s RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [State.SENDING, stamp, stamp, *ids, State.SCHEDULED])
        return sorted(row[0] for row in cursor.fetchall())


def recover_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Shares left in *sending* whose worker vanished (killed, broker lost the
    message). Their outcome is unknown, so they are re-enqueued to reconcile first."""
    from advocacy.sharing.tasks import send_share

    now = now or timezone.now()
    stale_before = now - LEASE
    candidates = Share.objects.filter(state=State.SENDING, claimed_at__lt=stale_before).exclude(lease_until__gt=now)
    ids = []
    for share in candidates.only("pk", "claimed_at", "lease_until", "last_error_code")[:DISPATCH_BATCH]:
        # A held lease means a worker was mid-send; a retry already in doubt stays in doubt.
        in_doubt = share.lease_until is not None or share.last_error_code == OUTCOME_UNKNOWN
        # Only one recoverer wins each row: the claim time moves on.
        if Share.objects.filter(pk=share.pk, state=State.SENDING, claimed_at=share.claimed_at).update(
            claimed_at=now, last_error_code=OUTCOME_UNKNOWN if in_doubt else "", updated_at=now
        ):
            ids.append(share.pk)
    for share_id in ids:
        send_share.apply_async(args=[share_id], queue="posting")
    if ids:
        logger.warning("re-enqueued %d stale shares: %s", len(ids), ids[:20])
    return ids


def share_missed_sweep(*, now: dt.datetime) -> int:
    """Shares found long past their time are marked *missed* and the employee told,
    instead of going out hours late after an outage. In-doubt shares are left to
    the send task, which reconciles first: they may already be live."""
    late = list(
        Share.objects.filter(state=State.SCHEDULED, scheduled_at__lt=_late_cutoff(now))
        .exclude(last_error_code=OUTCOME_UNKNOWN)
        .select_related("employee", "draft")
        .order_by("pk")[:DISPATCH_BATCH]
    )
    count = 0
    for share in late:
        with transaction.atomic():
            if (
                not Share.objects.filter(pk=share.pk, state=State.SCHEDULED)
                .exclude(last_error_code=OUTCOME_UNKNOWN)
                .update(
                    state=State.MISSED,
                    last_error_code="missed",
                    last_error=f"Not sent: it was more than {settings.CANDOR_MAX_LATENESS_MINUTES} minutes late.",
                    updated_at=now,
                )
            ):
                continue
            audit_record(
                actor=None,
                action=AuditAction.SHARE_MISSED,
                target=share,
                subject=share.employee,
                old={"state": State.SCHEDULED},
                new={"state": State.MISSED},
            )
            _tell(
                share,
                Notification.Kind.SHARE_MISSED,
                "Your post was not sent: it was too late",
                f"“{share.draft.title}” was due at {share.scheduled_at:%Y-%m-%d %H:%M} UTC but could not be sent "
                f"within {settings.CANDOR_MAX_LATENESS_MINUTES} minutes, so Candor did not post it late. "
                "You can schedule it again.",
            )
            count += 1
    return count


# --- sending -------------------------------------------------------------------------


@dataclass(frozen=True)
class SendOutcome:
    share_id: int
    state: str
    detail: str = ""


def _tell(share: Share, kind: str, title: str, body: str) -> None:
    notify(
        user=share.employee,
        kind=kind,
        title=title,
        body=body,
        link=f"/shares/{share.pk}/",
        dedupe_key=f"{kind}:{share.pk}",
    )


def _finish(
    share: Share, *, to: str, action: AuditAction, fields: dict[str, object], audit_new: dict[str, object]
) -> bool:
    """Move a share out of *sending* (conditional), with its audit event."""
    now = timezone.now()
    with transaction.atomic():
        moved = Share.objects.filter(pk=share.pk, state=State.SENDING).update(
            state=to, lease_until=None, updated_at=now, **fields
        )
        if moved:
            audit_record(
                actor=None,
                action=action,
                target=share,
                subject=share.employee,
                old={"state": State.SENDING},
                new={"state": to, **audit_new},
            )
            for name, value in fields.items():
                setattr(share, name, value)
            share.state = to
    return bool(moved)


def _precheck(share: Share, now: dt.datetime) -> str | None:
    """Everything that must still hold right before sending; the reason if not."""
    if not user_may_share(user_id=share.employee_id):
        return "You are no longer taking part in the programme (or the policy changed and needs your consent)."
    if share.account.status != ConnectedAccount.Status.ACTIVE:
        return f"The account {share.account} is {share.account.get_status_display().lower()}."
    if share.draft.state == Draft.State.RETIRED:
        return "The comms team withdrew this post."
    expires = share.draft_version.expires_at
    if expires is not None and now >= expires:
        return "This post has expired."
    check = check_post(
        network=share.network,
        text=share.text,
        disclosure=share.disclosure,
        max_characters=share.account.max_characters,
    )
    if not check.ok:
        return "The text no longer passes the rules: " + " ".join(check.problems)
    return None


def _over_budget(share: Share, now: dt.datetime) -> dt.datetime | None:
    posts, window = ACCOUNT_POST_BUDGET[share.network]
    recent = Share.objects.filter(account_id=share.account_id, state=State.SENT, sent_at__gt=now - window)
    if recent.count() < posts:
        return None
    oldest = recent.order_by("sent_at").values_list("sent_at", flat=True).first()
    return (oldest or now) + window


def _session(share: Share) -> net.AccountSession:
    return session_for(share.account)


def _request(share: Share) -> net.PublishRequest:
    version = share.draft_version
    image = None
    if version.image:
        with version.image.open("rb") as handle:
            content = handle.read()
        mime = "image/jpeg" if version.image.name.endswith(".jpg") else f"image/{version.image.name.rsplit('.', 1)[-1]}"
        image = net.MediaAttachment(content=content, mime_type=mime, alt_text=version.image_alt)
    return net.PublishRequest(
        text=share.text,
        idempotency_key=share.idempotency_key,
        link=version.link or None,
        image=image,
        language=share.language,
    )


def _take_lease(share_id: int, now: dt.datetime) -> bool:
    sending = Share.objects.filter(pk=share_id, state=State.SENDING)
    if sending.filter(lease_until__isnull=True).update(lease_until=now + LEASE, attempts=F("attempts") + 1):
        return True
    # An expired lease: the worker that held it died mid-send (a redelivered task can
    # get here before recover_stale does), so the post may be out. Reconcile first.
    return bool(
        sending.filter(lease_until__lt=now).update(
            lease_until=now + LEASE, attempts=F("attempts") + 1, last_error_code=OUTCOME_UNKNOWN
        )
    )


def share_send(*, share_id: int) -> SendOutcome:
    """Send one claimed share. Idempotent: call it as often as a broker redelivers."""
    now = timezone.now()
    if not _take_lease(share_id, now):
        state = Share.objects.filter(pk=share_id).values_list("state", flat=True).first()
        return SendOutcome(share_id, state or "gone", "not claimable (done, cancelled, or another worker has it)")
    share = Share.objects.select_related("employee", "account", "draft", "draft_version").get(pk=share_id)
    if share.attempts > MAX_ATTEMPTS:
        # Every earlier attempt died mid-send (a crash or a kill, recovered each time):
        # stop instead of re-enqueueing forever, and ask the employee to check.
        return _unknown(share, net.OutcomeUnknown(f"{share.attempts - 1} attempts did not finish"))

    client = get_client(share.network)
    session = _session(share)
    try:
        if share.last_error_code == OUTCOME_UNKNOWN:
            # An earlier attempt may have landed: find out before anything else, even
            # before cancelling or marking it late, so the status never says "not
            # sent" about a post that is live.
            try:
                found = client.find_existing(session, share.idempotency_key, text=share.text)
            except (net.OutcomeUnknown, net.PermanentError) as exc:
                return _unknown(share, exc)
            if found is not None:
                return _sent(share, found, session, reconciled=True)
        stopped = _stop_before_publish(share, now)
        if stopped is not None:
            return stopped
        result = client.publish(session, _request(share))
    except net.AuthError as exc:
        return _auth_failed(share, exc)
    except net.OutcomeUnknown as exc:
        return _retry(
            share,
            delay=backoff_seconds(attempt=share.attempts, retry_after=exc.retry_after),
            code=OUTCOME_UNKNOWN,
            message=exc.message,
        )
    except net.TransientError as exc:
        code = "rate_limited" if isinstance(exc, net.RateLimited) else "transient"
        if share.last_error_code == OUTCOME_UNKNOWN:
            code = OUTCOME_UNKNOWN  # the lookup failed, so the next attempt must reconcile again
        return _retry(
            share,
            delay=backoff_seconds(attempt=share.attempts, retry_after=exc.retry_after),
            code=code,
            message=exc.message,
        )
    except net.PermanentError as exc:
        return _failed(share, code="refused", message=exc.message)
    finally:
        _save_refreshed_credentials(share, session)
    return _sent(share, result, session, reconciled=False)


def _stop_before_publish(share: Share, now: dt.datetime) -> SendOutcome | None:
    """Re-check everything right before posting: consent, account, draft, text,
    lateness and the account's budget. An outcome means: do not post now."""
    reason = _precheck(share, now)
    if reason is not None:
        _finish(
            share,
            to=State.CANCELLED,
            action=AuditAction.SHARE_CANCELLED,
            fields={"cancelled_reason": reason[:300]},
            audit_new={"reason": reason},
        )
        _tell(share, Notification.Kind.SHARE_CANCELLED, "Your post was not sent", reason)
        return SendOutcome(share.pk, State.CANCELLED, reason)
    if share.scheduled_at < _late_cutoff(now):
        return _missed(share)
    resume_at = _over_budget(share, now)
    if resume_at is not None:
        return _retry(
            share,
            delay=(resume_at - now).total_seconds(),
            code="account_budget",
            message="Pausing to stay within this account's posting limit.",
            count_attempt=False,
        )
    return None


def _save_refreshed_credentials(share: Share, session: net.AccountSession) -> None:
    if session.credentials_changed:
        account_credentials_update(account_id=share.account_id, credentials=session.credentials)
        session.credentials_changed = False


def _sent(share: Share, result: net.PublishResult, session: net.AccountSession, *, reconciled: bool) -> SendOutcome:
    now = timezone.now()
    _finish(
        share,
        to=State.SENT,
        action=AuditAction.SHARE_RECONCILED if reconciled else AuditAction.SHARE_SENT,
        fields={
            "sent_at": now,
            "external_id": result.external_id[:255],
            "external_url": result.url[:500],
            "last_error_code": "",
            "last_error": "",
        },
        audit_new={
            "external_id": result.external_id,
            "url": result.url,
            "attempts": share.attempts,
            "tool": "candor",
            "reconciled": reconciled,
        },
    )
    return SendOutcome(share.pk, State.SENT, result.url)


def _retry(share: Share, *, delay: float, code: str, message: str, count_attempt: bool = True) -> SendOutcome:
    if count_attempt and share.attempts >= MAX_ATTEMPTS:
        if code == OUTCOME_UNKNOWN:
            return _unknown(share, net.OutcomeUnknown(message))
        return _failed(share, code=code, message=f"Gave up after {share.attempts} attempts: {message}")
    next_at = timezone.now() + dt.timedelta(seconds=delay)
    fields: dict[str, object] = {
        "next_attempt_at": next_at,
        "last_error_code": code,
        "last_error": message[:1000],
    }
    if not count_attempt:
        fields["attempts"] = max(0, share.attempts - 1)
    _finish(
        share,
        to=State.SCHEDULED,
        action=AuditAction.SHARE_RETRY_SCHEDULED,
        fields=fields,
        audit_new={"code": code, "message": message, "next_attempt_at": next_at.isoformat()},
    )
    return SendOutcome(share.pk, State.SCHEDULED, message)


def _failed(share: Share, *, code: str, message: str) -> SendOutcome:
    _finish(
        share,
        to=State.FAILED,
        action=AuditAction.SHARE_FAILED,
        fields={"last_error_code": code, "last_error": message[:1000]},
        audit_new={"code": code, "message": message},
    )
    _tell(
        share,
        Notification.Kind.SHARE_FAILED,
        f"Your post to {share.account} failed",
        f"{share.account.get_network_display()} said: {message}\n\nOpen the share to edit it and try again.",
    )
    return SendOutcome(share.pk, State.FAILED, message)


def _auth_failed(share: Share, exc: net.AuthError) -> SendOutcome:
    # Only the failure that moves the account to needs-reconnect tells the owner: shares
    # failing alongside it add no second email, and a failure after a reconnect does.
    if account_mark_needs_reconnect(account_id=share.account_id, reason=exc.message):
        notify(
            user=share.account.owner,
            kind=Notification.Kind.RECONNECT_NEEDED,
            title=f"Reconnect {share.account}",
            body=f"{exc.message} Reconnect it to keep sharing.",
            link="/accounts/social/",
        )
    return _failed(share, code="auth", message=f"{exc.message} Reconnect the account, then schedule again.")


def _unknown(share: Share, exc: net.NetworkError) -> SendOutcome:
    message = (
        f"Candor cannot tell whether this post reached {share.account.get_network_display()} "
        f"({exc.message}). Check your profile; it was not re-posted to avoid a duplicate."
    )
    _finish(
        share,
        to=State.UNKNOWN,
        action=AuditAction.SHARE_UNKNOWN,
        fields={"last_error_code": OUTCOME_UNKNOWN, "last_error": message[:1000]},
        audit_new={"message": message},
    )
    _tell(share, Notification.Kind.SHARE_UNKNOWN, "Please check one of your posts", message)
    return SendOutcome(share.pk, State.UNKNOWN, message)


def _missed(share: Share) -> SendOutcome:
    message = f"Not sent: it was more than {settings.CANDOR_MAX_LATENESS_MINUTES} minutes late."
    _finish(
        share,
        to=State.MISSED,
        action=AuditAction.SHARE_MISSED,
        fields={"last_error_code": "missed", "last_error": message},
        audit_new={},
    )
    _tell(share, Notification.Kind.SHARE_MISSED, "Your post was not sent: it was too late", message)
    return SendOutcome(share.pk, State.MISSED, message)
