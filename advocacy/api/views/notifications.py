"""My notifications, and my data export."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.response import Response

from accounts.http import AuthenticatedRequest
from accounts.models import User
from advocacy.api.serializers.notifications import (
    MarkedSerializer,
    MarkReadSerializer,
    MyDataSerializer,
    NotificationFilterSerializer,
    NotificationSerializer,
)
from advocacy.api.views.base import ApiListView, ApiView
from advocacy.core.my_data import my_data_export
from advocacy.notifications.models import Notification
from advocacy.notifications.services import notifications_mark_read


def own_notifications(*, user: User, unread: bool | None = None) -> QuerySet[Notification]:
    """A read of the caller's notifications (there is no notifications selectors module yet)."""
    rows = Notification.objects.filter(user=user)
    return rows if unread is None else rows.filter(read_at__isnull=unread)


@extend_schema_view(
    get=extend_schema(parameters=[NotificationFilterSerializer], summary="My notifications, newest first")
)
class NotificationListView(ApiListView):
    serializer_class = NotificationSerializer

    def get_queryset(self) -> QuerySet[Notification]:
        filters = self.input(NotificationFilterSerializer, data=self.request.query_params.dict())
        return own_notifications(user=self.request.user, unread=filters["unread"])


class NotificationsReadView(ApiView):
    @extend_schema(request=MarkReadSerializer, responses=MarkedSerializer, summary="Mark my notifications read")
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(MarkReadSerializer)
        marked = notifications_mark_read(user=request.user, ids=data.get("ids"))
        return Response(self.output(MarkedSerializer, {"marked": marked}))


class MyDataExportView(ApiView):
    @extend_schema(
        responses=MyDataSerializer,
        summary="Everything Candor holds about me: consent, accounts (no credentials), shares, notifications",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(self.output(MyDataSerializer, my_data_export(user=request.user)))
