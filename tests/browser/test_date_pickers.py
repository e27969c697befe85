"""The browser draws date pickers in its own locale; Candor reads the chosen moment
back beside each one in the page's language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("language", "month"), [("de", "Dezember"), ("id", "Desember"), ("it", "dicembre")])
def test_the_share_time_is_read_back_in_the_page_language(
    page, live_server, login, account, published, language, month
):
    page.set_extra_http_headers({"Accept-Language": language})
    login(page, account.owner.email)
    page.goto(f"{live_server.url}/feed/{published.pk}/share/")

    page.fill("#id_scheduled_at", "2026-12-02T16:08")

    echo = page.locator('output[for="id_scheduled_at"]')
    expect(echo).to_contain_text(month)
    expect(echo).to_contain_text("2026")
