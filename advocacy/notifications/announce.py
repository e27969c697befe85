""" "New post to share", pushed when the comms team publishes a draft.

Only to the people the post is meant for: taking part in the programme, with push
turned on, and with a connected account on one of the networks the draft targets
(the accounts "Share as is" would post to). Everyone else still finds it in the feed
(and in their digest, if they chose one).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from advocacy.drafts.models import Draft
from advocacy.ledger.models import ConnectedAccount
from advocacy.notifications.models import Notification
from advocacy.notifications.services import notify, recipient_locale
from advocacy.program.models import Enrollment


def _meant_for(networks: list[str]) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            push_subscriptions__isnull=False,
            enrollment__status=Enrollment.Status.ACTIVE,
            social_accounts__status__in=ConnectedAccount.USABLE_STATUSES,
            social_accounts__network__in=networks,
        )
        .distinct()
        .order_by("pk")
    )


def push_announce_draft(*, draft_id: int) -> int:
    """Announce a published draft by push, once per person (the notification's dedupe
    key; a later re-publish announces nothing again). Returns how many were told."""
    draft = Draft.objects.select_related("published_version").filter(pk=draft_id).first()
    if draft is None or draft.state == Draft.State.RETIRED or draft.published_version is None:
        return 0
    version = draft.published_version
    link = reverse("portal:share_compose", args=[draft.pk])
    told = 0
    for person in _meant_for(list(version.networks)):
        with recipient_locale(person):
            title = _("New post to share: %(title)s") % {"title": draft.title}
        note = notify(
            user=person,
            kind=Notification.Kind.DRAFT_PUBLISHED,
            title=title,
            body=version.body[:280],
            link=link,
            dedupe_key=f"draft_push:{draft.pk}",
            email=False,
            push=True,
        )
        told += note is not None
    return told
