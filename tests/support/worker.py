"""Start a real Celery worker process against the test database and broker.

The worker inherits the test settings and is pointed at the test database (pytest
renames it), so rows the test commits are what the worker sees. Used by tests
marked ``worker``; those tests need ``django_db(transaction=True)`` so their writes
are committed and visible to another process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    user = settings.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


class WorkerProcess:
    def __init__(self, process: subprocess.Popen[bytes], log_path: Path):
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL, as an out-of-memory killer or a crashed host would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            # Warm shutdown: the main process stops its pool children itself.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def _start_celery(*, kind: str, args: list[str], log_dir: Path, ready: str) -> WorkerProcess:
    """Start ``celery -A advocacy <kind> ...`` on the test database and broker and wait
    until its log shows ``ready``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{kind}-{time.monotonic_ns()}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "advocacy.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "advocacy", kind, "--loglevel=INFO", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = WorkerProcess(process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Celery {kind} exited with {process.returncode}:\n{started.log()}")
        if ready in started.log():
            return started
        time.sleep(0.2)
    started.stop()
    raise RuntimeError(f"Celery {kind} did not become ready within 60 s:\n{started.log()}")


def start_worker(*, log_dir: Path, concurrency: int = 1, queues: str = "celery,posting") -> WorkerProcess:
    args = [
        # Each worker its own node name, as two workers on one host need: on RabbitMQ the
        # second ``celery@host`` cannot take the remote-control queue and exits.
        f"--hostname=test-{time.monotonic_ns()}@%h",
        f"--concurrency={concurrency}",
        f"--queues={queues}",
        "--without-gossip",
        "--without-mingle",
        "--pool=prefork",
    ]
    return _start_celery(kind="worker", args=args, log_dir=log_dir, ready="ready.")


def start_beat(*, log_dir: Path) -> WorkerProcess:
    """A real ``celery beat`` with the database scheduler, as in production."""
    return _start_celery(kind="beat", args=[], log_dir=log_dir, ready="beat: Starting...")


@contextmanager
def running_worker(*, log_dir: Path, concurrency: int = 1) -> Iterator[WorkerProcess]:
    worker = start_worker(log_dir=log_dir, concurrency=concurrency)
    try:
        yield worker
    finally:
        worker.stop()


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2, message: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns a truthy value; fail with ``message`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")
