"""What admins read is words in their language, not stored codes: audit actions,
targets and paths, the diagnostics, the hand-back page; and counts use plurals."""

from __future__ import annotations

import html
import re

import pytest
from django.utils import translation

from advocacy.ledger.models import Offboarding
from tests.support.scenario import connect, publish_draft

pytestmark = pytest.mark.django_db


def visible(response) -> str:
    assert response.status_code == 200
    body = re.sub(r"<(script|style)\b.*?</\1>", "", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.parametrize(
    ("language", "published", "account", "via"),
    [
        ("en", "Draft published", "Connected account #", "system"),
        ("de", "Entwurf veröffentlicht", "Verbundenes Konto #", "System"),
        ("id", "Draf diterbitkan", "Akun terhubung #", "sistem"),
        ("it", "Bozza pubblicata", "Account collegato #", "sistema"),
    ],
)
def test_the_audit_log_names_actions_targets_and_paths_in_words(
    client, admin_user, author, reviewer, enrolled, language, published, account, via
):
    publish_draft(author, reviewer)
    connect(enrolled)
    client.force_login(admin_user)

    text = visible(client.get("/audit/", HTTP_ACCEPT_LANGUAGE=language))

    assert published in text
    assert account in text
    assert via in text
    for code in ("draft.published", "ledger.connectedaccount", "account.connected", "drafts.draft"):
        assert code not in text


def test_the_audit_filter_offers_actions_by_name(client, admin_user):
    client.force_login(admin_user)

    page = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert '<option value="draft.published">Entwurf veröffentlicht</option>' in page


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("de", ["Datenbank", "Hintergrundprozess", "Audit-Zeugen"]),
        ("id", ["Basis data", "Proses latar belakang", "Saksi audit"]),
        ("it", ["Database", "Processo in background", "Testimoni di audit"]),
    ],
)
def test_diagnostics_name_each_service_in_the_readers_language(client, admin_user, language, words):
    client.force_login(admin_user)

    text = visible(client.get("/diagnostics/", HTTP_ACCEPT_LANGUAGE=language))

    assert [word for word in words if word not in text] == []
    assert "audit_witnesses" not in text


def test_italian_tells_the_programme_and_the_schedule_button_apart():
    with translation.override("it"):
        assert translation.gettext("Schedule") == "Pianifica"
        assert translation.gettext("Home") != "Home"
    with translation.override("id"):
        assert [translation.gettext(w) for w in ("Edit", "Admin", "Total")] == ["Ubah", "Administrasi", "Jumlah"]
    for language in ("de", "id", "it"):
        with translation.override(language):
            assert translation.gettext("Handle") != "Handle"
            assert translation.gettext("Server") != "Server"


@pytest.mark.parametrize(("count", "words"), [(1, "1 scheduled post cancelled."), (3, "3 scheduled posts cancelled.")])
def test_the_hand_back_page_counts_cancelled_posts_in_words(client, admin_user, employee, count, words):
    case = Offboarding.objects.create(
        user=employee, started_by=admin_user, state=Offboarding.State.COMPLETED, cancelled_shares=count
    )
    client.force_login(admin_user)

    text = visible(client.get(f"/offboarding/{case.pk}/"))

    assert words in text
    assert "(s)" not in text


def test_the_hand_back_page_offers_no_receipt_while_it_is_running(client, admin_user, employee):
    case = Offboarding.objects.create(user=employee, started_by=admin_user, state=Offboarding.State.RUNNING)
    client.force_login(admin_user)

    page = client.get(f"/offboarding/{case.pk}/").content.decode()
    receipt = client.get(f"/offboarding/{case.pk}/receipt.pdf")

    assert "receipt.pdf" not in page
    assert 'data-testid="receipt-pending"' in page
    assert 'hx-trigger="every 3s"' in page  # and it keeps itself up to date
    assert receipt.status_code == 302
