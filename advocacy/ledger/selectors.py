"""Reads of the ownership ledger, with their access checks."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from advocacy.ledger.models import AccountEvent, ConnectedAccount


def own_accounts(*, user: User) -> QuerySet[ConnectedAccount]:
    return ConnectedAccount.objects.filter(owner=user).order_by("network", "handle", "id")


def own_account_get(*, user: User, account_id: int) -> ConnectedAccount:
    """The caller's own account; anyone else's is a 404, never a 403, so ids can't be probed."""
    account = own_accounts(user=user).filter(pk=account_id).first()
    if account is None:
        raise Http404("No such account.")
    return account


def own_account_events(*, user: User, account_id: int) -> QuerySet[AccountEvent]:
    account = own_account_get(user=user, account_id=account_id)
    return account.events.select_related("actor").order_by("created_at", "id")


def account_get(*, account_id: int) -> ConnectedAccount:
    """Any account, for admins (the caller checks the capability)."""
    account = ConnectedAccount.objects.filter(pk=account_id).first()
    if account is None:
        raise Http404("No such account.")
    return account
