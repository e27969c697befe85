"""The Content-Security-Policy as Chromium enforces it: pages, htmx and the API docs
still work, and the browser reports no violation. (The journey tests bypass the
policy to inject axe; these do not.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.support.scenario import publish_draft

CHROMIUM = Path("/usr/bin/chromium")
# Playwright's sync API runs an event loop in this thread; the ORM calls between
# browser steps are ordinary blocking calls (as in tests/browser/conftest.py).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists() and os.environ.get("CI") != "true",
        reason="Chromium not installed: apt-get install chromium",
    ),
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture
def strict_page(browser):
    """A page under the real policy, recording every CSP violation the browser reports."""
    context = browser.new_context(bypass_csp=False)
    page = context.new_page()
    page.violations = []
    page.on(
        "console",
        lambda message: page.violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield page
    context.close()


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/**")


def test_htmx_preview_and_pages_work_under_the_policy(strict_page, live_server, enrolled, author, reviewer):
    draft = publish_draft(author, reviewer, networks=["bluesky"])
    page = strict_page
    sign_in(page, live_server.url, enrolled.email)

    for path in ["/", "/feed/", "/shares/", "/connections/", "/my-data/"]:
        page.goto(f"{live_server.url}{path}")
    page.goto(f"{live_server.url}/feed/{draft.pk}/share/")
    expect(page.locator("#preview")).to_contain_text("Ready to post")  # htmx ran, on load
    page.get_by_label("Your post").fill("No disclosure here.")
    expect(page.locator("#preview")).to_contain_text("The disclosure is missing")  # and on input

    assert page.violations == []


def test_the_api_docs_render_under_their_relaxed_policy(strict_page, live_server, employee):
    page = strict_page
    sign_in(page, live_server.url, employee.email)

    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15_000)

    assert page.violations == []


def test_an_injected_inline_script_is_blocked(strict_page, live_server):
    page = strict_page
    page.goto(f"{live_server.url}/accounts/login/")

    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1';"
        " document.body.appendChild(s); }"
    )

    assert page.evaluate("() => window.pwned") is None
    assert any("script-src" in violation for violation in page.violations)


def test_redoc_renders_without_the_outside_fonts_and_logo_it_asks_for(strict_page, live_server, employee):
    page = strict_page
    sign_in(page, live_server.url, employee.email)

    page.goto(f"{live_server.url}/api/redoc/")
    expect(page.get_by_text("Candor API").first).to_be_visible(timeout=15_000)

    # ReDoc links Google Fonts and its own logo on a CDN; no other origin is allowed,
    # so those two are blocked and it falls back to local fonts and no logo.
    blocked = {"fonts.googleapis.com", "cdn.redoc.ly"}
    assert all(any(origin in violation for origin in blocked) for violation in page.violations), page.violations
