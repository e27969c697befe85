"""Audit exports: filtered, streamed, carrying their chain head, audited themselves."""

import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from advocacy.audit import export
from advocacy.audit.actions import AuditAction
from advocacy.audit.context import audit_context
from advocacy.audit.export import COLUMNS, FORMATS, ExportFilters, export_chunks, filtered_events
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
    first, *rest, proof = body.splitlines()
    rows = list(csv.DictReader(io.StringIO("\n".join(rest))))
    assert proof.startswith("# candor audit proof: ")
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
    assert {line["subject_id"] for line in lines[1:-1]} == {employee.pk}
    assert [line["new"]["i"] for line in lines[1:-1]] == [0, 1, 2, 3, 4]
    assert set(lines[-1]["_proof"]["proofs"]) == {str(line["sequence"]) for line in lines[1:-1]}


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
    assert content.count("\n") == job.total + 3  # comment line + header + one line per event + the proof


def test_only_auditors_export(client, employee, events):
    client.force_login(employee)
    assert client.post("/audit/export/", {"format": "csv"}).status_code == 403
    assert client.get("/audit/").status_code == 403


def test_command_line_export(events, tmp_path, capsys):
    target = tmp_path / "audit.jsonl"
    call_command("audit_export", "--since", "2000-01-01", "--format", "jsonl", "--output", str(target))
    lines = target.read_text().splitlines()
    assert json.loads(lines[0])["_meta"]["format"] == "candor-audit-jsonl-v2"
    assert len(lines) == 1 + 8 + 1 + 1  # meta, events, the export's own event, and its proof


def _export(fmt, head, filters=None):
    return "".join(export_chunks(filters=filters or ExportFilters(), fmt=fmt, head=(head, "x" * 64)))


def test_an_export_streams_in_pieces_whatever_its_size(events, monkeypatch):
    """Memory holds one piece: at most CHUNK events (ORM) or BATCH sequence numbers
    (COPY), and the connection is free between pieces (the export job reports progress)."""
    monkeypatch.setattr(export, "CHUNK", 3)
    monkeypatch.setattr(export, "BATCH", 3)
    pieces = []
    for piece in export_chunks(filters=ExportFilters(), fmt="csv", head=(8, "x" * 64)):
        pieces.append(piece)
        assert AuditEvent.objects.count() == 8

    assert [piece.count("\n") for piece in pieces] == [2, 3, 3, 2, 1]  # header, events, proof
    assert all(piece.endswith("\n") for piece in pieces)


def test_the_csv_format(events, employee):
    """LF line ends, created_at in UTC with microseconds, empty for null and for "",
    old/new as JSON."""
    content = _export("csv", 8)
    comment, *lines, proof, end = content.split("\n")
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    assert proof.startswith("# candor audit proof: ") and end == ""

    assert "\r" not in content and content.endswith("\n")
    assert comment == f"# candor audit export; chain_head_sequence=8; chain_head_hash={'x' * 64}"
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == 8
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", row["created_at"]) for row in rows)
    assert rows[0]["actor_email"] == employee.email and rows[0]["subject_id"] == str(employee.pk)
    assert rows[5]["subject_id"] == "" and rows[0]["task_id"] == ""
    assert [json.loads(row["new"]) for row in rows[:5]] == [{"i": i} for i in range(5)]
    assert json.loads(rows[0]["old"]) == {}


# Everything a CSV or JSON writer must escape, in the free-text places of an event.
AWKWARD = 'comma, "quote" back\\slash \\N tab\there\nline\rcr \x01\x1f ü ✓ – \u2028'


@pytest.fixture
def awkward_events(employee):
    with transaction.atomic():
        with audit_context(via="api", request_id=AWKWARD[:64]):
            audit_record(
                actor=employee,
                action=AuditAction.SETTINGS_CHANGED,
                subject=employee,
                old={"text": AWKWARD, "nested": {"b": [1, None, True, -2.5], "a": ""}, "": "empty key"},
                new={"big": 10**20, "z": "", "a": {"deep": {"er": [AWKWARD]}}},
            )
        with audit_context(via="worker", task_id=AWKWARD[:64]):
            audit_record(actor=None, action=AuditAction.DIAGNOSTIC_PROBE)
    return list(AuditEvent.objects.order_by("sequence"))


def test_awkward_values_come_back_from_both_formats(awkward_events):
    csv_rows = list(csv.DictReader(io.StringIO(_export("csv", 2).split("\n", 1)[1].rpartition("# candor audit")[0])))
    jsonl_rows = [json.loads(line) for line in _export("jsonl", 2).split("\n")[1:-2]]  # not splitlines(): U+2028

    for event, row, record in zip(awkward_events, csv_rows, jsonl_rows, strict=True):
        assert record["request_id"] == row["request_id"] == event.request_id
        assert record["task_id"] == row["task_id"] == event.task_id
        assert record["old"] == json.loads(row["old"]) == event.payload["old"]
        assert record["new"] == json.loads(row["new"]) == event.payload["new"]
        assert record["hash"] == row["hash"] == event.hash
    assert jsonl_rows[1]["actor_id"] is None and jsonl_rows[1]["actor_email"] is None
    assert jsonl_rows[0]["actor_email"] == awkward_events[0].actor.email


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares PostgreSQL's COPY path with the ORM's")
@pytest.mark.parametrize("fmt", FORMATS)
def test_postgresql_writes_the_same_bytes_as_python(awkward_events, events, employee, fmt, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 4)  # several COPY statements
    head = AuditEvent.objects.count()
    every_filter = [
        ExportFilters(),
        ExportFilters(actor_id=employee.pk),
        ExportFilters(employee_id=employee.pk),
        ExportFilters(action=AuditAction.DRAFT_CREATED),
        ExportFilters(since=awkward_events[0].created_at, until=awkward_events[1].created_at),
    ]
    for filters in every_filter:
        events = filtered_events(filters=filters, upto_sequence=head)
        from_postgres = "".join(export.postgres_chunks(events, fmt=fmt, upto_sequence=head))
        assert from_postgres == "".join(export.generic_chunks(events, fmt=fmt))
        assert from_postgres.count("\n") >= events.count()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares PostgreSQL's COPY path with the ORM's")
def test_postgresql_writes_numbers_as_it_stores_them(employee):
    """PostgreSQL writes a JSON number with its own digits (1e-07 as 0.0000001), Python
    with float's repr: other bytes, the same value."""
    with transaction.atomic():
        audit_record(actor=employee, action=AuditAction.SETTINGS_CHANGED, new={"f": [1e-07, 0.1, 2.5, 10**30]})
    events = filtered_events(filters=ExportFilters(), upto_sequence=1)
    for fmt in FORMATS:
        from_postgres = "".join(export.postgres_chunks(events, fmt=fmt, upto_sequence=1))
        from_python = "".join(export.generic_chunks(events, fmt=fmt))
        assert from_postgres != from_python
        if fmt == "jsonl":
            assert json.loads(from_postgres) == json.loads(from_python)
        else:
            (row_postgres,), (row_python,) = (
                csv.reader(io.StringIO(from_postgres)),
                csv.reader(io.StringIO(from_python)),
            )
            assert json.loads(row_postgres[12]) == json.loads(row_python[12]) == {"f": [1e-07, 0.1, 2.5, 10**30]}
            assert row_postgres[:12] + row_postgres[13:] == row_python[:12] + row_python[13:]
