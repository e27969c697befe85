"""Links in posts and emails point at a server that answers: the site URL follows the
port `make run` serves, and production refuses to share without an https site URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from advocacy.sharing.models import Share

ROOT = Path(__file__).resolve().parents[2]


def _site_url(env: dict[str, str], tmp_path: Path) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"CANDOR_SITE_URL", "PORT", "CANDOR_HOST"}}
    code = "from django.conf import settings; import django; django.setup(); print(settings.CANDOR_SITE_URL)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "advocacy.settings.dev", "CANDOR_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_make_run_on_another_port_puts_that_port_in_links(tmp_path):
    assert _site_url({"PORT": "8101"}, tmp_path) == "http://127.0.0.1:8101"
    assert _site_url({"PORT": "8101", "CANDOR_HOST": "0.0.0.0"}, tmp_path) == "http://127.0.0.1:8101"


def test_an_explicit_site_url_wins_over_the_port(tmp_path):
    assert _site_url({"PORT": "8101", "CANDOR_SITE_URL": "https://candor.example.com/"}, tmp_path) == (
        "https://candor.example.com"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("site_url", ["http://candor.example.com", "http://127.0.0.1:8000"])
def test_production_refuses_to_share_until_the_site_url_is_https(client, settings, account, published, site_url):
    settings.CANDOR_REQUIRE_HTTPS_SITE_URL = True
    settings.CANDOR_SITE_URL = site_url
    client.force_login(account.owner)

    response = client.post(
        f"/feed/{published.pk}/share/",
        {"text": "#employee · I work at Acme Robotics.\n\nRobots!", "accounts": [str(account.pk)], "when": "now"},
    )

    assert response.status_code == 200
    assert "CANDOR_SITE_URL" in response.content.decode()
    assert "https://" in response.content.decode()
    assert not Share.objects.exists()


@pytest.mark.django_db
def test_production_shares_once_the_site_url_is_https(client, settings, account, published):
    settings.CANDOR_REQUIRE_HTTPS_SITE_URL = True
    settings.CANDOR_SITE_URL = "https://candor.example.com"
    client.force_login(account.owner)

    response = client.post(
        f"/feed/{published.pk}/share/",
        {"text": "#employee · I work at Acme Robotics.\n\nRobots!", "accounts": [str(account.pk)], "when": "now"},
    )

    assert response.status_code == 302
    assert Share.objects.count() == 1
