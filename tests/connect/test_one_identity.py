"""One social account, one person: the identity the network reports (a Bluesky DID,
a Mastodon acct@domain) decides, never the address someone typed to reach it.
Against the real reference PDS and the real mastodon_mock server."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from advocacy.core.errors import Conflict
from advocacy.ledger.connect import account_connect_bluesky
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.offboarding import hand_back_run, offboarding_start
from advocacy.ledger.services import account_connect
from advocacy.networks.base import AccountSession
from advocacy.networks.mastodon.client import MastodonClient
from tests.support.mastodon_mock import SEED_TOKEN, SEED_USERNAME, MastodonMock
from tests.support.pds import PdsServer

pytestmark = pytest.mark.django_db


def spellings(url: str) -> list[str]:
    """The same loopback PDS, written as other people might write it."""
    port = urlsplit(url).port
    return [
        f"http://127.0.0.1:{port}",
        f"http://LOCALHOST:{port}",
        f"http://localhost:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}",
    ]


@pytest.fixture
def bluesky_account(bluesky_pds: PdsServer) -> tuple[str, str, str]:
    handle, password, did = bluesky_pds.create_account("emma")
    return handle, bluesky_pds.create_app_password(handle, password), did


@pytest.mark.pds
@pytest.mark.parametrize("index", range(4), ids=["127.0.0.1", "upper-case host", "trailing slash", "ipv6-mapped"])
def test_a_second_person_cannot_connect_the_same_bluesky_account_by_spelling_the_server_differently(
    bluesky_pds: PdsServer, bluesky_account, enrolled, other_employee, index
):
    handle, app_password, did = bluesky_account
    first = account_connect_bluesky(
        actor=enrolled, handle=handle, app_password=app_password, service_url=f"http://localhost:{_port(bluesky_pds)}"
    )

    with pytest.raises(Conflict, match="already connected by someone else") as refused:
        account_connect_bluesky(
            actor=other_employee,
            handle=handle,
            app_password=app_password,
            service_url=spellings(bluesky_pds.url)[index],
        )

    assert refused.value.code == "account_taken"
    assert list(ConnectedAccount.objects.values_list("owner", "network_identity")) == [(enrolled.pk, did)]
    assert first.network_identity == did


@pytest.mark.pds
def test_the_owner_reconnecting_through_another_spelling_keeps_one_account(
    bluesky_pds: PdsServer, bluesky_account, enrolled
):
    handle, app_password, did = bluesky_account
    port = _port(bluesky_pds)
    account_connect_bluesky(
        actor=enrolled, handle=handle, app_password=app_password, service_url=f"http://localhost:{port}"
    )

    account_connect_bluesky(
        actor=enrolled, handle=handle, app_password=app_password, service_url=f"http://127.0.0.1:{port}"
    )

    assert ConnectedAccount.objects.filter(network_identity=did).count() == 1


@pytest.mark.pds
def test_the_connect_page_names_the_rule(client, bluesky_pds: PdsServer, bluesky_account, enrolled, other_employee):
    handle, app_password, _ = bluesky_account
    port = _port(bluesky_pds)
    account_connect_bluesky(
        actor=enrolled, handle=handle, app_password=app_password, service_url=f"http://localhost:{port}"
    )
    client.force_login(other_employee)

    response = client.post(
        "/connections/",
        {"handle": handle, "app_password": app_password, "service_url": f"http://127.0.0.1:{port}"},
    )

    assert response.status_code == 200
    assert "An account belongs to one person only" in response.content.decode()
    assert not ConnectedAccount.objects.filter(owner=other_employee).exists()


@pytest.mark.pds
def test_hand_back_finds_the_account_however_it_was_reached(
    bluesky_pds: PdsServer, bluesky_account, enrolled, other_employee, admin_user
):
    handle, app_password, did = bluesky_account
    port = _port(bluesky_pds)
    account_connect_bluesky(
        actor=enrolled, handle=handle, app_password=app_password, service_url=f"http://127.0.0.1:{port}"
    )
    case = offboarding_start(actor=admin_user, user_id=enrolled.pk)
    hand_back_run(offboarding_id=case.pk)

    # Handed back, the account is free again: the next person to connect it really holds it.
    account_connect_bluesky(
        actor=other_employee, handle=handle, app_password=app_password, service_url=f"http://localhost:{port}/"
    )

    live = ConnectedAccount.objects.filter(network_identity=did, status__in=ConnectedAccount.LIVE_STATUSES)
    assert [a.owner for a in live] == [other_employee]


def _port(pds: PdsServer) -> int:
    port = urlsplit(pds.url).port
    assert port is not None
    return port


# -- Mastodon -------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["127.0.0.1", "localhost"])
def test_a_mastodon_account_is_its_acct_at_the_domain_the_server_reports(
    mastodon: MastodonMock, enrolled, other_employee, spelling
):
    port = urlsplit(mastodon.base_url).port
    reported = requests.get(f"{mastodon.base_url}/api/v2/instance", timeout=5).json()["domain"]
    account_connect(actor=enrolled, network="mastodon", identity=_mastodon_identity(f"http://127.0.0.1:{port}"))

    with pytest.raises(Conflict, match="already connected by someone else"):
        account_connect(
            actor=other_employee, network="mastodon", identity=_mastodon_identity(f"http://{spelling}:{port}")
        )

    assert ConnectedAccount.objects.get().network_identity == f"{SEED_USERNAME}@{reported}".lower()


def _mastodon_identity(instance_url: str):
    session = AccountSession(
        network="mastodon", handle="", service_url=instance_url, credentials={"access_token": SEED_TOKEN}
    )
    return MastodonClient(allow_http=True).verify(session)
