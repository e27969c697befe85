"""Uploaded draft images, served only to those who may see them (see
``draft_image_for_user``): never to someone signed out, and an unpublished draft's
image only to the comms team and admins."""

from __future__ import annotations

import mimetypes

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from accounts.http import AuthenticatedHttpRequest
from advocacy.drafts.images import draft_image_for_user


@login_required
@require_safe
def draft_image(request: AuthenticatedHttpRequest, name: str) -> FileResponse:
    name = draft_image_for_user(user=request.user, name=name)
    try:
        stored = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("No such image.") from None
    response = FileResponse(stored, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
    # Per person: a shared cache must not hand an unpublished image to someone else.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
