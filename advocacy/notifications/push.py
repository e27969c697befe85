"""Web push to the installed portal: opt-in per device, encrypted to the browser.

A person turns push on from Notification settings; their browser then gives Candor a
subscription (the push service's endpoint and the browser's keys). Only two kinds of
notification are pushed: "new post to share" (``announce``) and "your share failed".
Push is best effort on top of the in-app notification and the email, which always
exist: a push service that is down loses that one push, never the notification.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from py_vapid import Vapid  # type: ignore[import-untyped]
from pywebpush import WebPushException, webpush  # type: ignore[import-untyped]

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import AuditEntry, audit_record, audit_record_many
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.notifications.models import Notification, PushSubscription
from advocacy.program.models import Enrollment

logger = logging.getLogger(__name__)

# A person rarely has more than a phone, a laptop and a tablet; a limit keeps one
# account from making Candor post to an unbounded list of addresses.
MAX_SUBSCRIPTIONS_PER_PERSON = 10
# The push service keeps an undelivered message this long (a phone that is off).
PUSH_TTL_SECONDS = 24 * 3600
# The push service's answers that mean "this subscription no longer exists".
GONE_STATUSES = frozenset({404, 410})
P256DH_BYTES = 65  # an uncompressed P-256 point
AUTH_BYTES = 16


def push_configured() -> bool:
    """Whether this server has a VAPID key pair (docs/configuration.md, "Web push")."""
    return bool(settings.CANDOR_VAPID_PUBLIC_KEY and settings.CANDOR_VAPID_PRIVATE_KEY)


def is_enrolled(user: User) -> bool:
    return Enrollment.objects.filter(user=user, status=Enrollment.Status.ACTIVE).exists()


def _decoded(value: str, *, size: int, name: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size:
        raise ValidationFailed(
            gettext("The browser sent a push subscription Candor cannot use: its %(key)s key is malformed.")
            % {"key": name},
            fields={name: [gettext("Expected %(size)d bytes, base64url-encoded.") % {"size": size}]},
            code="bad_push_subscription",
        )
    return raw


def _check_endpoint(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    allowed = ("https", "http") if settings.CANDOR_ALLOW_PLAIN_HTTP_NETWORKS else ("https",)
    if parts.scheme not in allowed or not parts.netloc or len(endpoint) > 1000:
        raise ValidationFailed(
            gettext("A push subscription must name an https:// address of at most 1000 characters."),
            fields={"endpoint": [gettext("Not an https:// address.")]},
            code="bad_push_endpoint",
        )


def _audit_removed(*, actor: User | None, subscriptions: list[PushSubscription], reason: str) -> None:
    audit_record_many(
        entries=[
            AuditEntry(
                actor=actor,
                action=AuditAction.PUSH_UNSUBSCRIBED,
                target=subscription,
                subject=subscription.user,
                new={"push_service": urlsplit(subscription.endpoint).netloc, "reason": reason},
            )
            for subscription in subscriptions
        ]
    )


def _delete(*, actor: User | None, subscriptions: list[PushSubscription], reason: str) -> int:
    """Audit, then delete (the events name each row's id, which delete() clears)."""
    if not subscriptions:
        return 0
    _audit_removed(actor=actor, subscriptions=subscriptions, reason=reason)
    PushSubscription.objects.filter(pk__in=[s.pk for s in subscriptions]).delete()
    return len(subscriptions)


@transaction.atomic
def push_subscribe(*, actor: User, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Turn push on for the browser that sent this subscription. Only people taking
    part in the programme may; the same browser subscribed by someone else before is
    theirs no longer (one browser profile, one person)."""
    if not push_configured():
        raise Conflict(gettext("Push notifications are not set up on this server."), code="push_not_configured")
    if not user_can(actor, Capability.PARTICIPATE) or not is_enrolled(actor):
        raise NotAllowed(gettext("Join the programme first: push notifications are for people taking part."))
    endpoint = endpoint.strip()
    _check_endpoint(endpoint)
    _decoded(p256dh, size=P256DH_BYTES, name="p256dh")
    _decoded(auth, size=AUTH_BYTES, name="auth")
    existing = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
    if existing is not None and existing.user_id == actor.pk:
        existing.p256dh, existing.auth = p256dh, auth
        existing.save(update_fields=["p256dh", "auth"])
        return existing
    if existing is not None:
        _delete(actor=actor, subscriptions=[existing], reason="another_person_in_this_browser")
    if PushSubscription.objects.filter(user=actor).count() >= MAX_SUBSCRIPTIONS_PER_PERSON:
        raise ValidationFailed(
            gettext("Push is on for %(count)d devices already; turn it off on one of them first.")
            % {"count": MAX_SUBSCRIPTIONS_PER_PERSON},
            code="too_many_push_subscriptions",
        )
    subscription = PushSubscription.objects.create(user=actor, endpoint=endpoint, p256dh=p256dh, auth=auth)
    audit_record(
        actor=actor,
        action=AuditAction.PUSH_SUBSCRIBED,
        target=subscription,
        subject=actor,
        new={"push_service": urlsplit(endpoint).netloc},
    )
    return subscription


@transaction.atomic
def push_unsubscribe(*, actor: User, endpoint: str) -> int:
    """Turn push off for one of the actor's own browsers. Returns how many were removed (0 or 1)."""
    mine = list(PushSubscription.objects.select_for_update().filter(user=actor, endpoint=endpoint.strip()))
    return _delete(actor=actor, subscriptions=mine, reason="turned_off")


@transaction.atomic
def push_subscriptions_delete_for_user(*, user: User, actor: User | None, reason: str) -> int:
    """Turn push off on every device of ``user``: they asked, left the programme or
    were deactivated. Runs inside the caller's transaction when there is one."""
    rows = list(PushSubscription.objects.select_for_update().filter(user=user).select_related("user"))
    return _delete(actor=actor, subscriptions=rows, reason=reason)


@transaction.atomic
def push_subscription_gone(*, subscription_id: int, status: int) -> int:
    """The push service answered 404/410: the browser dropped this subscription."""
    rows = list(PushSubscription.objects.select_for_update().filter(pk=subscription_id).select_related("user"))
    return _delete(actor=None, subscriptions=rows, reason=f"push_service_{status}")


def _payload(note: Notification) -> bytes:
    link = note.link
    url = f"{settings.CANDOR_SITE_URL}{link}" if link.startswith("/") else link
    message = {"title": note.title, "body": note.body[:300], "url": url, "tag": f"candor-{note.kind}-{note.pk}"}
    return json.dumps(message).encode()


def push_deliver(*, notification_id: int) -> int:
    """Push one notification to each of its recipient's browsers, once: the
    notification is claimed with a conditional update, so a redelivered task sends
    nothing. No push for someone deactivated or no longer taking part. Call outside a
    transaction (it talks to the push services). Returns how many browsers took it."""
    claimed = Notification.objects.filter(pk=notification_id, pushed_at__isnull=True).update(pushed_at=timezone.now())
    note = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if not claimed or note is None or not push_configured():
        return 0
    if not note.user.is_active or not is_enrolled(note.user):
        return 0
    vapid = Vapid.from_string(settings.CANDOR_VAPID_PRIVATE_KEY)
    payload = _payload(note)
    delivered = 0
    for subscription in PushSubscription.objects.filter(user=note.user).order_by("pk"):
        delivered += _send(subscription, payload=payload, vapid=vapid)
    return delivered


def _send(subscription: PushSubscription, *, payload: bytes, vapid: Vapid) -> int:
    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        webpush(
            subscription_info=info,
            data=payload,
            vapid_private_key=vapid,
            vapid_claims={"sub": settings.CANDOR_VAPID_SUBJECT},
            ttl=PUSH_TTL_SECONDS,
            timeout=settings.CANDOR_PUSH_TIMEOUT_SECONDS,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else 0
        if status in GONE_STATUSES:
            push_subscription_gone(subscription_id=subscription.pk, status=status)
        else:
            logger.warning("push to %s failed: %s", urlsplit(subscription.endpoint).netloc, status or exc)
        return 0
    except OSError as exc:  # refused, reset, timed out: this one push is lost, the notification stays
        logger.warning("push to %s failed: %s", urlsplit(subscription.endpoint).netloc, exc)
        return 0
    return 1
