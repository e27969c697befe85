"""Audit exports: filtered, streamed, carrying their chain head, audited themselves."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.db import transaction

from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent, AuditExportJob
from advocacy.audit.services import audit_record
from advocacy.audit.verify import audit_verify
from advocacy.portal import oversight

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(employee, other_employee):
    with transaction.atomic():
        for index in range(5):
            audit_record(actor=employee, action=AuditAction.SETTINGS_CHANGED, subject=employee, new={"i": index})
        for index in range(3):
            audit_record(actor=other_employee, action=AuditAction.DRAFT_CREATED, new={"i": index})


def _stream(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_a_small_export_streams_csv_with_its_chain_head(client, admin_user, events):
    client.force_login(admin_user)
    response = client.post("/audit/export/", {"action": "settings.changed", "format": "csv"})

    body = _stream(response)
    first, *rest = body.splitlines()
    rows = list(csv.DictReader(io.StringIO("\n".join(rest))))
    assert response.status_code == 200
    assert len(rows) == 5
    assert all(row["action"] == "settings.changed" for row in rows)
    sequence, digest = response["X-Candor-Chain-Head"].split(":")
    assert f"chain_head_sequence={sequence}; chain_head_hash={digest}" in first
    assert audit_verify(expect_head=(int(sequence), digest)).ok
    assert AuditEvent.objects.filter(action="audit.exported", actor=admin_user).count() == 1


def test_jsonl_export_filters_by_person(client, admin_user, employee, events):
    client.force_login(admin_user)
    response = client.post("/audit/export/", {"employee": employee.pk, "format": "jsonl"})

    lines = [json.loads(line) for line in _stream(response).splitlines()]
    assert "chain_head_hash" in lines[0]["_meta"]
    assert {line["subject_id"] for line in lines[1:]} == {employee.pk}
    assert [line["new"]["i"] for line in lines[1:]] == [0, 1, 2, 3, 4]


def test_a_large_export_runs_as_a_job_with_progress(
    client, admin_user, events, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(oversight, "DIRECT_EXPORT_MAX_ROWS", 3)
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/audit/export/", {"format": "csv"})
    job = AuditExportJob.objects.get()
    page = client.get(response["Location"]).content.decode()
    download = client.get(f"/audit/jobs/{job.pk}/download/")

    assert job.state == "done"  # tests run Celery eagerly
    assert 'value="100"' in page and "Download" in page
    content = b"".join(download.streaming_content).decode()
    assert content.count("\n") == job.total + 2  # comment line + header + one line per event


def test_only_auditors_export(client, employee, events):
    client.force_login(employee)
    assert client.post("/audit/export/", {"format": "csv"}).status_code == 403
    assert client.get("/audit/").status_code == 403


def test_command_line_export(events, tmp_path, capsys):
    target = tmp_path / "audit.jsonl"
    call_command("audit_export", "--since", "2000-01-01", "--format", "jsonl", "--output", str(target))
    lines = target.read_text().splitlines()
    assert json.loads(lines[0])["_meta"]["format"] == "candor-audit-jsonl-v1"
    assert len(lines) == 1 + 8 + 1  # meta, events, and the export's own event


def test_export_memory_does_not_depend_on_rows(events, django_assert_max_num_queries):
    """Rows come from a chunked iterator: the query count is fixed, not one per row."""
    from advocacy.audit.export import ExportFilters, export_lines

    with django_assert_max_num_queries(3):
        lines = list(export_lines(filters=ExportFilters(), fmt="csv", head=(8, "x" * 64)))
    assert len(lines) == 2 + 8
