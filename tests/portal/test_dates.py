"""One date format everywhere: the list and the detail of a share say the same thing,
in the reader's language and time zone, never an ambiguous 12/02/2026."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from advocacy.sharing.services import share_create

pytestmark = pytest.mark.django_db

TEXT = "#employee · I work at Acme Robotics.\n\nRobots!"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "2 Dec 2026, 16:08"),
        ("de", "2. Dez 2026, 16:08"),
        ("id", "2 Des 2026, 16.08"),
        ("it", "2 Dic 2026, 16:08"),
    ],
)
def test_my_shares_and_the_share_page_show_the_same_date(client, account, published, monkeypatch, language, expected):
    owner = account.owner
    owner.time_zone = "Europe/Rome"
    owner.save(update_fields=["time_zone"])
    when = dt.datetime(2026, 12, 2, 15, 8, tzinfo=dt.UTC)  # 16:08 in Rome
    monkeypatch.setattr(timezone, "now", lambda: when - dt.timedelta(days=1))
    share = share_create(employee=owner, draft_id=published.pk, account_id=account.pk, text=TEXT, scheduled_at=when)
    client.force_login(owner)

    listed = html.unescape(client.get("/shares/", HTTP_ACCEPT_LANGUAGE=language).content.decode())
    detail = html.unescape(client.get(f"/shares/{share.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode())

    assert expected in listed
    assert expected in detail
    assert not re.search(r"\b\d{2}/\d{2}/\d{4}\b", listed)
