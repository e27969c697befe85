"""Real-process fault tests: a real Celery worker on the configured broker, posting to
the real Bluesky PDS, while things go wrong. What counts is what landed ON THE SERVER.

The cast: one published draft (written, approved by a second person, published),
enrolled employees each with their own Bluesky account on the PDS, and helpers to
schedule shares and to check the server holds exactly one post per share.

The tests play the beat themselves (``engine.dispatch_due`` / ``engine.recover_stale``)
so they decide when a batch starts; scheduling therefore does not kick the dispatcher.

Tests that wait for a stranded share to be recovered shorten the worker's time
limits, the send lease and the queue timeout (``short_lease``) through the
environment variables production reads (``CELERY_TASK_SOFT_TIME_LIMIT``,
``CELERY_TASK_TIME_LIMIT``, ``CANDOR_SEND_LEASE_SECONDS``,
``CANDOR_SEND_QUEUE_TIMEOUT_SECONDS``), so recovery takes seconds, not minutes.

Run alongside other test sessions in the same checkout? Give this one its own
``CANDOR_VAR_DIR``: the SQLite test database lives there, and workers open it by path.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.conf import settings
from kombu import pools as kombu_pools

from accounts.models import Role, User
from advocacy.audit.models import AuditEvent
from advocacy.drafts.content import final_text
from advocacy.drafts.models import Draft
from advocacy.drafts.services import DraftContent, draft_approve, draft_create, draft_publish, draft_submit
from advocacy.ledger.connect import account_connect_bluesky
from advocacy.ledger.models import ConnectedAccount
from advocacy.networks.bluesky.client import record_key_for
from advocacy.program.selectors import disclosure_for, policy_current
from advocacy.program.services import enrollment_opt_in, policy_publish
from advocacy.sharing import engine
from advocacy.sharing.engine import dispatch, leases
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create
from tests.factories import UserFactory
from tests.support.pds import PdsServer, free_loopback_port
from tests.support.worker import ROOT, WorkerProcess, _database_url, start_worker, wait_for

# Shortened worker limits for the tests that wait for a stranded share to be
# recovered. A send takes well under a second, but a fresh pool child's first one
# also imports the network plug-in (the AT Protocol SDK), which takes seconds on a
# busy 2-core machine. Every other test keeps the production limits.
SOFT_TIME_LIMIT = 15
HARD_TIME_LIMIT = 18
LEASE_SECONDS = 10  # renewed while a batch runs, so it need not outlast the time limit
QUEUE_SECONDS = 20  # a claimed share no batch has started is taken for lost after this
CREATE_RECORD = "com.atproto.repo.createRecord"
GET_RECORD = "com.atproto.repo.getRecord"


# -- environment ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _tests_play_the_beat(monkeypatch: pytest.MonkeyPatch) -> None:
    """A share due now waits for the test's own dispatch instead of kicking the dispatcher."""
    monkeypatch.setattr("advocacy.sharing.services._kick_dispatcher", lambda: None)


@pytest.fixture
def short_lease(monkeypatch: pytest.MonkeyPatch) -> dt.timedelta:
    """Shares stranded in *sending* become recoverable after seconds, not minutes: in
    worker subprocesses started from now on (environment) and in this process (engine)."""
    monkeypatch.setenv("CELERY_TASK_SOFT_TIME_LIMIT", str(SOFT_TIME_LIMIT))
    monkeypatch.setenv("CELERY_TASK_TIME_LIMIT", str(HARD_TIME_LIMIT))
    monkeypatch.setenv("CANDOR_SEND_LEASE_SECONDS", str(LEASE_SECONDS))
    monkeypatch.setenv("CANDOR_SEND_QUEUE_TIMEOUT_SECONDS", str(QUEUE_SECONDS))
    lease = dt.timedelta(seconds=LEASE_SECONDS)
    monkeypatch.setattr(leases, "LEASE", lease)
    monkeypatch.setattr(dispatch, "QUEUE_TIMEOUT", dt.timedelta(seconds=QUEUE_SECONDS))
    return lease


def _reset_producer_pools(app: Any) -> None:
    """Forget pooled broker connections, so the next publish uses the current config.
    (kombu keeps its pools in a global registry keyed by connection: reset that too.)"""
    kombu_pools.reset()
    app._pool = None
    with contextlib.suppress(KeyError):
        app.__dict__["amqp"]._producer_pool = None


@dataclass
class Broker:
    """The broker the worker and this test process share for one test."""

    app: Any
    url: str
    queue_dir: Path | None  # filesystem transport only
    monkeypatch: pytest.MonkeyPatch

    @property
    def is_redis(self) -> bool:
        return self.url.startswith(("redis://", "rediss://"))

    @property
    def is_amqp(self) -> bool:
        return self.url.startswith(("amqp://", "pyamqp://", "amqps://"))

    def posting_queue_empty(self) -> bool:
        """No send message waits in the ``posting`` queue (workers may be consuming)."""
        if self.is_amqp:
            from kombu import Connection

            with Connection(self.url) as conn:
                try:
                    _name, ready, _consumers = conn.default_channel.queue_declare("posting", passive=True)
                except conn.channel_errors:
                    return True  # not declared yet: nothing was ever queued
                return ready == 0
        return not self.queued_send_shares()

    def switch_to(self, url: str) -> None:
        """Point this process and workers started from now on at another broker URL."""
        self.monkeypatch.setenv("CELERY_BROKER_URL", url)
        self.app.conf.broker_url = url
        self.url = url
        _reset_producer_pools(self.app)

    def queued_send_shares(self) -> Counter[int]:
        """Share ids in the send messages (``sharing.send_shares`` batches, or
        ``sharing.send_share``) waiting in the ``posting`` queue."""
        if self.queue_dir is not None:
            raw = [path.read_bytes() for path in sorted(self.queue_dir.glob("*.posting.msg"))]
        elif self.is_amqp:
            return self._amqp_queued_send_shares()
        else:
            import redis

            client = redis.Redis.from_url(self.url)
            try:
                raw = client.lrange("posting", 0, -1)
            finally:
                client.close()
        found: Counter[int] = Counter()
        for item in raw:
            envelope = json.loads(item)
            task = envelope.get("headers", {}).get("task")
            if task not in ("sharing.send_shares", "sharing.send_share"):
                continue
            body = envelope["body"]
            if envelope.get("properties", {}).get("body_encoding") == "base64":
                body = base64.b64decode(body)
            args, _kwargs, _embed = json.loads(body)
            found.update(int(pk) for pk in (args[0] if task == "sharing.send_shares" else [args[0]]))
        return found

    def _amqp_queued_send_shares(self) -> Counter[int]:
        """RabbitMQ cannot be peeked at: take every message without acknowledging it,
        read it, and close the channel, which puts them all back in order. Only while
        no worker consumes (it would miss them for that moment)."""
        from kombu import Connection
        from kombu import Queue as KombuQueue

        found: Counter[int] = Counter()
        with Connection(self.url) as conn:
            channel = conn.channel()
            queue = KombuQueue("posting", channel=channel)
            try:
                while (message := queue.get(no_ack=False)) is not None:
                    task = message.headers.get("task")
                    if task in ("sharing.send_shares", "sharing.send_share"):
                        args, _kwargs, _embed = json.loads(message.body)
                        found.update(int(pk) for pk in (args[0] if task == "sharing.send_shares" else [args[0]]))
            except conn.channel_errors:
                pass  # not declared yet: nothing was ever queued
            finally:
                channel.close()  # unacknowledged: back in the queue
        return found


@pytest.fixture
def broker(real_broker: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Broker]:
    """The configured broker, non-eager. The filesystem broker gets a folder of its own
    per test, so messages left by other tests (or other runs) cannot interfere."""
    app = real_broker
    saved = {"broker_url": app.conf.broker_url, "options": app.conf.broker_transport_options}
    queue_dir = None
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = tmp_path / "broker"
        queue_dir = folder / "queue"
        for sub in ("queue", "control"):
            (folder / sub).mkdir(parents=True)
        monkeypatch.setenv("CELERY_BROKER_DIR", str(folder))
        app.conf.broker_transport_options = {
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "data_folder_in": str(queue_dir),
            "data_folder_out": str(queue_dir),
            "control_folder": str(folder / "control"),
        }
    _reset_producer_pools(app)
    yield Broker(app=app, url=settings.CELERY_BROKER_URL, queue_dir=queue_dir, monkeypatch=monkeypatch)
    app.conf.broker_url = saved["broker_url"]
    app.conf.broker_transport_options = saved["options"]
    _reset_producer_pools(app)


class PrivateRedis:
    """A throw-away ``redis-server`` on a free loopback port, with no persistence:
    restarting it loses every queued message, as a crashed broker without AOF would.
    ``persistent``: an append-only file instead, as production runs it, so a
    ``stop()`` and ``start()`` is an outage that keeps the queued messages."""

    def __init__(self, binary: str, workdir: Path, *, persistent: bool = False) -> None:
        self.binary = binary
        self.workdir = workdir
        self.persistent = persistent
        self.port = free_loopback_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.workdir / f"redis-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes" if self.persistent else "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for(self._answers, timeout=15, interval=0.05, message=f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False
        finally:
            client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """Shut down as ``systemctl stop`` does (SIGTERM: the append-only file is flushed)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed, but CI must run the broker-restart test.")
        pytest.skip("redis-server is not installed (apt-get install redis-server); CI runs this test.")
    server = PrivateRedis(binary, tmp_path)
    server.start()
    yield server
    server.kill()


# -- the cast ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Programme:
    draft: Draft
    disclosure: str


@pytest.fixture
def programme(transactional_db: None) -> Programme:
    """A current policy and one published draft (author writes, reviewer approves)."""
    admin = UserFactory(email="ada@example.com", role=Role.ADMIN, is_staff=True)
    author = UserFactory(email="arno@example.com", role=Role.COMMS_AUTHOR)
    reviewer = UserFactory(email="rita@example.com", role=Role.COMMS_REVIEWER)
    policy_publish(actor=admin, texts={"en": {"title": "Advocacy policy", "body": "Opt in, leave any time."}})
    draft = draft_create(
        actor=author,
        title="We are hiring robot whisperers",
        content=DraftContent(body="We are hiring people who like robots.", networks=["bluesky"]),
    )
    draft_submit(actor=author, draft_id=draft.pk)
    draft_approve(actor=reviewer, draft_id=draft.pk)
    draft = draft_publish(actor=author, draft_id=draft.pk)
    return Programme(draft=draft, disclosure=disclosure_for(language="en"))


@dataclass(frozen=True)
class Sharer:
    """An enrolled employee with a Bluesky account of their own on the PDS."""

    user: User
    account: ConnectedAccount
    did: str
    handle: str
    password: str  # the account's main password, for acting on the PDS behind Candor's back


@pytest.fixture
def sharers(programme: Programme, bluesky_pds: PdsServer) -> Callable[..., list[Sharer]]:
    """``sharers(n, service_url=...)``: n new employees, each enrolled and connected.
    ``service_url`` is where Candor reaches their PDS (the fault proxy, say)."""

    def make(count: int, *, service_url: str | None = None) -> list[Sharer]:
        made = []
        for _ in range(count):
            user = UserFactory(role=Role.EMPLOYEE)
            enrollment_opt_in(user=user, policy_version_id=policy_current().pk, accepted=True)
            handle, password, did = bluesky_pds.create_account("emp")
            app_password = bluesky_pds.create_app_password(handle, password)
            account = account_connect_bluesky(
                actor=user, handle=handle, app_password=app_password, service_url=service_url or bluesky_pds.url
            )
            made.append(Sharer(user=user, account=account, did=did, handle=handle, password=password))
        return made

    return make


@pytest.fixture
def schedule(programme: Programme) -> Callable[..., list[Share]]:
    """``schedule(sharer, n, at=None)``: n shares of the draft, through ``share_create``,
    each with its own text so every post on the server can be told apart."""
    counter = iter(range(1, 1_000_000))

    def make(sharer: Sharer, count: int, *, at: dt.datetime | None = None) -> list[Share]:
        shares = []
        for _ in range(count):
            number = next(counter)
            text = final_text(
                disclosure=programme.disclosure,
                body=f"Post {number}: we are hiring people who like robots. Ask me about it!",
            )
            shares.append(
                share_create(
                    employee=sharer.user,
                    draft_id=programme.draft.pk,
                    account_id=sharer.account.pk,
                    text=text,
                    scheduled_at=at,
                )
            )
        return shares

    return make


# -- workers, dispatchers and the beat --------------------------------------------------


@pytest.fixture
def workers(broker: Broker, artifacts_dir: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """``workers()`` starts a real worker on this test's broker; all are stopped at the end."""
    started: list[WorkerProcess] = []

    def start(*, concurrency: int = 2) -> WorkerProcess:
        worker = start_worker(log_dir=artifacts_dir / "workers", concurrency=concurrency)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        # The test has asserted what it wanted; a warm shutdown would only cost time.
        if worker.process.poll() is None:
            worker.kill()


def warm_stop(worker: WorkerProcess, timeout: float = 60) -> None:
    """Stop a worker as ``systemctl stop`` with ``KillMode=mixed`` does: SIGTERM to the
    main process only, which finishes running tasks and hands back prefetched ones."""
    os.kill(worker.process.pid, signal.SIGTERM)
    worker.process.wait(timeout)


def settle(
    predicate: Callable[[], object],
    *,
    what: str,
    shares: list[Share] | None = None,
    worker: WorkerProcess | None = None,
    timeout: float = 60,
    interval: float = 0.2,
) -> None:
    """``wait_for`` whose failure message shows the shares' states and the worker's
    log as they are when it gives up, not as they were when it started."""
    try:
        wait_for(predicate, timeout=timeout, interval=interval, message=what)
    except AssertionError as exc:
        details = [str(exc)]
        if shares is not None:
            details.append(f"share states now: {dict(states(shares))}")
        if worker is not None:
            details.append(f"worker log (end):\n{worker.log()[-6000:]}")
        raise AssertionError("\n".join(details)) from None


def states(shares: Iterable[Share]) -> Counter[str]:
    ids = [share.pk for share in shares]
    return Counter(Share.objects.filter(pk__in=ids).values_list("state", flat=True))


def all_in(shares: list[Share], *wanted: str) -> bool:
    counts = states(shares)
    return sum(counts[state] for state in wanted) == len(shares)


def beat_until(
    shares: list[Share],
    *wanted: str,
    broker: Broker,
    timeout: float = 90,
    worker: WorkerProcess | None = None,
) -> None:
    """Play the beat until every share has reached one of the ``wanted`` states:
    recover stranded shares (real clock) whenever the posting queue has run dry.

    Production leases last minutes while a queue drains in seconds, so only truly
    stranded shares are ever re-enqueued; these tests shorten the lease to seconds,
    and waiting for the queue to drain keeps that proportion.
    """

    def settled() -> bool:
        if all_in(shares, *wanted):
            return True
        if broker.posting_queue_empty():
            engine.recover_stale()
        return False

    settle(settled, what=f"every share {'/'.join(wanted)}", shares=shares, worker=worker, timeout=timeout, interval=1)


def dispatch_retries(shares: list[Share]) -> list[int]:
    """Let time pass for retries: dispatch as the beat will once the latest retry of
    ``shares`` is due (scheduled backoffs are 15 s and more)."""
    due = Share.objects.filter(pk__in=[s.pk for s in shares], state=Share.State.SCHEDULED)
    latest = max(due.values_list("next_attempt_at", flat=True), default=None)
    return engine.dispatch_due(now=latest) if latest else []


_DISPATCHER = """
import json, os, sys, time
import django
django.setup()
from advocacy.celery import app
from advocacy.sharing import engine
app.conf.task_always_eager = False  # the test settings default to eager
print("ready", flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.001)
print(json.dumps(engine.dispatch_due()), flush=True)
"""


def run_dispatchers(count: int, *, workdir: Path) -> list[list[int]]:
    """Run ``dispatch_due`` in ``count`` separate processes released at the same instant
    (two beats started by mistake); returns what each one claimed."""
    go = workdir / f"go-{time.monotonic_ns()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "advocacy.settings.test",
        "DATABASE_URL": _database_url(),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _DISPATCHER, str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        for process in processes:
            line = process.stdout.readline() if process.stdout else ""
            if line.strip() != "ready":
                process.wait(10)
                raise AssertionError(
                    f"dispatcher did not start: {line}{process.stderr.read() if process.stderr else ''}"
                )
        go.touch()
        results = []
        for process in processes:
            out, err = process.communicate(timeout=60)
            if process.returncode != 0:
                raise AssertionError(f"dispatcher exited with {process.returncode}:\n{err}")
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(10)


# -- what landed on the server ----------------------------------------------------------


def rkey_of(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def assert_each_posted_once(pds: PdsServer, sharers: list[Sharer], shares: list[Share], disclosure: str) -> None:
    """Every share is *sent* and its account's repo holds exactly its posts: one per
    share (none lost, none doubled), at the share's record key, text as scheduled,
    disclosure first."""
    by_account: dict[int, list[Share]] = defaultdict(list)
    for share in Share.objects.filter(pk__in=[s.pk for s in shares]):
        by_account[share.account_id].append(share)
    for sharer in sharers:
        expected = by_account.get(sharer.account.pk, [])
        posts = pds.list_posts(sharer.did)
        keys = Counter(rkey_of(post["uri"]) for post in posts)
        assert len(posts) == len(expected), (
            f"{sharer.did} has {len(posts)} posts on the server for {len(expected)} shares"
        )
        assert set(keys) == {record_key_for(share.idempotency_key) for share in expected}
        by_key = {rkey_of(post["uri"]): post for post in posts}
        for share in expected:
            post = by_key[record_key_for(share.idempotency_key)]
            assert share.state == Share.State.SENT, (share.pk, share.state, share.last_error)
            assert share.external_id == post["uri"]
            assert post["value"]["text"] == share.text
            assert post["value"]["text"].startswith(disclosure)


def audit_actions(share: Share) -> list[str]:
    """The share's audit trail, oldest first."""
    return list(
        AuditEvent.objects.filter(target_type="sharing.share", target_id=str(share.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def assert_nothing_posted(pds: PdsServer, sharer: Sharer) -> None:
    assert pds.list_posts(sharer.did) == []


def post_directly(pds: PdsServer, sharer: Sharer, *, rkey: str, text: str) -> str:
    """Create a post on the PDS without Candor (say, an attempt Candor lost track of)."""
    session = pds.xrpc(
        "POST", "com.atproto.server.createSession", json={"identifier": sharer.handle, "password": sharer.password}
    )
    record = {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    created = pds.xrpc(
        "POST",
        "com.atproto.repo.createRecord",
        json={"repo": sharer.did, "collection": "app.bsky.feed.post", "rkey": rkey, "record": record},
        headers={"Authorization": f"Bearer {session['accessJwt']}"},
    )
    return created["uri"]


# -- a scriptable HTTP proxy in front of the PDS -----------------------------------------


@dataclass(frozen=True)
class Fault:
    """What the proxy does with one request, instead of simply forwarding it.

    ``kind``:
      * ``rate_limited``: answer 429 with ``ratelimit-reset`` ``reset_in`` seconds ahead;
        nothing reaches the PDS.
      * ``error``: answer ``status`` without forwarding.
      * ``landed_then_error``: forward (the post lands), then answer ``status``: the
        response is lost.
      * ``hang``: hold the request without forwarding until ``release()``; then, if
        ``land_late``, forward it (it lands after the client gave up); never answer.
      * ``landed_then_hang``: forward, then hold the answer until ``release()``, never answer.
      * ``hold_answer``: forward, hold the answer until ``release()``, then answer normally.
      * ``landed_then_drop``: forward, then close the connection without an answer.
    """

    kind: str
    status: int = 500
    reset_in: int = 0
    land_late: bool = False


HOP_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "accept-encoding",
        "content-encoding",
        "proxy-connection",
        "upgrade",
    }
)


class FaultProxy:
    """Loopback HTTP proxy that forwards to the PDS, except for scripted faults.

    ``script(nsid, *faults, rkey=None)`` queues faults for successive calls of one XRPC
    method (``None`` = forward normally); with ``rkey``, only for calls about that record
    key (createRecord and getRecord), which come first. Every call is recorded in ``calls`` as
    ``(nsid, rkey)``; ``landed`` lists the record keys of createRecord calls that were
    forwarded to the PDS, and ``landed_at`` when each of them was answered (by then the
    post exists; the wall clock, to compare with database timestamps). ``held`` is set
    while a request is being held. ``create_delay`` seconds pass before each createRecord
    is forwarded: a slow network, so a batch is mid-way for a while.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.calls: list[tuple[str, str | None]] = []
        self.landed: list[str | None] = []
        self.landed_at: dict[str | None, float] = {}
        self.create_delay = 0.0
        self.held = threading.Event()
        self.held_keys: list[str | None] = []
        self.rate_limit_resets: list[int] = []  # ``ratelimit-reset`` values sent, Unix seconds
        self._release = threading.Event()
        self._faults: dict[tuple[str, str | None], deque[Fault | None]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._http = httpx.Client(base_url=self.upstream, timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy._handle(self)

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()

    def script(self, nsid: str, *faults: Fault | None, rkey: str | None = None) -> None:
        with self._lock:
            self._faults[(nsid, rkey)].extend(faults)

    def release(self) -> None:
        self._release.set()

    def calls_for(self, nsid: str, rkey: str) -> int:
        return sum(1 for call in self.calls if call == (nsid, rkey))

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    # -- request handling --------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        parts = urlsplit(request.path)
        nsid = parts.path.removeprefix("/xrpc/")
        rkey = None
        if nsid == CREATE_RECORD and body:
            rkey = json.loads(body).get("rkey")
        elif nsid == GET_RECORD:
            rkey = (parse_qs(parts.query).get("rkey") or [None])[0]
        with self._lock:
            self.calls.append((nsid, rkey))
            queue = self._faults.get((nsid, rkey)) or self._faults.get((nsid, None))
            fault = queue.popleft() if queue else None
        # OSError: the client went away (it timed out, or its worker was killed).
        with contextlib.suppress(OSError):
            self._apply(request, body, nsid, rkey, fault)

    def _apply(
        self, request: BaseHTTPRequestHandler, body: bytes, nsid: str, rkey: str | None, fault: Fault | None
    ) -> None:
        if fault is None:
            self._reply(request, self._forward(request, body, nsid, rkey))
        elif fault.kind == "rate_limited":
            reset = int(time.time()) + fault.reset_in
            self.rate_limit_resets.append(reset)
            headers = {
                "ratelimit-limit": "5000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
                "ratelimit-policy": "5000;w=3600",
            }
            self._reply_json(request, 429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, headers)
        elif fault.kind == "error":
            self._reply_json(
                request, fault.status, {"error": "InternalServerError", "message": "Internal Server Error"}
            )
        elif fault.kind == "landed_then_error":
            self._forward(request, body, nsid, rkey)
            self._reply_json(
                request, fault.status, {"error": "InternalServerError", "message": "Internal Server Error"}
            )
        elif fault.kind == "hang":
            self._hold(rkey)
            if fault.land_late:
                self._forward(request, body, nsid, rkey)
            request.close_connection = True
        elif fault.kind == "landed_then_hang":
            self._forward(request, body, nsid, rkey)
            self._hold(rkey)
            request.close_connection = True
        elif fault.kind == "hold_answer":
            response = self._forward(request, body, nsid, rkey)
            self._hold(rkey)
            self._reply(request, response)
        elif fault.kind == "landed_then_drop":
            self._forward(request, body, nsid, rkey)
            request.close_connection = True
        else:
            raise AssertionError(f"unknown fault {fault.kind!r}")

    def _hold(self, rkey: str | None) -> None:
        with self._lock:
            self.held_keys.append(rkey)
        self.held.set()
        self._release.wait(120)

    def _forward(self, request: BaseHTTPRequestHandler, body: bytes, nsid: str, rkey: str | None) -> httpx.Response:
        headers = {name: value for name, value in request.headers.items() if name.lower() not in HOP_HEADERS}
        if nsid == CREATE_RECORD and self.create_delay:
            time.sleep(self.create_delay)
        response = self._http.request(request.command, request.path, content=body, headers=headers)
        if nsid == CREATE_RECORD:
            with self._lock:
                self.landed.append(rkey)
                self.landed_at[rkey] = time.time()
        return response

    def _reply(self, request: BaseHTTPRequestHandler, response: httpx.Response) -> None:
        request.send_response(response.status_code)
        for name, value in response.headers.items():
            if name.lower() not in HOP_HEADERS:
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(response.content)))
        request.end_headers()
        request.wfile.write(response.content)

    def _reply_json(
        self,
        request: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, str],
        headers: dict[str, str] | None = None,
    ) -> None:
        content = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(content)))
        request.end_headers()
        request.wfile.write(content)


@pytest.fixture
def fault_proxy(bluesky_pds: PdsServer) -> Iterator[FaultProxy]:
    proxy = FaultProxy(bluesky_pds.url)
    yield proxy
    proxy.close()
