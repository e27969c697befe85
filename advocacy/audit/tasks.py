from celery import shared_task

from advocacy.audit import checkpoints, jobs


@shared_task(name="audit.run_export", acks_late=True, ignore_result=True, soft_time_limit=3300, time_limit=3600)
def run_audit_export(job_id: int) -> None:
    jobs.audit_export_job_run(job_id=job_id)


@shared_task(name="audit.checkpoint", ignore_result=True, soft_time_limit=600, time_limit=660)
def audit_checkpoint() -> None:
    """Beat: sign and witness a checkpoint when events were added since the last one."""
    if checkpoints.checkpoint_due():
        checkpoints.checkpoint_create(actor=None)
