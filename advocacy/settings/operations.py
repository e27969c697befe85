"""Operations settings that need checking: the audit witnesses' folders and who may
read /metrics (docs/operations.md)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

MIN_METRICS_TOKEN_LENGTH = 24


def witness_dirs(env: Any, *, var_dir: Path) -> tuple[list[str], list[Path]]:
    """``CANDOR_AUDIT_WITNESS_DIRS``, and the folders Candor makes at start-up for it:
    the default one under var/, like var/ itself. A configured witness that is missing
    is a health warning instead, never made here."""
    if "CANDOR_AUDIT_WITNESS_DIRS" in env:
        return env.stripped_list("CANDOR_AUDIT_WITNESS_DIRS"), []
    default = var_dir / "witness"
    return [str(default)], [default]


def metrics_token(env: Any) -> str:
    token: str = env.str("CANDOR_METRICS_TOKEN", default="").strip()
    if token and len(token) < MIN_METRICS_TOKEN_LENGTH:
        raise ImproperlyConfigured(
            f"CANDOR_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} characters long (or unset)."
        )
    return token


def metrics_allowed_networks(env: Any) -> list[str]:
    networks = []
    for network in env.list("CANDOR_METRICS_ALLOWED_NETWORKS", default=[]):
        try:
            networks.append(str(ipaddress.ip_network(network.strip(), strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"CANDOR_METRICS_ALLOWED_NETWORKS: {network!r} is not a network; use addresses or CIDRs "
                "such as 10.0.0.0/8,127.0.0.1."
            ) from None
    return networks
