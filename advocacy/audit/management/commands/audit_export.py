import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from advocacy.audit.export import FORMATS, ExportFilters, export_chunks
from advocacy.audit.services import audit_export_record


def _when(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        example = "e.g. 2026-11-01 or 2026-11-01T09:00Z"
        raise CommandError(f"{value!r} is not an ISO date or date-time ({example})") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class Command(BaseCommand):
    help = "Stream the audit log as CSV or JSON Lines to stdout or a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=_when)
        parser.add_argument("--until", type=_when)
        parser.add_argument("--format", choices=FORMATS, default="jsonl")
        parser.add_argument("--actor", type=int, help="actor user id")
        parser.add_argument("--action", default="")
        parser.add_argument("--account", type=int, help="connected account id")
        parser.add_argument("--employee", type=int, help="user id the events are about")
        parser.add_argument("--output", "-o", help="file to write (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        filters = ExportFilters(
            since=options["since"],
            until=options["until"],
            actor_id=options["actor"],
            action=str(options["action"]),
            account_id=options["account"],
            employee_id=options["employee"],
        )
        head = audit_export_record(actor=None, filters=filters.as_json(), fmt=str(options["format"]), rows=-1)
        out = open(str(options["output"]), "w", encoding="utf-8", newline="") if options["output"] else sys.stdout  # noqa: SIM115
        try:
            for piece in export_chunks(filters=filters, fmt=str(options["format"]), head=head):
                out.write(piece)
        finally:
            if out is not sys.stdout:
                out.close()
        self.stderr.write(f"Exported up to chain head {head[0]}:{head[1]}")
