"""Audit exports: small ones stream straight to the browser, large ones run as a
Celery job that writes a file and reports progress."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.audit.export import FORMATS, HEADER_LINES, ExportFilters, export_chunks, filtered_events
from advocacy.audit.models import AuditChainHead, AuditExportJob
from advocacy.audit.services import audit_export_record
from advocacy.core.errors import NotAllowed, ValidationFailed

PROGRESS_EVERY = 5000


def export_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "audit-exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check(actor: User, fmt: str) -> None:
    if not user_can(actor, Capability.VIEW_AUDIT):
        raise NotAllowed(gettext("Only admins and auditors can export the audit log."))
    if fmt not in FORMATS:
        raise ValidationFailed(
            gettext("Unknown format %(format)s; use csv or jsonl.") % {"format": repr(fmt)},
            fields={"format": [gettext("Use csv or jsonl.")]},
        )


def export_size(*, filters: ExportFilters) -> int:
    head = AuditChainHead.objects.filter(pk=1).values_list("sequence", flat=True).first() or 0
    return filtered_events(filters=filters, upto_sequence=head).count()


def audit_export_direct(*, actor: User, filters: ExportFilters, fmt: str) -> tuple[tuple[int, str], Iterator[str]]:
    """Record the export and return (head, iterator of the file's pieces) for a streaming response."""
    _check(actor, fmt)
    head = audit_export_record(actor=actor, filters=filters.as_json(), fmt=fmt, rows=export_size(filters=filters))
    return head, export_chunks(filters=filters, fmt=fmt, head=head)


def audit_export_job_start(*, actor: User, filters: ExportFilters, fmt: str) -> AuditExportJob:
    from advocacy.audit.tasks import run_audit_export

    _check(actor, fmt)
    total = export_size(filters=filters)
    head = audit_export_record(actor=actor, filters=filters.as_json(), fmt=fmt, rows=total)
    with transaction.atomic():
        job = AuditExportJob.objects.create(
            requested_by=actor,
            format=fmt,
            filters=filters.as_json(),
            head_sequence=head[0],
            head_hash=head[1],
            total=total + 1,
        )
        # celery-types types shared_task as a plain Task; with Django, Celery's task class is DjangoTask.
        run_audit_export.delay_on_commit(job.pk)  # type: ignore[attr-defined]
    return job


def audit_export_job_run(*, job_id: int) -> AuditExportJob | None:
    """Write the file. Idempotent: a job that is already done is left alone; a job
    that was interrupted starts its file again from the top."""
    job = AuditExportJob.objects.filter(pk=job_id).first()
    if job is None or job.state == AuditExportJob.State.DONE:
        return job
    job.state, job.processed = AuditExportJob.State.RUNNING, 0
    job.file_name = f"candor-audit-{job.pk}-upto-{job.head_sequence}.{job.format}"
    job.save(update_fields=["state", "processed", "file_name"])
    target = export_dir() / job.file_name
    try:
        with open(target, "w", encoding="utf-8", newline="") as out:
            pieces = export_chunks(
                filters=ExportFilters.from_json(job.filters), fmt=job.format, head=(job.head_sequence, job.head_hash)
            )
            lines = reported = 0
            for piece in pieces:
                out.write(piece)
                lines += piece.count("\n")
                if lines - reported >= PROGRESS_EVERY:
                    # Lines are events (a CSV cell may hold a line break, so capped at the total).
                    reported = lines
                    processed = min(job.total, max(0, lines - HEADER_LINES[job.format]))
                    AuditExportJob.objects.filter(pk=job.pk).update(processed=processed)
    except Exception as exc:
        AuditExportJob.objects.filter(pk=job.pk).update(state=AuditExportJob.State.FAILED, error=str(exc)[:500])
        raise
    AuditExportJob.objects.filter(pk=job.pk).update(
        state=AuditExportJob.State.DONE, processed=job.total, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job
