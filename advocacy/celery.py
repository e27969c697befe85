"""The Celery application. Configuration lives in Django settings under ``CELERY_*``."""

import contextlib
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init

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
