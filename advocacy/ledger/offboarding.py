"""Offboarding: when someone leaves, hand back everything cleanly.

``offboarding_start`` records the decision (and who takes over each corporate
account). ``hand_back_run`` does the work and can run any number of times: it
cancels pending shares, ends the enrollment, revokes Candor's access at each
network, deletes stored credentials, marks personal accounts *handed back*, moves
corporate accounts to their successors, and finishes with a receipt. A revoke that
fails leaves the account *revocation pending*; the sweeper retries it with backoff
until it succeeds. Network calls never run inside a database transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.ledger.models import AccountEvent, ConnectedAccount, CustodyTransfer, Offboarding
from advocacy.ledger.sessions import session_for
from advocacy.networks import base as net
from advocacy.networks.registry import get_client
from advocacy.notifications.models import Notification
from advocacy.notifications.push import push_subscriptions_delete_for_user
from advocacy.notifications.services import notify, recipient_locale
from advocacy.program.models import Enrollment

logger = logging.getLogger(__name__)
Status = ConnectedAccount.Status
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 3600
# 1, 2, 4 ... 32 minutes, then hourly: about four hours in all before a person must look.
MAX_REVOCATION_ATTEMPTS = 10
# A case still "running" this long after it started lost its task (broker or worker gone).
STALE_RUNNING = dt.timedelta(minutes=15)
OPEN_STATES = (
    Offboarding.State.RUNNING,
    Offboarding.State.REVOCATION_PENDING,
    Offboarding.State.REVOCATION_FAILED,
)


def _live_accounts(user: User) -> list[ConnectedAccount]:
    return list(ConnectedAccount.objects.filter(owner=user, status__in=ConnectedAccount.LIVE_STATUSES))


@transaction.atomic
def offboarding_start(
    *, actor: User | None, user_id: int, successors: dict[int, int] | None = None, reason: str = ""
) -> Offboarding:
    """Mark a person as leaving and deactivate them: from now on they cannot sign in
    (so cannot rejoin), and everything they did stays in the audit trail. ``actor``
    None means the system (a deactivation seen by the sweeper). Admins must name a
    successor for every corporate account. The hand-back runs after commit."""
    from advocacy.ledger.tasks import hand_back

    if actor is not None and not user_can(actor, Capability.OFFBOARD):
        raise NotAllowed(gettext("Only admins can offboard people."))
    leaver = User.objects.select_for_update().filter(pk=user_id).first()
    if leaver is None:
        raise ValidationFailed(gettext("No such person."), fields={"user": [gettext("Unknown person.")]})
    if actor is not None and actor.pk == leaver.pk:
        raise NotAllowed(gettext("You cannot offboard yourself; ask another admin."))
    open_case = Offboarding.objects.filter(user=leaver).exclude(state=Offboarding.State.COMPLETED).first()
    if open_case is not None:
        _deactivate(actor=actor, leaver=leaver, reason=reason)
        return open_case
    accounts = _live_accounts(leaver)
    successors = {int(k): int(v) for k, v in (successors or {}).items()}
    corporate = [a for a in accounts if a.ownership == ConnectedAccount.Ownership.CORPORATE]
    missing = [str(a) for a in corporate if a.pk not in successors]
    if missing and actor is not None:
        raise ValidationFailed(
            gettext("Name a successor for each corporate account: %(accounts)s.") % {"accounts": ", ".join(missing)},
            fields={"successors": [gettext("No successor for %(account)s.") % {"account": name} for name in missing]},
        )
    active = User.objects.filter(pk__in=successors.values(), is_active=True).exclude(pk=leaver.pk)
    valid_successors = set(active.values_list("pk", flat=True))
    bad = [a for a in corporate if a.pk in successors and successors[a.pk] not in valid_successors]
    if bad:
        raise ValidationFailed(
            gettext("A successor must be another active person."),
            fields={"successors": [gettext("Invalid successor for %(account)s.") % {"account": a} for a in bad]},
        )
    case = Offboarding.objects.create(
        user=leaver,
        started_by=actor,
        reason=reason[:300],
        account_ids=[a.pk for a in accounts],
        successors={str(a.pk): successors[a.pk] for a in corporate if a.pk in successors},
    )
    audit_record(
        actor=actor,
        action=AuditAction.OFFBOARDING_STARTED,
        target=case,
        subject=leaver,
        new={"accounts": case.account_ids, "successors": case.successors, "reason": reason},
    )
    _deactivate(actor=actor, leaver=leaver, reason=reason)
    # celery-types types shared_task as a plain Task; with Django, Celery's task class is DjangoTask.
    hand_back.delay_on_commit(case.pk)  # type: ignore[attr-defined]
    return case


def _deactivate(*, actor: User | None, leaver: User, reason: str) -> None:
    if not leaver.is_active:
        return
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])
    push_subscriptions_delete_for_user(user=leaver, actor=actor, reason="deactivated")
    audit_record(
        actor=actor,
        action=AuditAction.USER_DEACTIVATED,
        target=leaver,
        subject=leaver,
        old={"is_active": True},
        new={"is_active": False, "reason": reason[:300]},
    )


def _prepare(case: Offboarding) -> None:
    """Everything that needs no network: one transaction."""
    from advocacy.program.services import enrollment_leave
    from advocacy.sharing.services import share_cancel_pending_for_account, share_cancel_pending_for_user

    left = 0
    if Enrollment.objects.filter(user=case.user, status=Enrollment.Status.ACTIVE).exists():
        # First, in a transaction of its own: there the leave waits for posts a worker
        # had already taken, so none of them goes out after it (docs/operations.md).
        with contextlib.suppress(Conflict):  # they left meanwhile
            left = enrollment_leave(
                user=case.user, actor=case.started_by, reason=gettext_noop("Leaving the company.")
            ).cancelled_shares
    with transaction.atomic():
        case = Offboarding.objects.select_for_update().get(pk=case.pk)
        actor = case.started_by
        cancelled = left + share_cancel_pending_for_user(
            user=case.user, actor=actor, reason=gettext_noop("You are leaving the company.")
        )
        enrollment = Enrollment.objects.filter(user=case.user, status=Enrollment.Status.ACTIVE).first()
        if enrollment is not None:
            cancelled += enrollment_leave(
                user=case.user, actor=actor, reason=gettext_noop("Leaving the company.")
            ).cancelled_shares
        for account in ConnectedAccount.objects.select_for_update().filter(
            pk__in=case.account_ids, status__in=(Status.ACTIVE, Status.NEEDS_RECONNECT)
        ):
            cancelled += share_cancel_pending_for_account(
                account=account, actor=actor, reason=gettext_noop("Account handed back.")
            )
            account.status, account.status_detail = Status.REVOCATION_PENDING, "Revoking Candor's access…"
            account.save(update_fields=["status", "status_detail"])
            AccountEvent.objects.create(account=account, kind=AccountEvent.Kind.REVOCATION_PENDING, actor=actor)
            audit_record(
                actor=actor, action=AuditAction.ACCOUNT_REVOCATION_PENDING, target=account, subject=account.owner
            )
        if cancelled:
            case.cancelled_shares += cancelled
            case.save(update_fields=["cancelled_shares"])


def _revoke(account: ConnectedAccount) -> net.RevokeResult:
    """Revoke at the network. A credential the network already refuses counts as revoked."""
    if not account.credentials_encrypted:
        return net.RevokeResult(True, "Candor held no credential for this account.")
    try:
        return get_client(account.network).revoke(session_for(account))
    except net.AuthError as exc:
        return net.RevokeResult(True, f"The network already refuses this credential ({exc.message}).")


@transaction.atomic
def _record_revoked(case: Offboarding, account_id: int, result: net.RevokeResult) -> None:
    account = ConnectedAccount.objects.select_for_update().get(pk=account_id)
    if account.status != Status.REVOCATION_PENDING:
        return
    actor, now = case.started_by, timezone.now()
    account.credentials_encrypted, account.revoked_at = "", now
    account.revocation_detail = result.detail[:500]
    AccountEvent.objects.create(
        account=account,
        kind=AccountEvent.Kind.REVOKED,
        actor=actor,
        detail={"detail": result.detail, "revoked": result.revoked},
    )
    audit_record(
        actor=actor,
        action=AuditAction.ACCOUNT_REVOKED,
        target=account,
        subject=account.owner,
        new={"detail": result.detail, "credentials_deleted": True},
    )
    successor_id = case.successors.get(str(account.pk))
    if account.ownership == ConnectedAccount.Ownership.CORPORATE and successor_id:
        successor = User.objects.get(pk=successor_id)
        previous = account.owner
        CustodyTransfer.objects.create(
            account=account,
            from_user=previous,
            to_user=successor,
            started_by=actor or successor,
            state=CustodyTransfer.State.ACCEPTED,
            decided_at=now,
        )
        account.owner, account.status = successor, Status.NEEDS_RECONNECT
        account.status_detail = f"Custody passed from {previous} to {successor}; they must reconnect it."
        AccountEvent.objects.create(
            account=account,
            kind=AccountEvent.Kind.CUSTODY_TRANSFERRED,
            actor=actor,
            detail={"from": previous.pk, "to": successor.pk},
        )
        audit_record(
            actor=actor,
            action=AuditAction.CUSTODY_TRANSFERRED,
            target=account,
            subject=previous,
            old={"custodian": previous.pk},
            new={"custodian": successor.pk},
        )
        with recipient_locale(successor):
            title = gettext("You are now the custodian of %(account)s") % {"account": account}
            body = gettext("Reconnect it with your own credential before it can be used.")
        transaction.on_commit(
            lambda: notify(
                user=successor,
                kind=Notification.Kind.CUSTODY,
                title=title,
                body=body,
                link="/connections/",
                dedupe_key=f"custody:{account.pk}:{successor.pk}",
            )
        )
    else:
        account.status = Status.HANDED_BACK
        account.status_detail = gettext_noop("Handed back to its owner; Candor holds no credential.")
        AccountEvent.objects.create(account=account, kind=AccountEvent.Kind.HANDED_BACK, actor=actor)
        audit_record(actor=actor, action=AuditAction.ACCOUNT_HANDED_BACK, target=account, subject=account.owner)
    account.save()


@transaction.atomic
def _record_failure(account_id: int, error: net.NetworkError) -> None:
    account = ConnectedAccount.objects.select_for_update().get(pk=account_id)
    account.revocation_attempts += 1
    account.status_detail = f"Revocation pending (attempt {account.revocation_attempts}): {error.message}"[:500]
    account.save(update_fields=["revocation_attempts", "status_detail"])


def hand_back_run(*, offboarding_id: int) -> Offboarding:
    """Do (or resume) the hand-back. Running it again after it completed changes nothing."""
    case = Offboarding.objects.select_related("user", "started_by").get(pk=offboarding_id)
    if case.state == Offboarding.State.COMPLETED:
        return case
    _prepare(case)
    failures = 0
    for account in ConnectedAccount.objects.filter(pk__in=case.account_ids, status=Status.REVOCATION_PENDING):
        try:
            result = _revoke(account)
        except net.NetworkError as exc:
            logger.warning("revocation of account %s failed: %s", account.pk, exc.message)
            _record_failure(account.pk, exc)
            failures += 1
            continue
        _record_revoked(case, account.pk, result)
    return _finish(case.pk, failures)


@transaction.atomic
def _finish(case_id: int, failures: int) -> Offboarding:
    from advocacy.ledger.receipt import receipt_build

    case = Offboarding.objects.select_for_update(of=("self",)).select_related("user", "started_by").get(pk=case_id)
    if case.state == Offboarding.State.COMPLETED:  # another run (a retry enqueued twice) finished first
        return case
    if failures:
        pending = ConnectedAccount.objects.filter(pk__in=case.account_ids, status=Status.REVOCATION_PENDING)
        attempts = max(pending.values_list("revocation_attempts", flat=True), default=1)
        if attempts >= MAX_REVOCATION_ATTEMPTS:
            return _give_up(case, list(pending), attempts)
        delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))
        case.state, case.next_attempt_at = (
            Offboarding.State.REVOCATION_PENDING,
            timezone.now() + dt.timedelta(seconds=delay),
        )
        case.save(update_fields=["state", "next_attempt_at"])
        return case
    case.state, case.completed_at, case.next_attempt_at = Offboarding.State.COMPLETED, timezone.now(), None
    case.receipt = receipt_build(offboarding=case)
    case.save(update_fields=["state", "completed_at", "next_attempt_at", "receipt"])
    audit_record(
        actor=case.started_by,
        action=AuditAction.OFFBOARDING_COMPLETED,
        target=case,
        subject=case.user,
        new={"accounts": len(case.account_ids), "cancelled_shares": case.cancelled_shares},
    )
    for person in {p for p in (case.user, case.started_by) if p is not None}:
        with recipient_locale(person):
            title = gettext("Hand-back complete")
            body = gettext("Every account of %(person)s was handed back and Candor holds no credentials for them.") % {
                "person": case.user
            }
        notify(
            user=person,
            kind=Notification.Kind.OFFBOARDING,
            title=title,
            body=body,
            link=f"/offboarding/{case.pk}/",
            dedupe_key=f"offboarding-done:{case.pk}",
        )
    return case


def _give_up(case: Offboarding, pending: list[ConnectedAccount], attempts: int) -> Offboarding:
    """Retries ran out: stop retrying, keep the credential (it is still needed to
    revoke), and tell the admins. An admin's "Retry now" on the hand-back page runs
    it again; the sweep does not."""
    case.state, case.next_attempt_at = Offboarding.State.REVOCATION_FAILED, None
    case.save(update_fields=["state", "next_attempt_at"])
    for account in pending:
        # The audit log says, per account, that Candor stopped trying and why.
        audit_record(
            actor=None,
            action=AuditAction.ACCOUNT_REVOCATION_PENDING,
            target=account,
            subject=account.owner,
            new={"attempts": attempts, "retries_exhausted": True, "detail": account.status_detail},
        )
    admins = [case.started_by] if case.started_by else [u for u in User.objects.filter(is_active=True) if _admin(u)]
    for admin in admins:
        with recipient_locale(admin):
            title = gettext("Hand-back of %(person)s needs you") % {"person": case.user}
            body = gettext(
                "Candor could not revoke its access to %(accounts)s after %(attempts)s attempts and has stopped "
                "retrying. Revoke it at the network, or retry from the hand-back page."
            ) % {"accounts": ", ".join(str(a) for a in pending), "attempts": attempts}
        notify(
            user=admin,
            kind=Notification.Kind.OFFBOARDING,
            title=title,
            body=body,
            link=f"/offboarding/{case.pk}/",
            dedupe_key=f"offboarding-failed:{case.pk}:{attempts}",
        )
    return case


def _admin(user: User) -> bool:
    return user_can(user, Capability.OFFBOARD)


def hand_back_due(*, now: dt.datetime | None = None) -> list[int]:
    """What the sweep (beat task ``ledger.hand_back_sweep``) must run now: offboardings
    whose revocations are due for another try, ones whose task was lost, and, for each
    deactivated person who still holds live accounts, pending shares or an enrollment
    without an open offboarding (deactivated by SSO, the ORM, loaddata: any path that
    skipped the service), a new offboarding started by the system, on the record."""
    from advocacy.sharing.models import Share

    now = now or timezone.now()
    due = list(
        Offboarding.objects.filter(
            Q(state=Offboarding.State.REVOCATION_PENDING, next_attempt_at__lte=now)
            | Q(state=Offboarding.State.RUNNING, started_at__lte=now - STALE_RUNNING)
        ).values_list("pk", flat=True)
    )
    holding = (
        User.objects.filter(is_active=False)
        .filter(
            Q(social_accounts__status__in=ConnectedAccount.LIVE_STATUSES)
            | Q(shares__state__in=Share.PENDING_STATES)
            | Q(enrollment__status=Enrollment.Status.ACTIVE)
        )
        .exclude(offboardings__state__in=OPEN_STATES)
        .distinct()
    )
    for user in holding[:100]:
        case = offboarding_start(actor=None, user_id=user.pk, reason="Deactivated outside Candor; seen by the sweep")
        due.append(case.pk)
    return due


@transaction.atomic
def user_deactivate(*, actor: User, user_id: int, successors: dict[int, int] | None = None) -> Offboarding:
    """Deactivate a person and hand everything back (the same as offboarding them)."""
    if not user_can(actor, Capability.OFFBOARD):
        raise NotAllowed(gettext("Only admins can deactivate people."))
    return offboarding_start(actor=actor, user_id=user_id, successors=successors, reason="Deactivated by an admin")
