from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from accounts.timezones import user_zone
from advocacy.core.errors import ValidationFailed
from advocacy.notifications.models import Notification, NotificationPreference, PushSubscription

# Pushed whenever they are notified (to browsers that turned push on); "new post to
# share" is pushed only by its announcement (notifications.announce), not by digests.
PUSHED_KINDS = frozenset({Notification.Kind.SHARE_FAILED})


@contextmanager
def recipient_locale(user: User) -> Iterator[None]:
    """Write a notification in its recipient's language and time zone: workers and
    other people's requests have neither of theirs active."""
    with translation.override(user.language or settings.LANGUAGE_CODE), timezone.override(user_zone(user)):
        yield


def notify(
    *,
    user: User,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    dedupe_key: str = "",
    email: bool = True,
    push: bool = False,
) -> Notification | None:
    """In-app notification plus an email sent after commit, and a web push after
    commit for ``push`` or the ``PUSHED_KINDS`` when the person turned push on. Returns
    None when ``dedupe_key`` was already used for this person (nothing is sent twice)."""
    try:
        with transaction.atomic():
            note = Notification.objects.create(
                user=user, kind=kind, title=title[:200], body=body, link=link, dedupe_key=dedupe_key
            )
    except IntegrityError:
        return None
    if email and user.email and user.is_active:
        absolute = f"{settings.CANDOR_SITE_URL}{link}" if link.startswith("/") else link
        message = f"{body}\n\n{absolute}".strip()
        transaction.on_commit(
            lambda: send_mail(
                f"[Candor] {title}", message, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=True
            )
        )
    if (push or kind in PUSHED_KINDS) and PushSubscription.objects.filter(user=user).exists():
        # tasks.py imports this module (through digests and alerts).
        from advocacy.notifications.tasks import push_notification

        push_notification.delay_on_commit(note.pk)  # type: ignore[attr-defined]
    return note


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())


def notification_preference_set(*, user: User, digest: str) -> NotificationPreference:
    """Turn the digest of newly published drafts off, daily or weekly (opt-in)."""
    if digest not in NotificationPreference.Digest.values:
        raise ValidationFailed(
            gettext("Choose off, daily or weekly."),
            fields={"digest": [gettext("Unknown choice %(choice)s.") % {"choice": repr(digest)}]},
            code="bad_digest",
        )
    preference, _created = NotificationPreference.objects.update_or_create(user=user, defaults={"digest": digest})
    return preference
