from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from advocacy.audit.verify import audit_verify
from advocacy.audit.witnessed import witnessed_verify


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain, and that it is consistent with the signed checkpoints the "
        "witnesses keep; report the first broken link or differing event (exit 1 if either is broken)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect-head",
            metavar="SEQUENCE:HASH",
            help="A chain head exported earlier; it must still be in the chain unchanged.",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            metavar="N",
            help="Verify ranges of the chain in N processes, e.g. one per CPU core (PostgreSQL; "
            "the links between ranges are checked too, and the verdict is the same as with 1).",
        )

        parser.add_argument(
            "--checkpoint",
            metavar="FILE",
            help="Check against this signed checkpoint (e.g. one mailed to the auditors) instead of the witnesses'.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        expect = None
        if options["expect_head"]:
            sequence, _, digest = str(options["expect_head"]).partition(":")
            if not sequence.isdigit() or len(digest) != 64:
                raise CommandError("--expect-head must look like 1234:<64 hex characters>")
            expect = (int(sequence), digest)
        jobs = int(options["jobs"])
        if jobs < 1:
            raise CommandError("--jobs must be 1 or more")
        checkpoint_text = None
        if options["checkpoint"]:
            try:
                with open(str(options["checkpoint"]), encoding="utf-8") as handle:
                    checkpoint_text = handle.read()
            except OSError as exc:
                raise CommandError(f"--checkpoint: cannot read {options['checkpoint']}: {exc.strerror}") from exc
        report = audit_verify(expect_head=expect, jobs=jobs)
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
        witnessed = witnessed_verify(checkpoint_text=checkpoint_text)
        if not witnessed.ok:
            raise CommandError(witnessed.summary())
        self.stdout.write(witnessed.summary())
