"""The standalone verifier, run as an auditor would: a separate Python process in
isolated mode (-I) that can import neither Django nor Candor, given a real export or
a real hand-back receipt and the page at /.well-known/candor-audit-key."""

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cryptography
import pytest
from django.core.management import call_command
from django.db import transaction

import advocacy.audit.standalone.candor_verify as verifier_module
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.audit.services import audit_record
from advocacy.ledger.models import Offboarding

pytestmark = pytest.mark.django_db


@pytest.fixture
def offline(tmp_path, client):
    """Run candor_verify.py from a copy in an empty folder, with only `cryptography`
    importable, against the public key page saved to a file."""
    folder = tmp_path / "auditor"
    folder.mkdir()
    script = folder / "candor_verify.py"
    shutil.copy(verifier_module.__file__, script)
    crypto_only = tmp_path / "site"
    crypto_only.mkdir()
    (crypto_only / "cryptography").symlink_to(Path(cryptography.__file__).parent)
    for dependency in ("cffi", "_cffi_backend"):  # cryptography's own runtime dependency, if present
        for found in Path(cryptography.__file__).parent.parent.glob(f"{dependency}*"):
            (crypto_only / found.name).symlink_to(found)
    key = folder / "candor-audit-key.json"
    key.write_bytes(client.get("/.well-known/candor-audit-key").content)

    def run(path):
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(crypto_only)}
        # -I ignores PYTHONPATH and -S the virtualenv's site-packages (where Django is),
        # so the one allowed folder goes in through -c, with the script as argv.
        code = (
            f"import sys, runpy; sys.path.insert(0, {str(crypto_only)!r}); sys.argv = sys.argv[1:]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')"
        )
        return subprocess.run(
            [sys.executable, "-I", "-S", "-c", code, str(script), "--key", str(key), str(path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=folder,
            timeout=60,
        )

    return run


@pytest.fixture
def events(employee):
    with transaction.atomic():
        for index in range(7):
            audit_record(
                actor=employee, action=AuditAction.SETTINGS_CHANGED, subject=employee, new={"i": index, "ü": "é"}
            )


def test_the_verifier_cannot_import_django(offline, tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import django\n")
    script = Path(verifier_module.__file__).read_text()
    assert "django" not in script.lower().replace("no django", "")
    result = subprocess.run([sys.executable, "-I", "-S", str(probe)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode != 0 and "No module named 'django'" in result.stderr


def test_a_real_export_verifies_offline_and_any_changed_byte_fails(events, offline, tmp_path):
    export = tmp_path / "audit.jsonl"
    call_command("audit_export", "--format", "jsonl", "--output", str(export))
    result = offline(export)
    assert result.returncode == 0, result.stderr
    assert "OK: export verified; 8 events are in checkpoint" in result.stdout

    lines = export.read_text().split("\n")
    changed = tmp_path / "changed.jsonl"
    changed.write_text("\n".join([*lines[:3], lines[3].replace('"i": 2', '"i": 3'), *lines[4:]]))
    result = offline(changed)
    assert result.returncode == 1 and "event #3 was changed" in result.stderr

    proof = json.loads(lines[-2])
    node = proof["_proof"]["proofs"]["4"][0]
    proof["_proof"]["proofs"]["4"][0] = ("0" if node[0] != "0" else "1") + node[1:]
    changed.write_text("\n".join([*lines[:-2], json.dumps(proof), ""]))
    result = offline(changed)
    assert result.returncode == 1 and "event #4 is not in the signed checkpoint" in result.stderr

    proof = json.loads(lines[-2])
    body, _, signature = proof["_proof"]["checkpoint"].rpartition(" ")
    raw = bytearray(base64.b64decode(signature))
    raw[10] ^= 1
    proof["_proof"]["checkpoint"] = f"{body} {base64.b64encode(bytes(raw)).decode()}\n"
    changed.write_text("\n".join([*lines[:-2], json.dumps(proof), ""]))
    result = offline(changed)
    assert result.returncode == 1 and "signature" in result.stderr and "invalid" in result.stderr


def test_a_real_receipt_verifies_offline_and_any_changed_byte_fails(
    events, employee, admin_user, client, offline, tmp_path
):
    case = Offboarding.objects.create(
        user=employee, started_by=admin_user, state=Offboarding.State.COMPLETED, receipt={"accounts": []}
    )
    client.force_login(employee)
    response = client.get(f"/offboarding/{case.pk}/receipt.json")
    assert response.status_code == 200
    receipt = json.loads(response.content)
    assert "candor_verify.py" in receipt["audit_proof"]["how_to_verify"]
    saved = tmp_path / "receipt.json"
    saved.write_bytes(response.content)
    result = offline(saved)
    assert result.returncode == 0, result.stderr
    listed = AuditEvent.objects.filter(subject=employee).count()  # the 7 above and the sign-in
    assert f"OK: receipt verified; {listed} events" in result.stdout

    text = response.content.decode()
    changed = tmp_path / "changed.json"
    changed.write_text(text.replace('"i": 5', '"i": 6', 1))
    result = offline(changed)
    assert result.returncode == 1 and "event #6 was changed" in result.stderr

    receipt["audit_proof"]["proofs"]["2"] = receipt["audit_proof"]["proofs"]["2"][1:]
    changed.write_text(json.dumps(receipt))
    result = offline(changed)
    assert result.returncode == 1 and "event #2 is not in the signed checkpoint" in result.stderr


def test_the_public_key_page_needs_no_login(client):
    response = client.get("/.well-known/candor-audit-key")
    assert response.status_code == 200
    key = response.json()["keys"][0]
    assert key["status"] == "current" and key["fingerprint"].startswith("SHA256:")
    assert key["verifier_key"].startswith("127.0.0.1:8000/audit+" + key["key_id"] + "+")


def test_the_json_attached_to_the_pdf_receipt_verifies_offline(events, employee, admin_user, client, offline, tmp_path):
    import io

    import pypdf

    case = Offboarding.objects.create(user=employee, started_by=admin_user, state=Offboarding.State.COMPLETED)
    client.force_login(employee)
    response = client.get(f"/offboarding/{case.pk}/receipt.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    [(name, [attached])] = pypdf.PdfReader(io.BytesIO(response.content)).attachments.items()
    saved = tmp_path / name
    saved.write_bytes(attached)
    result = offline(saved)
    assert result.returncode == 0, result.stderr
    assert "OK: receipt verified" in result.stdout
    saved.write_bytes(attached.replace(b'"i": 4', b'"i": 9', 1))
    result = offline(saved)
    assert result.returncode == 1 and "event #5 was changed" in result.stderr


def test_a_real_csv_export_verifies_offline_and_any_changed_byte_fails(events, offline, tmp_path):
    export = tmp_path / "audit.csv"
    call_command("audit_export", "--format", "csv", "--output", str(export))
    result = offline(export)
    assert result.returncode == 0, result.stderr
    assert "OK: export verified; 8 events are in checkpoint" in result.stdout

    content = export.read_bytes()
    changed = tmp_path / "changed.csv"
    changed.write_bytes(content.replace(b'{""i"": 2', b'{""i"": 3', 1))
    result = offline(changed)
    assert result.returncode == 1 and "event #3 was changed" in result.stderr

    body, _, trailer = content.rstrip(b"\n").rpartition(b"\n")
    proof = json.loads(base64.b64decode(trailer.split(b": ", 1)[1]))
    node = proof["proofs"]["4"][0]
    proof["proofs"]["4"][0] = ("0" if node[0] != "0" else "1") + node[1:]
    changed.write_bytes(body + b"\n# candor audit proof: " + base64.b64encode(json.dumps(proof).encode()) + b"\n")
    result = offline(changed)
    assert result.returncode == 1 and "event #4 is not in the signed checkpoint" in result.stderr

    changed.write_bytes(body + b"\n")
    result = offline(changed)
    assert result.returncode == 1 and "no proof" in result.stderr


def test_awkward_text_survives_the_csv_round_trip_to_the_verifier(employee, offline, tmp_path):
    awkward = 'comma, "quote" back\\slash tab\there\nline\rcr ü ✓ \u2028'
    with transaction.atomic():
        audit_record(actor=employee, action=AuditAction.SETTINGS_CHANGED, subject=employee, new={"t": awkward})
    export = tmp_path / "audit.csv"
    call_command("audit_export", "--format", "csv", "--output", str(export))
    result = offline(export)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def large_export(monkeypatch):
    """Exports count as large from four events on, so that they carry one multiproof
    instead of a proof per event (the path of exports above 50,000 events)."""
    from advocacy.audit import proofs

    monkeypatch.setattr(proofs, "PER_EVENT_PROOF_LIMIT", 3)
    return proofs


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_large_export_carries_one_multiproof_that_verifies_offline(events, large_export, offline, tmp_path, fmt):
    export = tmp_path / f"audit.{fmt}"
    call_command("audit_export", "--format", fmt, "--output", str(export))
    result = offline(export)
    assert result.returncode == 0, result.stderr
    assert "OK: export verified; 8 events are in checkpoint" in result.stdout
    trailer = export.read_text().rstrip("\n").rpartition("\n")[2]
    proof = json.loads(trailer) if fmt == "jsonl" else json.loads(base64.b64decode(trailer.split(": ", 1)[1]))
    assert "proofs" not in str(proof)  # no per-event proofs: one multiproof for all
    assert "multiproof" in str(proof)


@pytest.mark.parametrize("in_memory", [False, True], ids=["from the cache", "from the whole tree"])
def test_a_large_filtered_export_proves_exactly_the_events_it_lists(
    employee, large_export, offline, tmp_path, in_memory, monkeypatch
):
    if in_memory:
        monkeypatch.setattr(large_export, "CACHED_MULTIPROOF_RUNS", 0)
    with transaction.atomic():
        for index in range(12):  # two kinds of events, interleaved: the export picks one kind
            action = AuditAction.SETTINGS_CHANGED if index % 2 else AuditAction.USER_PREFERENCES_SAVED
            audit_record(actor=employee, action=action, subject=employee, new={"i": index})
    export = tmp_path / "audit.jsonl"
    call_command("audit_export", "--format", "jsonl", "--action", "settings.changed", "--output", str(export))
    result = offline(export)
    assert result.returncode == 0, result.stderr
    assert "OK: export verified; 6 events are in checkpoint" in result.stdout

    lines = export.read_text().split("\n")
    for dropped in (1, len(lines) - 3):  # leave out the first or the last listed event
        changed = tmp_path / "changed.jsonl"
        changed.write_text("\n".join([*lines[:dropped], *lines[dropped + 1 :]]))
        result = offline(changed)
        assert result.returncode == 1 and "not all in the signed checkpoint" in result.stderr

    proof = json.loads(lines[-2])
    node = proof["_proof"]["multiproof"][0]
    proof["_proof"]["multiproof"][0] = ("0" if node[0] != "0" else "1") + node[1:]
    changed.write_text("\n".join([*lines[:-2], json.dumps(proof), ""]))
    result = offline(changed)
    assert result.returncode == 1 and "not all in the signed checkpoint" in result.stderr
