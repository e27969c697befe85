"""The Celery app the fan-out benchmark's workers run (``celery -A bench.celeryapp``).

It is Candor's own app (``advocacy.celery.app``, same settings, same tasks) plus:

* ``bench.noop``: a task that does nothing, declared with ``sharing.send_share``'s
  options (queue ``posting``, late acknowledgement, no result): the baseline.
* in each worker process, ``get_client`` answers with the bench sink plug-in
  (``bench.sinkclient``) for every network, so shares are posted to the local sink.
  The product's registry is not changed; only these processes see the sink.
"""

from __future__ import annotations

from typing import Any

from celery.signals import worker_process_init

from advocacy.celery import app

__all__ = ["app"]


@app.task(name="bench.noop", acks_late=True, ignore_result=True, queue="posting")
def noop() -> None:
    return None


def use_sink(**_: Any) -> None:
    from advocacy.networks import registry
    from advocacy.sharing.engine import batch
    from bench import sinkclient

    registry.get_client = sinkclient.get_client  # type: ignore[assignment]
    batch.get_client = sinkclient.get_client  # type: ignore[assignment]


worker_process_init.connect(use_sink)
