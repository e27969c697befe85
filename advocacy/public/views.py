"""Public pages: who is speaking in a post, and the programme behind it.

No login, no cookies, no tracking, nothing about the reader stored. The pages are
rendered without the request (no context processors, no CSRF token, no session), so
nothing can set a cookie by accident, and are served with caching headers: they
change only when a person leaves, so a few minutes' staleness is the price of caching.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import Capability
from advocacy.core.errors import ApplicationError
from advocacy.portal.helpers import form_errors_from, requires
from advocacy.public.models import PublicName
from advocacy.public.selectors import LANGUAGES, public_post_get, public_programme
from advocacy.public.services import MAX_PUBLIC_NAME, public_name_set

CACHE_SECONDS = 300


def _public(view: Callable[..., tuple[str, dict[str, Any]]]) -> Callable[..., HttpResponse]:
    """Render ``view``'s template in the reader's language (``?lang=`` first, then the
    browser's), with no request context, and the public headers."""

    @require_GET
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        chosen = request.GET.get("lang", "")
        language = chosen if chosen in LANGUAGES else translation.get_language() or "en"
        with translation.override(language):
            template, context = view(request, *args, **kwargs)
            context.update(
                language=translation.get_language(),
                languages=[(code, translation.get_language_info(code)["name_local"]) for code in LANGUAGES],
                path=request.path,
                site=settings.CANDOR_SITE_URL,
                organisation=settings.CANDOR_ORGANISATION_NAME,
                programme_url=reverse("public:programme"),
            )
            response = HttpResponse(render_to_string(template, context))
            response["Content-Language"] = translation.get_language()
        return _public_headers(response)

    return wrapped


def _public_headers(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    patch_vary_headers(response, ["Accept-Language"])
    # Following a link away from here tells the next site nothing about the reader.
    response["Referrer-Policy"] = "no-referrer"
    return response


@_public
def post_page(request: HttpRequest, public_id: str) -> tuple[str, dict[str, Any]]:
    post = public_post_get(public_id=public_id)
    programme = public_programme(language=translation.get_language() or "en")
    statement = programme.policy.body.split("\n\n")[0].strip() if programme.policy else ""
    return "public/post.html", {"post": post, "programme": programme, "statement": statement}


@_public
def programme_page(request: HttpRequest) -> tuple[str, dict[str, Any]]:
    return "public/programme.html", {"programme": public_programme(language=translation.get_language() or "en")}


@require_GET
def programme_json(request: HttpRequest) -> HttpResponse:
    """The programme page's facts for researchers and networks, every language at once."""
    programme = public_programme(language="en")
    document = {
        "organisation": programme.organisation,
        "page": f"{settings.CANDOR_SITE_URL}{reverse('public:programme')}",
        "post_pages": f"{settings.CANDOR_SITE_URL}/p/{{public_id}}",
        "voluntary": True,
        "paid": False,
        "policy": {
            "current": programme.policy.number if programme.policy else None,
            "versions": [
                {"number": entry.number, "effective_date": entry.effective_date.isoformat(), "texts": entry.texts}
                for entry in programme.history
            ],
        },
        # null until at least participants_shown_from people take part (no one singled out)
        "participants": programme.participants,
        "participants_shown_from": programme.minimum_group,
        "networks": [key for key, _name in programme.networks],
        "disclosures": programme.disclosures,
    }
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Access-Control-Allow-Origin"] = "*"  # readable from any researcher's page
    return _public_headers(response)


class PublicNameForm(forms.Form):
    # The length is the service's rule, so its message (naming the limit) is the one shown.
    name = forms.CharField(
        label=_("Name shown to readers"),
        max_length=MAX_PUBLIC_NAME * 4,
        required=False,
        help_text=_("Leave it empty and readers see only “an employee of %(organisation)s”."),
    )


@requires(Capability.PARTICIPATE)
@require_http_methods(["GET", "POST"])
def public_name(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Where an employee chooses how the public pages of their posts name them."""
    current = PublicName.objects.filter(user=request.user).values_list("name", flat=True).first() or ""
    form = PublicNameForm(request.POST or None, initial={"name": current})
    form.fields["name"].help_text = form.fields["name"].help_text % {"organisation": settings.CANDOR_ORGANISATION_NAME}
    if request.method == "POST" and form.is_valid():
        try:
            public_name_set(actor=request.user, name=form.cleaned_data["name"])
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved. The public pages of your posts now show this."))
            return redirect("public:name")
    return render(request, "public/name.html", {"form": form, "current": current})
