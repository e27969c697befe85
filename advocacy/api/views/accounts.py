"""An employee's own connected accounts, and the reassignment Candor always refuses."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.permissions import Capability, require
from advocacy.api.serializers.accounts import AccountEventSerializer, AccountSerializer, ReassignSerializer
from advocacy.api.serializers.common import ErrorSerializer
from advocacy.api.views.base import ApiListView, ApiView
from advocacy.core.errors import ValidationFailed
from advocacy.ledger.models import AccountEvent, ConnectedAccount
from advocacy.ledger.services import account_disconnect, account_reassign

# Reads of the ledger. There is no advocacy.ledger.selectors module yet; these belong there.


def own_accounts(*, user: User) -> QuerySet[ConnectedAccount]:
    return ConnectedAccount.objects.filter(owner=user).order_by("network", "handle", "id")


def own_account_get(*, user: User, account_id: int) -> ConnectedAccount:
    """The caller's own account; anyone else's is a 404, never a 403, so ids can't be probed."""
    account = own_accounts(user=user).filter(pk=account_id).first()
    if account is None:
        raise Http404("No such account.")
    return account


def own_account_events(*, user: User, account_id: int) -> QuerySet[AccountEvent]:
    account = own_account_get(user=user, account_id=account_id)
    return account.events.select_related("actor").order_by("created_at", "id")


def _account_get(*, account_id: int) -> ConnectedAccount:
    """Any account, for admins (the caller checks the capability)."""
    account = ConnectedAccount.objects.filter(pk=account_id).first()
    if account is None:
        raise Http404("No such account.")
    return account


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
    def delete(self, request: Request, account_id: int) -> Response:
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
    def post(self, request: Request, account_id: int) -> Response:
        account = _account_get(account_id=account_id)
        data = self.input(ReassignSerializer)
        account_reassign(
            actor=request.user, account_id=account.pk, new_owner=_active_user_get(user_id=data["new_owner"])
        )
        raise AssertionError("account_reassign always refuses")  # pragma: no cover
