from django.core.management.base import BaseCommand, CommandError

from advocacy.audit.verify import audit_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; report the first broken link (exit 1 if broken)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
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

    def handle(self, *args: object, **options: object) -> None:
        expect = None
        if options["expect_head"]:
            sequence, _, digest = str(options["expect_head"]).partition(":")
            if not sequence.isdigit() or len(digest) != 64:
                raise CommandError("--expect-head must look like 1234:<64 hex characters>")
            expect = (int(sequence), digest)
        jobs = int(options["jobs"])  # type: ignore[call-overload]
        if jobs < 1:
            raise CommandError("--jobs must be 1 or more")
        report = audit_verify(expect_head=expect, jobs=jobs)
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
