"""The CSV invitation page on a phone and at desktop size, in all four languages: the
preview's table of lines and problems fits the screen, nothing is left in English,
axe finds nothing, and confirming invites the ready people."""

from __future__ import annotations

import pytest

from accounts.models import User
from tests.browser.test_layout import SIZES, _check, _shot, english_words

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "email,name,team,language,time_zone\n"
    "nina.neumann-mueller-luedenscheid@example.com,Nina Neumann-Müller-Lüdenscheid,Customer Success EMEA,de,"
    "America/Argentina/Buenos_Aires\n"
    "not-an-address,Somebody,,en,UTC\n"
    "kai@example.com,Kai,,klingon,Mars/Olympus\n"
)


@pytest.mark.parametrize("language", ["en", "de", "id", "it"])
def test_the_invitation_preview_fits_a_phone_in_every_language(
    page, live_server, login, axe_check, admin_user, tmp_path, language
):
    english = english_words().get(language, set())
    upload = tmp_path / "people.csv"
    upload.write_text(CSV, encoding="utf-8")
    page.set_extra_http_headers({"Accept-Language": language})
    login(page, admin_user.email)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/people/invite/")
        page.set_input_files("input[type=file]", str(upload))
        page.locator("form[enctype] button[type=submit]").click()
        page.wait_for_selector("#preview-title")
        _check(page, page.url)  # reloads the page: the empty form must fit too
        page.set_input_files("input[type=file]", str(upload))
        page.locator("form[enctype] button[type=submit]").click()
        page.wait_for_selector("#preview-title")
        found = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert found[0] <= found[1], f"the preview is {found[0]} px wide at {found[1]}"
        shown = page.evaluate("() => document.body.innerText")
        assert not sorted(words for words in english if words in shown), f"untranslated in {language}"
        assert page.locator("table.stack tbody tr").count() == 3
        assert page.locator(".errorlist li").count() == 3
        axe_check(page)
        _shot(page, f"{language}-{size}-admin_user-people-invite-preview")
    page.locator("form.actions button").click()
    page.wait_for_selector(".message-success")
    assert User.objects.filter(email="nina.neumann-mueller-luedenscheid@example.com", language="de").exists()
