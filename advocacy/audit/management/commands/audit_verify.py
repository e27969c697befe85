from django.core.management.base import BaseCommand, CommandError

from advocacy.audit.verify import audit_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; report the first broken link (exit 1 if broken)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--expect-head", metavar="SEQUENCE:HASH",
                            help="A chain head exported earlier; it must still be in the chain unchanged.")

    def handle(self, *args: object, **options: object) -> None:
        expect = None
        if options["expect_head"]:
            sequence, _, digest = str(options["expect_head"]).partition(":")
            if not sequence.isdigit() or len(digest) != 64:
                raise CommandError("--expect-head must look like 1234:<64 hex characters>")
            expect = (int(sequence), digest)
        report = audit_verify(expect_head=expect)
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
