"""The small things a new user trips over in the first ten minutes."""

from __future__ import annotations

import html
import re

import pytest

from advocacy.drafts import services as drafts
from tests.support.scenario import publish_draft

pytestmark = pytest.mark.django_db


def text(response) -> str:
    assert response.status_code == 200
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_the_sign_in_page_does_not_invite_sign_up_while_it_is_closed(client, settings):
    settings.CANDOR_SIGNUP_OPEN = False
    closed = text(client.get("/accounts/login/"))
    settings.CANDOR_SIGNUP_OPEN = True
    opened = text(client.get("/accounts/login/"))

    assert "sign up" not in closed
    assert "Ask an administrator." in closed
    assert "please sign up first" in opened


def test_notifications_are_in_the_navigation(client, enrolled):
    client.force_login(enrolled)

    nav = client.get("/feed/").content.decode().split('class="mainnav"')[1].split("</nav>")[0]

    assert 'href="/notifications/"' in nav


def test_network_chips_show_names_not_slugs(client, enrolled, author, reviewer):
    publish_draft(author, reviewer, networks=["linkedin", "x"])
    client.force_login(enrolled)

    page = client.get("/feed/").content.decode()

    assert '<span class="badge">LinkedIn</span>' in page
    assert '<span class="badge">X</span>' in page
    assert '<span class="badge">linkedin</span>' not in page


def test_connect_buttons_read_well_for_every_network(client, enrolled):
    client.force_login(enrolled)

    page = text(client.get("/connections/"))

    assert "Connect your X account" in page
    assert "Connect a X" not in page


def test_a_published_post_is_not_labelled_draft_in_analytics(client, author, reviewer):
    draft = publish_draft(author, reviewer)
    client.force_login(author)

    heading = client.get(f"/analytics/drafts/{draft.pk}/").content.decode().split("<h1>")[1].split("</h1>")[0]

    assert "Post" in heading
    assert "Draft" not in heading


def test_the_approve_button_is_disabled_on_my_own_version(client, reviewer, author):
    mine = drafts.draft_create(
        actor=reviewer, title="Mine", content=drafts.DraftContent(body="Hello.", networks=["linkedin"])
    )
    drafts.draft_submit(actor=reviewer, draft_id=mine.pk)
    theirs = drafts.draft_create(
        actor=author, title="Theirs", content=drafts.DraftContent(body="Hello.", networks=["linkedin"])
    )
    drafts.draft_submit(actor=author, draft_id=theirs.pk)
    client.force_login(reviewer)

    own = client.get(f"/comms/drafts/{mine.pk}/").content.decode()
    other = client.get(f"/comms/drafts/{theirs.pk}/").content.decode()

    assert re.search(r'<button class="button" type="button" disabled[^>]*>Approve</button>', own)
    assert "/approve/" not in own
    assert "/approve/" in other
