from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from advocacy.sharing.models import Share


def shares_for_employee(*, user: User) -> QuerySet[Share]:
    return (
        Share.objects.filter(employee=user)
        .select_related("draft", "account")
        .order_by("-scheduled_at", "-id")
    )


def share_get_for_user(*, user: User, share_id: int) -> Share:
    """An employee's own share; anyone else's is a 404, never a 403, so IDs can't be probed."""
    share = shares_for_employee(user=user).filter(pk=share_id).first()
    if share is None:
        raise Http404("No such share.")
    return share
