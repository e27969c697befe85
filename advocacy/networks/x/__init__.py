"""X plug-in. ``client`` satisfies ``advocacy.networks.base.NetworkClient``."""

from advocacy.networks.x.client import XClient

client = XClient()

__all__ = ["XClient", "client"]
