"""Pages for posts made outside Candor: the holder's watch choices and each post found."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import requires
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import Capability
from advocacy.core.errors import ApplicationError
from advocacy.watch.models import OutsidePost
from advocacy.watch.selectors import (
    outside_post_get_for_user,
    outside_posts_for_user,
    own_account_get,
    watch_rows_for_user,
)
from advocacy.watch.services import account_watch_set, outside_post_mark


@requires(Capability.PARTICIPATE)
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    posts = outside_posts_for_user(user=request.user)[:100]
    return render(request, "watch/overview.html", {"rows": watch_rows_for_user(user=request.user), "posts": posts})


@requires(Capability.PARTICIPATE)
@require_POST
def account_watch(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    account = own_account_get(user=request.user, account_id=account_id)
    try:
        account_watch_set(actor=request.user, account_id=account.pk, watch=request.POST.get("watch") == "on")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("watch:overview")


@requires(Capability.PARTICIPATE)
def outside_post(request: AuthenticatedHttpRequest, outside_post_id: int) -> HttpResponse:
    post = outside_post_get_for_user(user=request.user, outside_post_id=outside_post_id)
    if request.method == "POST":
        try:
            outside_post_mark(actor=request.user, outside_post_id=post.pk, verdict=request.POST.get("verdict", ""))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you. Your answer is recorded in the audit log."))
        return redirect("watch:outside_post", outside_post_id=post.pk)
    return render(
        request,
        "watch/outside_post.html",
        {
            "post": post,
            "may_decide": post.account.owner_id == request.user.pk and post.verdict == OutsidePost.Verdict.UNREVIEWED,
        },
    )
