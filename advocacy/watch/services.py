"""Spotting posts made outside Candor on the accounts it watches.

A beat task (``watch.dispatch``) finds the accounts due for a look; one task per
account (``watch.check_account``) reads its recent posts from the network and compares
them with what Candor sent. Candor's own posts are recognised by the id the network
returned, by the record key Candor chose (Bluesky), or, while a send is still in
flight, by its exact final text, so they are never flagged. A post Candor did not send
is recorded (network id, time, text digest; the text only for a corporate account),
audited, and its custodian and the admins are told at once.

Reading only: nothing here posts or deletes. Each account is read at most once per
``interval_for(network)`` and backs off on errors; a personal account is never read
unless its owner opted in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import Role, User
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.drafts.content import share_post
from advocacy.ledger.models import AccountEvent, ConnectedAccount
from advocacy.ledger.services import account_mark_needs_reconnect
from advocacy.ledger.sessions import session_for
from advocacy.networks import base as net
from advocacy.networks.bluesky.client import record_key_for
from advocacy.networks.http import comparable
from advocacy.networks.registry import get_client
from advocacy.notifications.models import Notification
from advocacy.notifications.services import notify, recipient_locale
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_cancel_pending_for_account
from advocacy.watch.models import OutsidePost, WatchedAccount

logger = logging.getLogger(__name__)
Ownership = ConnectedAccount.Ownership

# The least time between two reads of one account, per network: X's user-timeline
# endpoint allows few requests per window on most plans; the others are generous.
NETWORK_FLOOR_SECONDS = {"bluesky": 60, "mastodon": 60, "linkedin": 300, "x": 900}
MAX_BACKOFF = dt.timedelta(hours=6)
# A network that cannot be read with the granted scope is asked again once a day.
UNREADABLE_RETRY = dt.timedelta(days=1)
RECENT_POSTS = 20
# Accounts read per network per beat: a burst of accounts is spread over several beats.
PER_NETWORK_PER_BEAT = 50


def interval_for(network: str) -> dt.timedelta:
    return dt.timedelta(seconds=max(settings.CANDOR_WATCH_SECONDS, NETWORK_FLOOR_SECONDS.get(network, 300)))


def _watched() -> Q:
    """Live, usable accounts that are corporate, or personal with the owner's opt-in."""
    opted_in = Q(ownership=Ownership.PERSONAL, watch__owner_opted_in=True)
    return Q(status=ConnectedAccount.Status.ACTIVE) & (Q(ownership=Ownership.CORPORATE) | opted_in)


def outside_post_checks_due(*, now: dt.datetime | None = None) -> list[int]:
    """The ids of the watched accounts due for a look, oldest look first."""
    now = now or timezone.now()
    due = Q(watch__isnull=True) | Q(watch__next_check_at__isnull=True) | Q(watch__next_check_at__lte=now)
    ids: list[int] = []
    for network in NETWORK_FLOOR_SECONDS:
        rows = (
            ConnectedAccount.objects.filter(_watched() & due, network=network)
            .order_by("watch__checked_at", "pk")
            .values_list("pk", flat=True)[:PER_NETWORK_PER_BEAT]
        )
        ids.extend(rows)
    return ids


@dataclass(frozen=True)
class CheckResult:
    account_id: int
    read: bool  # whether the network was asked at all
    found: list[int]  # OutsidePost ids recorded by this look
    error: str = ""


def outside_posts_check(*, account_id: int, now: dt.datetime | None = None) -> CheckResult:
    """Read ``account_id``'s recent posts and record those Candor did not send.

    Idempotent: a post already recorded is not recorded or notified again, and an
    account not due (rate limit, backoff) is not read. The network is called outside
    any transaction."""
    now = now or timezone.now()
    account = ConnectedAccount.objects.filter(_watched(), pk=account_id).first()
    if account is None:  # gone, not usable, or personal without the owner's opt-in
        return CheckResult(account_id, read=False, found=[])
    state = _state_for(account)
    if state.next_check_at is not None and state.next_check_at > now:
        return CheckResult(account_id, read=False, found=[])
    client = get_client(account.network)
    reader = getattr(client, "recent_posts", None)
    if reader is None:
        _record_failure(state, now=now, message="This network's plug-in cannot read posts.", unreadable=True)
        return CheckResult(account_id, read=False, found=[], error="unreadable")
    try:
        posts = reader(session_for(account), limit=RECENT_POSTS)
    except net.TransientError as exc:
        _record_failure(state, now=now, message=exc.message, retry_after=exc.retry_after)
        return CheckResult(account_id, read=True, found=[], error=exc.message)
    except net.PermanentError as exc:
        _record_failure(state, now=now, message=exc.message, unreadable=True)
        return CheckResult(account_id, read=True, found=[], error=exc.message)
    found = _record_unknown(account=account, state=state, posts=posts, now=now)
    return CheckResult(account_id, read=True, found=found)


def _state_for(account: ConnectedAccount) -> WatchedAccount:
    state = WatchedAccount.objects.filter(account=account).first()
    if state is None:
        # Corporate: watched from the moment it was connected. Everything it posted
        # before that was never Candor's to compare.
        state, _created = WatchedAccount.objects.get_or_create(
            account=account, defaults={"watching_since": account.connected_at}
        )
    return state


def _record_failure(
    state: WatchedAccount,
    *,
    now: dt.datetime,
    message: str,
    retry_after: float | None = None,
    unreadable: bool = False,
) -> None:
    failures = state.failures + 1
    if unreadable:
        wait = UNREADABLE_RETRY
    else:
        wait = min(interval_for(state.account.network) * (2 ** min(failures, 10)), MAX_BACKOFF)
        if retry_after:
            wait = max(wait, dt.timedelta(seconds=retry_after))
    WatchedAccount.objects.filter(pk=state.pk).update(
        checked_at=now, next_check_at=now + wait, failures=failures, last_error=message[:500]
    )
    logger.info("watch: could not read %s (attempt %s): %s", state.account, failures, message)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _posted_at(value: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if timezone.is_aware(when) else timezone.make_aware(when, dt.UTC)


def _candors_own(account: ConnectedAccount) -> tuple[set[str], set[str], set[str]]:
    """What Candor sent or may be sending on ``account``: network ids, Bluesky record
    keys, and the exact final texts of sends whose outcome is not yet recorded (a
    worker mid-send, or an outcome in doubt)."""
    shares = Share.objects.filter(account=account).select_related("draft_version")
    ids, keys, in_flight = set(), set(), set()
    for share in shares.only(
        "external_id",
        "idempotency_key",
        "state",
        "text",
        "network",
        "disclosure",
        "public_id",
        "last_error_code",
        "draft_version__link",
        "draft_version__image",
        "draft_version__image_alt",
    ):
        if share.external_id:
            ids.add(share.external_id)
        if account.network == "bluesky":
            keys.add(record_key_for(share.idempotency_key))
        sending = share.state in (Share.State.SENDING, Share.State.UNKNOWN) or share.in_doubt
        if not share.external_id and sending:
            final = share_post(
                network=share.network,
                text=share.text,
                version=share.draft_version,
                disclosure=share.disclosure,
                public_id=share.public_id,
            )
            in_flight.add(comparable(final.text))
    return ids, keys, in_flight


def _is_candors(post: net.RecentPost, own: tuple[set[str], set[str], set[str]]) -> bool:
    ids, keys, in_flight = own
    if post.external_id in ids:
        return True
    if keys and post.external_id.rsplit("/", 1)[-1] in keys:
        return True
    # Only the whole final text counts: a post that merely starts with the disclosure
    # is exactly what someone imitating Candor would write.
    return comparable(post.text) in in_flight


@transaction.atomic
def _record_unknown(
    *, account: ConnectedAccount, state: WatchedAccount, posts: list[net.RecentPost], now: dt.datetime
) -> list[int]:
    own = _candors_own(account)
    known = set(OutsidePost.objects.filter(account=account).values_list("external_id", flat=True))
    corporate = account.ownership == Ownership.CORPORATE
    found = []
    for post in posts:
        if post.external_id in known or _is_candors(post, own):
            continue
        posted_at = _posted_at(post.created_at)
        if posted_at is not None and posted_at < state.watching_since:
            continue
        outside = OutsidePost.objects.create(
            account=account,
            network=account.network,
            ownership=account.ownership,
            external_id=post.external_id[:255],
            posted_at=posted_at,
            text_digest=_digest(post.text),
            text=post.text if corporate else "",
            url=post.url[:500],
        )
        audit_record(
            actor=None,
            action=AuditAction.OUTSIDE_POST_DETECTED,
            target=outside,
            subject=account.owner,
            new={
                "account": account.pk,
                "network": account.network,
                "external_id": outside.external_id,
                "posted_at": posted_at.isoformat() if posted_at else None,
                "text_digest": outside.text_digest,
                "tool": "not candor",
            },
        )
        _tell(outside)
        found.append(outside.pk)
    WatchedAccount.objects.filter(pk=state.pk).update(
        checked_at=now, next_check_at=now + interval_for(account.network), failures=0, last_error=""
    )
    return found


def _tell(outside: OutsidePost) -> None:
    account = outside.account
    link = reverse("watch:outside_post", kwargs={"outside_post_id": outside.pk})
    admins = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=account.owner_id)
    for person in [account.owner, *admins]:
        with recipient_locale(person):
            if account.ownership == Ownership.CORPORATE:
                title = gettext("Was %(account)s used outside Candor?") % {"account": account}
                body = gettext(
                    "%(account)s published a post that Candor did not send. If you or a colleague posted it "
                    "directly, mark it as yours; if not, the account may be compromised: mark it “not mine” "
                    "and Candor stops using it until it is reconnected."
                ) % {"account": account}
            else:
                title = gettext("A post Candor did not send on %(account)s") % {"account": account}
                body = gettext(
                    "You asked Candor to watch %(account)s. A post appeared there that Candor did not send."
                ) % {"account": account}
        notify(
            user=person,
            kind=Notification.Kind.OUTSIDE_POST,
            title=title,
            body=body,
            link=link,
            dedupe_key=f"outside-post-{outside.pk}",
        )


# --- what people decide ------------------------------------------------------------


@transaction.atomic
def account_watch_set(*, actor: User, account_id: int, watch: bool) -> WatchedAccount:
    """A personal account's owner lets Candor watch it for posts made elsewhere (or
    stops it). Corporate accounts are always watched and cannot be opted out."""
    account = ConnectedAccount.objects.select_for_update().filter(pk=account_id, owner=actor).first()
    if account is None:
        raise NotAllowed(gettext("You can only choose this for your own accounts."))
    if account.ownership == Ownership.CORPORATE:
        raise Conflict(
            gettext("Corporate accounts are always watched for posts made outside Candor."),
            code="corporate_always_watched",
        )
    now = timezone.now()
    state, _created = WatchedAccount.objects.select_for_update().get_or_create(
        account=account, defaults={"watching_since": now}
    )
    if state.owner_opted_in != watch:
        state.owner_opted_in = watch
        # Only posts made from now on are compared: opting in never reaches back.
        state.watching_since = now if watch else state.watching_since
        state.next_check_at = None
        state.save(update_fields=["owner_opted_in", "watching_since", "next_check_at"])
        audit_record(
            actor=actor,
            action=AuditAction.ACCOUNT_WATCH_CHANGED,
            target=account,
            subject=actor,
            new={"watched": watch},
        )
    return state


def _may_decide(actor: User, outside: OutsidePost) -> bool:
    return actor.pk == outside.account.owner_id


@transaction.atomic
def outside_post_mark(*, actor: User, outside_post_id: int, verdict: str) -> OutsidePost:
    """The account's custodian (or, for a personal account, its owner) says whether a
    post Candor did not send was theirs. "Not mine" stops Candor using the account at
    once (pending shares cancelled, reconnect needed) and revokes Candor's credential
    after commit, so that a new one, after a password change, is the only way back."""
    outside = OutsidePost.objects.select_for_update().select_related("account").filter(pk=outside_post_id).first()
    if outside is None or not _may_decide(actor, outside):
        raise NotAllowed(gettext("Only the account's custodian can say whether this post was theirs."))
    if verdict not in (OutsidePost.Verdict.MINE, OutsidePost.Verdict.NOT_MINE):
        raise ValidationFailed(
            gettext("Say whether the post was yours: “mine” or “not mine”."),
            fields={"verdict": [gettext("Choose one.")]},
            code="bad_verdict",
        )
    if outside.verdict != OutsidePost.Verdict.UNREVIEWED:
        raise Conflict(gettext("This post was already marked."), code="already_marked")
    outside.verdict, outside.decided_by, outside.decided_at = verdict, actor, timezone.now()
    outside.save(update_fields=["verdict", "decided_by", "decided_at"])
    mine = verdict == OutsidePost.Verdict.MINE
    audit_record(
        actor=actor,
        action=AuditAction.OUTSIDE_POST_CONFIRMED if mine else AuditAction.OUTSIDE_POST_DISOWNED,
        target=outside,
        subject=actor,
        new={"verdict": verdict, "account": outside.account_id, "external_id": outside.external_id},
    )
    if not mine:
        account = outside.account
        share_cancel_pending_for_account(
            account=account, actor=actor, reason=gettext_noop("A post on this account was not its custodian's.")
        )
        account_mark_needs_reconnect(
            account_id=account.pk,
            reason="A post Candor did not send was marked “not mine”: change the account's password, "
            "then reconnect it.",
        )
        from advocacy.watch.tasks import revoke_disowned_account

        transaction.on_commit(lambda: revoke_disowned_account.delay(account.pk))
    return outside


def account_revoke_after_disowned(*, account_id: int) -> net.RevokeResult | None:
    """Revoke Candor's credential at the network for an account whose custodian
    disowned a post, then forget it. Safe to run twice: with no credential left,
    there is nothing to do."""
    account = ConnectedAccount.objects.filter(pk=account_id).first()
    if account is None or not account.credentials_encrypted:
        return None
    try:
        result = get_client(account.network).revoke(session_for(account))
    except net.AuthError as exc:
        result = net.RevokeResult(revoked=True, detail=f"The network already refuses the credential ({exc.message}).")
    with transaction.atomic():
        updated = (
            ConnectedAccount.objects.filter(pk=account_id)
            .exclude(credentials_encrypted="")
            .update(credentials_encrypted="", revoked_at=timezone.now(), revocation_detail=result.detail[:500])
        )
        if updated:
            AccountEvent.objects.create(
                account_id=account_id,
                kind=AccountEvent.Kind.REVOKED,
                actor=None,
                detail={"detail": result.detail, "revoked": result.revoked, "why": "outside post disowned"},
            )
            audit_record(
                actor=None,
                action=AuditAction.ACCOUNT_REVOKED,
                target=account,
                subject=account.owner,
                new={"revoked": result.revoked, "detail": result.detail, "why": "outside post disowned"},
            )
    return result
