"""The portal installs as an app on a phone: a valid manifest with fetchable icons, a
service worker that registers, the feed readable offline (read-only), and nothing of
the person's left in the browser after signing out. Chromium at 390x844."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
CANDOR_CACHES = "async () => (await caches.keys()).filter((k) => k.startsWith('candor-'))"
WORKER_READY = """async () => {
  const registration = await navigator.serviceWorker.ready;
  return {script: registration.active.scriptURL, scope: registration.scope};
}"""


def open_feed_on_phone(page, live_server, login, user: User) -> None:
    page.set_viewport_size(PHONE)
    login(page, user.email)
    page.goto(f"{live_server.url}/feed/")


def save_feed_for_offline(page, live_server) -> None:
    """Wait for the worker to take the page over, then open the feed through it once."""
    page.evaluate(WORKER_READY)
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.goto(f"{live_server.url}/feed/")
    page.wait_for_function(
        """async () => {
          for (const key of await caches.keys()) {
            if (!key.startsWith('candor-pages-')) continue;
            if (await (await caches.open(key)).match('/feed/')) return true;
          }
          return false;
        }"""
    )


def test_the_manifest_is_valid_and_its_icons_load(page, live_server, login, account):
    open_feed_on_phone(page, live_server, login, account.owner)

    href = page.locator("link[rel=manifest]").get_attribute("href")
    answer = page.request.get(f"{live_server.url}{href}")
    assert answer.headers["content-type"] == "application/manifest+json"
    manifest = answer.json()
    assert manifest["short_name"] == "Candor"
    assert manifest["name"].startswith("Candor")
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    assert manifest["theme_color"] == page.locator("meta[name=theme-color]").get_attribute("content")
    purposes = set()
    for icon in manifest["icons"]:
        image = page.request.get(f"{live_server.url}{icon['src']}")
        assert image.status == 200
        assert image.headers["content-type"] == "image/png"
        width, height = Image.open(io.BytesIO(image.body())).size
        assert f"{width}x{height}" == icon["sizes"]
        purposes.add((icon["sizes"], icon["purpose"]))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes


def test_the_feed_opens_offline_read_only(page, live_server, login, account, published, shoot):
    User.objects.filter(pk=account.owner_id).update(language="de")
    open_feed_on_phone(page, live_server, login, account.owner)

    worker = page.evaluate(WORKER_READY)
    assert worker == {"script": f"{live_server.url}/sw.js", "scope": f"{live_server.url}/"}
    save_feed_for_offline(page, live_server)

    page.context.set_offline(True)
    page.goto(f"{live_server.url}/feed/")

    expect(page.get_by_role("heading", name=published.title)).to_be_visible()
    expect(page.locator("#offline-banner")).to_be_visible()
    expect(page.locator("#offline-banner")).to_contain_text("Sie sind offline")
    share = page.get_by_role("link", name="So teilen")
    expect(share).to_have_attribute("aria-disabled", "true")
    expect(page.locator("select#language-select")).to_be_disabled()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "feed-offline-390x844")

    page.goto(f"{live_server.url}/shares/")  # never saved: the offline page, in German
    expect(page.get_by_role("heading", name="Sie sind offline")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "offline-page-390x844")

    page.context.set_offline(False)
    page.goto(f"{live_server.url}/feed/")
    expect(page.locator("#offline-banner")).to_be_hidden()
    expect(page.get_by_role("link", name="So teilen")).not_to_have_attribute("aria-disabled", "true")


def test_signing_out_clears_the_saved_feed(page, live_server, login, account, published):
    open_feed_on_phone(page, live_server, login, account.owner)
    save_feed_for_offline(page, live_server)
    assert page.evaluate(CANDOR_CACHES)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/accounts/**")

    assert page.evaluate(CANDOR_CACHES) == []
    page.context.set_offline(True)
    # Nothing saved is left to answer with: the browser's own "no connection" page.
    with pytest.raises(PlaywrightError, match="ERR_"):
        page.goto(f"{live_server.url}/feed/")
    expect(page.get_by_text(published.title)).to_have_count(0)


def test_push_is_offered_off_per_device_on_a_phone(page, live_server, login, account, axe_check):
    page.set_viewport_size(PHONE)
    login(page, account.owner.email)
    page.goto(f"{live_server.url}/notifications/settings/")

    expect(page.get_by_role("button", name="Turn on for this device")).to_be_visible()
    expect(page.get_by_text("Push notifications are on for this device.")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    axe_check(page)
