"""The ownership ledger. Connecting, reconnecting and status changes of social
accounts; every change is an AccountEvent plus an audit event, in one transaction.

A personal account's owner never changes: there is deliberately no service for it,
and ``account_reassign`` exists only to refuse, loudly and on the record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.ledger import crypto
from advocacy.ledger.models import AccountEvent, ConnectedAccount
from advocacy.networks.base import ConnectedAccount as NetworkIdentity

Status = ConnectedAccount.Status


def _event(account: ConnectedAccount, kind: str, actor: User | None, detail: dict[str, Any] | None = None) -> None:
    AccountEvent.objects.create(account=account, kind=kind, actor=actor, detail=detail or {})


def network_identity_for(*, network: str, identity: NetworkIdentity) -> str:
    """Who this account is on its network, from what the network answered, never from
    the address someone typed: a Bluesky DID (the same on any spelling of its server),
    a Mastodon ``acct@domain`` with the domain the server reports, an X or LinkedIn
    user id. One live connection per (network, identity)."""
    by_handle = network == "mastodon"
    value = identity.handle.strip().lstrip("@").lower() if by_handle else identity.external_id.strip()
    if not value:
        raise ValidationFailed(
            gettext("The network did not say which account this is, so Candor cannot record it."),
            code="no_network_identity",
        )
    return value


@transaction.atomic
def account_connect(
    *,
    actor: User,
    network: str,
    identity: NetworkIdentity,
    ownership: str = ConnectedAccount.Ownership.PERSONAL,
) -> ConnectedAccount:
    """Record a freshly verified connection. Connecting the same social account again
    (same network identity, however its server was spelled) by the same person is a
    reconnect: the credential is replaced but a refresh token the network did not
    reissue is kept. Anyone else gets ``account_taken``: one account, one person."""
    if not user_can(actor, Capability.PARTICIPATE):
        raise NotAllowed(gettext("This account cannot connect social accounts."))
    if ownership == ConnectedAccount.Ownership.CORPORATE and not user_can(actor, Capability.MANAGE_PROGRAM):
        raise NotAllowed(gettext("Only admins connect corporate accounts; they name a custodian."))
    network_identity = network_identity_for(network=network, identity=identity)
    existing = (
        ConnectedAccount.objects.select_for_update()
        .filter(network=network, network_identity=network_identity, status__in=ConnectedAccount.LIVE_STATUSES)
        .first()
    )
    if existing is not None and existing.status == Status.REVOCATION_PENDING:
        raise Conflict(
            gettext("This account is being handed back; it can be connected again once that has finished."),
            code="account_handing_back",
        )
    if existing is not None and existing.owner_id != actor.pk:
        raise Conflict(
            gettext(
                "This social account is already connected by someone else in Candor. An account belongs to one "
                "person only, whichever address is used to reach it."
            ),
            code="account_taken",
        )
    if existing is not None:
        return _reconnect(account=existing, actor=actor, identity=identity)
    account = ConnectedAccount.objects.create(
        network=network,
        handle=identity.handle,
        external_id=identity.external_id,
        network_identity=network_identity,
        service_url=identity.service_url,
        display_name=identity.display_name,
        ownership=ownership,
        owner=actor,
        connected_by=actor,
        scopes=list(identity.scopes),
        credentials_encrypted=crypto.encrypt(identity.credentials),
        max_characters=identity.max_characters,
        token_expires_at=_expiry(identity.credentials),
    )
    _event(account, AccountEvent.Kind.CONNECTED, actor, {"scopes": list(identity.scopes), "ownership": ownership})
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNT_CONNECTED,
        target=account,
        subject=actor,
        new={
            "network": network,
            "ownership": ownership,
            "scopes": list(identity.scopes),
        },
    )
    return account


def _expiry(credentials: dict[str, Any]) -> Any:
    raw = credentials.get("expires_at")
    if not raw:
        return None
    try:
        return dt.datetime.fromtimestamp(float(raw), tz=dt.UTC)
    except (TypeError, ValueError):
        return None


def _reconnect(*, account: ConnectedAccount, actor: User, identity: NetworkIdentity) -> ConnectedAccount:
    merged = {**crypto.decrypt(account.credentials_encrypted), **identity.credentials}
    if not identity.credentials.get("refresh_token"):
        # A reconnect that did not come with a new refresh token must not wipe the old one.
        old_refresh = crypto.decrypt(account.credentials_encrypted).get("refresh_token")
        if old_refresh:
            merged["refresh_token"] = old_refresh
    old_scopes = list(account.scopes)
    account.credentials_encrypted = crypto.encrypt(merged)
    account.handle, account.display_name = identity.handle, identity.display_name or account.display_name
    account.scopes = list(identity.scopes) or old_scopes
    account.status, account.status_detail = Status.ACTIVE, ""
    account.max_characters = identity.max_characters or account.max_characters
    account.token_expires_at = _expiry(merged)
    account.save()
    _event(account, AccountEvent.Kind.RECONNECTED, actor)
    audit_record(actor=actor, action=AuditAction.ACCOUNT_RECONNECTED, target=account, subject=account.owner)
    if sorted(old_scopes) != sorted(account.scopes):
        _event(account, AccountEvent.Kind.SCOPES_CHANGED, actor, {"old": old_scopes, "new": account.scopes})
        audit_record(
            actor=actor,
            action=AuditAction.ACCOUNT_SCOPES_CHANGED,
            target=account,
            subject=account.owner,
            old={"scopes": old_scopes},
            new={"scopes": account.scopes},
        )
    return account


def account_credentials(*, account: ConnectedAccount) -> dict[str, Any]:
    """Decrypted credentials for a network call. The caller must not log or return them."""
    return crypto.decrypt(account.credentials_encrypted)


@transaction.atomic
def account_credentials_update(*, account_id: int, credentials: dict[str, Any]) -> None:
    """Store refreshed tokens from a network call (no audit: not a state change a person made)."""
    ConnectedAccount.objects.filter(pk=account_id).update(
        credentials_encrypted=crypto.encrypt(credentials), token_expires_at=_expiry(credentials)
    )


@transaction.atomic
def account_mark_needs_reconnect(*, account_id: int, reason: str) -> bool:
    """The network said the credential is dead (never called for transient errors)."""
    account = ConnectedAccount.objects.select_for_update().filter(pk=account_id, status=Status.ACTIVE).first()
    if account is None:
        return False
    account.status, account.status_detail = Status.NEEDS_RECONNECT, reason[:500]
    account.save(update_fields=["status", "status_detail"])
    _event(account, AccountEvent.Kind.NEEDS_RECONNECT, None, {"reason": reason})
    audit_record(
        actor=None,
        action=AuditAction.ACCOUNT_NEEDS_RECONNECT,
        target=account,
        subject=account.owner,
        new={"reason": reason},
    )
    return True


@transaction.atomic
def account_disconnect(*, actor: User, account_id: int) -> ConnectedAccount:
    """The owner removes an account from Candor: pending shares on it are cancelled
    and the stored credential is deleted. (Revoking at the network is part of hand-back.)"""
    from advocacy.sharing.services import share_cancel_pending_for_account

    account = ConnectedAccount.objects.select_for_update().filter(pk=account_id, owner=actor).first()
    if account is None:
        raise NotAllowed(gettext("You can only disconnect your own accounts."))
    if account.status not in ConnectedAccount.LIVE_STATUSES:
        raise Conflict(gettext("This account is no longer connected."))
    cancelled = share_cancel_pending_for_account(
        account=account, actor=actor, reason=gettext_noop("The account was disconnected.")
    )
    account.status, account.credentials_encrypted = Status.DISCONNECTED, ""
    account.save(update_fields=["status", "credentials_encrypted"])
    _event(account, AccountEvent.Kind.DISCONNECTED, actor, {"cancelled_shares": cancelled})
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNT_DISCONNECTED,
        target=account,
        subject=actor,
        new={"cancelled_shares": cancelled},
    )
    return account


def account_reassign(*, actor: User, account_id: int, new_owner: User) -> None:
    """Refuse to move a personal account to another person (the "Leo became Ciera"
    story), and record the attempt. Corporate accounts move only by custody transfer."""
    account = ConnectedAccount.objects.filter(pk=account_id).first()
    if account is None:
        raise NotAllowed(gettext("No such account."))
    with transaction.atomic():
        _event(account, AccountEvent.Kind.REASSIGN_REFUSED, actor, {"attempted_owner": new_owner.pk})
        audit_record(
            actor=actor,
            action=AuditAction.ACCOUNT_REASSIGN_REFUSED,
            target=account,
            subject=account.owner,
            new={"attempted_owner": new_owner.pk},
        )
    if account.ownership == ConnectedAccount.Ownership.PERSONAL:
        raise NotAllowed(
            gettext(
                "A personal account belongs to its owner and can never be given to someone else or renamed by Candor."
            ),
            code="personal_account_reassign",
        )
    raise NotAllowed(
        gettext("Corporate accounts change hands only through a custody transfer."), code="use_custody_transfer"
    )
