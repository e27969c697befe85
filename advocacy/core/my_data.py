from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from accounts.models import User
from advocacy.ledger.models import ConnectedAccount
from advocacy.notifications.models import Notification, PushSubscription
from advocacy.program.selectors import consent_history
from advocacy.sharing.models import Share


def my_data_export(*, user: User) -> dict[str, Any]:
    """Everything Candor holds about one person, except credentials (never exported)."""
    return {
        "person": {
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "time_zone": user.time_zone,
            "language": user.language,
        },
        "consent_history": [
            {"kind": e.kind, "policy_version": e.policy_version.number, "at": e.created_at.isoformat()}
            for e in consent_history(user=user)
        ],
        "connected_accounts": [
            {
                "network": a.network,
                "handle": a.handle,
                "ownership": a.ownership,
                "status": a.status,
                "connected_at": a.connected_at.isoformat(),
                "scopes": a.scopes,
            }
            for a in ConnectedAccount.objects.filter(owner=user)
        ],
        "shares": [
            {
                "id": s.pk,
                "draft": s.draft.title,
                "network": s.network,
                "account": s.account.handle,
                "text": s.text,
                "state": s.state,
                "scheduled_at": s.scheduled_at.isoformat(),
                "sent_at": s.sent_at.isoformat() if s.sent_at else None,
                "url": s.external_url,
                "error": s.last_error,
                "cancelled_reason": s.cancelled_reason,
            }
            for s in Share.objects.filter(employee=user).select_related("draft", "account").order_by("scheduled_at")
        ],
        "notifications": [
            {"title": n.title, "body": n.body, "at": n.created_at.isoformat(), "read": n.read_at is not None}
            for n in Notification.objects.filter(user=user)
        ],
        # Which push services hold a subscription (the endpoint itself is a capability URL).
        "push_devices": [
            {"push_service": urlsplit(p.endpoint).netloc, "since": p.created_at.isoformat()}
            for p in PushSubscription.objects.filter(user=user).order_by("created_at")
        ],
    }
