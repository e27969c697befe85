"""Connecting Mastodon, LinkedIn and X accounts from "My accounts" (the Bluesky form
lives in ``employee.connections``). Views validate input, call a connect service and
go back to the connections page with a message; a failure is never a 500.

Why Mastodon takes one extra click: the page's Content-Security-Policy lets forms
lead only to Candor and a few known origins (``form-action``), and browsers apply that
to the redirect that follows a form post. LinkedIn and X have fixed origins, which
settings allow, so their buttons go straight there. A Mastodon server can be anyone's:
its form registers Candor there and returns to the page, which then offers a plain
link to the server ("Continue to mastodon.social"), saying where the person is going."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base import AuthProcess
from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from requests import RequestException

from accounts.adapters import network_provider_id
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import Capability
from advocacy.core.errors import ApplicationError
from advocacy.ledger.connect import account_connect_mastodon, mastodon_authorization_start, mastodon_instance_url
from advocacy.ledger.models import ConnectedAccount
from advocacy.networks.registry import NETWORKS
from advocacy.portal.helpers import requires

participant = requires(Capability.PARTICIPATE)

OAUTH_NETWORKS = ("linkedin", "x")  # connected through django-allauth
MASTODON_SESSION_KEY = "candor.mastodon_connect"


class MastodonConnectForm(forms.Form):
    instance_url = forms.CharField(
        max_length=255,
        label=gettext_lazy("Your Mastodon server"),
        help_text=gettext_lazy("For example mastodon.social, or your handle @you@mastodon.social."),
    )


@dataclass(frozen=True)
class NetworkOption:
    key: str
    name: str
    available: bool


def _oauth_configured(request: HttpRequest, network: str) -> bool:
    return bool(get_adapter(request).list_apps(request, provider=network_provider_id(network)))


def network_options(request: HttpRequest) -> list[NetworkOption]:
    """The networks connected by a button or form here (Bluesky has its own form)."""
    return [
        NetworkOption(key="mastodon", name=NETWORKS["mastodon"], available=True),
        *(
            NetworkOption(key=network, name=NETWORKS[network], available=_oauth_configured(request, network))
            for network in OAUTH_NETWORKS
        ),
    ]


def mastodon_pending(request: HttpRequest) -> dict[str, Any] | None:
    """The Mastodon authorization this person started and has not finished, if any."""
    pending = request.session.get(MASTODON_SESSION_KEY)
    if not pending:
        return None
    return {"url": pending["authorize_url"], "host": urlsplit(pending["instance_url"]).netloc}


def _connections(fragment: str = "", **query: str) -> HttpResponse:
    url = reverse("portal:connections")
    if query:
        url += f"?{urlencode(query)}"
    return redirect(f"{url}#{fragment}" if fragment else url)


# -- Mastodon -------------------------------------------------------------------


def _start_mastodon(request: AuthenticatedHttpRequest, typed: str) -> HttpResponse:
    state = secrets.token_urlsafe(32)
    redirect_uri = request.build_absolute_uri(reverse("portal:connect_mastodon_callback"))
    try:
        instance_url = mastodon_instance_url(typed)
        authorization = mastodon_authorization_start(instance_url=instance_url, redirect_uri=redirect_uri, state=state)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _connections("connect-mastodon", instance=typed)
    request.session[MASTODON_SESSION_KEY] = {
        "state": state,
        "instance_url": instance_url,
        "client_id": authorization.client_id,
        "redirect_uri": redirect_uri,
        "authorize_url": authorization.url,
    }
    return _connections("mastodon-continue")


@participant
@require_POST
def mastodon_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = MastodonConnectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter your Mastodon server, for example mastodon.social."))
        return _connections("connect-mastodon")
    return _start_mastodon(request, form.cleaned_data["instance_url"])


@participant
@require_POST
def mastodon_cancel(request: AuthenticatedHttpRequest) -> HttpResponse:
    request.session.pop(MASTODON_SESSION_KEY, None)
    return _connections()


@participant
@require_GET
def mastodon_callback(request: AuthenticatedHttpRequest) -> HttpResponse:
    pending = request.session.get(MASTODON_SESSION_KEY)
    state = request.GET.get("state", "")
    if not pending or not secrets.compare_digest(state.encode(), pending["state"].encode()):
        # Not the answer to what this browser started (or already used): a link from
        # elsewhere must neither connect anything nor spoil a connection in progress.
        messages.error(
            request,
            _("This Mastodon sign-in link has expired or was not started here. Please connect again."),
        )
        return _connections("connect-mastodon")
    del request.session[MASTODON_SESSION_KEY]  # one callback per state
    host = urlsplit(pending["instance_url"]).netloc
    error, code = request.GET.get("error"), request.GET.get("code")
    if error or not code:
        if error == "access_denied":
            message = _("You did not allow Candor to post to %(host)s, so nothing was connected.")
        else:
            message = _("%(host)s did not complete the sign-in (%(reason)s). Please try again.")
        reason = request.GET.get("error_description") or error or _("no authorization code")
        messages.error(request, message % {"host": host, "reason": reason})
        return _connections("connect-mastodon")
    try:
        account = account_connect_mastodon(
            actor=request.user,
            instance_url=pending["instance_url"],
            client_id=pending["client_id"],
            code=code,
            redirect_uri=pending["redirect_uri"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _connections("connect-mastodon")
    messages.success(request, _("Connected %(account)s.") % {"account": account})
    return _connections()


# -- LinkedIn and X ---------------------------------------------------------------


def _start_oauth(request: AuthenticatedHttpRequest, network: str) -> HttpResponse:
    name = NETWORKS[network]
    if not _oauth_configured(request, network):
        messages.error(
            request,
            _("%(network)s is not set up in Candor yet. An administrator must configure it first.") % {"network": name},
        )
        return _connections()
    try:
        provider = get_adapter(request).get_provider(request, network_provider_id(network))
        # allauth keeps the state (and the PKCE verifier) in the session; its callback
        # ends in accounts.adapters.CandorSocialAccountAdapter.pre_social_login.
        return provider.redirect(request, process=AuthProcess.CONNECT, next_url=reverse("portal:connections"))
    except ImmediateHttpResponse as exc:
        return exc.response
    except RequestException:  # LinkedIn's OpenID configuration could not be fetched
        messages.error(request, _("Could not reach %(network)s. Please try again in a moment.") % {"network": name})
        return _connections()


@participant
@require_POST
def oauth_start(request: AuthenticatedHttpRequest, network: str) -> HttpResponse:
    if network not in OAUTH_NETWORKS:
        raise Http404
    return _start_oauth(request, network)


@participant
@require_POST
def reconnect(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    """Start the right flow again for one of this person's accounts. The ledger
    recognises the same social account and keeps what the new grant does not replace
    (such as a refresh token)."""
    account = ConnectedAccount.objects.filter(
        pk=account_id, owner=request.user, status__in=ConnectedAccount.LIVE_STATUSES
    ).first()
    if account is None:
        raise Http404
    if account.network == "mastodon":
        return _start_mastodon(request, account.service_url)
    if account.network in OAUTH_NETWORKS:
        return _start_oauth(request, account.network)
    messages.info(
        request,
        _("Create a new app password for %(handle)s in Bluesky's settings and enter it below.")
        % {"handle": account.handle},
    )
    return _connections("connect")
