"""Admins invite people by CSV upload: step 1 previews the file with each line's
problems, step 2 invites the people the preview found ready (checked again)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import Capability
from advocacy.invitations.csv_rows import COLUMNS, InvitationRow
from advocacy.invitations.selectors import invitations_preview
from advocacy.invitations.services import invitations_create
from advocacy.portal.helpers import requires

# The rows the last preview found ready, kept server-side (database sessions) until
# the admin confirms: the file is not uploaded twice.
PREVIEW_SESSION_KEY = "candor_invitation_rows"


class InvitationUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))


@requires(Capability.OFFBOARD)
@require_http_methods(["GET", "POST"])
def people_invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = InvitationUploadForm(request.POST, request.FILES) if posted else InvitationUploadForm()
    preview = None
    if posted and form.is_valid():
        # One byte past the limit is enough to tell that the file is too big.
        preview = invitations_preview(data=form.cleaned_data["file"].read(settings.CANDOR_INVITE_MAX_BYTES + 1))
        request.session[PREVIEW_SESSION_KEY] = [row.as_dict() for row in preview.ready]
    return render(
        request,
        "oversight/invite.html",
        {
            "form": form,
            "preview": preview,
            "columns": COLUMNS,
            "max_rows": settings.CANDOR_INVITE_MAX_ROWS,
            "max_bytes": settings.CANDOR_INVITE_MAX_BYTES,
        },
    )


@requires(Capability.OFFBOARD)
@require_POST
def people_invite_confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    stored = request.session.pop(PREVIEW_SESSION_KEY, None) or []
    if not stored:
        messages.error(request, _("There is nobody to invite yet: upload the file and check it first."))
        return redirect("portal:people_invite")
    outcome = invitations_create(actor=request.user, rows=[InvitationRow(**row) for row in stored])
    count = len(outcome.invited)
    messages.success(
        request,
        ngettext(
            "Invited %(count)d person. The invitation email is on its way.",
            "Invited %(count)d people. The invitation emails are on their way.",
            count,
        )
        % {"count": count},
    )
    if outcome.skipped:
        messages.warning(
            request,
            ngettext(
                "%(count)d person was not invited: %(reasons)s",
                "%(count)d people were not invited: %(reasons)s",
                len(outcome.skipped),
            )
            % {
                "count": len(outcome.skipped),
                "reasons": "; ".join(f"{row.email} ({' '.join(row.problems)})" for row in outcome.skipped[:10]),
            },
        )
    return redirect("portal:people")
