"""Rotating the credentials key is recorded in the audit log: who ran it, from where,
and how many credentials it re-encrypted, never any key."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from advocacy.audit.models import AuditEvent
from advocacy.ledger import crypto
from tests.support.scenario import connect

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_keys(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CANDOR_CREDENTIALS_KEYS = [old_key]
    crypto.reset_cache()
    yield settings, old_key, new_key
    crypto.reset_cache()


def test_rotating_the_credentials_key_is_audited(enrolled, admin_user, two_keys):
    settings, old_key, new_key = two_keys
    connect(enrolled)
    settings.CANDOR_CREDENTIALS_KEYS = [new_key, old_key]
    crypto.reset_cache()
    out = StringIO()

    call_command("rotate_credentials_key", "--actor", admin_user.email, stdout=out)

    assert "Re-encrypted 1 stored credential(s)" in out.getvalue()
    event = AuditEvent.objects.get(action="credentials.key_rotated")
    assert (event.actor, event.via) == (admin_user, "command")
    assert event.payload == {"old": {}, "new": {"accounts": 1, "mastodon_apps": 0, "keys_configured": 2}}
    assert new_key not in str(event.payload) and old_key not in str(event.payload)


def test_an_unknown_actor_stops_the_rotation_before_it_starts(enrolled, two_keys):
    connect(enrolled)

    with pytest.raises(CommandError, match="No person signs in as"):
        call_command("rotate_credentials_key", "--actor", "nobody@example.com", stdout=StringIO())

    assert not AuditEvent.objects.filter(action="credentials.key_rotated").exists()
