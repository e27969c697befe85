from celery import shared_task

from advocacy.audit import jobs


@shared_task(name="audit.run_export", acks_late=True, ignore_result=True, soft_time_limit=3300, time_limit=3600)
def run_audit_export(job_id: int) -> None:
    jobs.audit_export_job_run(job_id=job_id)
