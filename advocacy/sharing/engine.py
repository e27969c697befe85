"""The posting engine: claim due shares, send each exactly once, classify failures.

* The database is the source of truth. ``dispatch_due`` claims due rows
  (``scheduled`` → ``sending``; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and
  enqueues one send task per batch of up to ``SEND_BATCH`` shares after commit. A
  worker that finishes a batch dispatches again, so a large fan-out keeps flowing
  between beat ticks, while backpressure keeps the broker's queue short.
* ``shares_send`` takes a lease on the rows before talking to the network, so a
  duplicate delivery of the same task does nothing; network calls happen outside
  any transaction; every outcome is a conditional update on ``state='sending'``,
  written with its audit event a few shares at a time (``LEASE_CHUNK``).
* When the previous attempt's outcome is unknown (timeout, 5xx, worker killed
  mid-send), the next attempt **reconciles first** with the network and never
  blindly posts again. If the network cannot tell, the share becomes *unknown*
  and a person is asked.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import AuditEntry, audit_record, audit_record_many
from advocacy.drafts.content import check_post, share_post
from advocacy.drafts.models import Draft
from advocacy.ledger.models import ConnectedAccount, Offboarding
from advocacy.ledger.services import (
    account_credentials_update,
    account_mark_needs_reconnect,
)
from advocacy.ledger.sessions import session_for
from advocacy.networks import base as net
from advocacy.networks.registry import get_client
from advocacy.notifications.models import Notification
from advocacy.notifications.services import notify, recipient_locale
from advocacy.program.models import Enrollment
from advocacy.program.selectors import disclosure_for, may_share_exists
from advocacy.sharing.limits import ACCOUNT_POST_BUDGET, MAX_ATTEMPTS, backoff_seconds
from advocacy.sharing.models import Share

logger = logging.getLogger(__name__)
State = Share.State
LEASE = dt.timedelta(seconds=settings.CANDOR_SEND_LEASE_SECONDS)
OUTCOME_UNKNOWN = "outcome_unknown"
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
    from advocacy.sharing.tasks import send_shares

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
        for start in range(0, len(ids), SEND_BATCH):
            batch = ids[start : start + SEND_BATCH]
            transaction.on_commit(lambda batch=batch: send_shares.apply_async(args=[batch], queue="posting"))
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
    from advocacy.sharing.tasks import send_shares

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
    for start in range(0, len(ids), SEND_BATCH):
        send_shares.apply_async(args=[ids[start : start + SEND_BATCH]], queue="posting")
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

    def flush(self, *, lease: Sequence[Share] = ()) -> tuple[list[int], list[int], _Facts]:
        """Write the pending outcomes and lease the shares of ``lease`` (one commit);
        returns the (fresh, expired) leases as ``_take_leases`` does, and the facts the
        pre-send checks of ``lease`` must use, read in this same transaction."""
        with transaction.atomic():
            # First, before any audit row: a leave takes the enrolment lock and then the
            # audit chain head, so the lease transaction takes them in that order too.
            if lease:
                _lock_people({share.employee_id for share in lease})
            moved = _move(self.pending, timezone.now()) if self.pending else []
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
            fresh, expired = _take_leases([share.pk for share in lease], timezone.now()) if lease else ([], [])
            facts = _read_facts(lease)
        self.pending = []
        return fresh, expired, facts


def _move(transitions: list[_Transition], now: dt.datetime) -> list[_Transition]:
    """Move the shares that are still *sending* (one that something else moved on
    meanwhile is left as it is): one UPDATE … RETURNING for all of them, each row
    getting its own values, instead of one conditional UPDATE per share."""
    rows = {t.share.pk: {"state": t.to, **t.fields} for t in transitions}
    quote = connection.ops.quote_name
    assignments, params = [], [connection.ops.adapt_datetimefield_value(now)]
    # Raw SQL: the same UPDATE built from ORM Case/When expressions cost more CPU
    # than the sends themselves (bench/: fan-out).
    for name in sorted({name for row in rows.values() for name in row}):
        field = Share._meta.get_field(name)
        column = quote(field.column)
        cases = []
        for pk, row in rows.items():
            if name in row:
                cases.append("WHEN %s THEN %s")
                params += [pk, field.get_db_prep_save(row[name], connection)]
        assignments.append(f"{column} = CASE {quote('id')} {' '.join(cases)} ELSE {column} END")
    sql = (
        f"UPDATE {quote(Share._meta.db_table)} SET lease_until = NULL, updated_at = %s, "  # noqa: S608  # nosec B608
        f"{', '.join(assignments)} WHERE {quote('id')} IN ({', '.join(['%s'] * len(rows))}) "
        f"AND {quote('state')} = %s RETURNING {quote('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *rows, State.SENDING])
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
            refused[user_id] = "You are leaving the company, so Candor no longer posts for you."
        elif not is_active:
            refused[user_id] = "Your Candor account is deactivated, so Candor no longer posts for you."
        elif not may_share:
            refused[user_id] = (
                "You are no longer taking part in the programme (or the policy changed and needs your consent)."
            )
        accounts[account_id] = account_status
        drafts[draft_id] = draft_state
    return _Facts(refused=refused, account_status=accounts, draft_state=drafts)


def _take_leases(share_ids: Sequence[int], now: dt.datetime) -> tuple[list[int], list[int]]:
    """Lease the claimed shares of ``share_ids``: (fresh, expired). A share whose
    lease expired was held by a worker that died mid-send (a redelivered task can get
    here before recover_stale does), so the post may be out: it reconciles first.
    A duplicate delivery finds the leases held and gets nothing."""
    until = connection.ops.adapt_datetimefield_value(now + LEASE)
    with transaction.atomic(savepoint=False):
        fresh = _lease(share_ids, "lease_until IS NULL", [until])
        rest = [pk for pk in share_ids if pk not in set(fresh)]
        expired = []
        if rest:
            stamp = connection.ops.adapt_datetimefield_value(now)
            expired = _lease(rest, "lease_until < %s", [until, stamp], in_doubt=True)
    return fresh, expired


def _lease(share_ids: Sequence[int], condition: str, params: list[object], *, in_doubt: bool = False) -> list[int]:
    """One UPDATE … RETURNING: exactly the rows this caller leased."""
    table = connection.ops.quote_name(Share._meta.db_table)
    placeholders = ", ".join(["%s"] * len(share_ids))
    mark = f", last_error_code = '{OUTCOME_UNKNOWN}'" if in_doubt else ""
    sql = (
        f"UPDATE {table} SET lease_until = %s, attempts = attempts + 1{mark} "  # noqa: S608  # nosec B608
        f"WHERE id IN ({placeholders}) AND state = %s AND {condition} RETURNING id"
    )
    until, *rest = params
    with connection.cursor() as cursor:
        cursor.execute(sql, [until, *share_ids, State.SENDING, *rest])
        return [row[0] for row in cursor.fetchall()]


def _release(share_ids: list[int], *, leased: bool) -> None:
    """Hand shares this batch never tried back to the dispatcher (its lease and the
    attempt it counted, if it had leased them)."""
    if not share_ids:
        return
    mine = Share.objects.filter(pk__in=share_ids, state=State.SENDING)
    if leased:
        mine.update(state=State.SCHEDULED, lease_until=None, attempts=F("attempts") - 1, updated_at=timezone.now())
    else:
        mine.filter(lease_until__isnull=True).update(state=State.SCHEDULED, updated_at=timezone.now())


def share_send(*, share_id: int) -> SendOutcome:
    """Send one claimed share. Idempotent: call it as often as a broker redelivers."""
    return shares_send(share_ids=[share_id])[0]


def shares_send(*, share_ids: Sequence[int]) -> list[SendOutcome]:
    """Send a batch of claimed shares, one after the other, writing their outcomes a
    few at a time. Idempotent like ``share_send``: a redelivered batch finds its
    shares leased or done and sends nothing twice."""
    now = timezone.now()
    share_ids = list(dict.fromkeys(share_ids))
    loaded = Share.objects.select_related("employee", "account", "draft", "draft_version").filter(
        pk__in=share_ids, state=State.SENDING
    )
    by_pk = {share.pk: share for share in loaded}
    batch = _SendBatch(list(by_pk.values()), now)
    outcomes: dict[int, SendOutcome] = {}
    waiting = [pk for pk in share_ids if pk in by_pk]  # not leased yet
    leased: list[int] = []  # leased, not tried yet
    deadline = time.monotonic() + BATCH_SECONDS
    try:
        while waiting and time.monotonic() <= deadline:
            chunk, waiting = waiting[:LEASE_CHUNK], waiting[LEASE_CHUNK:]
            fresh, expired, facts = batch.outcomes.flush(lease=[by_pk[pk] for pk in chunk])
            leased = [pk for pk in chunk if pk in set(fresh) | set(expired)]
            for pk in leased:
                by_pk[pk].attempts += 1
                if pk in expired:
                    by_pk[pk].last_error_code = OUTCOME_UNKNOWN
            batch.use_facts([by_pk[pk] for pk in leased], facts)
            while leased:
                share = by_pk[leased.pop(0)]
                outcomes[share.pk] = batch.send(share)
    finally:
        batch.outcomes.flush()
        _release(leased, leased=True)
        _release(waiting, leased=False)
    for pk in share_ids:
        if pk not in outcomes and pk in set(waiting) | set(leased):
            outcomes[pk] = SendOutcome(pk, State.SCHEDULED, "handed back to the dispatcher: the batch ran out of time")
        elif pk not in outcomes:
            outcomes[pk] = _not_claimable(pk)
    return [outcomes[pk] for pk in share_ids]


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
                    found = client.find_existing(session, share.idempotency_key, text=share.text)
                except (net.OutcomeUnknown, net.PermanentError) as exc:
                    return self._unknown(share, exc)
                if found is not None:
                    return self._sent(share, found, reconciled=True)
            stopped = self._stop_before_publish(share)
            if stopped is not None:
                return stopped
            result = client.publish(session, _request(share))
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
        """Everything that must still hold right before sending; the reason if not."""
        if share.employee_id in self.refused:
            return self.refused[share.employee_id]
        if share.account.status != ConnectedAccount.Status.ACTIVE:
            return f"The account {share.account} is {share.account.get_status_display().lower()}."
        if share.draft.state == Draft.State.RETIRED:
            return "The comms team withdrew this post."
        expires = share.draft_version.expires_at
        if expires is not None and self.now >= expires:
            return "This post has expired."
        # The final post, with whatever the network adds to the text, is what is checked.
        text = share_post(network=share.network, text=share.text, version=share.draft_version).text
        # The disclosure in force now decides, not the one the share was scheduled under:
        # after the admins change it, a post that still starts with it goes out as
        # scheduled, and one that does not is stopped, and its owner told why.
        current = self._current_disclosure(share.language)
        problem = self._text_problem(share.network, text, current, share.account.max_characters)
        stale = problem is not None and current != share.disclosure
        if stale and self._text_problem(share.network, text, share.disclosure, share.account.max_characters) is None:
            return (
                "The disclosure changed after this post was scheduled, and the post does not start with "
                f"the current one (“{current}”). Share it again to post it with the current disclosure."
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
        if reason is not None:
            self._finish(
                share,
                to=State.CANCELLED,
                action=AuditAction.SHARE_CANCELLED,
                fields={"cancelled_reason": reason[:300]},
                audit_new={"reason": reason},
                notice=(Notification.Kind.SHARE_CANCELLED, lambda: (_("Your post was not sent"), reason)),
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
        recent.setdefault(account_id, []).append(sent_at)
    return recent


def _request(share: Share) -> net.PublishRequest:
    """The final post (``share_post``), the one ``_precheck`` checked, as a request."""
    version = share.draft_version
    post = share_post(network=share.network, text=share.text, version=version)
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
        image=image,
        language=share.language,
    )


def _save_refreshed_credentials(share: Share, session: net.AccountSession) -> None:
    if session.credentials_changed:
        account_credentials_update(account_id=share.account_id, credentials=session.credentials)
        session.credentials_changed = False
