"""The chaos test's stage: PostgreSQL, a broker of its own that it may stop, the real
Bluesky PDS, and the cast of the fault tests (a published draft, enrolled employees
with their own accounts on the PDS).

The broker is never the machine's shared one, because the test stops it:

* Redis: a private ``redis-server`` on a free port, with an append-only file as
  production runs it (a stop and start is an outage that keeps the queued messages;
  a crash that loses them is ``tests/faults``' broker-restart test).
* RabbitMQ: the configured server, but a virtual host of the test's own. RabbitMQ
  serves other people here, so it is not stopped: the outage is every connection to
  that virtual host closed and new ones refused (its permissions withdrawn) for the
  same ten seconds, then allowed again. The queued messages stay, as on a restart
  of a durable broker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.faults.conftest import Broker, PrivateRedis, broker, programme, sharers  # noqa: F401 - fixtures


def _must_run() -> bool:
    return os.environ.get("CI") == "true"


def _skip_or_fail(reason: str) -> None:
    if _must_run():
        pytest.fail(f"{reason} CI runs the chaos test, so this is a failure, not a skip.")
    pytest.skip(reason)


@pytest.fixture
def on_postgresql(transactional_db: None) -> None:
    if connection.vendor != "postgresql":
        _skip_or_fail(
            "The chaos test needs PostgreSQL (DATABASE_URL=postgres://...): two workers, a beat and the test "
            "write at once, which SQLite serialises."
        )


@dataclass
class ChaosBroker:
    """A broker this test may take down (``stop``) and bring back (``start``)."""

    url: str
    kind: str
    redis: PrivateRedis | None = None
    vhost: str | None = None
    user: str = "guest"

    def stop(self) -> None:
        if self.redis is not None:
            self.redis.stop()
        else:
            _rabbitmqctl("clear_permissions", "-p", self.vhost, self.user)
            _rabbitmqctl("close_all_connections", "--vhost", self.vhost, "--limit", "1000", "chaos: broker outage")

    def start(self) -> None:
        if self.redis is not None:
            self.redis.start()
        else:
            _rabbitmqctl("set_permissions", "-p", self.vhost, self.user, ".*", ".*", ".*")


def _rabbitmqctl(*args: str | None) -> None:
    binary = shutil.which("rabbitmqctl")
    if binary is None:
        _skip_or_fail("rabbitmqctl is not installed, and the RabbitMQ chaos run needs it to make the outage.")
    result = subprocess.run([binary, "--quiet", *[a for a in args if a is not None]], capture_output=True, text=True)
    if result.returncode != 0:
        _skip_or_fail(f"rabbitmqctl {' '.join(str(a) for a in args)} failed: {result.stderr.strip()}")


@pytest.fixture
def chaos_broker(broker: Broker, tmp_path: Path) -> Iterator[ChaosBroker]:  # noqa: F811 - the fixture above
    """Point this process, the workers and the beats at a broker of the test's own."""
    url = broker.url
    if url.startswith("amqp://") or url.startswith("pyamqp://"):
        parts = urlsplit(url)
        vhost = f"candor-chaos-{os.getpid()}"
        user = parts.username or "guest"
        _rabbitmqctl("add_vhost", vhost)
        _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        broker.switch_to(urlunsplit(parts._replace(path=f"/{vhost}")))
        try:
            yield ChaosBroker(url=broker.url, kind="rabbitmq", vhost=vhost, user=user)
        finally:
            _rabbitmqctl("delete_vhost", vhost)
        return
    binary = shutil.which("redis-server")
    if binary is None:
        _skip_or_fail("redis-server is not installed (apt-get install redis-server); the chaos test stops a broker.")
    redis = PrivateRedis(binary, tmp_path, persistent=True)
    redis.start()
    broker.switch_to(redis.url)
    try:
        yield ChaosBroker(url=redis.url, kind="redis", redis=redis)
    finally:
        redis.kill()
