"""Credentials are encrypted at rest, survive a key rotation, and never leak."""

import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from advocacy.ledger import crypto
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import account_credentials
from tests.support.scenario import connect

pytestmark = pytest.mark.django_db
PLANTED = "planted-secret-app-password"


def _all_text_in_database() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_the_planted_credential_is_nowhere_in_the_database(enrolled):
    account = connect(enrolled)
    assert PLANTED not in _all_text_in_database()
    assert account_credentials(account=account)["app_password"] == PLANTED


def test_rotation_re_encrypts_under_the_new_key(enrolled, settings):
    old_key = Fernet.generate_key().decode()
    new_key = Fernet.generate_key().decode()
    settings.CANDOR_CREDENTIALS_KEYS = [old_key]
    crypto.reset_cache()
    account = connect(enrolled)
    settings.CANDOR_CREDENTIALS_KEYS = [new_key, old_key]
    crypto.reset_cache()

    call_command("rotate_credentials_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.CANDOR_CREDENTIALS_KEYS = [new_key]  # the old key is retired
    crypto.reset_cache()
    try:
        account.refresh_from_db()
        assert account_credentials(account=account)["app_password"] == PLANTED
    finally:
        crypto.reset_cache()


def test_credentials_never_reach_the_logs(enrolled, caplog, client):
    caplog.set_level(logging.DEBUG)
    account = connect(enrolled)
    client.force_login(enrolled)
    pages = [client.get(url).content.decode() for url in ("/connections/", "/my-data/", "/my-data/export.json")]
    api = (
        client.get("/api/accounts/").content.decode()
        + client.get(f"/api/accounts/{account.pk}/events/").content.decode()
    )

    assert all(PLANTED not in page for page in pages)
    assert PLANTED not in api
    assert PLANTED not in caplog.text
    assert ConnectedAccount.objects.filter(credentials_encrypted__contains=PLANTED).count() == 0


def test_plain_http_bluesky_servers_are_refused_in_production(enrolled, settings):
    from advocacy.core.errors import ValidationFailed
    from advocacy.ledger.connect import account_connect_bluesky

    settings.CANDOR_ALLOW_PLAIN_HTTP_NETWORKS = False
    with pytest.raises(ValidationFailed, match="over https://") as refused:
        account_connect_bluesky(
            actor=enrolled, handle="emma.test", app_password="abcd-efgh-ijkl-mnop", service_url="http://10.0.0.5:2583"
        )
    assert refused.value.fields == {"service_url": ["Candor only connects to Bluesky servers over https://."]}
