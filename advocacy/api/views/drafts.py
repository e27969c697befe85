"""The comms workflow: drafts, versions, review and publishing."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts.http import AuthenticatedRequest
from accounts.models import Team
from accounts.permissions import Capability, require
from advocacy.api.serializers.drafts import (
    CommentSerializer,
    DiffQuerySerializer,
    DiffSerializer,
    DraftCreateSerializer,
    DraftEditSerializer,
    DraftFilterSerializer,
    DraftHistorySerializer,
    DraftSerializer,
    DraftSummarySerializer,
    RequiredCommentSerializer,
    RetireResultSerializer,
    RetireSerializer,
    TeamSerializer,
)
from advocacy.api.views.base import ApiListView, ApiView, JSONParser
from advocacy.drafts.models import Draft
from advocacy.drafts.selectors import (
    draft_get_for_comms,
    draft_history,
    drafts_for_comms,
    review_queue,
    teams_for_audience,
    version_diff,
)
from advocacy.drafts.services import (
    draft_approve,
    draft_create,
    draft_edit,
    draft_publish,
    draft_request_changes,
    draft_retire,
    draft_submit,
)

COMMS = require(Capability.WRITE_DRAFTS) | require(Capability.REVIEW_DRAFTS)


@extend_schema_view(get=extend_schema(summary="Teams a draft can be meant for (comms team), by name"))
class TeamListView(ApiListView):
    permission_classes = [COMMS]
    serializer_class = TeamSerializer

    def get_queryset(self) -> QuerySet[Team]:
        return teams_for_audience(user=self.request.user)


@extend_schema_view(
    get=extend_schema(parameters=[DraftFilterSerializer], summary="Drafts (comms team), most recently changed first")
)
class DraftListView(ApiListView):
    permission_classes = [COMMS]
    parser_classes = [JSONParser, MultiPartParser]  # multipart to upload an image
    serializer_class = DraftSummarySerializer

    def get_queryset(self) -> QuerySet[Draft]:
        filters = self.input(DraftFilterSerializer, data=self.request.query_params.dict())
        return drafts_for_comms(user=self.request.user, state=filters.get("state"))

    @extend_schema(
        request=DraftCreateSerializer, responses={201: DraftSerializer}, summary="Write a new draft (version 1)"
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        serializer = DraftCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        draft = draft_create(
            actor=request.user,
            title=serializer.validated_data["title"],
            campaign=serializer.validated_data["campaign"],
            content=serializer.content(),
        )
        return Response(self.output(DraftSerializer, draft), status=status.HTTP_201_CREATED)


class DraftDetailView(ApiView):
    permission_classes = [COMMS]
    parser_classes = [JSONParser, MultiPartParser]  # multipart to upload an image

    @extend_schema(responses=DraftSerializer, summary="One draft with its working and published versions")
    def get(self, request: AuthenticatedRequest, draft_id: int) -> Response:
        return Response(self.output(DraftSerializer, draft_get_for_comms(user=request.user, draft_id=draft_id)))

    @extend_schema(
        request=DraftEditSerializer,
        responses=DraftSerializer,
        summary="Edit: saves a new version; an approved or published draft goes back to draft",
    )
    def patch(self, request: AuthenticatedRequest, draft_id: int) -> Response:
        draft = draft_get_for_comms(user=request.user, draft_id=draft_id)
        serializer = DraftEditSerializer(data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        draft = draft_edit(
            actor=request.user,
            draft_id=draft.pk,
            title=serializer.validated_data.get("title"),
            content=serializer.content(base=draft.working_version),
        )
        return Response(self.output(DraftSerializer, draft))


class DraftSubmitView(ApiView):
    permission_classes = [require(Capability.WRITE_DRAFTS)]

    @extend_schema(request=CommentSerializer, responses=DraftSerializer, summary="Submit for review")
    def post(self, request: AuthenticatedRequest, draft_id: int) -> Response:
        draft = draft_get_for_comms(user=request.user, draft_id=draft_id)
        data = self.input(CommentSerializer)
        return Response(self.output(DraftSerializer, draft_submit(actor=request.user, draft_id=draft.pk, **data)))


class DraftRequestChangesView(ApiView):
    permission_classes = [require(Capability.REVIEW_DRAFTS)]

    @extend_schema(
        request=RequiredCommentSerializer, responses=DraftSerializer, summary="Send back for changes (reviewers)"
    )
    def post(self, request: AuthenticatedRequest, draft_id: int) -> Response:
        draft = draft_get_for_comms(user=request.user, draft_id=draft_id)
        data = self.input(RequiredCommentSerializer)
        draft = draft_request_changes(actor=request.user, draft_id=draft.pk, **data)
        return Response(self.output(DraftSerializer, draft))


class DraftApproveView(ApiView):
    permission_classes = [require(Capability.REVIEW_DRAFTS)]

    @extend_schema(
        request=CommentSerializer,
        responses=DraftSerializer,
        summary="Approve (reviewers); refused with code four_eyes to whoever wrote the version",
    )
    def post(self, request: AuthenticatedRequest, draft_id: int) -> Response:
        draft = draft_get_for_comms(user=request.user, draft_id=draft_id)
        data = self.input(CommentSerializer)
        return Response(self.output(DraftSerializer, draft_approve(actor=request.user, draft_id=draft.pk, **data)))


class DraftPublishView(ApiView):
    permission_classes = [require(Capability.WRITE_DRAFTS)]

    @extend_schema(request=None, responses=DraftSerializer, summary="Publish an approved draft to employees")
    def post(self, request: AuthenticatedRequest, draft_id: int) -> Response:
        draft = draft_get_for_comms(user=request.user, draft_id=draft_id)
        return Response(self.output(DraftSerializer, draft_publish(actor=request.user, draft_id=draft.pk)))


class DraftRetireView(ApiView):
    permission_classes = [require(Capability.WRITE_DRAFTS)]

    @extend_schema(
        request=RetireSerializer,
        responses=RetireResultSerializer,
        summary="Withdraw a draft; its scheduled shares are cancelled",
    )
    def post(self, request: AuthenticatedRequest, draft_id: int) -> Response:
        draft = draft_get_for_comms(user=request.user, draft_id=draft_id)
        data = self.input(RetireSerializer)
        draft, cancelled = draft_retire(actor=request.user, draft_id=draft.pk, **data)
        return Response(self.output(RetireResultSerializer, {"draft": draft, "cancelled_shares": cancelled}))


class DraftVersionsView(ApiView):
    permission_classes = [COMMS]

    @extend_schema(responses=DraftHistorySerializer, summary="Every version and review decision of a draft")
    def get(self, request: AuthenticatedRequest, draft_id: int) -> Response:
        versions, decisions = draft_history(draft=draft_get_for_comms(user=request.user, draft_id=draft_id))
        return Response(self.output(DraftHistorySerializer, {"versions": versions, "decisions": decisions}))


class DraftDiffView(ApiView):
    permission_classes = [COMMS]

    @extend_schema(
        parameters=[DiffQuerySerializer], responses=DiffSerializer, summary="What changed between two versions"
    )
    def get(self, request: AuthenticatedRequest, draft_id: int) -> Response:
        draft = draft_get_for_comms(user=request.user, draft_id=draft_id)
        numbers = self.input(DiffQuerySerializer, data=request.query_params.dict())
        versions = {version.number: version for version in draft_history(draft=draft)[0]}
        if numbers["from"] not in versions or numbers["to"] not in versions:
            raise Http404("This draft has no such version.")
        diff = version_diff(old=versions[numbers["from"]], new=versions[numbers["to"]])
        return Response(self.output(DiffSerializer, diff))


@extend_schema_view(get=extend_schema(summary="Drafts waiting for review (reviewers), oldest first"))
class ReviewQueueView(ApiListView):
    permission_classes = [require(Capability.REVIEW_DRAFTS)]
    serializer_class = DraftSummarySerializer

    def get_queryset(self) -> QuerySet[Draft]:
        return review_queue(user=self.request.user)
