import pytest

from tests.support.fake_network import FakeNetworks


@pytest.fixture
def networks(monkeypatch) -> FakeNetworks:
    """In-memory networks for the engine and the hand-back (revoke) alike."""
    fakes = FakeNetworks()
    for target in (
        "advocacy.networks.registry.get_client",
        "advocacy.sharing.engine.get_client",
        "advocacy.ledger.offboarding.get_client",
    ):
        monkeypatch.setattr(target, fakes.get_client)
    return fakes
