"""Inviting people from a CSV file (companies without SCIM).

Each invited person is created through ``accounts.services.user_create`` (admins
only, audited as ``user.created`` with ``source: invitation`` in the same
transaction) as an employee with no password and no enrollment: an invitation is
never consent, so they join the programme only by opting in themselves. Their email
address counts as verified, because the admin vouches for the work address and the
only ways in are the link sent to it or the company's identity provider. The
invitation email goes out after commit, from a worker.

Deactivating an invited person is the ordinary offboarding
(``advocacy.ledger.offboarding``); an invitation not yet emailed is then never sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from accounts.models import Role, User
from accounts.permissions import Capability, user_can
from accounts.services import user_create
from accounts.teams import user_team_set
from advocacy.core.errors import ApplicationError, NotAllowed
from advocacy.invitations.csv_rows import InvitationRow, row_problems
from advocacy.invitations.models import Invitation
from advocacy.invitations.selectors import mark_members
from advocacy.invitations.tasks import send_invitation_email
from advocacy.invitations.teams import checked_team_name

SOURCE = "invitation"


@dataclass
class InvitationOutcome:
    invited: list[User] = field(default_factory=list)
    skipped: list[InvitationRow] = field(default_factory=list)


@transaction.atomic
def invitations_create(*, actor: User, rows: Sequence[InvitationRow]) -> InvitationOutcome:
    """Invite the people in ``rows`` (admins only). Every row is checked again, here,
    by the preview's rules: a row with a problem, or whose email is in Candor by now
    (an earlier upload, a second row in the file), is skipped with the reason, and
    the others are invited. Running it twice invites nobody twice."""
    if not user_can(actor, Capability.OFFBOARD):
        raise NotAllowed(gettext("Only admins can invite people."))
    rows = [InvitationRow(**{**row.as_dict(), "problems": row_problems(row)}) for row in rows]
    mark_members(rows)
    outcome = InvitationOutcome()
    for row in rows:
        if row.problems:
            outcome.skipped.append(row)
            continue
        try:
            with transaction.atomic():  # a savepoint: one refused row leaves the others invited
                outcome.invited.append(_invite(actor=actor, row=row))
        except ApplicationError as exc:
            row.problems.append(exc.message)
            outcome.skipped.append(row)
        except IntegrityError:  # someone else created this address a moment ago
            row.problems.append(gettext("Already in Candor: not invited again."))
            outcome.skipped.append(row)
    return outcome


def _invite(*, actor: User, row: InvitationRow) -> User:
    profile = {
        "language": row.language or settings.LANGUAGE_CODE,
        "time_zone": row.time_zone or "UTC",
    }
    user = user_create(
        actor=actor, email=row.email, role=Role.EMPLOYEE, display_name=row.name, profile=profile, source=SOURCE
    )
    team = checked_team_name(row.team)
    if team:
        user = user_team_set(actor=actor, user_id=user.pk, team_name=team, source=SOURCE)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    invitation = Invitation.objects.create(user=user, invited_by=actor)
    send_invitation_email.delay_on_commit(invitation.pk)  # type: ignore[attr-defined]
    return user
