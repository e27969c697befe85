"""Reads for SCIM: which provisioning client a bearer token belongs to."""

from __future__ import annotations

import hashlib

from advocacy.identity.models import ScimClient

TOKEN_PREFIX = "candor_scim_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scim_client_for_token(*, token: str) -> ScimClient | None:
    """The active client this bearer token belongs to, if any."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return ScimClient.objects.filter(token_hash=token_digest(token), revoked_at__isnull=True).first()
