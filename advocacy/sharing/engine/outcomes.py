"""The outcome writer: the state changes of a batch of sends, written together (one
transaction and one lock of the audit chain head per flush), each still conditional
on the share being *sending* and held by the batch, with its audit event and notice.
The next group's lease is taken in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from advocacy.audit.actions import AuditAction
from advocacy.audit.services import AuditEntry, audit_record_many
from advocacy.sharing.engine import leases, messages
from advocacy.sharing.engine.facts import Facts, lock_people, read_facts
from advocacy.sharing.models import Share

State = Share.State


@dataclass
class Transition:
    share: Share
    to: str
    action: AuditAction
    fields: dict[str, object]
    audit_new: dict[str, object]
    notice: messages.Notice | None = None


class Outcomes:
    """The pending state changes of a send batch; ``flush`` writes them."""

    def __init__(self) -> None:
        self.pending: list[Transition] = []

    def add(self, transition: Transition) -> None:
        self.pending.append(transition)

    def flush(self, *, hold: leases.Hold, lease: Sequence[Share] = ()) -> tuple[list[int], Facts]:
        """Write the pending outcomes and lease the shares of ``lease`` (one commit);
        returns the shares leased (as ``leases.lease`` does) and the facts the
        pre-send checks of ``lease`` must use, read in this same transaction. Never at
        the same time as the hold's renewal (``hold.lock``), so the two never wait for
        each other's rows."""
        with hold.lock, transaction.atomic():
            # First, before any audit row: a leave takes the enrolment lock and then the
            # audit chain head, so the lease transaction takes them in that order too.
            if lease:
                lock_people({share.employee_id for share in lease})
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
                    messages.tell(t.share, *t.notice)
            leased = leases.lease([share.pk for share in lease], holder=hold.holder) if lease else []
            facts = read_facts(lease)
        self.pending = []
        return leased, facts


def _move(transitions: list[Transition], now: dt.datetime, *, holder: str) -> list[Transition]:
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
