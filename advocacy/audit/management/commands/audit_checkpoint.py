from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from advocacy.audit import keys
from advocacy.audit.checkpoints import checkpoint_create
from advocacy.core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Sign a checkpoint of the audit log now and hand it to every witness (exit 1 if a witness "
        "failed). --public-key prints the verifier keys; --new-key prints a new signing key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--public-key", action="store_true", help="Print the current and retired verifier keys.")
        group.add_argument(
            "--new-key", action="store_true", help="Print a new signing key for CANDOR_AUDIT_SIGNING_KEY."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            self.stdout.write(keys.generate_key_text())
            return
        if options["public_key"]:
            for key in keys.verifier_keys():
                self.stdout.write(str(key))
            return
        try:
            checkpoint = checkpoint_create(actor=None)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        checkpoint.refresh_from_db()
        self.stdout.write(checkpoint.note, ending="")
        if checkpoint.witness_failures:
            raise CommandError("Not witnessed: " + "; ".join(checkpoint.witness_failures))
        self.stdout.write(f"Witnessed: checkpoint of {checkpoint.tree_size} events")
