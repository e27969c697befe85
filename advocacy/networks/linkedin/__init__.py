"""LinkedIn plug-in. ``client`` satisfies ``advocacy.networks.base.NetworkClient``."""

from advocacy.networks.linkedin.client import LinkedInClient

client = LinkedInClient()

__all__ = ["LinkedInClient", "client"]
