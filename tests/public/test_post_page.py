"""A post's public page tells readers who is speaking, and records nothing about them."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from advocacy.ledger.offboarding import user_deactivate
from advocacy.program.services import enrollment_leave
from advocacy.public.services import public_name_set
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create
from tests.public.conftest import text_for
from tests.support.scenario import connect

pytestmark = pytest.mark.django_db

READER_IP = "203.0.113.77"
READER_AGENT = "ReaderProbe/7.7 (unique-agent-string)"


def read(share: Share, **headers) -> tuple[int, str, object]:
    client = Client(REMOTE_ADDR=READER_IP, HTTP_USER_AGENT=READER_AGENT, **headers)
    response = client.get(f"/p/{share.public_id}")
    return response.status_code, response.content.decode(), response


def test_the_page_says_who_is_speaking_that_they_work_there_and_that_it_is_voluntary(send_share):
    share = send_share("mastodon")
    status, page, _response = read(share)
    assert status == 200
    assert "An employee of Acme Robotics" in page
    assert "the author works at Acme Robotics" in page
    assert "voluntary and unpaid" in page
    assert "Voluntary, always." in page  # the programme's own words, from its policy
    assert "posted the approved text without changing it" in page
    assert "By the comms team" in page
    assert share.external_url in page


def test_the_page_never_names_the_reviewer(send_share, reviewer):
    status, page, _response = read(send_share())
    assert status == 200
    assert reviewer.display_name not in page and reviewer.email not in page


def test_the_page_shows_the_name_the_employee_chose(send_share, enrolled):
    public_name_set(actor=enrolled, name="Emma from Logistics")
    _status, page, _response = read(send_share())
    assert "Emma from Logistics" in page
    assert "An employee of" not in page


def test_the_page_says_when_the_author_edited_the_approved_text(send_share):
    share = send_share(text=text_for("My own words about the robots."))
    assert share.edited
    _status, page, _response = read(share)
    assert "edited the approved text" in page


def test_after_the_person_leaves_the_page_says_only_that_it_was_shared_through_the_programme(send_share, enrolled):
    public_name_set(actor=enrolled, name="Emma from Logistics")
    share = send_share()
    enrollment_leave(user=enrolled)
    _status, page, _response = read(share)
    assert "shared through the employee programme of Acme Robotics" in page
    for fact in ("Emma from Logistics", "An employee of", share.external_url, "By the comms team", "edited"):
        assert fact not in page


def test_after_the_person_is_deactivated_or_erased_the_page_withdraws_too(send_share, enrolled, admin_user):
    share = send_share()
    user_deactivate(actor=admin_user, user_id=enrolled.pk)
    _status, page, _response = read(share)
    assert "shared through the employee programme" in page
    assert share.external_url not in page


def test_a_post_not_sent_has_no_page(enrolled, published, networks):
    account = connect(enrolled, handle="emma.social", network="mastodon")
    share = share_create(employee=enrolled, draft_id=published.pk, account_id=account.pk, text=text_for())
    assert read(share)[0] == 404
    assert Client().get("/p/nosuchpost").status_code == 404


def test_the_page_sets_no_cookie_and_can_be_cached(send_share):
    _status, _page, response = read(send_share())
    assert not response.cookies
    assert "Set-Cookie" not in response.headers
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert "Accept-Language" in response["Vary"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_page_has_open_graph_tags(send_share):
    share = send_share()
    _status, page, _response = read(share)
    assert re.search(rf'<meta property="og:url" content="[^"]*/p/{share.public_id}">', page)
    for tag in ("og:title", "og:description", "og:type", "og:site_name", "og:locale"):
        assert f'property="{tag}"' in page


@pytest.mark.parametrize(
    ("language", "words"),
    [("de", "Wer spricht in diesem Beitrag"), ("id", "Siapa yang berbicara"), ("it", "Chi parla in questo post")],
)
def test_the_page_is_in_the_readers_language(send_share, language, words):
    share = send_share()
    _status, page, response = read(share, HTTP_ACCEPT_LANGUAGE=language)
    assert words in page and response["Content-Language"] == language
    assert words in Client().get(f"/p/{share.public_id}?lang={language}").content.decode()


def test_reading_the_page_stores_neither_the_readers_ip_nor_user_agent(send_share):
    share = send_share()
    before = _rows_mentioning(READER_IP, READER_AGENT)
    for _ in range(2):
        assert read(share)[0] == 200
    Client(REMOTE_ADDR=READER_IP, HTTP_USER_AGENT=READER_AGENT).get("/programme/public/")
    assert _rows_mentioning(READER_IP, READER_AGENT) == before == []


def _rows_mentioning(*needles: str) -> list[tuple[str, str]]:
    """Every table's every text-like column, searched for the reader's traces."""
    found = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            columns = [f.column for f in model._meta.local_fields if f.get_internal_type() in _TEXTY]
            for column in columns:
                for needle in needles:
                    cursor.execute(
                        f'SELECT COUNT(*) FROM "{table}" WHERE CAST("{column}" AS TEXT) LIKE %s', [f"%{needle}%"]
                    )
                    if cursor.fetchone()[0]:
                        found.append((table, column))
    return found


_TEXTY = {"CharField", "TextField", "JSONField", "GenericIPAddressField", "URLField", "EmailField", "SlugField"}
