"""Pages for programme admins. Figures are about groups, never about named people."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import Capability
from advocacy.portal.helpers import requires
from advocacy.program.selectors import participation_by_team


@requires(Capability.MANAGE_PROGRAM)
def participation(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/participation.html",
        {
            "figures": participation_by_team(),
            "minimum": settings.CANDOR_MIN_GROUP_SIZE,
        },
    )
