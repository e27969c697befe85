"""Mastodon plug-in. ``client`` satisfies ``advocacy.networks.base.NetworkClient``."""

from advocacy.networks.mastodon.client import MastodonClient

client = MastodonClient()

__all__ = ["MastodonClient", "client"]
