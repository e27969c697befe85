"""What a worker or someone else's request tells a person is written in that person's
language and time zone, not in the worker's English and UTC."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from accounts.models import User
from advocacy.ledger.custody import custody_transfer_start
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import account_connect
from advocacy.networks.base import AuthError, PermanentError
from advocacy.notifications.models import Notification
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from tests.workflow.test_engine import claim, notes, send

pytestmark = pytest.mark.django_db


def speaks(user: User, language: str, time_zone: str = "UTC") -> User:
    User.objects.filter(pk=user.pk).update(language=language, time_zone=time_zone)
    user.refresh_from_db()
    return user


def test_a_failed_post_is_reported_in_the_employees_language(
    make_share, fake_network, enrolled, django_capture_on_commit_callbacks, mailoutbox
):
    speaks(enrolled, "de")
    share = make_share()
    claim(share)
    fake_network.script_publish(PermanentError("Record/text must not be longer than 300 graphemes", status=400))

    with django_capture_on_commit_callbacks(execute=True):
        send(share)

    [note] = notes(enrolled, Notification.Kind.SHARE_FAILED)
    assert note.title == "Ihr Beitrag an Bluesky emma.bsky.test ist fehlgeschlagen"
    # The network's own words are quoted as they came.
    assert note.body.startswith("Bluesky meldete: Record/text must not be longer than 300 graphemes")
    assert [m.subject for m in mailoutbox] == ["[Candor] Ihr Beitrag an Bluesky emma.bsky.test ist fehlgeschlagen"]


def test_a_missed_post_gives_its_time_in_the_employees_zone(make_share, fake_network, enrolled, clock, settings):
    speaks(enrolled, "it", "Europe/Rome")
    share = make_share()
    clock.advance(minutes=settings.CANDOR_MAX_LATENESS_MINUTES + 1)

    engine.dispatch_due()

    [note] = notes(enrolled, Notification.Kind.SHARE_MISSED)
    assert note.title == "Il tuo post non è stato inviato: era troppo tardi"
    due_in_rome = share.scheduled_at.astimezone(ZoneInfo("Europe/Rome"))
    assert f"{due_in_rome:%H:%M}" in note.body
    assert share.scheduled_at.strftime("%H:%M") != f"{due_in_rome:%H:%M}"  # the test would not tell otherwise
    assert Share.objects.get(pk=share.pk).state == Share.State.MISSED


def test_a_rejected_token_asks_the_owner_to_reconnect_in_their_language(make_share, fake_network, enrolled):
    speaks(enrolled, "id")
    share = make_share()
    claim(share)
    fake_network.script_publish(AuthError("The token was revoked."))

    send(share)

    [note] = notes(enrolled, Notification.Kind.RECONNECT_NEEDED)
    assert note.title == "Hubungkan ulang Bluesky emma.bsky.test"
    assert note.body == "The token was revoked. Hubungkan ulang agar tetap bisa berbagi."


def test_a_custody_request_is_written_for_the_person_asked_not_the_admin(admin_user, other_employee, identity):
    speaks(admin_user, "en")
    speaks(other_employee, "de")
    corporate = account_connect(
        actor=admin_user,
        network="mastodon",
        identity=identity("acme@mastodon.example"),
        ownership=ConnectedAccount.Ownership.CORPORATE,
    )

    custody_transfer_start(actor=admin_user, account_id=corporate.pk, to_user_id=other_employee.pk)

    [note] = notes(other_employee, Notification.Kind.CUSTODY)
    assert note.title == f"Bitte übernehmen Sie die Verantwortung für {corporate}"
    assert note.body == "Eine Administratorin oder ein Administrator bittet Sie, dieses Firmenkonto zu betreuen."
