from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from advocacy.linkcards.selectors import link_thumb_get


@login_required
@require_GET
def thumb(request: HttpRequest, page_id: int) -> HttpResponse:
    """A link card's thumbnail, as Candor re-encoded it: previews show this copy, so a
    reader's browser never asks the linked site for anything."""
    data = link_thumb_get(page_id=page_id)
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response
