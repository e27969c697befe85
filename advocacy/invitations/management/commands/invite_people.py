from argparse import ArgumentParser
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from advocacy.audit.actions import Via
from advocacy.audit.context import audit_context
from advocacy.core.errors import ApplicationError
from advocacy.invitations.selectors import invitations_preview
from advocacy.invitations.services import invitations_create


class Command(BaseCommand):
    help = (
        "Invite the people in a CSV file (email, name, team, language, time_zone), as the admin page does: "
        "each line's problems are listed, the others are invited and emailed. --dry-run only lists them."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file (UTF-8; the first line names the columns)")
        parser.add_argument("--actor", required=True, help="email of the admin inviting them, for the audit log")
        parser.add_argument("--dry-run", action="store_true", help="check the file and invite nobody")

    def handle(self, *args: object, **options: object) -> None:
        actor = User.objects.filter(email__iexact=str(options["actor"]), is_active=True).first()
        if actor is None:
            raise CommandError(f"No active person signs in as {options['actor']}.")
        path = Path(str(options["file"]))
        try:
            with path.open("rb") as handle:
                data = handle.read(settings.CANDOR_INVITE_MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        preview = invitations_preview(data=data)
        if preview.file_problems:
            raise CommandError(" ".join(preview.file_problems))
        for row in preview.refused:
            self.stdout.write(f"line {row.line} {row.email or '-'}: {' '.join(row.problems)}")
        if options["dry_run"]:
            self.stdout.write(f"{len(preview.ready)} ready to invite, {len(preview.refused)} skipped (dry run).")
            return
        try:
            with audit_context(via=Via.COMMAND):
                outcome = invitations_create(actor=actor, rows=preview.ready)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        for row in outcome.skipped:
            self.stdout.write(f"line {row.line} {row.email}: {' '.join(row.problems)}")
        self.stdout.write(f"Invited {len(outcome.invited)}, skipped {len(preview.refused) + len(outcome.skipped)}.")
