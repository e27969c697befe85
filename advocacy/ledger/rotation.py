"""Re-encrypting every stored credential under the current primary key, on the record."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from accounts.models import User
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.ledger import crypto
from advocacy.ledger.models import ConnectedAccount, MastodonApp


@transaction.atomic
def credentials_key_rotate(*, actor: User | None) -> int:
    """Re-encrypt every stored credential under the first key in
    ``CANDOR_CREDENTIALS_KEYS`` and record it (``actor`` None: the operator at the
    shell, named by ``--actor`` when they give it). The caller must have put the new
    key first and kept the old one after it. Returns how many were re-encrypted."""
    accounts = apps = 0
    for account in ConnectedAccount.objects.select_for_update().exclude(credentials_encrypted=""):
        account.credentials_encrypted = crypto.rotate(account.credentials_encrypted)
        account.save(update_fields=["credentials_encrypted"])
        accounts += 1
    for app in MastodonApp.objects.select_for_update().exclude(client_secret_encrypted=""):
        app.client_secret_encrypted = crypto.rotate(app.client_secret_encrypted)
        app.save(update_fields=["client_secret_encrypted"])
        apps += 1
    # How many keys, never which: key material must not enter the log.
    audit_record(
        actor=actor,
        action=AuditAction.CREDENTIALS_KEY_ROTATED,
        new={"accounts": accounts, "mastodon_apps": apps, "keys_configured": len(settings.CANDOR_CREDENTIALS_KEYS)},
    )
    return accounts + apps
