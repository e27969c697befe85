"""The Celery broker's transport options, and the posting engine's lease, checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

# A renewal every quarter of the lease must survive a busy database.
MIN_SEND_LEASE_SECONDS = 8


def filesystem_broker_dirs(url: str, broker_dir: Path) -> list[Path]:
    """The folders the embedded filesystem broker needs (none for a broker server)."""
    return [broker_dir / "queue", broker_dir / "control"] if url.startswith("filesystem://") else []


def broker_transport_options(url: str, broker_dir: Path) -> dict[str, Any]:
    if url.startswith("filesystem://"):
        queue, control = filesystem_broker_dirs(url, broker_dir)
        return {
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "control_folder": str(control),
            "store_processed": False,
        }
    # Redis: a task not acknowledged within an hour is redelivered; longer than any
    # task's hard limit so a slow task is never run twice concurrently by this path.
    options: dict[str, Any] = {"visibility_timeout": 3600}
    if url.startswith(("amqp://", "amqps://", "pyamqp://")):
        # RabbitMQ: each publish waits for the broker's confirm, so a task lost with a
        # closing connection is an error the dispatcher sees (it hands the shares back)
        # instead of a claim with no task that waits for the queue timeout.
        options["confirm_publish"] = True
    return options


def send_lease_seconds(env: Any) -> int:
    seconds: int = env.positive_int("CANDOR_SEND_LEASE_SECONDS", default=15)
    if seconds < MIN_SEND_LEASE_SECONDS:
        raise ImproperlyConfigured(
            f"CANDOR_SEND_LEASE_SECONDS={seconds} is too short: at least {MIN_SEND_LEASE_SECONDS} seconds, so that "
            "a renewal every quarter of it survives a busy database."
        )
    return seconds
