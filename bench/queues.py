"""The broker queues the fan-out benchmark watches, on Redis or on RabbitMQ: how many
messages wait, whether the broker is idle, and emptying them between runs.

On Redis a delivered, unacknowledged message is visible (the ``unacked`` hash); on
RabbitMQ a passive declare counts only the ready messages, so "idle" there can be
early by the two messages the worker's processes hold (prefetch 1): a few
milliseconds of a run that lasts seconds.
"""

from __future__ import annotations

import contextlib
import subprocess
from typing import Any, Protocol
from urllib.parse import urlsplit

from bench.common import BROKER_URL

QUEUES = ("posting", "celery")


class Queues(Protocol):
    # How many delivered messages the depth may not show: the no-op baseline waits for
    # its tasks to be queued, and a worker's prefetched ones are not in the count.
    unseen: int

    def depth(self, name: str) -> int: ...

    def idle(self) -> bool: ...

    def purge(self) -> None: ...


class RedisQueues:
    unseen = 0

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url)

    def depth(self, name: str) -> int:
        return int(self.client.llen(name))

    def idle(self) -> bool:
        return not (any(self.depth(name) for name in QUEUES) or self.client.hlen("unacked"))

    def purge(self) -> None:
        self.client.delete(*QUEUES, "unacked", "unacked_index")


class AmqpQueues:
    # Delivered before the consumer was cancelled (prefetch 1 per pool process, one more in
    # flight): RabbitMQ's count of ready messages leaves them out, and the worker runs them.
    unseen = 4

    def __init__(self, url: str):
        from kombu import Connection

        self.connection = Connection(url)

    def _declared(self, name: str) -> Any:
        from amqp.exceptions import NotFound

        channel: Any = self.connection.channel()
        try:
            return channel.queue_declare(queue=name, passive=True)
        except NotFound:  # not declared yet: no worker has consumed from it
            return None
        finally:
            with contextlib.suppress(Exception):  # a channel the broker closed after NotFound
                channel.close()

    def depth(self, name: str) -> int:
        declared = self._declared(name)
        return int(declared.message_count) if declared else 0

    def idle(self) -> bool:
        return not any(self.depth(name) for name in QUEUES)

    def purge(self) -> None:
        for name in QUEUES:
            if self._declared(name):
                channel: Any = self.connection.channel()
                channel.queue_purge(name)
                channel.close()


def redis_queues() -> RedisQueues:
    return RedisQueues(BROKER_URL)


def amqp_app(url: str) -> Any:
    """The driver's Celery app on RabbitMQ. It only sends tasks by name and control
    commands; the workers run Candor's app with ``CELERY_BROKER_URL`` set to ``url``.
    (Not configured from Django's settings: their Redis broker would win over ``url``.)"""
    from celery import Celery

    app = Celery("bench-amqp", broker=url, set_as_current=False)
    app.conf.update(
        # Celery prefers the environment's CELERY_BROKER_URL (the bench's Redis) to broker=
        # and broker_url, but not to these.
        broker_read_url=url,
        broker_write_url=url,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        broker_transport_options={"confirm_publish": True},
    )
    return app


def ensure_vhost(url: str) -> None:
    """Create the URL's virtual host (the bench's own, so no one else's queues are
    touched) with rabbitmqctl, and let its user in. Raises when RabbitMQ is not
    reachable, with rabbitmqctl's words."""
    parts = urlsplit(url)
    vhost = parts.path[1:] or "/"
    user = parts.username or "guest"
    listed = subprocess.run(["rabbitmqctl", "-q", "list_vhosts"], capture_output=True, text=True, timeout=120)
    if listed.returncode:
        raise RuntimeError(f"RabbitMQ is not reachable: {listed.stderr.strip() or listed.stdout.strip()}")
    if vhost not in listed.stdout.split():
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True, timeout=120)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
        check=True,
        capture_output=True,
        timeout=120,
    )
