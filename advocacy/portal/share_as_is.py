""" "Share as is": the approved post, unchanged, on every connected account the draft
targets, after one confirmation that shows exactly what each network receives
(disclosure first). Sharing the same post again on the same account asks first.

The services check everything (consent, disclosure, four eyes for edited texts); this
view only builds the approved text the composer would offer and asks once."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import Capability
from advocacy.core.errors import ApplicationError
from advocacy.drafts.selectors import published_draft_get
from advocacy.ledger.models import ConnectedAccount
from advocacy.networks.registry import NETWORKS
from advocacy.portal.helpers import requires
from advocacy.portal.previews import network_previews
from advocacy.program.selectors import disclosure_for, participation_state
from advocacy.sharing.models import Share
from advocacy.sharing.offered import approved_text
from advocacy.sharing.services import ShareTarget, shares_create

# A share in these states is still a post on that account (or about to be).
_STANDING = (*Share.PENDING_STATES, Share.State.SENDING, Share.State.SENT)


@requires(Capability.PARTICIPATE)
@require_http_methods(["GET", "POST"])
def share_as_is(request: AuthenticatedHttpRequest, draft_id: int) -> HttpResponse:
    draft = published_draft_get(user=request.user, draft_id=draft_id)
    version = draft.published_version
    assert version is not None  # the feed holds published drafts only
    accounts = list(
        ConnectedAccount.objects.filter(
            owner=request.user, status=ConnectedAccount.Status.ACTIVE, network__in=version.networks
        ).order_by("network", "handle")
    )
    shared = set(
        Share.objects.filter(employee=request.user, draft=draft, state__in=_STANDING).values_list(
            "account_id", flat=True
        )
    )
    texts = {network: approved_text(draft=draft, network=network) for network in version.networks}
    chosen = [a for a in accounts if a.pk not in shared]
    again: list[ConnectedAccount] = []
    if request.method == "POST":
        ids = {int(pk) for pk in request.POST.getlist("accounts") if pk.isdigit()}
        chosen = [a for a in accounts if a.pk in ids]
        again = [a for a in chosen if a.pk in shared]
        if not chosen:
            messages.error(request, _("Choose at least one account."))
        elif again and request.POST.get("again") != "yes":
            messages.warning(
                request,
                _("You already shared this post on %(accounts)s. Share it there again?")
                % {"accounts": ", ".join(str(a) for a in again)},
            )
        else:
            try:
                created = shares_create(
                    employee=request.user,
                    draft_id=draft.pk,
                    targets=[ShareTarget(account_id=a.pk, text=texts[a.network]) for a in chosen],
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                n = len(created)
                messages.success(request, ngettext("%(n)s post scheduled.", "%(n)s posts scheduled.", n) % {"n": n})
                return redirect("portal:shares")
    disclosure = disclosure_for(language=version.language)
    networks = [n for n in NETWORKS if n in {a.network for a in accounts}]
    previews = network_previews(
        user=request.user, texts=texts, networks=networks, disclosure=disclosure, version=version
    )
    return render(
        request,
        "portal/share_as_is.html",
        {
            "draft": draft,
            "accounts": accounts,
            "chosen": {a.pk for a in chosen},
            "shared": shared,
            "again": again,
            "previews": previews,
            "disclosure": disclosure,
            "participation": participation_state(user=request.user),
        },
    )
