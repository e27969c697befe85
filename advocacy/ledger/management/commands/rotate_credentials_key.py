from django.core.management.base import BaseCommand
from django.db import transaction

from advocacy.ledger import crypto
from advocacy.ledger.models import ConnectedAccount, MastodonApp


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored credential under the first key in CANDOR_CREDENTIALS_KEYS. "
        "Put the new key first, keep the old one after it, run this, then remove the old key."
    )

    def handle(self, *args: object, **options: object) -> None:
        rotated = 0
        with transaction.atomic():
            for account in ConnectedAccount.objects.select_for_update().exclude(credentials_encrypted=""):
                account.credentials_encrypted = crypto.rotate(account.credentials_encrypted)
                account.save(update_fields=["credentials_encrypted"])
                rotated += 1
            for app in MastodonApp.objects.select_for_update().exclude(client_secret_encrypted=""):
                app.client_secret_encrypted = crypto.rotate(app.client_secret_encrypted)
                app.save(update_fields=["client_secret_encrypted"])
                rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} stored credential(s) under the current primary key.")
