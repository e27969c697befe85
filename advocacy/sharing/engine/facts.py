"""The facts the pre-send checks rely on (consent, account, draft), read fresh in the
transaction that takes each group's lease, never from a cache, after the people's rows
are locked (``lock_people``), so a lease and a concurrent leave are ordered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef

from accounts.models import User
from advocacy.ledger.models import Offboarding
from advocacy.program.models import Enrollment
from advocacy.program.selectors import may_share_exists
from advocacy.sharing.engine import messages
from advocacy.sharing.models import Share


@dataclass(frozen=True)
class Facts:
    """What the pre-send checks of one leased group rely on, read in the lease's
    transaction: why each person may not share (absent: they may), and each
    account's status and draft's state."""

    refused: dict[int, str]
    account_status: dict[int, str]
    draft_state: dict[int, str]


def lock_people(user_ids: set[int]) -> None:
    """Take a shared lock on the enrolment and user rows of ``user_ids`` (PostgreSQL),
    so that the lease taken in this transaction and a concurrent leave are ordered.

    A leave first marks the enrolment as leaving under ``FOR UPDATE``. If that commits
    first, ``read_facts``, reading after this lock (READ COMMITTED: each statement sees
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


def read_facts(shares: Sequence[Share]) -> Facts:
    """The pre-send facts of ``shares``, fresh from the database, in one query."""
    if not shares:
        return Facts({}, {}, {})
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
            refused[user_id] = messages.LEAVING
        elif not is_active:
            refused[user_id] = messages.DEACTIVATED
        elif not may_share:
            refused[user_id] = messages.NOT_TAKING_PART
        accounts[account_id] = account_status
        drafts[draft_id] = draft_state
    return Facts(refused=refused, account_status=accounts, draft_state=drafts)
