"""Bluesky (AT Protocol) plug-in. See ``client.py`` for the design notes."""

from advocacy.networks.bluesky.client import BlueskyClient, client

__all__ = ["BlueskyClient", "client"]
