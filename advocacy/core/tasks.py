from celery import shared_task

from advocacy.core import services


@shared_task(name="core.heartbeat", ignore_result=True)
def heartbeat() -> None:
    services.heartbeat_record(name="worker")


@shared_task(name="core.complete_task_probe", acks_late=True, ignore_result=True)
def complete_task_probe(probe_id: int) -> None:
    services.task_probe_complete(probe_id=probe_id)
