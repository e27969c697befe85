"""The Celery application. Configuration lives in Django settings under ``CELERY_*``."""

import contextlib
import os
import signal
import threading
from typing import Any

from celery import Celery
from celery.signals import (
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_ready,
    worker_shutdown,
    worker_shutting_down,
)

from advocacy.startup import load_settings

load_settings()

app = Celery("advocacy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def recycle_database_connections(sender: Any = None, **_: Any) -> None:
    """Around each task, what Django does around each request: drop a connection that
    broke or outlived ``CONN_MAX_AGE`` and keep the rest (``CELERY_DB_REUSE_MAX``).
    Eager tasks run inside their caller's transaction and are left alone."""
    if not getattr(getattr(sender, "request", None), "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()


@worker_init.connect
def preload_network_plugins(**_: Any) -> None:
    """Import every network plug-in in the worker's main process, before the pool
    forks, so the pool processes share them. Imported lazily instead, the AT
    Protocol SDK alone took seconds of each pool process's first send (bench/).
    A plug-in that cannot be imported still fails only when it is used."""
    from advocacy.networks.registry import NETWORKS, get_client

    for key in NETWORKS:
        with contextlib.suppress(ImportError):
            get_client(key)


# --- clean shutdown (advocacy.core.shutdown) ----------------------------------------
_worker: Any = None  # this process's WorkController, when it is a worker's main process
_in_pool_process = False


@worker_init.connect
def remember_worker(sender: Any = None, **_: Any) -> None:
    global _worker
    _worker = sender


@worker_process_init.connect
def pool_process_ignores_terminate(**_: Any) -> None:
    """A fresh pool process: SIGTERM must not kill it mid-send (see advocacy.core.shutdown)."""
    global _in_pool_process
    from advocacy.core import shutdown

    _in_pool_process = True
    shutdown.reset()
    shutdown.ignore_terminate()


@task_prerun.connect
def pool_process_notes_terminate(**_: Any) -> None:
    if _in_pool_process:
        from advocacy.core import shutdown

        shutdown.note_terminate()


@worker_shutting_down.connect
def tell_pool_processes_to_stop(how: str = "", **_: Any) -> None:
    """A warm shutdown of the main process (SIGTERM or Ctrl-C sent to it alone, as
    ``systemctl stop`` with KillMode=mixed, ``docker stop`` and Kubernetes do) reaches
    the pool processes too, so a running batch hands back what it has not started
    instead of keeping the worker up for the rest of the batch. Runs in a signal
    handler: it only sends signals."""
    if how != "Warm" or _worker is None:
        return
    pool = getattr(getattr(_worker, "pool", None), "_pool", None)
    for process in list(getattr(pool, "_pool", None) or ()):
        with contextlib.suppress(OSError, AttributeError, TypeError):
            os.kill(process.pid, signal.SIGTERM)


# --- worker heartbeats ----------------------------------------------------------------
_heartbeat_stop = threading.Event()


@worker_ready.connect
def start_heartbeat(sender: Any = None, **_: Any) -> None:
    """Each worker's main process records that it is alive every
    ``CANDOR_WORKER_HEARTBEAT_SECONDS``, from a thread of its own: a worker whose pool
    is busy, or which beat never reaches, still shows up (/healthz, /metrics)."""
    from django.conf import settings

    hostname = getattr(sender, "hostname", None) or getattr(_worker, "hostname", "celery")
    _heartbeat_stop.clear()
    thread = threading.Thread(
        target=_beat_until_stopped,
        args=(hostname, float(settings.CANDOR_WORKER_HEARTBEAT_SECONDS)),
        name="candor-heartbeat",
        daemon=True,
    )
    thread.start()


def _beat_until_stopped(nodename: str, interval: float) -> None:
    import logging

    from django.db import connection

    from advocacy.core.services import worker_heartbeat_record

    logger = logging.getLogger("advocacy.celery")
    while not _heartbeat_stop.is_set():
        try:
            worker_heartbeat_record(worker=f"{nodename} pid {os.getpid()}", pid=os.getpid())
        except Exception:  # a database blip: try again next time, never kill the thread
            logger.warning("worker heartbeat not recorded", exc_info=True)
        finally:
            connection.close()  # no connection held between beats, nor inherited by a fork
        _heartbeat_stop.wait(interval)


@worker_shutdown.connect
def stop_heartbeat(**_: Any) -> None:
    """The worker stopped cleanly: its row says so, and it stops counting as alive."""
    from django.db import connection

    from advocacy.core.services import worker_heartbeat_record

    _heartbeat_stop.set()
    if _worker is None:
        return
    with contextlib.suppress(Exception):
        worker_heartbeat_record(worker=f"{_worker.hostname} pid {os.getpid()}", pid=os.getpid(), stopped=True)
    connection.close()
