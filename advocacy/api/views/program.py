"""Programme policy, opting in and out, and group-level participation."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from accounts.http import AuthenticatedRequest
from accounts.permissions import Capability, require
from advocacy.api.serializers.program import (
    ConsentEventSerializer,
    EnrollmentStatusSerializer,
    LeaveResultSerializer,
    OptInSerializer,
    ParticipationSerializer,
    PolicyPublishSerializer,
    PolicyVersionSerializer,
    ProgrammeSettingsSerializer,
)
from advocacy.api.views.base import ApiView
from advocacy.program.selectors import (
    consent_history,
    participation_by_team,
    participation_state,
    policy_current,
    programme_settings,
)
from advocacy.program.services import enrollment_leave, enrollment_opt_in, policy_publish, programme_settings_set


class PolicyCurrentView(ApiView):
    @extend_schema(responses=PolicyVersionSerializer, summary="The current programme policy, in every language")
    def get(self, request: AuthenticatedRequest) -> Response:
        policy = policy_current()
        if policy is None:
            raise Http404("No programme policy has been published yet.")
        return Response(self.output(PolicyVersionSerializer, policy))


class PolicyPublishView(ApiView):
    permission_classes = [require(Capability.MANAGE_PROGRAM)]

    @extend_schema(
        request=PolicyPublishSerializer,
        responses={201: PolicyVersionSerializer},
        summary="Publish a new policy version (admins); every participant must re-consent",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(PolicyPublishSerializer)
        policy = policy_publish(actor=request.user, texts=data["texts"], effective_date=data.get("effective_date"))
        return Response(self.output(PolicyVersionSerializer, policy), status=status.HTTP_201_CREATED)


class EnrollmentView(ApiView):
    permission_classes = [require(Capability.PARTICIPATE)]

    @extend_schema(responses=EnrollmentStatusSerializer, summary="My participation")
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(self.output(EnrollmentStatusSerializer, participation_state(user=request.user)))

    @extend_schema(
        request=OptInSerializer,
        responses=EnrollmentStatusSerializer,
        summary="Opt in, or re-consent to a new policy version (needs accept=true)",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(OptInSerializer)
        enrollment_opt_in(user=request.user, policy_version_id=data["policy_version"], accepted=data["accept"])
        return Response(self.output(EnrollmentStatusSerializer, participation_state(user=request.user)))


class EnrollmentLeaveView(ApiView):
    permission_classes = [require(Capability.PARTICIPATE)]

    @extend_schema(
        request=None,
        responses=LeaveResultSerializer,
        summary="Leave the programme now; every scheduled share is cancelled",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        result = enrollment_leave(user=request.user)
        return Response(self.output(LeaveResultSerializer, result))


class ConsentHistoryView(ApiView):
    permission_classes = [require(Capability.PARTICIPATE)]

    @extend_schema(responses=ConsentEventSerializer(many=True), summary="My consent ledger, oldest first")
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(self.output(ConsentEventSerializer, consent_history(user=request.user), many=True))


class ParticipationView(ApiView):
    permission_classes = [require(Capability.MANAGE_PROGRAM)]

    @extend_schema(
        responses=ParticipationSerializer,
        summary="Participation by team (admins); groups below the minimum size show no counts, nobody is named",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        figures = {"minimum_group_size": settings.CANDOR_MIN_GROUP_SIZE, "groups": participation_by_team()}
        return Response(self.output(ParticipationSerializer, figures))


class ProgrammeSettingsView(ApiView):
    permission_classes = [require(Capability.MANAGE_PROGRAM)]

    @extend_schema(responses=ProgrammeSettingsSerializer, summary="The programme's settings (admins)")
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(self.output(ProgrammeSettingsSerializer, programme_settings()))

    @extend_schema(
        request=ProgrammeSettingsSerializer,
        responses=ProgrammeSettingsSerializer,
        summary="Change the programme's settings (admins; audited). Applies to shares created or edited from now on",
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        data = self.input(ProgrammeSettingsSerializer)
        row = programme_settings_set(actor=request.user, edited_shares_need_review=data["edited_shares_need_review"])
        return Response(self.output(ProgrammeSettingsSerializer, row))
