"""Reads for invitations: the preview of an uploaded file."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.functions import Lower
from django.utils.translation import gettext

from accounts.models import User
from advocacy.invitations.csv_rows import InvitationPreview, InvitationRow, invitation_csv_read


def invitations_preview(*, data: bytes) -> InvitationPreview:
    """The uploaded file's rows, each with what stops it from being invited: its own
    problems, and being in Candor already (so uploading the same file again invites
    nobody twice). The caller checks permissions."""
    preview = invitation_csv_read(data=data)
    mark_members(preview.rows)
    return preview


def mark_members(rows: Iterable[InvitationRow]) -> None:
    """Add a problem to each row whose email someone in Candor already signs in with."""
    rows = list(rows)
    emails = {row.email for row in rows if row.email}
    taken = set(
        User.objects.annotate(address=Lower("email")).filter(address__in=emails).values_list("address", flat=True)
    )
    for row in rows:
        if row.email in taken:
            row.problems.append(gettext("Already in Candor: not invited again."))
