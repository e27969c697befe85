"""A person's own API token: create it, see when it was made, revoke it.

The key is shown once, in the answer to the request that made it, and never again:
it acts as its owner everywhere, like a password. Anyone signed in may hold one; the
services (``token_issue``, ``token_revoke``) check the rules and write the audit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from accounts.http import AuthenticatedHttpRequest
from accounts.services import token_issue, token_revoke
from advocacy.core.errors import ApplicationError


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request: AuthenticatedHttpRequest) -> HttpResponse:
    new_key = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create":
                if Token.objects.filter(user=request.user).exists():
                    messages.info(request, _("You already have an API token. Revoke it first to get a new one."))
                    return redirect("portal:api_token")
                new_key = token_issue(actor=request.user, user=request.user).key
            elif action == "revoke":
                if token_revoke(actor=request.user, user_id=request.user.pk):
                    messages.success(request, _("Your API token is revoked. Integrations using it stop working now."))
                else:
                    messages.info(request, _("You have no API token."))
                return redirect("portal:api_token")
            else:
                messages.error(request, _("Choose to create or to revoke your API token."))
                return redirect("portal:api_token")
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("portal:api_token")
    token = Token.objects.filter(user=request.user).first()
    response = render(request, "portal/api_token.html", {"token": token, "new_key": new_key})
    if new_key:
        response["Cache-Control"] = "no-store"  # the key must not linger in a cache
    return response
