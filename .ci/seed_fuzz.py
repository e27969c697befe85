"""Seed a throwaway database for the schemathesis run (.ci/schemathesis.sh).

Creates a published policy, an enrolled employee with a connected Bluesky account
whose service_url is a closed loopback port (sends fail fast, nothing leaves the
machine), a published draft and a comms author, then prints one DRF token per
line as NAME=KEY for the shell script to pick up.

Run with DJANGO_SETTINGS_MODULE and CANDOR_VAR_DIR already set, after migrate.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "advocacy.settings.test")

import django

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from advocacy.drafts import services as drafts  # noqa: E402
from advocacy.ledger.services import account_connect  # noqa: E402
from advocacy.networks.base import ConnectedAccount as Identity  # noqa: E402
from advocacy.program.services import enrollment_opt_in, policy_publish  # noqa: E402

PASSWORD = "fuzz-only-password-not-secret"


def user(email: str, name: str, role: str, **extra) -> User:
    person = User.objects.create(email=email, display_name=name, role=role, time_zone="Europe/Berlin", **extra)
    person.set_password(PASSWORD)
    person.save(update_fields=["password"])
    EmailAddress.objects.create(user=person, email=email, verified=True, primary=True)
    return person


admin = user("ada@example.com", "Ada Admin", Role.ADMIN, is_staff=True)
author = user("arno@example.com", "Arno Author", Role.COMMS_AUTHOR)
reviewer = user("rita@example.com", "Rita Reviewer", Role.COMMS_REVIEWER)
employee = user("emma@example.com", "Emma Employee", Role.EMPLOYEE)

policy = policy_publish(actor=admin, texts={"en": {"title": "Our policy", "body": "Voluntary, always."}})
enrollment_opt_in(user=employee, policy_version_id=policy.pk, accepted=True)
account_connect(
    actor=employee,
    network="bluesky",
    identity=Identity(
        handle="emma.test",
        external_id="did:plc:emma.test",
        service_url="http://127.0.0.1:9",
        credentials={"app_password": "fuzz-only-app-password"},
    ),
)

draft = drafts.draft_create(
    actor=author,
    title="Robots",
    content=drafts.DraftContent(body="Robots sort parcels faster.", networks=["bluesky", "mastodon", "linkedin", "x"]),
)
drafts.draft_submit(actor=author, draft_id=draft.pk)
drafts.draft_approve(actor=reviewer, draft_id=draft.pk)
drafts.draft_publish(actor=author, draft_id=draft.pk)
# A second draft left in review, so the author's review and diff endpoints have data.
pending = drafts.draft_create(
    actor=author, title="Parcels", content=drafts.DraftContent(body="Parcels arrive sooner.", networks=["bluesky"])
)
drafts.draft_submit(actor=author, draft_id=pending.pk)

print(f"EMPLOYEE_TOKEN={Token.objects.create(user=employee).key}")
print(f"AUTHOR_TOKEN={Token.objects.create(user=author).key}")
