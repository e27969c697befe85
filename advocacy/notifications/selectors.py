from __future__ import annotations

from accounts.models import User
from advocacy.notifications.models import NotificationPreference, PushSubscription


def notification_preference_for(*, user: User) -> NotificationPreference:
    """The person's preferences; an unsaved default (digest off) when they never chose."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)


def push_device_count(*, user: User) -> int:
    """On how many browsers the person turned push on."""
    return PushSubscription.objects.filter(user=user).count()
