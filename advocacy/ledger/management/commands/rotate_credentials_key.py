from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from advocacy.audit.actions import Via
from advocacy.audit.context import audit_context
from advocacy.ledger.rotation import credentials_key_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored credential under the first key in CANDOR_CREDENTIALS_KEYS. "
        "Put the new key first, keep the old one after it, run this, then remove the old key. "
        "The rotation is recorded in the audit log."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--actor", default="", help="email of the person running the rotation, for the audit log")

    def handle(self, *args: object, **options: object) -> None:
        actor = None
        if options["actor"]:
            actor = User.objects.filter(email__iexact=str(options["actor"])).first()
            if actor is None:
                raise CommandError(f"No person signs in as {options['actor']}.")
        with audit_context(via=Via.COMMAND):
            rotated = credentials_key_rotate(actor=actor)
        self.stdout.write(f"Re-encrypted {rotated} stored credential(s) under the current primary key.")
