"""The hand-back receipt as a PDF, read back as a person (or their lawyer) would: the
text extracted from the file, in the person's language and time zone, names and
arrows as written, and the audit proof with the JSON receipt attached."""

import datetime as dt
import hashlib
import io
import json
import logging
from zoneinfo import ZoneInfo

import pypdf
import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from advocacy.audit.keys import signing_key
from advocacy.ledger.models import Offboarding
from advocacy.ledger.offboarding import hand_back_run, offboarding_start
from advocacy.ledger.receipt import receipt_build, receipt_pdf
from tests.support.scenario import connect

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def squashed(text: str) -> str:
    """Extracted text with line breaks and runs of spaces as single spaces."""
    return " ".join(text.split())


@pytest.fixture
def handed_back(enrolled, admin_user, networks):
    enrolled.display_name = "Łukasz Żółć-Nguyễn"
    enrolled.time_zone = "Europe/Rome"
    enrolled.language = "de"
    enrolled.save()
    connect(enrolled, handle="lukasz.test")
    case = offboarding_start(actor=admin_user, user_id=enrolled.pk, successors={})
    return hand_back_run(offboarding_id=case.pk)


def fixed_times(receipt: dict) -> dict:
    return {
        **receipt,
        "started_at": "2026-12-03T13:05:00+00:00",
        "completed_at": "2026-12-03T14:30:00+00:00",
        "accounts": [
            {**account, "action_needed": "Bluesky: Settings → Privacy and security → App passwords"}
            for account in receipt["accounts"]
        ],
    }


def test_names_and_arrows_print_as_written_in_the_persons_language_and_time_zone(handed_back):
    receipt = fixed_times(receipt_build(offboarding=handed_back))
    text = pdf_text(receipt_pdf(receipt=receipt))
    assert "Łukasz Żółć-Nguyễn" in text
    assert "Settings → Privacy and security → App passwords" in squashed(text)
    assert "?" not in text.replace("https://", "")
    # 14:30 UTC is 15:30 in Rome, written as German dates are.
    assert "3. Dez 2026, 15:30" in squashed(text)
    assert "Konten" in text and "Abgeschlossen" in text
    assert "Europe/Rome" in text


def test_the_receipt_follows_a_given_language_and_time_zone(handed_back):
    receipt = fixed_times(receipt_build(offboarding=handed_back))
    text = squashed(pdf_text(receipt_pdf(receipt=receipt, time_zone="Asia/Jakarta", language="id")))
    jakarta = dt.datetime(2026, 12, 3, 21, 30, tzinfo=ZoneInfo("Asia/Jakarta"))  # 14:30 UTC
    with translation.override("id"), timezone.override(jakarta.tzinfo):
        assert date_format(jakarta, "DATETIME_FORMAT") in text
    assert "Selesai" in text and "Asia/Jakarta" in text


def test_without_a_unicode_font_the_receipt_still_prints_and_says_why_in_the_log(
    handed_back, settings, tmp_path, caplog
):
    settings.CANDOR_RECEIPT_FONT_DIR = str(tmp_path)  # no DejaVu here
    receipt = fixed_times(receipt_build(offboarding=handed_back))
    with caplog.at_level(logging.WARNING, logger="advocacy.ledger.receipt"):
        content = receipt_pdf(receipt=receipt)
    assert content.startswith(b"%PDF")
    assert "Settings -> Privacy and security" in squashed(pdf_text(content))
    assert "fonts-dejavu-core" in caplog.text


def test_the_downloaded_pdf_carries_the_signed_checkpoint_its_fingerprint_and_the_json_with_every_proof(
    handed_back, client, admin_user
):
    client.force_login(admin_user)
    response = client.get(f"/offboarding/{handed_back.pk}/receipt.pdf")
    assert response.status_code == 200
    text = squashed(pdf_text(response.content))
    key = signing_key().verifier
    fingerprint = "SHA256:" + hashlib.sha256(key.public_key).hexdigest()
    assert "Audit-Nachweis" in text  # the person reads German
    assert key.key_id.hex() in text and fingerprint in text
    assert "/.well-known/candor-audit-key" in text and "candor_verify.py" in text

    attachments = pypdf.PdfReader(io.BytesIO(response.content)).attachments
    [name] = attachments
    assert name == f"candor-hand-back-receipt-{handed_back.pk}.json"
    attached = json.loads(attachments[name][0])
    proof = attached["audit_proof"]
    signed = squashed(proof["checkpoint"])
    assert signed in text  # the signed checkpoint, printed verbatim (its em dash too)
    assert set(proof["proofs"]) == {str(event["sequence"]) for event in proof["events"]}
    for event in proof["events"]:
        assert f"#{event['sequence']} " in text


def test_a_receipt_of_an_unfinished_case_still_renders(handed_back):
    Offboarding.objects.filter(pk=handed_back.pk).update(completed_at=None)
    handed_back.refresh_from_db()
    assert receipt_pdf(receipt=receipt_build(offboarding=handed_back)).startswith(b"%PDF")
