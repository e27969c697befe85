"""Which social networks Candor knows, and how to get each one's plug-in.

Plug-ins are imported on first use, by module path: importing this registry (for
example to build form choices from ``NETWORKS``) never pulls in Mastodon.py or the
AT Protocol SDK, and a missing plug-in only fails when someone asks for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import cast

from advocacy.networks.base import NetworkClient

# Display order in the UI; the values are what people read.
NETWORKS: Mapping[str, str] = MappingProxyType(
    {
        "bluesky": "Bluesky",
        "mastodon": "Mastodon",
        "linkedin": "LinkedIn",
        "x": "X",
    }
)


# The same, as the (value, label) pairs of a model or form field's ``choices``.
NETWORK_CHOICES: list[tuple[str, str]] = list(NETWORKS.items())


class UnknownNetwork(KeyError):
    """No plug-in is registered under this key."""


def takes_images(network_key: str) -> bool:
    """Whether Candor can attach an image to a post on this network (its plug-in says)."""
    return bool(get_client(network_key).supports_images)


def get_client(network_key: str) -> NetworkClient:
    """Return the ``client`` of the plug-in package ``advocacy.networks.<network_key>``."""
    if network_key not in NETWORKS:
        raise UnknownNetwork(network_key)
    module = importlib.import_module(f"advocacy.networks.{network_key}")
    return cast(NetworkClient, module.client)
