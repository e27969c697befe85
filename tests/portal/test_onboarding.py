"""After joining, a short checklist leads through the first steps and goes away once
they are all done; leaving is on every portal page's menu."""

from __future__ import annotations

import pytest

from accounts.services import preferences_save
from advocacy.notifications.models import NotificationPreference
from advocacy.sharing.services import share_create
from tests.support.scenario import connect

pytestmark = pytest.mark.django_db


def checklist(client) -> str:
    page = client.get("/").content.decode()
    if 'data-testid="onboarding"' not in page:
        return ""
    return page.split('data-testid="onboarding"')[1].split("</section>")[0]


def test_a_new_participant_sees_every_step_to_do(client, enrolled):
    client.force_login(enrolled)

    steps = checklist(client)

    for words in (
        "Connect an account",
        "Share a first post",
        "Set your time zone and language",
        "Choose your notifications",
    ):
        assert words in steps
    assert 'href="/connections/"' in steps


def test_someone_who_has_not_joined_sees_no_checklist(client, employee):
    client.force_login(employee)
    assert checklist(client) == ""


def test_done_steps_are_ticked_and_the_list_goes_away_when_all_are_done(client, enrolled, published):
    client.force_login(enrolled)
    account = connect(enrolled)

    after_connecting = checklist(client)
    share_create(
        employee=enrolled,
        draft_id=published.pk,
        account_id=account.pk,
        text="#employee · I work at Acme Robotics.\n\nRobots!",
    )
    preferences_save(actor=enrolled, language="it", time_zone="Europe/Rome")
    NotificationPreference.objects.create(user=enrolled)

    assert "<s>Connect an account</s>" in after_connecting
    assert 'href="/feed/"' in after_connecting  # sharing still to do
    assert checklist(client) == ""


def test_leave_is_in_the_menu_of_every_portal_page(client, enrolled):
    client.force_login(enrolled)
    for path in ("/", "/feed/", "/shares/", "/connections/", "/my-data/", "/notifications/"):
        menu = client.get(path).content.decode().split('class="usermenu"')[1].split("</div>")[0]
        assert 'href="/programme/leave/"' in menu, path
