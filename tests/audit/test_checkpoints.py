"""Signed checkpoints, their witnesses, and verification that does not trust the
database: a database owner who drops the triggers, rewrites history and recomputes
every hash and the head passes the chain walk but not the witnessed checkpoints."""

import base64
import datetime as dt
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from advocacy.audit import checkpoints, keys, merkle, merkle_cache, proofs, triggers
from advocacy.audit.models import AuditCheckpoint, AuditEvent, AuditMerkleNode
from advocacy.audit.standalone.candor_verify import ProofError, VerifierKey, parse_checkpoint
from advocacy.audit.tasks import audit_checkpoint
from advocacy.audit.witnessed import witnessed_verify
from advocacy.core.errors import Conflict
from advocacy.core.health import check_audit_witnesses
from tests.support.audit_history import record, rewrite_history, third_event_rewritten

pytestmark = pytest.mark.django_db


def test_a_checkpoint_is_a_signed_note_kept_by_the_witness(employee, checkpoint, witness_dir):
    record(employee, 3)
    created = checkpoint()
    parsed = parse_checkpoint(created.note, keys.verifier_keys())
    assert parsed.size == 3 and parsed.origin == "127.0.0.1:8000/audit"
    hashes = [bytes.fromhex(h) for h in AuditEvent.objects.values_list("hash", flat=True)]
    assert parsed.root == merkle.root(hashes)
    lines = created.note.split("\n")
    assert lines[3].startswith("time ") and lines[4] == "" and lines[5].startswith("\u2014 127.0.0.1:8000/audit ")
    assert (witness_dir / "000000000003.checkpoint").read_text() == created.note
    assert (witness_dir / "000000000000-000000000003.hashes").read_text().split() == [
        e.hash for e in AuditEvent.objects.order_by("sequence")
    ]
    assert created.witnessed_at is not None and created.witness_failures == []


def test_the_signature_covers_every_line(employee, checkpoint):
    record(employee, 2)
    note = checkpoint().note
    for old, new in [("\n2\n", "\n3\n"), ("time 2", "time 1"), ("/audit\n", "/audits\n")]:
        with pytest.raises(ProofError, match="invalid"):
            parse_checkpoint(note.replace(old, new, 1), keys.verifier_keys())


def test_no_new_events_no_new_checkpoint_and_nothing_overwritten(employee, checkpoint, witness_dir):
    record(employee, 2)
    first = checkpoint()
    assert checkpoints.checkpoint_due() is False
    audit_checkpoint.delay()
    assert checkpoint().pk == first.pk and AuditCheckpoint.objects.count() == 1
    assert sorted(p.name for p in witness_dir.iterdir()) == [
        "000000000000-000000000002.hashes",
        "000000000002.checkpoint",
    ]
    record(employee, 1)
    assert checkpoints.checkpoint_due() is True


def test_the_beat_task_signs_when_events_were_added(employee, django_capture_on_commit_callbacks, witness_dir):
    record(employee, 4)
    with django_capture_on_commit_callbacks(execute=True):
        audit_checkpoint.delay()
    assert (witness_dir / "000000000004.checkpoint").exists()


def test_a_failing_witness_is_loud(employee, checkpoint, settings, tmp_path, caplog):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    settings.CANDOR_AUDIT_WITNESS_DIRS = [str(blocker / "witness")]
    record(employee, 2)
    with caplog.at_level(logging.ERROR):
        created = checkpoint()
    assert created.witnessed_at is None and created.witness_failures
    assert "not witnessed" in caplog.text
    health = check_audit_witnesses()
    assert not health.ok and "does not exist" in health.detail and "not witnessed" in health.detail
    with pytest.raises(CommandError, match="Not witnessed"):
        call_command("audit_checkpoint")


def test_no_witness_at_all_is_a_health_warning(settings):
    settings.CANDOR_AUDIT_WITNESS_DIRS = []
    check = check_audit_witnesses()
    assert not check.ok and "no audit witness" in check.detail


def test_a_healthy_witness_is_reported(employee, checkpoint):
    record(employee, 1)
    checkpoint()
    check = check_audit_witnesses()
    assert check.ok, check.detail


def test_events_waiting_for_their_first_checkpoint_are_healthy_until_it_is_overdue(employee, settings, monkeypatch):
    """A fresh install has events before beat's first checkpoint is due: not a warning.
    Three intervals later, with still no checkpoint, it is."""
    from django.utils import timezone

    settings.CANDOR_CHECKPOINT_INTERVAL = 600
    record(employee, 3)
    fresh = check_audit_witnesses()
    later = timezone.now() + dt.timedelta(seconds=3 * 600 + 1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    overdue = check_audit_witnesses()

    assert fresh.ok, fresh.detail
    assert not overdue.ok and "no checkpoint signed for the newest events" in overdue.detail


def test_events_after_the_newest_checkpoint_are_overdue_from_the_oldest_of_them(
    employee, checkpoint, settings, monkeypatch
):
    from django.utils import timezone

    settings.CANDOR_CHECKPOINT_INTERVAL = 600
    record(employee, 2)
    checkpoint()
    record(employee, 1, start=2)
    soon = timezone.now() + dt.timedelta(seconds=600)
    monkeypatch.setattr("django.utils.timezone.now", lambda: soon)
    assert check_audit_witnesses().ok
    monkeypatch.setattr("django.utils.timezone.now", lambda: soon + dt.timedelta(seconds=1201))
    assert not check_audit_witnesses().ok


def test_the_email_witness_mails_the_checkpoint(employee, checkpoint, settings):
    settings.CANDOR_AUDIT_WITNESS_EMAIL = ["auditors@example.com"]
    record(employee, 2)
    created = checkpoint()
    assert created.witness_failures == []
    assert mail.outbox[-1].to == ["auditors@example.com"] and created.note in mail.outbox[-1].body


def test_a_different_checkpoint_for_the_same_size_is_refused_by_the_witness(employee, checkpoint, witness_dir):
    record(employee, 2)
    created = checkpoint()
    path = witness_dir / "000000000002.checkpoint"
    path.write_text(created.note.replace("time ", "time 1"))  # an older, different one
    created = checkpoint()
    assert any("different checkpoint" in failure for failure in created.witness_failures)


def test_an_untouched_log_verifies_against_its_witness(witnessed, capsys):
    report = witnessed_verify()
    assert report.ok and report.checked == 2 and report.newest_size == 8
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "OK: 8 events verified" in out and "consistent with 2 signed checkpoint(s)" in out


def test_a_rewritten_event_with_every_hash_recomputed_is_caught(witnessed):
    rewrite_history(third_event_rewritten)
    report = witnessed_verify()
    assert not report.ok and report.broken_at == 3
    assert "event #3 differs from the witnessed one" in report.reason
    with pytest.raises(CommandError, match="BROKEN at event #3"):
        call_command("audit_verify")


def test_a_deleted_tail_is_caught(witnessed):
    rewrite_history(lambda events: events[:6])
    report = witnessed_verify()
    assert not report.ok and report.broken_at == 7
    assert "deleted from the end" in report.reason


def test_an_inserted_event_is_caught(witnessed):
    rewrite_history(lambda events: [*events[:4], {**events[0], "action": "draft.approved"}, *events[4:]])
    report = witnessed_verify()
    assert not report.ok and report.broken_at == 5


def test_reordered_events_are_caught(witnessed):
    rewrite_history(lambda events: [events[0], events[2], events[1], *events[3:]])
    report = witnessed_verify()
    assert not report.ok and report.broken_at == 2


def test_a_deleted_checkpoint_row_is_caught(witnessed):
    AuditCheckpoint.objects.filter(tree_size=5).delete()
    report = witnessed_verify()
    assert not report.ok and "checkpoint of 5 events" in report.reason and "deleted" in report.reason


def test_without_the_witness_hashes_the_change_is_bounded_by_checkpoints(witnessed, witness_dir):
    for path in witness_dir.glob("*.hashes"):
        path.unlink()

    def rewrite(events):
        events[6]["target_id"] = "forged"
        return events

    rewrite_history(rewrite)
    report = witnessed_verify()
    assert not report.ok and report.broken_at == 6
    assert "between events #6 and #8" in report.reason


def test_forged_witness_hashes_are_not_trusted(witnessed, witness_dir):
    """An attacker who can write the witness too cannot make it name a wrong event."""
    rewrite_history(lambda events: [{**events[0], "via": "api"}, *events[1:]])
    path = witness_dir / "000000000000-000000000005.hashes"
    path.write_text(
        "".join(h + "\n" for h in AuditEvent.objects.order_by("sequence").values_list("hash", flat=True)[:5])
    )
    report = witnessed_verify()
    assert not report.ok and report.broken_at == 1


def test_a_forged_checkpoint_at_the_witness_is_caught(witnessed, witness_dir):
    path = witness_dir / "000000000008.checkpoint"
    note = path.read_text()
    body, _, signature = note.rpartition("\n\n")
    raw = base64.b64decode(signature.rsplit(" ", 1)[1])
    forged = raw[:4] + bytes([raw[4] ^ 1]) + raw[5:]
    path.write_text(f"{body}\n\n{signature.rsplit(' ', 1)[0]} {base64.b64encode(forged).decode()}\n")
    report = witnessed_verify()
    assert not report.ok and "signature" in report.reason


def test_a_given_checkpoint_file_is_checked(witnessed, tmp_path, capsys):
    first, _ = witnessed
    saved = tmp_path / "mailed.checkpoint"
    saved.write_text(first.note)
    call_command("audit_verify", "--checkpoint", str(saved))
    assert "consistent with 1 signed checkpoint(s); newest: 5 events" in capsys.readouterr().out
    rewrite_history(lambda events: [{**events[0], "request_id": "x"}, *events[1:]])
    with pytest.raises(CommandError, match=r"BROKEN at event #1: .*between events #1 and #5"):
        call_command("audit_verify", "--checkpoint", str(saved))
    saved.write_text(first.note.replace("\n5\n", "\n4\n"))
    with pytest.raises(CommandError, match="signature"):
        call_command("audit_verify", "--checkpoint", str(saved))


def test_a_rewritten_history_is_not_signed(witnessed, employee):
    rewrite_history(lambda events: [{**events[0], "via": "api"}, *events[1:]])
    record(employee, 1, start=8)
    with pytest.raises(Conflict, match="will not sign a rewritten history"):
        checkpoints.checkpoint_create(actor=None)


def test_old_checkpoints_verify_after_a_key_rotation(witnessed, settings):
    old = str(keys.signing_key().verifier)
    settings.CANDOR_AUDIT_SIGNING_KEY = keys.generate_key_text()
    report = witnessed_verify()
    assert not report.ok and "not signed by a known key" in report.reason
    settings.CANDOR_AUDIT_RETIRED_KEYS = [old]
    assert witnessed_verify().ok


def test_the_public_key_and_a_new_key_are_printed(capsys):
    call_command("audit_checkpoint", "--public-key")
    printed = capsys.readouterr().out.strip()
    assert VerifierKey.parse(printed) == keys.signing_key().verifier
    call_command("audit_checkpoint", "--new-key")
    assert len(base64.b64decode(capsys.readouterr().out.strip())) == 32


# --- the cached subtree roots ----------------------------------------------------------


@pytest.fixture
def long_log(employee, checkpoint):
    """600 events, witnessed: two complete runs of 256 events are cached."""
    record(employee, 600)
    return checkpoint()


def test_signing_caches_each_complete_run_of_256_events_and_the_root_is_the_rfc_root(long_log):
    hashes = [bytes.fromhex(h) for h in AuditEvent.objects.order_by("sequence").values_list("hash", flat=True)]
    assert long_log.tree_size == 600
    assert bytes.fromhex(long_log.root_hash) == merkle.root(hashes)
    cached = dict(AuditMerkleNode.objects.filter(level=8).values_list("index", "hash"))
    assert cached == {0: merkle.root(hashes[:256]).hex(), 1: merkle.root(hashes[256:512]).hex()}


def test_proofs_cut_from_the_cache_verify_against_the_signed_root(long_log):
    hashes = list(AuditEvent.objects.order_by("sequence").values_list("hash", flat=True))
    root = bytes.fromhex(long_log.root_hash)
    sequences = [1, 256, 257, 512, 513, 600]
    found = proofs.inclusion_proofs(checkpoint=long_log, sequences=sequences)
    for sequence in sequences:
        path = [bytes.fromhex(node) for node in found[str(sequence)]]
        merkle.verify_inclusion(sequence - 1, 600, bytes.fromhex(hashes[sequence - 1]), path, root)


def test_a_later_checkpoint_extends_the_cache_and_stays_consistent(employee, long_log, checkpoint):
    record(employee, 500, start=600)
    later = checkpoint()
    hashes = [bytes.fromhex(h) for h in AuditEvent.objects.order_by("sequence").values_list("hash", flat=True)]
    assert bytes.fromhex(later.root_hash) == merkle.root(hashes)
    assert AuditMerkleNode.objects.filter(level=8).count() == 1100 // 256
    tree = merkle.Tree(hashes)
    merkle.verify_consistency(
        600, 1100, bytes.fromhex(long_log.root_hash), bytes.fromhex(later.root_hash), tree.consistency_proof(600)
    )
    assert witnessed_verify().ok


def test_the_witness_keeps_every_hash_once_whether_signing_had_read_it_or_not(
    employee, long_log, checkpoint, witness_dir
):
    # The first checkpoint hands the witness the 512 hashes signing read (two cached
    # runs) and reads the other 88; the second reads its 500 from the database.
    record(employee, 500, start=600)
    checkpoint()
    kept = [
        (witness_dir / name).read_text().split()
        for name in ("000000000000-000000000600.hashes", "000000000600-000000001100.hashes")
    ]
    assert kept[0] + kept[1] == list(AuditEvent.objects.order_by("sequence").values_list("hash", flat=True))
    assert len(kept[0]) == 600


def test_a_changed_cached_node_is_reported_by_audit_verify(long_log):
    AuditMerkleNode.objects.filter(level=8, index=1).update(hash="ab" * 32)
    report = witnessed_verify()
    assert not report.ok and report.broken_at == 257
    assert "cached Merkle tree no longer matches the events from event #257" in report.reason
    with pytest.raises(CommandError, match="BROKEN at event #257"):
        call_command("audit_verify")


def test_a_history_rewritten_together_with_its_cache_is_not_signed(long_log, employee):
    def rewrite(events):
        events[299]["payload"] = {"old": {}, "new": {"step": "forged"}}
        return events

    rewrite_history(rewrite)
    AuditMerkleNode.objects.all().delete()
    merkle_cache.merkle_cache_extend(size=600)  # what an owner who knows the cache would do
    record(employee, 1, start=600)
    with pytest.raises(Conflict, match="will not sign a rewritten history"):
        checkpoints.checkpoint_create(actor=None)
    report = witnessed_verify()
    assert not report.ok and report.broken_at == 300


def test_a_log_with_an_event_missing_is_not_signed(employee, checkpoint):
    record(employee, 5)
    triggers.remove_on(connection)
    try:
        AuditEvent.objects.filter(sequence=3).delete()
    finally:
        triggers.install_on(connection)
    with pytest.raises(Conflict, match=r"event #3 is missing from the audit log.*will not sign it"):
        checkpoints.checkpoint_create(actor=None)
