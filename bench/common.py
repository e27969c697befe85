"""What every benchmark shares: the environment of the processes it starts, the
subprocess helpers, process memory, and the statistics of repeated runs.

Everything runs on loopback: PostgreSQL and Redis on 127.0.0.1, and the servers the
benchmarks start (gunicorn, the HTTP sink, the Bluesky PDS) bind 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_DB_NAME", "candor_bench")
# A Redis database of its own, so the benchmark never touches a developer's queues.
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/11")
# RabbitMQ for the second fan-out, in a virtual host of its own (created if missing).
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/candor_bench")


def database_url() -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME


def bench_environment() -> dict[str, str]:
    """Environment of the driver and every process it starts: production settings
    (through ``bench.settings``) with throwaway secrets, the bench database and broker."""
    keys_file = VAR / "secrets"
    VAR.mkdir(parents=True, exist_ok=True)
    if not keys_file.exists():
        secret = secrets.token_urlsafe(60)
        fernet = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        keys_file.write_text(f"{secret}\n{fernet}\n")
    secret, fernet = keys_file.read_text().split()
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "SECRET_KEY": secret,
        "CANDOR_CREDENTIALS_KEYS": fernet,
        # Derived from the bench's own secret, so every run of one database signs alike.
        "CANDOR_AUDIT_SIGNING_KEY": base64.b64encode(hashlib.sha256(secret.encode()).digest()).decode(),
        "CANDOR_VAR_DIR": str(VAR),
        "MEDIA_ROOT": str(VAR / "media"),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }


def setup_django() -> None:
    os.environ.update(bench_environment())
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- processes ---------------------------------------------------------------------


class Process:
    """A child process in its own process group, logging to a file."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str] | None = None):
        self.name = name
        self.log_path = VAR / "logs" / f"{name}-{time.monotonic_ns()}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as out:
            self.popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env={**os.environ, **bench_environment(), **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_output(self, text: str, *, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.popen.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not print {text!r}; its output:\n{self.output()[-4000:]}")

    def stop(self, timeout: float = 20) -> None:
        if self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def rss_bytes(pid: int, field_name: str = "VmRSS") -> int:
    """Resident memory of a process (``VmHWM`` for its peak), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) * 1024
    return 0


def machine_facts() -> dict[str, Any]:
    import platform

    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# --- statistics --------------------------------------------------------------------


@dataclass
class Series:
    """Several runs of one measurement."""

    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    def as_json(self, digits: int = 3) -> dict[str, Any]:
        if not self.values:
            return {"median": None, "min": None, "max": None, "runs": []}
        return {
            "median": round(self.median, digits),
            "min": round(min(self.values), digits),
            "max": round(max(self.values), digits),
            "runs": [round(v, digits) for v in self.values],
        }


def ratio_series(numerators: Iterable[float], denominators: Iterable[float]) -> Series:
    """Per-run ratios, pairing run i of the figure with run i of its baseline."""
    return Series([n / d for n, d in zip(numerators, denominators, strict=True) if d])


@dataclass
class Figure:
    """One line of the results table."""

    benchmark: str
    what: str
    ratio: Series
    target: str
    passed: bool
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "what": self.what,
            "ratio": self.ratio.as_json(),
            "target": self.target,
            "pass": self.passed,
            "details": self.details,
        }


def wait_until(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.1, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what or predicate}")
