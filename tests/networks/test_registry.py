"""The registry: which networks exist, and lazy access to their plug-ins."""

from __future__ import annotations

import inspect
import subprocess
import sys
import types
from pathlib import Path

import pytest

from advocacy.networks import registry
from advocacy.networks.base import NetworkClient

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_networks_are_listed_in_display_order_with_their_names() -> None:
    assert list(registry.NETWORKS.items()) == [
        ("bluesky", "Bluesky"),
        ("mastodon", "Mastodon"),
        ("linkedin", "LinkedIn"),
        ("x", "X"),
    ]


@pytest.mark.parametrize("key", list(registry.NETWORKS))
def test_each_plugin_satisfies_the_client_interface(key: str) -> None:
    pytest.importorskip(f"advocacy.networks.{key}")  # Bluesky is written by another helper
    client = registry.get_client(key)

    assert client.key == key
    assert client.display_name == registry.NETWORKS[key]
    for name, declared in inspect.getmembers(NetworkClient, inspect.isfunction):
        if name.startswith("_"):
            continue
        wanted = list(inspect.signature(declared).parameters)[1:]
        offered = inspect.signature(getattr(client, name)).parameters
        assert wanted == list(offered)[: len(wanted)], f"{key}.{name} does not accept {wanted}"
        extras = list(offered.values())[len(wanted) :]
        assert all(p.default is not inspect.Parameter.empty for p in extras), f"{key}.{name} needs more"


def test_bluesky_is_imported_by_module_path_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("advocacy.networks.bluesky")
    fake.client = types.SimpleNamespace(key="bluesky", display_name="Bluesky")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "advocacy.networks.bluesky", fake)

    assert registry.get_client("bluesky") is fake.client  # type: ignore[attr-defined]


def test_an_unknown_network_is_refused() -> None:
    with pytest.raises(registry.UnknownNetwork):
        registry.get_client("myspace")


def test_importing_the_registry_loads_no_plugin() -> None:
    probe = (
        "import sys, advocacy.networks.registry as r; "
        "loaded = [k for k in r.NETWORKS if f'advocacy.networks.{k}' in sys.modules]; "
        "print(loaded, 'mastodon' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[] False"
