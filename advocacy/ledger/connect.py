"""Connecting an account: ask the network to verify the credential, then record it.
The network call happens before (outside) the ledger transaction."""

from __future__ import annotations

from accounts.models import User
from advocacy.core.errors import ValidationFailed
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import account_connect
from advocacy.networks import base as net
from advocacy.networks.registry import get_client


def account_connect_bluesky(
    *, actor: User, handle: str, app_password: str, service_url: str
) -> ConnectedAccount:
    client = get_client("bluesky")
    handle = handle.strip().lstrip("@")
    try:
        identity = client.connect(
            handle=handle, app_password=app_password.strip(), service_url=service_url.rstrip("/")
        )
    except net.AuthError as exc:
        raise ValidationFailed(
            exc.message, fields={"app_password": [exc.message]}, code="network_auth"
        ) from None
    except net.NetworkError as exc:
        message = f"Could not reach {service_url}: {exc.message}"
        raise ValidationFailed(
            message, fields={"service_url": [message]}, code="network_unreachable"
        ) from None
    return account_connect(actor=actor, network="bluesky", identity=identity)
