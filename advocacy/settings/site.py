"""Where Candor is served, for tracked links and emails when ``CANDOR_SITE_URL`` is unset."""

from __future__ import annotations

import contextlib
import ipaddress
from typing import Any


def run_site_url(env: Any) -> str:
    """The address `make run` serves (``CANDOR_HOST`` and ``PORT``), so tracked links and
    emails point at a server that answers."""
    host = env.str("CANDOR_HOST", default="127.0.0.1").strip().strip("[]")
    with contextlib.suppress(ValueError):  # a name, not an address
        # Serving on every interface: a link still needs one address that answers.
        host = "127.0.0.1" if ipaddress.ip_address(host).is_unspecified else host
    host = f"[{host}]" if ":" in host else (host or "127.0.0.1")
    return f"http://{host}:{env.str('PORT', default='8000').strip()}"
