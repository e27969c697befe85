"""Faults mixed, as real outages come: while a few hundred shares drain through two
real workers and a real beat (separate processes, PostgreSQL, a real broker) to the
real Bluesky PDS, a fixed seeded schedule SIGKILLs a worker every ~20 s and starts a
new one, takes the broker down for ~10 s, freezes the PDS (SIGSTOP) for ~15 s, past
the client's timeout, and runs a second beat for 30 s.

Then it counts, for every share, its final state and its records on the PDS. It
passes when every share was posted exactly once (p99 from due to sent <= 60 s) or
ended in a state that says why, nothing is left "sending" or "needs checking", no
record exists without a share, every record starts with the disclosure, and the audit
chain verifies. It prints the table (sent once / lost / doubled / stuck) either way.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import timezone

from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.audit.verify import audit_verify
from advocacy.drafts.content import final_text
from advocacy.networks.bluesky.client import record_key_for
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create
from tests.chaos.conftest import ChaosBroker
from tests.faults.conftest import Programme, Sharer, rkey_of
from tests.support.pds import PdsServer
from tests.support.worker import ROOT, WorkerProcess, _database_url

pytestmark = [pytest.mark.chaos, pytest.mark.worker, pytest.mark.pds, pytest.mark.django_db(transaction=True)]
State = Share.State

SEED = 20261203
ACCOUNTS = 20
SHARES = 300
SPREAD = 60  # seconds: every share is due within this minute
LEAD = 45  # seconds from the start of scheduling to the first share's time
CLIENT_TIMEOUT = 10  # seconds per Bluesky request; the PDS freeze outlasts it
DRAIN = 150  # seconds after the last share's time before anything unsettled counts as stuck
P99_LATENESS = 60  # seconds, due -> sent
UNSETTLED = (State.SCHEDULED, State.SENDING, State.REVIEW)
STUCK = (*UNSETTLED, State.UNKNOWN)


# -- the schedule ---------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Event:
    at: float  # seconds after the first share is due
    what: str
    worker: int = 0


def fault_schedule(seed: int) -> list[Event]:
    """The same faults at the same moments on every run."""
    rng = random.Random(seed)
    events = []
    at = rng.uniform(5, 10)
    while at < SPREAD + 25:
        events.append(Event(at, "kill worker", rng.randrange(2)))
        at += rng.uniform(17, 23)
    beat = rng.uniform(0, 8)
    broker = rng.uniform(18, 28)
    pds = rng.uniform(38, 48)
    events += [
        Event(beat, "start second beat"),
        Event(beat + 30, "stop second beat"),
        Event(broker, "stop broker"),
        Event(broker + 10, "start broker"),
        Event(pds, "freeze PDS"),
        Event(pds + 15, "thaw PDS"),
    ]
    return sorted(events)


# -- processes ------------------------------------------------------------------------


def spawn(kind: str, log_dir: Path) -> WorkerProcess:
    """Start ``celery worker`` or ``celery beat`` without waiting for it (a worker
    restarted while the broker is down must not hold up the schedule)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{kind}-{time.monotonic_ns()}.log"
    args = ["--loglevel=INFO"]
    if kind == "worker":
        # Its own node name: on RabbitMQ a second ``celery@host`` cannot take the
        # remote-control queue and exits.
        args += [f"--hostname=chaos-{time.monotonic_ns()}@%h", "--concurrency=2", "--queues=celery,posting"]
        args += ["--without-gossip", "--without-mingle", "--pool=prefork"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "advocacy.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "advocacy", kind, *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return WorkerProcess(process, log_path)


def kill(process: WorkerProcess) -> None:
    if process.process.poll() is None:
        process.kill()


@dataclass
class Stage:
    """What the schedule acts on, and what it did (for the report)."""

    broker: ChaosBroker
    pds: PdsServer
    log_dir: Path
    workers: list[WorkerProcess] = field(default_factory=list)
    beats: list[WorkerProcess] = field(default_factory=list)
    second_beat: WorkerProcess | None = None
    broker_down: bool = False
    pds_frozen: bool = False
    done: list[str] = field(default_factory=list)

    def act(self, event: Event, elapsed: float) -> None:
        if event.what == "kill worker":
            victim = self.workers[event.worker]
            kill(victim)
            self.workers[event.worker] = spawn("worker", self.log_dir)
            detail = f"SIGKILL worker {event.worker} (pid {victim.process.pid}), started a new one"
        elif event.what == "start second beat":
            self.second_beat = spawn("beat", self.log_dir)
            detail = "a second beat started"
        elif event.what == "stop second beat":
            if self.second_beat is not None:
                kill(self.second_beat)
            detail = "the second beat killed"
        elif event.what == "stop broker":
            self.broker_down = True
            self.broker.stop()
            detail = f"{self.broker.kind} down"
        elif event.what == "start broker":
            self.broker.start()
            self.broker_down = False
            detail = f"{self.broker.kind} back"
        elif event.what == "freeze PDS":
            os.kill(self.pds.process.pid, signal.SIGSTOP)
            self.pds_frozen = True
            detail = "PDS frozen (SIGSTOP)"
        elif event.what == "thaw PDS":
            os.kill(self.pds.process.pid, signal.SIGCONT)
            self.pds_frozen = False
            detail = "PDS resumed (SIGCONT)"
        else:
            raise AssertionError(f"unknown event {event.what!r}")
        self.done.append(f"  {elapsed:6.1f} s  {detail}")

    def tear_down(self) -> None:
        """Whatever happened, leave the PDS running and the broker up for what follows."""
        if self.pds_frozen:
            os.kill(self.pds.process.pid, signal.SIGCONT)
            self.pds_frozen = False
        for process in [*self.workers, *self.beats, *([self.second_beat] if self.second_beat else [])]:
            kill(process)
        if self.broker_down:
            self.broker.start()
            self.broker_down = False


# -- counting -------------------------------------------------------------------------


@dataclass
class Tally:
    rows: Counter[str]
    lateness: list[float]
    orphans: list[str]
    undisclosed: list[str]
    problems: list[str]
    buckets: dict[int, list[float]] = field(default_factory=dict)  # due second // 10: n, late, worst, retried

    def p(self, quantile: float) -> float:
        if not self.lateness:
            return math.nan
        ordered = sorted(self.lateness)
        return ordered[max(0, math.ceil(quantile * len(ordered)) - 1)]


def tally(shares: list[Share], people: list[Sharer], pds: PdsServer, disclosure: str) -> Tally:
    by_key = {record_key_for(share.idempotency_key): share for share in shares}
    by_text = {share.text: share for share in shares}
    records: Counter[int] = Counter()
    orphans, undisclosed = [], []
    for person in people:
        for post in pds.list_posts(person.did):  # listRecords, every page
            text = post["value"]["text"]
            share = by_key.get(rkey_of(post["uri"])) or by_text.get(text)
            if share is None:
                orphans.append(post["uri"])
            else:
                records[share.pk] += 1
            if not text.startswith(disclosure):
                undisclosed.append(post["uri"])
    rows: Counter[str] = Counter()
    lateness, problems = [], []
    for share in shares:
        found = records[share.pk]
        says_why = bool(share.last_error or share.cancelled_reason)
        if share.state in STUCK:
            row = "stuck"
        elif found > 1:
            row = "doubled"
        elif share.state == State.SENT and found == 1:
            row = "sent once"
            lateness.append((share.sent_at - share.scheduled_at).total_seconds())
        elif found == 0 and share.state != State.SENT and says_why:
            row = "not sent, says why"
        elif found == 0:
            row = "lost"
        else:
            row = "posted, marked not sent"
        rows[row] += 1
        if row not in ("sent once", "not sent, says why"):
            problems.append(f"share {share.pk}: {share.state}, {found} record(s), {share.last_error[:120]!r}")
    first_due = min(share.scheduled_at for share in shares)
    buckets: dict[int, list[float]] = {}
    for share in shares:
        bucket = buckets.setdefault(int((share.scheduled_at - first_due).total_seconds() // 10) * 10, [0, 0, 0.0, 0])
        late = (share.sent_at - share.scheduled_at).total_seconds() if share.sent_at else math.inf
        bucket[0] += 1
        bucket[1] += late > P99_LATENESS
        bucket[2] = max(bucket[2], late)
        bucket[3] += share.attempts > 1
    return Tally(rows, lateness, orphans, undisclosed, problems, buckets)


def report(tally: Tally, *, broker: str, faults: list[str], total: int, reconciled: int, drained_in: float) -> str:
    lines = [
        f"Chaos run on {broker} (seed {SEED}): {total} shares, {ACCOUNTS} accounts, due within {SPREAD} s",
        "faults (seconds after the first share was due):",
        *faults,
        f"settled {drained_in:.0f} s after the first share was due",
        "",
        f"  {'sent once':<26}{tally.rows['sent once']:>5}",
        f"  {'not sent, says why':<26}{tally.rows['not sent, says why']:>5}",
        f"  {'lost':<26}{tally.rows['lost']:>5}",
        f"  {'doubled':<26}{tally.rows['doubled']:>5}",
        f"  {'stuck':<26}{tally.rows['stuck']:>5}",
        f"  {'posted, marked not sent':<26}{tally.rows['posted, marked not sent']:>5}",
        f"  {'records without a share':<26}{len(tally.orphans):>5}",
        f"  {'records without disclosure':<26}{len(tally.undisclosed):>5}",
        "",
        f"due -> sent: p50 {tally.p(0.5):.1f} s, p99 {tally.p(0.99):.1f} s, max {tally.p(1.0):.1f} s"
        f" (limit p99 {P99_LATENESS} s); {reconciled} looked up on the PDS before being marked sent",
    ]
    lines += ["", "by due time: shares, sent later than 60 s, worst due -> sent, retried"]
    for start, row in sorted(tally.buckets.items()):
        lines.append(f"  {start:3d}-{start + 10:<3d} s  {row[0]:4d}  {row[1]:4d}  {row[2]:6.1f} s  {row[3]:4d}")
    if tally.problems:
        lines += ["", "shares not sent exactly once:", *[f"  {p}" for p in tally.problems[:30]]]
    return "\n".join(lines)


# -- the test -------------------------------------------------------------------------


def test_mixed_faults_lose_nothing_double_nothing_and_recover_within_a_minute(
    on_postgresql,
    chaos_broker: ChaosBroker,
    bluesky_pds: PdsServer,
    programme: Programme,
    sharers: Callable[..., list[Sharer]],
    artifacts_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    # The beats decide when shares go out; scheduling does not kick the dispatcher.
    monkeypatch.setattr("advocacy.sharing.services._kick_dispatcher", lambda: None)
    monkeypatch.setenv("CANDOR_BLUESKY_TIMEOUT_SECONDS", str(CLIENT_TIMEOUT))
    people = sharers(ACCOUNTS)
    stage = Stage(broker=chaos_broker, pds=bluesky_pds, log_dir=artifacts_dir / "chaos" / chaos_broker.kind)
    try:
        # Two workers and a beat, each its own OS process, start while the shares are written.
        stage.workers = [spawn("worker", stage.log_dir), spawn("worker", stage.log_dir)]
        stage.beats = [spawn("beat", stage.log_dir)]
        rng = random.Random(SEED)
        first_due = timezone.now() + dt.timedelta(seconds=LEAD)
        start = time.monotonic() + LEAD
        shares = []
        for number in range(SHARES):
            person = people[number % ACCOUNTS]
            text = final_text(
                disclosure=programme.disclosure,
                body=f"Chaos post {number} ({SEED}): we are hiring people who like robots.",
            )
            due = first_due + dt.timedelta(seconds=rng.uniform(0, SPREAD))
            shares.append(
                share_create(
                    employee=person.user,
                    draft_id=programme.draft.pk,
                    account_id=person.account.pk,
                    text=text,
                    scheduled_at=due,
                )
            )
        ids = [share.pk for share in shares]

        for event in fault_schedule(SEED):
            time.sleep(max(0.0, start + event.at - time.monotonic()))
            stage.act(event, time.monotonic() - start)
        while time.monotonic() < start + SPREAD + DRAIN:
            if not Share.objects.filter(pk__in=ids, state__in=UNSETTLED).exists():
                break
            time.sleep(2)
        drained_in = time.monotonic() - start
    finally:
        stage.tear_down()

    final = list(Share.objects.filter(pk__in=ids))
    counted = tally(final, people, bluesky_pds, programme.disclosure)
    reconciled = AuditEvent.objects.filter(
        action=AuditAction.SHARE_RECONCILED, target_type="sharing.share", target_id__in=[str(pk) for pk in ids]
    ).count()
    table = report(
        counted,
        broker=chaos_broker.kind,
        faults=stage.done,
        total=len(final),
        reconciled=reconciled,
        drained_in=drained_in,
    )
    (artifacts_dir / f"chaos-{chaos_broker.kind}.txt").write_text(table + "\n")
    with capsys.disabled():
        print("\n" + table)

    assert counted.rows["sent once"] + counted.rows["not sent, says why"] == len(final), table
    assert counted.orphans == [], table
    assert counted.undisclosed == [], table
    assert counted.p(0.99) <= P99_LATENESS, table
    verdict = audit_verify()
    assert verdict.ok, f"audit_verify: {verdict}\n{table}"
