"""An employee's own connected accounts, and the reassignment Candor always refuses."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.response import Response

from accounts.http import AuthenticatedRequest
from accounts.models import User
from accounts.permissions import Capability, require
from advocacy.api.serializers.accounts import AccountEventSerializer, AccountSerializer, ReassignSerializer
from advocacy.api.serializers.common import ErrorSerializer
from advocacy.api.views.base import ApiListView, ApiView
from advocacy.core.errors import ValidationFailed
from advocacy.ledger.models import AccountEvent, ConnectedAccount
from advocacy.ledger.selectors import account_get, own_account_events, own_account_get, own_accounts
from advocacy.ledger.services import account_disconnect, account_reassign


def _active_user_get(*, user_id: int) -> User:
    person = User.objects.filter(pk=user_id, is_active=True).first()
    if person is None:
        raise ValidationFailed("No such person.", fields={"new_owner": ["No active person has this id."]})
    return person


PARTICIPATE = require(Capability.PARTICIPATE)


@extend_schema_view(get=extend_schema(summary="My connected accounts (credentials are never shown)"))
class AccountListView(ApiListView):
    permission_classes = [PARTICIPATE]
    serializer_class = AccountSerializer

    def get_queryset(self) -> QuerySet[ConnectedAccount]:
        return own_accounts(user=self.request.user)


class AccountDetailView(ApiView):
    permission_classes = [PARTICIPATE]

    @extend_schema(
        request=None,
        responses={200: AccountSerializer},
        summary="Disconnect my account: its scheduled shares are cancelled, its credential deleted",
    )
    def delete(self, request: AuthenticatedRequest, account_id: int) -> Response:
        account = own_account_get(user=request.user, account_id=account_id)
        return Response(self.output(AccountSerializer, account_disconnect(actor=request.user, account_id=account.pk)))


@extend_schema_view(get=extend_schema(summary="The ownership ledger of my account, oldest first"))
class AccountEventListView(ApiListView):
    permission_classes = [PARTICIPATE]
    serializer_class = AccountEventSerializer

    def get_queryset(self) -> QuerySet[AccountEvent]:
        return own_account_events(user=self.request.user, account_id=self.kwargs["account_id"])


class AccountReassignView(ApiView):
    """Exists only to refuse: an account belongs to its owner and is never handed to
    someone else. Each attempt is recorded in the ledger and the audit log."""

    permission_classes = [require(Capability.OFFBOARD)]

    @extend_schema(
        request=ReassignSerializer,
        responses={403: OpenApiResponse(ErrorSerializer, description="Always: reassignment is refused, and audited.")},
        summary="Refused, always (admins): accounts never change hands",
    )
    def post(self, request: AuthenticatedRequest, account_id: int) -> Response:
        account = account_get(account_id=account_id)
        data = self.input(ReassignSerializer)
        account_reassign(
            actor=request.user, account_id=account.pk, new_owner=_active_user_get(user_id=data["new_owner"])
        )
        raise AssertionError("account_reassign always refuses")  # pragma: no cover
