"""Content-Security-Policy: one strict policy on every page, no inline script, style
or event handler anywhere Candor renders, htmx configured to need neither, and a
relaxed policy on the API documentation pages only."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.test_configuration import manage

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"'self'", "'none'", "data:"}
PAGES = {
    "employee": ["/", "/feed/", "/shares/", "/connections/", "/my-data/", "/notifications/", "/programme/"],
    "author": ["/comms/", "/comms/drafts/new/"],
    "reviewer": ["/comms/review/"],
    "admin_user": ["/people/", "/audit/", "/programme/participation/", "/diagnostics/"],
}


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


class InlineCode(HTMLParser):
    """Collects whatever a strict policy would block: inline scripts, <style>
    elements, style="" attributes, on*="" handlers and javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.meta: dict[str, str] = {}
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.scripts.append(attributes["src"] or "")
            elif attributes.get("type") != "application/json":  # a data block, never run
                self.found.append(f"inline <script> {attributes}")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "meta" and attributes.get("name"):
            self.meta[attributes["name"] or ""] = attributes.get("content") or ""
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f'<{tag} {name}="{value}">')
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f'<{tag} {name}="{value}">')


def inline_code(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    return parser


def test_every_page_gets_the_strict_policy(client, employee):
    client.force_login(employee)

    directives = policy(client.get("/"))

    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    sources = {source for values in directives.values() for source in values}
    assert sources <= KEYWORDS, f"no other origins and no unsafe-* keywords: {sources - KEYWORDS}"


def test_the_sign_in_page_and_json_answers_carry_it_too(client, employee):
    assert "Content-Security-Policy" in client.get("/accounts/login/")
    client.force_login(employee)
    assert policy(client.get("/api/auth/me/"))["default-src"] == ["'self'"]


@pytest.mark.parametrize("role", sorted(PAGES))
def test_pages_render_no_inline_script_or_style(request, client, enrolled, role):
    client.force_login(request.getfixturevalue(role))

    for path in PAGES[role]:
        response = client.get(path)
        assert response.status_code == 200, path
        page = inline_code(response.content.decode())
        assert page.found == [], path
        assert page.scripts and all(src.startswith("/static/") for src in page.scripts), path


def test_htmx_is_served_from_our_origin_and_needs_no_eval_or_inline_style(client, employee):
    client.force_login(employee)

    page = inline_code(client.get("/").content.decode())

    assert any("/static/django_htmx/htmx" in src for src in page.scripts)
    assert json.loads(page.meta["htmx-config"]) == {"allowEval": False, "includeIndicatorStyles": False}


def test_the_mfa_set_up_page_works_under_the_policy(client, reviewer):
    from tests.factories import PASSWORD

    client.force_login(reviewer)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})  # allauth asks before adding MFA

    response = client.get("/accounts/2fa/totp/activate/")

    assert response.status_code == 200
    html = response.content.decode()
    assert inline_code(html).found == []
    assert 'src="data:image/svg+xml;base64,' in html or "<svg" in html  # the QR code: img-src allows data:


def test_no_template_contains_inline_script_style_or_handlers():
    offenders = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        text = template.read_text()
        for tag in re.finditer(r"<script\b([^>]*)>", text):
            if "src=" not in tag.group(1) and 'type="application/json"' not in tag.group(1):
                offenders.append(f"{template.name}: inline <script>")
        if re.search(r"<style\b", text):
            offenders.append(f"{template.name}: <style>")
        for attribute in re.finditer(r"\s(style|on[a-z]+)\s*=", text):
            offenders.append(f"{template.name}: {attribute.group(1)}=")
    assert offenders == []


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_only_the_api_docs_pages_get_the_relaxed_policy(client, employee, path):
    client.force_login(employee)

    docs = client.get(path)
    home = client.get("/")

    assert docs.status_code == 200
    assert "'unsafe-inline'" in policy(docs)["script-src"]
    assert policy(docs)["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy(home)["script-src"]
    assert "'unsafe-inline'" not in policy(client.get("/api/schema/"))["script-src"]


def test_sso_providers_are_allowed_as_form_targets(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "advocacy.settings.test",
        "OIDC_SERVER_URL": "https://login.example.com/tenant/v2.0",
        "OIDC_CLIENT_ID": "candor",
        "OIDC_CLIENT_SECRET": "not-a-real-secret",
    }

    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])",
        env=env,
        tmp_path=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[\"'self'\", 'https://login.example.com']"
