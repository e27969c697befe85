"""Errors look like Candor, in the reader's language, with a way back to the start."""

from __future__ import annotations

import html

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

WORDS = {
    "en": {403: "Not allowed", 404: "Page not found", 500: "Something went wrong", "back": "Back to the start page"},
    "de": {
        403: "Nicht erlaubt",
        404: "Seite nicht gefunden",
        500: "Etwas ist schiefgelaufen",
        "back": "Zurück zur Startseite",
    },
    "id": {
        403: "Tidak diizinkan",
        404: "Halaman tidak ditemukan",
        500: "Terjadi kesalahan",
        "back": "Kembali ke halaman awal",
    },
    "it": {
        403: "Non consentito",
        404: "Pagina non trovata",
        500: "Qualcosa è andato storto",
        "back": "Torna alla pagina iniziale",
    },
}


def _page(response, status: int) -> str:
    assert response.status_code == status
    text = html.unescape(response.content.decode())
    assert "css/candor.css" in text  # the site's layout, not Django's bare page
    assert 'href="/"' in text  # a way back
    return text


@pytest.mark.parametrize("language", list(WORDS))
def test_a_missing_page_is_styled_translated_and_links_back(client, employee, language):
    client.force_login(employee)

    text = _page(client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language), 404)

    assert WORDS[language][404] in text
    assert WORDS[language]["back"] in text
    assert "Sign out" in text if language == "en" else "Sign out" not in text  # the usual navigation


@pytest.mark.parametrize("language", list(WORDS))
def test_a_page_beyond_my_role_is_styled_and_translated(client, employee, language):
    client.force_login(employee)

    text = _page(client.get("/people/", HTTP_ACCEPT_LANGUAGE=language), 403)

    assert WORDS[language][403] in text
    assert WORDS[language]["back"] in text


@pytest.mark.parametrize("language", list(WORDS))
def test_a_server_error_is_styled_and_translated(employee, monkeypatch, language):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("advocacy.portal.employee.my_data_export", broken)
    client = Client(raise_request_exception=False)
    client.force_login(employee)

    text = _page(client.get("/my-data/export.json", HTTP_ACCEPT_LANGUAGE=language), 500)

    assert WORDS[language][500] in text
    assert "boom" not in text
