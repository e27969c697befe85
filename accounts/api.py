from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.http import AuthenticatedRequest
from accounts.serializers import MeSerializer
from accounts.services import token_issue, token_revoke


class MeView(APIView):
    @extend_schema(responses=MeSerializer, summary="The signed-in person and what their role allows")
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(MeSerializer(request.user).data)


class TokenView(APIView):
    """Issue (or return) the caller's own API token. Sign in with a session first; a
    role that needs MFA must have set up an authenticator."""

    @extend_schema(
        request=None,
        responses={200: {"type": "object", "properties": {"token": {"type": "string"}}}},
        summary="Create (or return) your own API token",
        description=(
            "Returns the caller's personal token, creating it on first call. Send it as "
            "`Authorization: Token <key>` on every request; it acts as you, with your role's "
            "permissions. Only you can create yours (an admin cannot), and a role that needs an "
            "authenticator must have set one up first (`403 mfa_required`). The portal's "
            "Preferences → API token page does the same without a script."
        ),
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        token = token_issue(actor=request.user, user=request.user)
        return Response({"token": token.key})

    @extend_schema(
        request=None,
        responses={204: None},
        summary="Revoke your own API token",
        description=(
            "Deletes the caller's token at once: every integration using it is refused from the "
            "next request. Answers `204` whether or not there was a token; revoking nothing "
            "records nothing in the audit log."
        ),
    )
    def delete(self, request: AuthenticatedRequest) -> Response:
        token_revoke(actor=request.user, user_id=request.user.pk)
        return Response(status=204)
