"""The posting engine: claim due shares, send each exactly once, classify failures.

* The database is the source of truth. ``dispatch_due`` claims due rows
  (``scheduled`` → ``sending``; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and
  enqueues one send task per batch of up to ``SEND_BATCH`` shares after commit. A
  worker that finishes a batch dispatches again, so a large fan-out keeps flowing
  between beat ticks, while backpressure keeps the broker's queue short.
* ``shares_send`` first *holds* its shares (``holder``, ``held_until``), so a
  duplicate delivery of the same task does nothing, and leases each few shares
  (``LEASE_CHUNK``) right before talking to the network about them. The hold and the
  leases are short (``CANDOR_SEND_LEASE_SECONDS``) and renewed while the batch runs
  (``_Hold``): a worker that dies frees its shares within one short lease, not after
  the task's time limit. Network calls happen outside any transaction; every outcome
  is a conditional update on ``state='sending'`` and the batch's hold, written with
  its audit event a few shares at a time.
* When the previous attempt's outcome is unknown (timeout, 5xx, worker killed
  mid-send), the next attempt **reconciles first** with the network and never
  blindly posts again. If the network cannot tell, the share becomes *unknown*
  and a person is asked.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, F, Field, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import AuditEntry, audit_record, audit_record_many
from advocacy.compose import FinalPost
from advocacy.core import shutdown
from advocacy.core.counters import CALL_BUCKETS, LATENESS_BUCKETS, Tally, tally_record
from advocacy.core.public_links import public_page_link
from advocacy.drafts.content import check_post, share_post
from advocacy.drafts.models import Draft
from advocacy.ledger.models import ConnectedAccount, Offboarding
from advocacy.ledger.services import (
    account_credentials_update,
    account_mark_needs_reconnect,
)
from advocacy.ledger.sessions import session_for
from advocacy.linkcards.selectors import link_thumb_for
from advocacy.networks import base as net
from advocacy.networks.registry import get_client
from advocacy.notifications.models import Notification
from advocacy.notifications.services import notify, recipient_locale
from advocacy.program.models import Enrollment
from advocacy.program.selectors import disclosure_for, may_share_exists
from advocacy.sharing.limits import ACCOUNT_POST_BUDGET, MAX_ATTEMPTS, backoff_seconds
from advocacy.sharing.models import Share

logger = logging.getLogger(__name__)
_T = TypeVar("_T")
# Network failures as /metrics labels them; the most specific class first.
_OUTCOME_LABELS: dict[type[net.NetworkError], str] = {
    net.RateLimited: "rate_limited",
    net.OutcomeUnknown: "outcome_unknown",
    net.TransientError: "transient",
    net.AuthError: "auth",
    net.PermanentError: "refused",
}
State = Share.State
LEASE = dt.timedelta(seconds=settings.CANDOR_SEND_LEASE_SECONDS)
# A running batch renews its hold this many times per lease, so a renewal or two can
# be late (a busy database) without the hold lapsing; it stops starting sends once
# less than half a lease is left (``_Hold.alive``).
RENEWALS_PER_LEASE = 4
# A claimed share whose send task no worker has started this long after the claim is
# taken for lost by the broker and enqueued again (a second copy of a task is harmless).
QUEUE_TIMEOUT = dt.timedelta(seconds=settings.CANDOR_SEND_QUEUE_TIMEOUT_SECONDS)
OUTCOME_UNKNOWN = "outcome_unknown"
_ACCOUNT_REASONS: dict[str, str] = {
    ConnectedAccount.Status.NEEDS_RECONNECT: gettext_noop("The account needs reconnecting, so the post was not sent."),
    ConnectedAccount.Status.REVOCATION_PENDING: gettext_noop(
        "The account is being handed back, so the post was not sent."
    ),
    ConnectedAccount.Status.HANDED_BACK: gettext_noop("The account was handed back, so the post was not sent."),
    ConnectedAccount.Status.REVOKED: gettext_noop(
        "Candor's access to the account was revoked, so the post was not sent."
    ),
    ConnectedAccount.Status.DISCONNECTED: gettext_noop("The account was disconnected, so the post was not sent."),
}
DISPATCH_BATCH = 500
# Shares per send task. A batch pays once for what every send needs (a task, the
# lease, loading, the pre-send checks, the audit chain head lock and a commit):
# per-share overhead was most of the cost of a large fan-out (bench/: fan-out).
SEND_BATCH = 30
# Within a batch, shares are leased a few at a time, in the same transaction that
# writes the outcomes of the few before: a worker killed mid-batch leaves at most
# this many shares in doubt (each reconciled with the network before any resend);
# the batch's other shares were never leased and simply go out again.
LEASE_CHUNK = 10
# The facts the pre-send checks rely on (consent, account, draft) are read fresh in
# the transaction that takes each group's lease, never from a cache: see ``_lock_people``.
# A batch stops starting sends after this long and hands the rest back to the
# dispatcher, staying far inside the task's time limit on a slow network.
BATCH_SECONDS = settings.CELERY_TASK_SOFT_TIME_LIMIT / 3


# --- dispatching -------------------------------------------------------------------


def _late_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=settings.CANDOR_MAX_LATENESS_MINUTES)


def dispatch_due(*, now: dt.datetime | None = None, limit: int = DISPATCH_BATCH) -> list[int]:
    """Claim due shares and enqueue their send tasks. Safe to run concurrently
    (two beats started by mistake): a row is claimed by exactly one caller."""
    now = now or timezone.now()
    share_missed_sweep(now=now)
    # Backpressure: claimed shares that no worker has picked up yet wait in the broker.
    # Keep at most ``limit`` of them there, and leave the rest of a large fan-out
    # 'scheduled' in the database until the workers catch up; queued longer than a
    # queue timeout, recover_stale would take them for lost and enqueue them a second
    # time (bench/: a 10,000-share fan-out re-enqueued hundreds of shares every tick).
    limit -= _queued().count()
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
        if ids:
            transaction.on_commit(partial(_enqueue, ids))
    return ids


def _queued() -> QuerySet[Share]:
    """Claimed shares no batch has started: their tasks wait in the broker (or are lost)."""
    return Share.objects.filter(state=State.SENDING, held_until__isnull=True, lease_until__isnull=True)


def _enqueue(ids: list[int]) -> None:
    """One send task per ``SEND_BATCH`` of ``ids``. When the broker cannot take one
    (down, restarting), that batch and the rest are handed straight back to the
    dispatcher instead of waiting in *sending* for the queue timeout to notice."""
    from advocacy.sharing.tasks import send_shares

    for start in range(0, len(ids), SEND_BATCH):
        try:
            send_shares.apply_async(args=(ids[start : start + SEND_BATCH],), queue="posting")
        except Exception as exc:  # kombu's OperationalError, a socket error: any failure to publish
            rest = ids[start:]
            handed = _queued().filter(pk__in=rest).update(state=State.SCHEDULED, updated_at=timezone.now())
            logger.warning("broker unavailable (%s): %d claimed shares handed back to the dispatcher", exc, handed)
            return


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
    """Shares left in *sending* whose worker vanished: its batch stopped renewing its
    hold (the worker was killed), or no batch ever started them (the broker lost the
    message). They are re-enqueued; one whose send had begun reconciles first."""
    now = now or timezone.now()
    candidates = Share.objects.filter(state=State.SENDING).filter(
        Q(held_until__lt=now)  # its batch's worker died
        | Q(held_until__isnull=True, lease_until__lt=now)  # leased before holds existed
        | Q(held_until__isnull=True, lease_until__isnull=True, claimed_at__lt=now - QUEUE_TIMEOUT)
    )
    ids = []
    for share in candidates.only("pk", "claimed_at", "holder", "lease_until", "last_error_code")[:DISPATCH_BATCH]:
        # A lease means a worker was mid-send; a retry already in doubt stays in doubt.
        in_doubt = share.lease_until is not None or share.last_error_code == OUTCOME_UNKNOWN
        # Only one recoverer wins each row: the claim time and the holder move on.
        if Share.objects.filter(
            pk=share.pk, state=State.SENDING, claimed_at=share.claimed_at, holder=share.holder
        ).update(
            claimed_at=now,
            holder="",
            held_until=None,
            lease_until=None,
            last_error_code=OUTCOME_UNKNOWN if in_doubt else "",
            updated_at=now,
        ):
            ids.append(share.pk)
    if ids:
        logger.warning("re-enqueued %d stale shares: %s", len(ids), ids[:20])
        _enqueue(ids)
    return ids


def share_missed_sweep(*, now: dt.datetime) -> int:
    """Shares found long past their time are marked *missed* and the employee told,
    instead of going out hours late after an outage. In-doubt shares are left to
    the send task, which reconciles first: they may already be live."""
    late = list(
        Share.objects.filter(state=State.SCHEDULED, scheduled_at__lt=_late_cutoff(now))
        .exclude(last_error_code=OUTCOME_UNKNOWN)
        .select_related("employee", "draft")
        # By (state, scheduled_at), an index: ordered by pk, PostgreSQL walked the whole
        # table on every dispatch, 235 ms at 210,000 shares (bench/: fan-out).
        .order_by("scheduled_at", "pk")[:DISPATCH_BATCH]
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
            _tell(share, Notification.Kind.SHARE_MISSED, partial(_missed_words, share))
            count += 1
    return count


# --- sending -------------------------------------------------------------------------


@dataclass(frozen=True)
class SendOutcome:
    share_id: int
    state: str
    detail: str = ""


# What the employee is told: the kind, and a function that writes the title and body.
# It is called in the employee's language and time zone (a worker has neither).
Notice = tuple[str, Callable[[], tuple[str, str]]]


@dataclass
class _Transition:
    share: Share
    to: str
    action: AuditAction
    fields: dict[str, object]
    audit_new: dict[str, object]
    notice: Notice | None = None


class _Outcomes:
    """The state changes of a batch of sends, written together: one transaction and
    one lock of the audit chain head per flush. Each change is still conditional on
    the share being *sending*, and its audit event and notice go with it."""

    def __init__(self) -> None:
        self.pending: list[_Transition] = []

    def add(self, transition: _Transition) -> None:
        self.pending.append(transition)

    def flush(self, *, hold: _Hold, lease: Sequence[Share] = ()) -> tuple[list[int], _Facts]:
        """Write the pending outcomes and lease the shares of ``lease`` (one commit);
        returns the shares leased (as ``_lease`` does) and the facts the pre-send
        checks of ``lease`` must use, read in this same transaction. Never at the same
        time as the hold's renewal (``hold.lock``), so the two never wait for each
        other's rows."""
        with hold.lock, transaction.atomic():
            # First, before any audit row: a leave takes the enrolment lock and then the
            # audit chain head, so the lease transaction takes them in that order too.
            if lease:
                _lock_people({share.employee_id for share in lease})
            moved = _move(self.pending, timezone.now(), holder=hold.holder) if self.pending else []
            audit_record_many(
                entries=[
                    AuditEntry(
                        actor=None,
                        action=t.action,
                        target=t.share,
                        subject=t.share.employee,
                        old={"state": State.SENDING},
                        new={"state": t.to, **t.audit_new},
                    )
                    for t in moved
                ]
            )
            for t in moved:
                for name, value in t.fields.items():
                    setattr(t.share, name, value)
                t.share.state = t.to
                if t.notice is not None:
                    _tell(t.share, *t.notice)
            leased = _lease([share.pk for share in lease], holder=hold.holder) if lease else []
            facts = _read_facts(lease)
        self.pending = []
        return leased, facts


def _move(transitions: list[_Transition], now: dt.datetime, *, holder: str) -> list[_Transition]:
    """Move the shares that are still *sending* and held by ``holder`` (one that
    something else moved on meanwhile is left as it is): one UPDATE … RETURNING for
    all of them, each row getting its own values, instead of one conditional UPDATE
    per share. The hold and the lease end with it."""
    rows = {t.share.pk: {"state": t.to, **t.fields} for t in transitions}
    quote = connection.ops.quote_name
    assignments: list[str] = []
    params: list[Any] = [connection.ops.adapt_datetimefield_value(now)]
    # Raw SQL: the same UPDATE built from ORM Case/When expressions cost more CPU
    # than the sends themselves (bench/: fan-out).
    for name in sorted({name for row in rows.values() for name in row}):
        field = cast("Field[Any, Any]", Share._meta.get_field(name))  # a transition sets only concrete columns
        column = quote(field.column)
        cases = []
        for pk, row in rows.items():
            if name in row:
                cases.append("WHEN %s THEN %s")
                params += [pk, field.get_db_prep_save(row[name], connection)]
        assignments.append(f"{column} = CASE {quote('id')} {' '.join(cases)} ELSE {column} END")
    sql = (
        f"UPDATE {quote(Share._meta.db_table)} SET lease_until = NULL, holder = '', held_until = NULL, "  # noqa: S608  # nosec B608
        f"updated_at = %s, {', '.join(assignments)} WHERE {quote('id')} IN ({', '.join(['%s'] * len(rows))}) "
        f"AND {quote('state')} = %s AND {quote('holder')} = %s RETURNING {quote('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *rows, State.SENDING, holder])
        moved = {row[0] for row in cursor.fetchall()}
    return [t for t in transitions if t.share.pk in moved]


def _tell(share: Share, kind: str, words: Callable[[], tuple[str, str]]) -> None:
    with recipient_locale(share.employee):
        title, body = words()
    notify(
        user=share.employee,
        kind=kind,
        title=title,
        body=body,
        link=f"/shares/{share.pk}/",
        dedupe_key=f"{kind}:{share.pk}",
    )


@dataclass(frozen=True)
class _Facts:
    """What the pre-send checks of one leased group rely on, read in the lease's
    transaction: why each person may not share (absent: they may), and each
    account's status and draft's state."""

    refused: dict[int, str]
    account_status: dict[int, str]
    draft_state: dict[int, str]


def _lock_people(user_ids: set[int]) -> None:
    """Take a shared lock on the enrolment and user rows of ``user_ids`` (PostgreSQL),
    so that the lease taken in this transaction and a concurrent leave are ordered.

    A leave first marks the enrolment as leaving under ``FOR UPDATE``. If that commits
    first, ``_read_facts``, reading after this lock (READ COMMITTED: each statement sees
    what committed before it), sees the mark and the share is cancelled, not posted. If
    this lease commits first, the leave sees the share leased and waits until its
    outcome is recorded, so that post and its audit event come before the leave's.
    SQLite runs one writing transaction at a time (IMMEDIATE), which orders them too."""
    if connection.vendor != "postgresql" or not user_ids:
        return
    quote = connection.ops.quote_name
    enrollments, users = quote(Enrollment._meta.db_table), quote(User._meta.db_table)
    placeholders = ", ".join(["%s"] * len(user_ids))
    # Sorted, so two workers never wait for each other's rows in opposite orders.
    sql = (
        f"SELECT 1 FROM {users} u JOIN {enrollments} e ON e.user_id = u.id "  # noqa: S608  # nosec B608
        f"WHERE u.id IN ({placeholders}) ORDER BY u.id FOR SHARE"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, sorted(user_ids))


def _read_facts(shares: Sequence[Share]) -> _Facts:
    """The pre-send facts of ``shares``, fresh from the database, in one query."""
    if not shares:
        return _Facts({}, {}, {})
    leaving = Offboarding.objects.filter(user_id=OuterRef("employee_id")).exclude(state=Offboarding.State.COMPLETED)
    rows = (
        Share.objects.filter(pk__in=[share.pk for share in shares])
        .annotate(may_share=may_share_exists(OuterRef("employee_id")), leaving=Exists(leaving))
        .values_list(
            "employee_id",
            "employee__is_active",
            "may_share",
            "leaving",
            "account_id",
            "account__status",
            "draft_id",
            "draft__state",
        )
    )
    refused: dict[int, str] = {}
    accounts: dict[int, str] = {}
    drafts: dict[int, str] = {}
    for user_id, is_active, may_share, is_leaving, account_id, account_status, draft_id, draft_state in rows:
        # Offboarding deactivates too; the more specific reason is the one people read.
        if is_leaving:
            refused[user_id] = gettext_noop("You are leaving the company, so Candor no longer posts for you.")
        elif not is_active:
            refused[user_id] = gettext_noop("Your Candor account is deactivated, so Candor no longer posts for you.")
        elif not may_share:
            refused[user_id] = gettext_noop(
                "You are no longer taking part in the programme (or the policy changed and needs your consent)."
            )
        accounts[account_id] = account_status
        drafts[draft_id] = draft_state
    return _Facts(refused=refused, account_status=accounts, draft_state=drafts)


class _Hold:
    """A send batch's hold on its shares: taken once, renewed while the batch runs.

    Every write the batch makes is conditional on ``holder``, so once another batch
    has taken the shares over (after this hold lapsed), nothing this one does can
    touch them. A worker process renews in a thread of its own (``keep_alive``), so a
    network call that takes long does not let the hold lapse; the batch also renews
    between sends when that thread is not running (eager tasks, tests). Renewal and
    the batch's own writes take turns (``lock``)."""

    def __init__(self) -> None:
        self.holder = uuid.uuid4().hex
        self.ids: list[int] = []
        self.lock = threading.Lock()
        self.renewed_at = 0.0  # time.monotonic() of the last renewal
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def seconds() -> float:
        return LEASE.total_seconds()

    def take(self, share_ids: Sequence[int]) -> list[int]:
        """Hold those of ``share_ids`` still claimed and not held by a live batch. A
        share whose previous holder died while sending it (its lease expired) is now
        in doubt, and reconciles first."""
        if not share_ids:
            return []
        started, now = time.monotonic(), timezone.now()
        until, stamp = (connection.ops.adapt_datetimefield_value(value) for value in (now + LEASE, now))
        quote = connection.ops.quote_name
        sql = (
            f"UPDATE {quote(Share._meta.db_table)} SET holder = %s, held_until = %s, "  # noqa: S608  # nosec B608
            f"last_error_code = CASE WHEN lease_until IS NULL THEN last_error_code ELSE '{OUTCOME_UNKNOWN}' END, "
            f"lease_until = NULL WHERE id IN ({', '.join(['%s'] * len(share_ids))}) AND state = %s "
            "AND (held_until IS NULL OR held_until < %s) AND (lease_until IS NULL OR lease_until < %s) RETURNING id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.holder, until, *share_ids, State.SENDING, stamp, stamp])
            self.ids = sorted(row[0] for row in cursor.fetchall())
        self.renewed_at = started
        return self.ids

    def renew(self) -> None:
        """Push the hold, and the lease of the shares being sent, one lease ahead."""
        with self.lock:
            started = time.monotonic()
            until = connection.ops.adapt_datetimefield_value(timezone.now() + LEASE)
            quote = connection.ops.quote_name
            sql = (
                f"UPDATE {quote(Share._meta.db_table)} SET held_until = %s, "  # noqa: S608  # nosec B608
                "lease_until = CASE WHEN lease_until IS NULL THEN NULL ELSE %s END "
                f"WHERE id IN ({', '.join(['%s'] * len(self.ids))}) AND state = %s AND holder = %s"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [until, until, *self.ids, State.SENDING, self.holder])
            self.renewed_at = started

    def renew_if_due(self) -> None:
        if self._thread is None and self.ids and time.monotonic() - self.renewed_at >= self._interval():
            self.renew()

    def alive(self) -> bool:
        """At least half a lease left: time enough to start another send."""
        return time.monotonic() - self.renewed_at < self.seconds() / 2

    def start(self, *, keep_alive: bool) -> None:
        if keep_alive and self.ids:
            self._thread = threading.Thread(target=self._keep, name=f"hold-{self.holder[:8]}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(self.seconds())

    def _interval(self) -> float:
        return self.seconds() / RENEWALS_PER_LEASE

    def _keep(self) -> None:
        """The renewing thread: its own database connection, closed when it ends."""
        try:
            while not self._stopping.wait(self._interval()):
                try:
                    self.renew()
                except DatabaseError:
                    # The batch notices through ``alive`` and stops starting sends.
                    logger.warning("could not renew the hold of shares %s", self.ids[:20], exc_info=True)
                    connection.close()
        finally:
            connection.close()


def _lease(share_ids: Sequence[int], *, holder: str) -> list[int]:
    """Lease the held shares of ``share_ids`` right before sending them (one UPDATE …
    RETURNING: exactly the rows this batch leased); each counts an attempt."""
    table = connection.ops.quote_name(Share._meta.db_table)
    placeholders = ", ".join(["%s"] * len(share_ids))
    sql = (
        f"UPDATE {table} SET lease_until = held_until, attempts = attempts + 1 "  # noqa: S608  # nosec B608
        f"WHERE id IN ({placeholders}) AND state = %s AND holder = %s RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*share_ids, State.SENDING, holder])
        return [row[0] for row in cursor.fetchall()]


def _release(share_ids: list[int], *, hold: _Hold, leased: bool) -> None:
    """Hand shares this batch never tried back to the dispatcher, at once: its hold,
    its lease and the attempt it counted, if it had leased them. A share it took over
    from a dead batch goes back in doubt, as that batch left it."""
    if not share_ids:
        return
    mine = Share.objects.filter(pk__in=share_ids, state=State.SENDING, holder=hold.holder)
    changes: dict[str, object] = {"state": State.SCHEDULED, "holder": "", "held_until": None}
    changes["updated_at"] = timezone.now()
    if leased:
        changes |= {"lease_until": None, "attempts": F("attempts") - 1}
    with hold.lock:
        mine.update(**changes)


def shares_take_over_lapsed(*, keep_alive: bool = False) -> list[SendOutcome]:
    """Send, now, up to a batch of shares whose batch's worker died (its hold lapsed),
    oldest first. A worker calls this before each batch of its own: re-enqueued at
    the back of the broker's queue, they would wait for everything claimed after
    them. (The beat's ``recover_stale`` still finds them when no worker is running.)"""
    lapsed = (
        Share.objects.filter(state=State.SENDING, held_until__lt=timezone.now())
        .order_by("scheduled_at", "pk")
        .values_list("pk", flat=True)[:SEND_BATCH]
    )
    ids = list(lapsed)
    if ids:
        logger.warning("taking over %d shares of a batch whose worker died: %s", len(ids), ids[:20])
    return shares_send(share_ids=ids, keep_alive=keep_alive) if ids else []


def share_send(*, share_id: int, keep_alive: bool = False) -> SendOutcome:
    """Send one claimed share. Idempotent: call it as often as a broker redelivers."""
    return shares_send(share_ids=[share_id], keep_alive=keep_alive)[0]


def shares_send(*, share_ids: Sequence[int], keep_alive: bool = False) -> list[SendOutcome]:
    """Send a batch of claimed shares, one after the other, writing their outcomes a
    few at a time. Idempotent like ``share_send``: a redelivered batch finds its
    shares held or done and sends nothing twice. ``keep_alive`` (a worker process)
    renews the hold from a thread, also while a network call is under way."""
    now = timezone.now()
    share_ids = list(dict.fromkeys(share_ids))
    hold = _Hold()
    held = set(hold.take(share_ids))
    loaded = Share.objects.select_related("employee", "account", "draft", "draft_version").filter(
        pk__in=held, state=State.SENDING, holder=hold.holder
    )
    by_pk = {share.pk: share for share in loaded}
    batch = _SendBatch(list(by_pk.values()), now)
    outcomes: dict[int, SendOutcome] = {}
    waiting = [pk for pk in share_ids if pk in by_pk]  # held, not leased yet
    leased: list[int] = []  # leased, not tried yet
    deadline = time.monotonic() + BATCH_SECONDS
    hold.start(keep_alive=keep_alive)
    try:
        # A worker told to stop (SIGTERM, see advocacy.core.shutdown) finishes the post
        # it is sending and hands the rest back, like a batch out of time.
        while waiting and time.monotonic() <= deadline and hold.alive() and not shutdown.requested():
            chunk, waiting = waiting[:LEASE_CHUNK], waiting[LEASE_CHUNK:]
            fresh, facts = batch.outcomes.flush(hold=hold, lease=[by_pk[pk] for pk in chunk])
            leased = [pk for pk in chunk if pk in set(fresh)]
            for pk in leased:
                by_pk[pk].attempts += 1
            batch.use_facts([by_pk[pk] for pk in leased], facts)
            while leased and hold.alive() and not shutdown.requested():
                share = by_pk[leased.pop(0)]
                outcomes[share.pk] = batch.send(share)
                hold.renew_if_due()
    finally:
        hold.stop()
        batch.outcomes.flush(hold=hold)
        _release(leased, hold=hold, leased=True)
        _release(waiting, hold=hold, leased=False)
        _record_tally(batch.tally)
    for pk in share_ids:
        if pk not in outcomes and pk in set(waiting) | set(leased):
            outcomes[pk] = SendOutcome(
                pk,
                State.SCHEDULED,
                "handed back to the dispatcher: the batch ran out of time, or its worker is stopping",
            )
        elif pk not in outcomes:
            outcomes[pk] = _not_claimable(pk)
    return [outcomes[pk] for pk in share_ids]


def _record_tally(tally: Tally) -> None:
    """The batch's network calls and lateness, for /metrics. Never fails a batch: the
    outcomes are written already, and a lost count is only a lost count."""
    try:
        tally_record(tally=tally)
    except Exception:  # any database error; the figures are secondary to the posts
        logger.exception("could not record the batch's metrics")


def _not_claimable(share_id: int) -> SendOutcome:
    state = Share.objects.filter(pk=share_id).values_list("state", flat=True).first()
    return SendOutcome(share_id, state or "gone", "not claimable (done, cancelled, or another worker has it)")


class _SendBatch:
    """One batch of leased shares: the pre-send facts are read once for all of them
    (who may still share, each account's recent posts), outcomes are collected in
    ``outcomes`` and written in a few transactions."""

    def __init__(self, shares: list[Share], now: dt.datetime) -> None:
        self.now = now
        self.outcomes = _Outcomes()
        self.refused: dict[int, str] = {}
        self.recent_sends = _recent_sends(shares, now)
        self.text_problems: dict[tuple[str, str, str, int | None], str | None] = {}
        self.disclosures: dict[str, str] = {}  # language: the disclosure in force now
        self.held: set[int] = set()  # shares stopped only by a changed disclosure
        self.tally = Tally()  # network calls and lateness, for /metrics

    def use_facts(self, shares: list[Share], facts: _Facts) -> None:
        """Check ``shares`` against ``facts``, read when their lease was taken: someone
        who left, was deactivated or offboarded, or whose account or draft changed
        before that is not posted for; one who leaves after it waits for these
        outcomes (see ``_lock_people``)."""
        for share in shares:
            reason = facts.refused.get(share.employee_id)
            if reason is None:
                self.refused.pop(share.employee_id, None)
            else:
                self.refused[share.employee_id] = reason
            share.account.status = facts.account_status.get(share.account_id, ConnectedAccount.Status.REVOKED)
            share.draft.state = facts.draft_state.get(share.draft_id, Draft.State.RETIRED)

    def send(self, share: Share) -> SendOutcome:
        if share.attempts > MAX_ATTEMPTS:
            # Every earlier attempt died mid-send (a crash or a kill, recovered each time):
            # stop instead of re-enqueueing forever, and ask the employee to check.
            return self._unknown(share, net.OutcomeUnknown(f"{share.attempts - 1} attempts did not finish"))
        client = get_client(share.network)
        session = session_for(share.account)
        try:
            if share.last_error_code == OUTCOME_UNKNOWN:
                # An earlier attempt may have landed: find out before anything else, even
                # before cancelling or marking it late, so the status never says "not
                # sent" about a post that is live.
                try:
                    found = self._call(
                        share, "find_existing", client.find_existing, session, share.idempotency_key, text=share.text
                    )
                except (net.OutcomeUnknown, net.PermanentError) as exc:
                    return self._unknown(share, exc)
                if found is not None:
                    return self._sent(share, found, reconciled=True)
            stopped = self._stop_before_publish(share)
            if stopped is not None:
                return stopped
            result = self._call(share, "publish", client.publish, session, _request(share))
        except net.AuthError as exc:
            return self._auth_failed(share, exc)
        except net.OutcomeUnknown as exc:
            return self._retry(
                share,
                delay=backoff_seconds(attempt=share.attempts, retry_after=exc.retry_after),
                code=OUTCOME_UNKNOWN,
                message=exc.message,
            )
        except net.TransientError as exc:
            code = "rate_limited" if isinstance(exc, net.RateLimited) else "transient"
            if share.last_error_code == OUTCOME_UNKNOWN:
                code = OUTCOME_UNKNOWN  # the lookup failed, so the next attempt must reconcile again
            return self._retry(
                share,
                delay=backoff_seconds(attempt=share.attempts, retry_after=exc.retry_after),
                code=code,
                message=exc.message,
            )
        except net.PermanentError as exc:
            return self._failed(share, code="refused", message=exc.message)
        finally:
            _save_refreshed_credentials(share, session)
        return self._sent(share, result, reconciled=False)

    def _call(self, share: Share, call: str, method: Callable[..., _T], *args: object, **kwargs: object) -> _T:
        """``method(*args, **kwargs)``, a call to the network, timed and counted by
        network and outcome for /metrics (no label names a person or an account)."""
        started = time.monotonic()
        outcome = "error"
        try:
            result = method(*args, **kwargs)
        except net.NetworkError as exc:
            outcome = next((label for kind, label in _OUTCOME_LABELS.items() if isinstance(exc, kind)), "error")
            raise
        else:
            outcome = "ok"
            return result
        finally:
            labels = {"network": share.network, "call": call}
            self.tally.observe("candor_network_call_seconds", labels, time.monotonic() - started, CALL_BUCKETS)
            self.tally.count("candor_network_calls_total", {**labels, "outcome": outcome})

    def _finish(
        self,
        share: Share,
        *,
        to: str,
        action: AuditAction,
        fields: dict[str, object],
        audit_new: dict[str, object],
        notice: Notice | None = None,
    ) -> None:
        self.outcomes.add(_Transition(share, to, action, fields, audit_new, notice))

    def _precheck(self, share: Share) -> str | None:
        """Everything that must still hold right before sending; the reason if not.
        A share only the disclosure change stops is held instead (``self.held``)."""
        if share.employee_id in self.refused:
            return self.refused[share.employee_id]
        # Fixed sentences (translated where they are shown), not ones built here: the
        # reason is stored, and read later in the reader's own language.
        if share.account.status != ConnectedAccount.Status.ACTIVE:
            return _ACCOUNT_REASONS.get(share.account.status, _ACCOUNT_REASONS[ConnectedAccount.Status.DISCONNECTED])
        if share.draft.state == Draft.State.RETIRED:
            return gettext_noop("The comms team withdrew this post.")
        expires = share.draft_version.expires_at
        if expires is not None and self.now >= expires:
            return gettext_noop("This post has expired.")
        # The final post, with whatever the network adds to the text, is what is checked.
        post = _final(share)
        text = post.text
        # The disclosure line carries the public page's address on some networks.
        page = post.disclosure_line[len(share.disclosure) :] if post.disclosure_line else ""
        # The disclosure in force now decides, not the one the share was scheduled under:
        # after the admins change it, a post that still starts with it goes out as
        # scheduled, and one that does not is stopped, and its owner told why.
        current = self._current_disclosure(share.language)
        problem = self._text_problem(share.network, text, current + page, share.account.max_characters)
        stale = problem is not None and current != share.disclosure
        line = share.disclosure + page
        if stale and self._text_problem(share.network, text, line, share.account.max_characters) is None:
            self.held.add(share.pk)
            return (
                "The disclosure changed after this post was scheduled, and the post does not start with "
                f"the current one (“{current}”). Edit it to start with the current disclosure, and it is sent."
            )
        return problem

    def _current_disclosure(self, language: str) -> str:
        if language not in self.disclosures:
            self.disclosures[language] = disclosure_for(language=language)
        return self.disclosures[language]

    def _text_problem(self, network: str, text: str, disclosure: str, max_characters: int | None) -> str | None:
        # The shares of one campaign mostly carry the same text: check each text once per batch.
        key = (network, text, disclosure, max_characters)
        if key not in self.text_problems:
            check = check_post(network=network, text=text, disclosure=disclosure, max_characters=max_characters)
            self.text_problems[key] = (
                None if check.ok else "The text no longer passes the rules: " + " ".join(check.problems)
            )
        return self.text_problems[key]

    def _over_budget(self, share: Share) -> dt.datetime | None:
        posts, window = ACCOUNT_POST_BUDGET[share.network]
        recent = [sent for sent in self.recent_sends.get(share.account_id, []) if sent > self.now - window]
        if len(recent) < posts:
            return None
        return min(recent) + window

    def _stop_before_publish(self, share: Share) -> SendOutcome | None:
        """Re-check everything right before posting: consent, account, draft, text,
        lateness and the account's budget. An outcome means: do not post now."""
        reason = self._precheck(share)
        if reason is not None and share.pk in self.held:
            self._finish(
                share,
                to=State.HELD,
                action=AuditAction.SHARE_HELD,
                fields={"last_error_code": "disclosure_changed", "last_error": reason[:1000]},
                audit_new={"reason": reason},
                notice=(Notification.Kind.SHARE_HELD, lambda: (_("Your post is on hold"), reason)),
            )
            return SendOutcome(share.pk, State.HELD, reason)
        if reason is not None:
            self._finish(
                share,
                to=State.CANCELLED,
                action=AuditAction.SHARE_CANCELLED,
                fields={"cancelled_reason": reason[:300]},
                audit_new={"reason": reason},
                notice=(Notification.Kind.SHARE_CANCELLED, lambda: (_("Your post was not sent"), _(reason))),
            )
            return SendOutcome(share.pk, State.CANCELLED, reason)
        if share.scheduled_at < _late_cutoff(self.now):
            return self._missed(share)
        resume_at = self._over_budget(share)
        if resume_at is not None:
            return self._retry(
                share,
                delay=(resume_at - self.now).total_seconds(),
                code="account_budget",
                message="Pausing to stay within this account's posting limit.",
                count_attempt=False,
            )
        return None

    def _sent(self, share: Share, result: net.PublishResult, *, reconciled: bool) -> SendOutcome:
        now = timezone.now()
        self.recent_sends.setdefault(share.account_id, []).append(now)
        late = (now - share.scheduled_at).total_seconds()
        self.tally.observe("candor_share_lateness_seconds", {"network": share.network}, late, LATENESS_BUCKETS)
        self._finish(
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

    def _retry(self, share: Share, *, delay: float, code: str, message: str, count_attempt: bool = True) -> SendOutcome:
        if count_attempt and share.attempts >= MAX_ATTEMPTS:
            if code == OUTCOME_UNKNOWN:
                return self._unknown(share, net.OutcomeUnknown(message))
            return self._failed(share, code=code, message=f"Gave up after {share.attempts} attempts: {message}")
        next_at = timezone.now() + dt.timedelta(seconds=delay)
        fields: dict[str, object] = {
            "next_attempt_at": next_at,
            "last_error_code": code,
            "last_error": message[:1000],
        }
        if not count_attempt:
            fields["attempts"] = max(0, share.attempts - 1)
        self._finish(
            share,
            to=State.SCHEDULED,
            action=AuditAction.SHARE_RETRY_SCHEDULED,
            fields=fields,
            audit_new={"code": code, "message": message, "next_attempt_at": next_at.isoformat()},
        )
        return SendOutcome(share.pk, State.SCHEDULED, message)

    def _failed(self, share: Share, *, code: str, message: str) -> SendOutcome:
        self._finish(
            share,
            to=State.FAILED,
            action=AuditAction.SHARE_FAILED,
            fields={"last_error_code": code, "last_error": message[:1000]},
            audit_new={"code": code, "message": message},
            notice=(Notification.Kind.SHARE_FAILED, partial(_failed_words, share, message)),
        )
        return SendOutcome(share.pk, State.FAILED, message)

    def _auth_failed(self, share: Share, exc: net.AuthError) -> SendOutcome:
        # Only the failure that moves the account to needs-reconnect tells the owner: shares
        # failing alongside it add no second email, and a failure after a reconnect does.
        if account_mark_needs_reconnect(account_id=share.account_id, reason=exc.message):
            owner = share.account.owner
            with recipient_locale(owner):
                title = _("Reconnect %(account)s") % {"account": share.account}
                body = _("%(reason)s Reconnect it to keep sharing.") % {"reason": exc.message}
            notify(
                user=owner, kind=Notification.Kind.RECONNECT_NEEDED, title=title, body=body, link="/accounts/social/"
            )
        return self._failed(share, code="auth", message=f"{exc.message} Reconnect the account, then schedule again.")

    def _unknown(self, share: Share, exc: net.NetworkError) -> SendOutcome:
        message = (
            f"Candor cannot tell whether this post reached {share.account.get_network_display()} "
            f"({exc.message}). Check your profile; it was not re-posted to avoid a duplicate."
        )
        self._finish(
            share,
            to=State.UNKNOWN,
            action=AuditAction.SHARE_UNKNOWN,
            fields={"last_error_code": OUTCOME_UNKNOWN, "last_error": message[:1000]},
            audit_new={"message": message},
            notice=(Notification.Kind.SHARE_UNKNOWN, partial(_unknown_words, share, exc.message)),
        )
        return SendOutcome(share.pk, State.UNKNOWN, message)

    def _missed(self, share: Share) -> SendOutcome:
        message = f"Not sent: it was more than {settings.CANDOR_MAX_LATENESS_MINUTES} minutes late."
        self._finish(
            share,
            to=State.MISSED,
            action=AuditAction.SHARE_MISSED,
            fields={"last_error_code": "missed", "last_error": message},
            audit_new={},
            notice=(Notification.Kind.SHARE_MISSED, partial(_missed_words, share)),
        )
        return SendOutcome(share.pk, State.MISSED, message)


def _missed_words(share: Share) -> tuple[str, str]:
    values = {
        "title": share.draft.title,
        "due": date_format(timezone.localtime(share.scheduled_at), "DATETIME_FORMAT"),
        "minutes": settings.CANDOR_MAX_LATENESS_MINUTES,
    }
    return _("Your post was not sent: it was too late"), _(
        "“%(title)s” was due at %(due)s but could not be sent within %(minutes)s minutes, so Candor did not "
        "post it late. You can schedule it again."
    ) % values


def _failed_words(share: Share, message: str) -> tuple[str, str]:
    values = {"account": share.account, "network": share.account.get_network_display(), "message": message}
    return _("Your post to %(account)s failed") % values, _(
        "%(network)s said: %(message)s\n\nOpen the share to edit it and try again."
    ) % values


def _unknown_words(share: Share, detail: str) -> tuple[str, str]:
    values = {"network": share.account.get_network_display(), "detail": detail}
    return _("Please check one of your posts"), _(
        "Candor cannot tell whether this post reached %(network)s (%(detail)s). Check your profile; it was not "
        "re-posted to avoid a duplicate."
    ) % values


def _recent_sends(shares: list[Share], now: dt.datetime) -> dict[int, list[dt.datetime]]:
    """Each account's sends within its network's budget window, in one query."""
    if not shares:
        return {}
    longest = max(ACCOUNT_POST_BUDGET[share.network][1] for share in shares)
    rows = Share.objects.filter(
        account_id__in={share.account_id for share in shares}, state=State.SENT, sent_at__gt=now - longest
    ).values_list("account_id", "sent_at")
    recent: dict[int, list[dt.datetime]] = {}
    for account_id, sent_at in rows:
        if sent_at is not None:  # always: sent_at__gt leaves out NULLs
            recent.setdefault(account_id, []).append(sent_at)
    return recent


def _final(share: Share) -> FinalPost:
    return share_post(
        network=share.network,
        text=share.text,
        version=share.draft_version,
        disclosure=share.disclosure,
        public_id=share.public_id,
    )


def _request(share: Share) -> net.PublishRequest:
    """The final post (``share_post``), the one ``_precheck`` checked, as a request."""
    version = share.draft_version
    post = _final(share)
    image = None
    if version.image:
        with version.image.open("rb") as handle:
            content = handle.read()
        mime = "image/jpeg" if version.image.name.endswith(".jpg") else f"image/{version.image.name.rsplit('.', 1)[-1]}"
        image = net.MediaAttachment(content=content, mime_type=mime, alt_text=post.image_alt)
    return net.PublishRequest(
        text=post.text,
        idempotency_key=share.idempotency_key,
        # The link the network still has to add (as a card), as the final post decided:
        # a link already in the text, or stood for by a tracked link, is not added twice.
        link=post.link_card.uri if post.link_card else None,
        link_card=post.link_card,
        link_thumb=_link_thumb(post),
        image=image,
        language=share.language,
        disclosure=share.disclosure,
        page_url=public_page_link(network=share.network, public_id=share.public_id),
    )


def _link_thumb(post: FinalPost) -> net.MediaAttachment | None:
    """The thumbnail the preview showed for the card, as its bytes (None without one)."""
    if post.link_card is None or not post.link_card.thumb_url:
        return None
    data = link_thumb_for(url=post.link_card.uri)
    return net.MediaAttachment(content=data, mime_type="image/jpeg") if data else None


def _save_refreshed_credentials(share: Share, session: net.AccountSession) -> None:
    if session.credentials_changed:
        account_credentials_update(account_id=share.account_id, credentials=session.credentials)
        session.credentials_changed = False
