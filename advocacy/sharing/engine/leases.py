"""A send batch's hold on its shares, and the lease of each few right before they are
sent. Both are short (``CANDOR_SEND_LEASE_SECONDS``) and renewed while the batch runs,
so a worker that dies frees its shares within one lease, not after the task's time
limit. Every write is conditional on the batch's ``holder``."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Sequence

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import F
from django.utils import timezone

from advocacy.sharing.models import OUTCOME_UNKNOWN, Share

logger = logging.getLogger(__name__)
State = Share.State
LEASE = dt.timedelta(seconds=settings.CANDOR_SEND_LEASE_SECONDS)
# A running batch renews its hold this many times per lease, so a renewal or two can
# be late (a busy database) without the hold lapsing; it stops starting sends once
# less than half a lease is left (``Hold.alive``).
RENEWALS_PER_LEASE = 4


class Hold:
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


def lease(share_ids: Sequence[int], *, holder: str) -> list[int]:
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


def release(share_ids: list[int], *, hold: Hold, leased: bool) -> None:
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
