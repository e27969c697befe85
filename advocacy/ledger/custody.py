"""Corporate account custody: an admin starts a transfer, the new custodian accepts,
and must then connect the account with their own credential."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.ledger.models import AccountEvent, ConnectedAccount, CustodyTransfer
from advocacy.notifications.models import Notification
from advocacy.notifications.services import notify, recipient_locale


@transaction.atomic
def custody_transfer_start(*, actor: User, account_id: int, to_user_id: int) -> CustodyTransfer:
    if not user_can(actor, Capability.MANAGE_PROGRAM):
        raise NotAllowed(gettext("Only admins can start a custody transfer."))
    account = ConnectedAccount.objects.select_for_update().filter(pk=account_id).first()
    if account is None:
        raise ValidationFailed(gettext("No such account."), fields={"account": [gettext("Unknown account.")]})
    if account.ownership != ConnectedAccount.Ownership.CORPORATE:
        from advocacy.ledger.services import account_reassign

        account_reassign(actor=actor, account_id=account.pk, new_owner=User.objects.get(pk=to_user_id))
    to_user = User.objects.filter(pk=to_user_id, is_active=True).exclude(pk=account.owner_id).first()
    if to_user is None:
        raise ValidationFailed(
            gettext("The new custodian must be another active person."),
            fields={"to_user": [gettext("Choose another active person.")]},
        )
    if CustodyTransfer.objects.filter(account=account, state=CustodyTransfer.State.PENDING).exists():
        raise Conflict(gettext("A custody transfer for this account is already waiting."))
    transfer = CustodyTransfer.objects.create(
        account=account, from_user=account.owner, to_user=to_user, started_by=actor
    )
    AccountEvent.objects.create(
        account=account, kind=AccountEvent.Kind.CUSTODY_TRANSFER_STARTED, actor=actor, detail={"to": to_user.pk}
    )
    audit_record(
        actor=actor,
        action=AuditAction.CUSTODY_TRANSFER_STARTED,
        target=account,
        subject=account.owner,
        new={"to": to_user.pk},
    )
    with recipient_locale(to_user):
        title = gettext("Please accept custody of %(account)s") % {"account": account}
        body = gettext("An admin asked you to become the custodian of this company account.")
    notify(
        user=to_user,
        kind=Notification.Kind.CUSTODY,
        title=title,
        body=body,
        link="/connections/",
        dedupe_key=f"custody-start:{transfer.pk}",
    )
    return transfer


@transaction.atomic
def custody_transfer_accept(*, actor: User, transfer_id: int) -> ConnectedAccount:
    """The new custodian accepts. The previous custodian's credential is deleted, so
    the account cannot be used until the new custodian connects it themselves."""
    locked = CustodyTransfer.objects.select_for_update(of=("self", "account")).select_related("account")
    transfer = locked.filter(pk=transfer_id).first()
    if transfer is None or transfer.to_user_id != actor.pk:
        raise NotAllowed(gettext("Only the named new custodian can accept this transfer."))
    if transfer.state != CustodyTransfer.State.PENDING:
        raise Conflict(gettext("This transfer is no longer waiting."))
    account = transfer.account
    previous = account.owner
    transfer.state, transfer.decided_at = CustodyTransfer.State.ACCEPTED, timezone.now()
    transfer.save(update_fields=["state", "decided_at"])
    account.owner, account.credentials_encrypted = actor, ""
    account.status = ConnectedAccount.Status.NEEDS_RECONNECT
    account.status_detail = gettext_noop("New custodian: connect the account with your own credential.")
    account.save(update_fields=["owner", "credentials_encrypted", "status", "status_detail"])
    AccountEvent.objects.create(
        account=account,
        kind=AccountEvent.Kind.CUSTODY_TRANSFERRED,
        actor=actor,
        detail={"from": previous.pk, "to": actor.pk},
    )
    audit_record(
        actor=actor,
        action=AuditAction.CUSTODY_TRANSFERRED,
        target=account,
        subject=previous,
        old={"custodian": previous.pk},
        new={"custodian": actor.pk, "credentials_deleted": True},
    )
    return account
