"""The manifest, service worker and offline page as the server answers them: right
content types, the root scope, a cache version that follows what is cached, nothing
personal, and the feed marked as keepable offline only for someone taking part."""

from __future__ import annotations

import json
import re

import pytest

from advocacy.portal import pwa
from advocacy.program.services import enrollment_leave

pytestmark = pytest.mark.django_db


def worker_config(client) -> dict:
    script = client.get("/sw.js").content.decode()
    return json.loads(re.search(r"^const CONFIG = (.*);$", script, re.MULTILINE).group(1))


def test_the_manifest_is_served_as_a_manifest_in_the_pages_language(client):
    response = client.get("/manifest.webmanifest?lang=it")

    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["lang"] == "it"
    assert manifest["name"] == "Candor presso Acme Robotics"
    assert manifest["display"] == "standalone"
    assert client.get("/manifest.webmanifest?lang=xx").json()["lang"] == "en"  # unknown: the default


def test_every_page_links_the_manifest_and_the_service_worker(client, enrolled):
    client.force_login(enrolled)
    page = client.get("/feed/").content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest?lang=en">' in page
    assert 'data-service-worker="/sw.js"' in page
    assert 'data-offline-copy="keep"' in page


def test_the_service_worker_has_the_root_scope_and_is_never_stale(client):
    response = client.get("/sw.js")

    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    config = worker_config(client)
    assert config["version"] == pwa.cache_version()
    assert "/offline/?lang=de" in config["shell"]
    assert "/static/css/candor.css" in config["shell"]
    assert config["offlineReadable"] == ["/feed/"]
    assert {"/admin/", "/api/", "/accounts/"} <= set(config["neverCached"])


def test_the_cache_version_changes_when_the_app_shell_changes(monkeypatch):
    before = pwa.cache_version()
    pwa.cache_version.cache_clear()
    monkeypatch.setattr(pwa, "SHELL_STATIC", [*pwa.SHELL_STATIC[1:]])
    try:
        assert pwa.cache_version() != before
    finally:
        pwa.cache_version.cache_clear()


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "You are offline"), ("de", "Sie sind offline"), ("id", "Anda sedang offline"), ("it", "Sei offline")],
)
def test_the_offline_page_speaks_each_language_and_names_no_one(client, enrolled, language, heading):
    client.force_login(enrolled)

    page = client.get(f"/offline/?lang={language}").content.decode()

    assert f"<h1>{heading}</h1>" in page
    assert f'lang="{language}"' in page
    assert enrolled.name not in page and enrolled.email not in page


def test_the_feed_is_kept_offline_only_while_the_person_takes_part(client, enrolled):
    client.force_login(enrolled)
    assert client.get("/feed/")[pwa.OFFLINE_COPY_HEADER] == "keep"

    enrollment_leave(user=enrolled)

    response = client.get("/feed/")
    assert pwa.OFFLINE_COPY_HEADER not in response
    # Shown to someone no longer taking part, the page clears what the browser kept.
    assert 'data-offline-copy="clear"' in client.get("/programme/").content.decode()


def test_signed_out_pages_clear_the_offline_copy(client):
    assert 'data-offline-copy="clear"' in client.get("/accounts/login/").content.decode()
