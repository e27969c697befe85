"""Build the plug-in session for an account: stored credentials plus, for networks
whose calls need Candor's own app registration (LinkedIn, X), the app's id/secret."""

from __future__ import annotations

from django.conf import settings

from advocacy.ledger import crypto
from advocacy.ledger.models import ConnectedAccount
from advocacy.networks.base import AccountSession


def session_for(account: ConnectedAccount) -> AccountSession:
    credentials = crypto.decrypt(account.credentials_encrypted)
    app = settings.CANDOR_NETWORK_APPS.get(account.network, {})
    credentials.update({key: value for key, value in app.items() if value and key not in credentials})
    return AccountSession(
        network=account.network,
        handle=account.handle,
        external_id=account.external_id,
        service_url=account.service_url,
        credentials=credentials,
    )
