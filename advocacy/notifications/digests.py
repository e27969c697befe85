"""The opt-in digest of newly published drafts, daily or weekly.

Never twice: each person's window is claimed with a conditional update on
``last_digest_sent_at``, and each draft is announced to a person at most once (the
in-app notification's dedupe key), even if it is published again with a new version.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from advocacy.drafts.audience import meant_for
from advocacy.drafts.models import Draft
from advocacy.notifications.models import Notification, NotificationPreference
from advocacy.notifications.services import notify, recipient_locale
from advocacy.program.models import Enrollment

Digest = NotificationPreference.Digest
PERIODS = {Digest.DAILY: dt.timedelta(days=1), Digest.WEEKLY: dt.timedelta(days=7)}
# Beat runs hourly. A digest falls due up to this much early, so it keeps its hour
# of the day instead of drifting later each time.
SLACK = dt.timedelta(hours=1)
# Each window looks this far back past the previous one: a draft whose publishing
# transaction committed just after the last run is still found. The per-draft dedupe
# key keeps it from being announced twice.
OVERLAP = dt.timedelta(hours=1)


def _due(now: dt.datetime) -> Q:
    due = Q(pk__in=[])
    for digest, period in PERIODS.items():
        due |= Q(digest=digest) & (
            Q(last_digest_sent_at__isnull=True) | Q(last_digest_sent_at__lte=now - period + SLACK)
        )
    return due


def digests_send_due(*, now: dt.datetime | None = None) -> int:
    """Send every digest that is due; returns how many drafts were announced."""
    now = now or timezone.now()
    ids = list(NotificationPreference.objects.filter(_due(now), user__is_active=True).values_list("pk", flat=True))
    return sum(digest_send(preference_id=pk, now=now) for pk in ids)


def _new_drafts(*, user: User, since: dt.datetime, until: dt.datetime) -> list[Draft]:
    """Drafts published in the window and meant for ``user``."""
    return list(
        Draft.objects.filter(published_version__isnull=False, published_at__gt=since, published_at__lte=until)
        .filter(meant_for(user))
        .exclude(state=Draft.State.RETIRED)
        .filter(Q(published_version__expires_at__isnull=True) | Q(published_version__expires_at__gt=until))
        .select_related("published_version")
        .order_by("published_at", "id")
    )


@transaction.atomic
def digest_send(*, preference_id: int, now: dt.datetime) -> int:
    """One person's digest, if due: claims the window (so a second run sends nothing),
    adds an in-app notification per draft not announced to them before, and emails one
    digest after commit. Returns how many drafts it announced."""
    preference = NotificationPreference.objects.select_related("user").filter(pk=preference_id).first()
    if preference is None or preference.digest not in PERIODS:
        return 0
    period = PERIODS[Digest(preference.digest)]
    previous = preference.last_digest_sent_at
    if previous is not None and previous > now - period + SLACK:
        return 0
    claim = NotificationPreference.objects.filter(pk=preference.pk, digest=preference.digest)
    claim = claim.filter(last_digest_sent_at=previous) if previous else claim.filter(last_digest_sent_at__isnull=True)
    if not claim.update(last_digest_sent_at=now):
        return 0  # another run took this window
    user = preference.user
    # Someone who left the programme hears nothing more; their window still moves on,
    # so rejoining does not bring a flood of old posts.
    if not user.is_active or not Enrollment.objects.filter(user=user, status=Enrollment.Status.ACTIVE).exists():
        return 0
    drafts = _new_drafts(user=user, since=(previous or now - period) - OVERLAP, until=now)
    announced = []
    with recipient_locale(user):
        for draft in drafts:
            assert draft.published_version is not None  # _new_drafts lists published drafts only
            note = notify(
                user=user,
                kind=Notification.Kind.DRAFT_PUBLISHED,
                title=_("New post to share: %(title)s") % {"title": draft.title},
                body=draft.published_version.body[:280],
                link=reverse("portal:share_compose", args=[draft.pk]),
                dedupe_key=f"draft_published:{draft.pk}",
                email=False,
            )
            if note is not None:
                announced.append(draft)
        if announced and user.email:
            _email_on_commit(user=user, drafts=announced, digest=preference.digest)
    return len(announced)


def _email_on_commit(*, user: User, drafts: list[Draft], digest: str) -> None:
    subject = ngettext("[Candor] %(count)d new post to share", "[Candor] %(count)d new posts to share", len(drafts)) % {
        "count": len(drafts)
    }
    message = render_to_string(
        "notifications/digest_email.txt",
        {
            "user": user,
            "digest": digest,
            "items": [
                (draft, f"{settings.CANDOR_SITE_URL}{reverse('portal:share_compose', args=[draft.pk])}")
                for draft in drafts
            ],
            "settings_url": f"{settings.CANDOR_SITE_URL}{reverse('notifications:settings')}",
        },
    )
    address = user.email
    transaction.on_commit(
        lambda: send_mail(subject, message, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=True)
    )
