"""Reads for the outside-post pages; the access rule is written once, here."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.ledger.models import ConnectedAccount
from advocacy.watch.models import OutsidePost


def _sees_all(user: User) -> bool:
    # Admins are told of every outside post, so they may open every one.
    return user_can(user, Capability.VIEW_AUDIT)


def outside_posts_for_user(*, user: User) -> QuerySet[OutsidePost]:
    """Outside posts on the accounts ``user`` holds; every one for admins."""
    posts = OutsidePost.objects.select_related("account", "decided_by")
    return posts if _sees_all(user) else posts.filter(account__owner=user)


def outside_post_get_for_user(*, user: User, outside_post_id: int) -> OutsidePost:
    """404 for anyone but the account's holder and the admins."""
    post = outside_posts_for_user(user=user).filter(pk=outside_post_id).first()
    if post is None:
        raise Http404("No such post.")
    return post


def own_account_get(*, user: User, account_id: int) -> ConnectedAccount:
    """404 unless ``user`` holds the account (others learn nothing about it)."""
    account = ConnectedAccount.objects.filter(pk=account_id, owner=user).first()
    if account is None:
        raise Http404("No such account.")
    return account


def watch_rows_for_user(*, user: User) -> list[dict[str, object]]:
    """The live accounts ``user`` holds, with whether each is watched and when it was last read."""
    accounts = ConnectedAccount.objects.filter(owner=user, status__in=ConnectedAccount.LIVE_STATUSES).select_related(
        "watch"
    )
    rows = []
    for account in accounts:
        watch = getattr(account, "watch", None)
        corporate = account.ownership == ConnectedAccount.Ownership.CORPORATE
        rows.append(
            {
                "account": account,
                "corporate": corporate,
                "watched": corporate or bool(watch and watch.owner_opted_in),
                "checked_at": watch.checked_at if watch else None,
                "last_error": watch.last_error if watch else "",
            }
        )
    return rows
