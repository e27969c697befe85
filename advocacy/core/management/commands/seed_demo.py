from django.core.management.base import BaseCommand

from advocacy.core.demo import DEMO_PASSWORD, DEMO_PEOPLE, demo_seed


class Command(BaseCommand):
    help = "Load the demo organisation (idempotent) and print the demo logins."

    def handle(self, *args: object, **options: object) -> None:
        created = demo_seed()
        summary = ", ".join(f"{count} {name}" for name, count in created.items())
        self.stdout.write(f"Demo data ready (created this run: {summary}).")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for person in DEMO_PEOPLE:
            self.stdout.write(f"  {person.role.label:<18} {person.email}")
