"""Fixtures for the connect tests: a real mastodon_mock server, and LinkedIn and X
configured (or not) the way the environment would configure them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from advocacy.settings.networks import network_providers
from tests.connect.helpers import NETWORK_APPS
from tests.support.mastodon_mock import MastodonMock


@pytest.fixture(scope="session")
def mastodon_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MastodonMock]:
    server = MastodonMock(tmp_path_factory.mktemp("connect-mastodon-mock"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mastodon(mastodon_server: MastodonMock) -> MastodonMock:
    mastodon_server.reset()
    return mastodon_server


@pytest.fixture
def networks_configured(settings):
    """LinkedIn and X set up as LINKEDIN_CLIENT_ID/SECRET and X_CLIENT_ID/SECRET would."""
    settings.CANDOR_NETWORK_APPS = NETWORK_APPS
    settings.SOCIALACCOUNT_PROVIDERS = network_providers(NETWORK_APPS)
    return settings


@pytest.fixture
def networks_unconfigured(settings):
    settings.CANDOR_NETWORK_APPS = {"linkedin": {"client_id": "", "client_secret": ""}, "x": {}}
    settings.SOCIALACCOUNT_PROVIDERS = {}
    return settings
