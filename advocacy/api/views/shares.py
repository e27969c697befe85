"""What employees see and do: the feed, the post preview, and their own shares."""

from __future__ import annotations

import dataclasses

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from accounts.http import AuthenticatedRequest
from accounts.permissions import Capability, require
from advocacy.api.serializers.shares import (
    FeedItemSerializer,
    PostCheckSerializer,
    PreviewSerializer,
    ShareBatchCreateSerializer,
    ShareBatchSerializer,
    ShareCreateSerializer,
    ShareEditSerializer,
    ShareSerializer,
)
from advocacy.api.views.accounts import own_account_get
from advocacy.api.views.base import ApiListView, ApiView
from advocacy.core.errors import ValidationFailed
from advocacy.drafts.content import check_post, check_share
from advocacy.drafts.models import Draft
from advocacy.drafts.selectors import feed_for_employee, published_draft_get
from advocacy.program.selectors import disclosure_for
from advocacy.sharing.models import Share
from advocacy.sharing.selectors import share_get_for_user, shares_for_employee
from advocacy.sharing.services import ShareTarget, share_cancel, share_create, share_edit, shares_create

PARTICIPATE = require(Capability.PARTICIPATE)


@extend_schema_view(get=extend_schema(summary="Published posts I may share, newest first, with ready-to-post texts"))
class FeedView(ApiListView):
    permission_classes = [PARTICIPATE]
    serializer_class = FeedItemSerializer

    def get_queryset(self) -> QuerySet[Draft]:
        return feed_for_employee(user=self.request.user)


class PreviewView(ApiView):
    permission_classes = [PARTICIPATE]

    @extend_schema(
        request=PreviewSerializer,
        responses=PostCheckSerializer,
        summary="Check a post text: disclosure first and intact, within the network's length",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(PreviewSerializer)
        max_characters = None
        if data.get("account") is not None:
            account = own_account_get(user=request.user, account_id=data["account"])
            if account.network != data["network"]:
                raise ValidationFailed(
                    f"That account is on {account.get_network_display()}, not {data['network']}.",
                    fields={"account": ["The account's network differs from the network given."]},
                )
            max_characters = account.max_characters  # as share_create checks it
        disclosure = disclosure_for(language=data["language"])
        if data.get("draft") is not None:
            # What a share of that post is checked against: the final post, with the
            # link or image the network adds.
            version = published_draft_get(user=request.user, draft_id=data["draft"]).published_version
            assert version is not None  # the feed holds published drafts only
            check = check_share(
                network=data["network"],
                text=data["text"],
                disclosure=disclosure,
                version=version,
                max_characters=max_characters,
            )
        else:
            check = check_post(
                network=data["network"], text=data["text"], disclosure=disclosure, max_characters=max_characters
            )
        check = dataclasses.replace(check, problems=(*data["unpostable"], *check.problems))
        return Response(self.output(PostCheckSerializer, check))


@extend_schema_view(get=extend_schema(summary="My shares, latest scheduled first"))
class ShareListView(ApiListView):
    permission_classes = [PARTICIPATE]
    serializer_class = ShareSerializer

    def get_queryset(self) -> QuerySet[Share]:
        return shares_for_employee(user=self.request.user)

    @extend_schema(
        request=ShareCreateSerializer,
        responses={201: ShareSerializer},
        summary="Share a published post on one of my accounts, now or at a time",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(ShareCreateSerializer)
        share = share_create(
            employee=request.user,
            draft_id=data["draft"],
            account_id=data["account"],
            text=data["text"],
            scheduled_at=data.get("scheduled_at"),
        )
        return Response(self.output(ShareSerializer, share), status=status.HTTP_201_CREATED)


class ShareBatchView(ApiView):
    permission_classes = [PARTICIPATE]

    @extend_schema(
        request=ShareBatchCreateSerializer,
        responses={201: ShareBatchSerializer},
        summary="Share a published post on several of my accounts at once: all are scheduled, or none "
        "(the error names the account that failed)",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.input(ShareBatchCreateSerializer)
        shares = shares_create(
            employee=request.user,
            draft_id=data["draft"],
            targets=[ShareTarget(account_id=t["account"], text=t["text"]) for t in data["targets"]],
            scheduled_at=data.get("scheduled_at"),
        )
        return Response(self.output(ShareBatchSerializer, {"shares": shares}), status=status.HTTP_201_CREATED)


class ShareDetailView(ApiView):
    """Only the owner's shares exist here: anyone else's id is a 404."""

    permission_classes = [PARTICIPATE]

    @extend_schema(responses=ShareSerializer, summary="One of my shares")
    def get(self, request: AuthenticatedRequest, share_id: int) -> Response:
        return Response(self.output(ShareSerializer, share_get_for_user(user=request.user, share_id=share_id)))

    @extend_schema(
        request=ShareEditSerializer,
        responses=ShareSerializer,
        summary="Change the text or time while still scheduled (409 once sending has started)",
    )
    def patch(self, request: AuthenticatedRequest, share_id: int) -> Response:
        share = share_get_for_user(user=request.user, share_id=share_id)
        data = self.input(ShareEditSerializer)
        share = share_edit(employee=request.user, share_id=share.pk, **data)
        return Response(self.output(ShareSerializer, share))

    @extend_schema(
        request=None,
        responses={200: ShareSerializer},
        summary="Cancel while still scheduled (409 once sending has started); returns the cancelled share",
    )
    def delete(self, request: AuthenticatedRequest, share_id: int) -> Response:
        share = share_get_for_user(user=request.user, share_id=share_id)
        return Response(self.output(ShareSerializer, share_cancel(employee=request.user, share_id=share.pk)))
