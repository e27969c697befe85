"""Routes of the JSON API, mounted under /api/ by advocacy.urls."""

from django.urls import path, register_converter

from advocacy.api.views import accounts, drafts, notifications, program, shares
from advocacy.api.views.base import IdConverter

register_converter(IdConverter, "api_id")

urlpatterns = [
    # programme
    path("policy/", program.PolicyPublishView.as_view(), name="api-policy-publish"),
    path("policy/current/", program.PolicyCurrentView.as_view(), name="api-policy-current"),
    path("enrollment/", program.EnrollmentView.as_view(), name="api-enrollment"),
    path("enrollment/leave/", program.EnrollmentLeaveView.as_view(), name="api-enrollment-leave"),
    path("enrollment/history/", program.ConsentHistoryView.as_view(), name="api-enrollment-history"),
    path("programme/settings/", program.ProgrammeSettingsView.as_view(), name="api-programme-settings"),
    path("participation/", program.ParticipationView.as_view(), name="api-participation"),
    # comms
    path("drafts/", drafts.DraftListView.as_view(), name="api-drafts"),
    path("teams/", drafts.TeamListView.as_view(), name="api-teams"),
    path("drafts/<api_id:draft_id>/", drafts.DraftDetailView.as_view(), name="api-draft"),
    path("drafts/<api_id:draft_id>/submit/", drafts.DraftSubmitView.as_view(), name="api-draft-submit"),
    path(
        "drafts/<api_id:draft_id>/request-changes/",
        drafts.DraftRequestChangesView.as_view(),
        name="api-draft-request-changes",
    ),
    path("drafts/<api_id:draft_id>/approve/", drafts.DraftApproveView.as_view(), name="api-draft-approve"),
    path("drafts/<api_id:draft_id>/publish/", drafts.DraftPublishView.as_view(), name="api-draft-publish"),
    path("drafts/<api_id:draft_id>/retire/", drafts.DraftRetireView.as_view(), name="api-draft-retire"),
    path("drafts/<api_id:draft_id>/versions/", drafts.DraftVersionsView.as_view(), name="api-draft-versions"),
    path("drafts/<api_id:draft_id>/diff/", drafts.DraftDiffView.as_view(), name="api-draft-diff"),
    path("review-queue/", drafts.ReviewQueueView.as_view(), name="api-review-queue"),
    # employees
    path("feed/", shares.FeedView.as_view(), name="api-feed"),
    path("preview/", shares.PreviewView.as_view(), name="api-preview"),
    path("shares/", shares.ShareListView.as_view(), name="api-shares"),
    path("shares/batch/", shares.ShareBatchView.as_view(), name="api-shares-batch"),
    path("shares/<api_id:share_id>/", shares.ShareDetailView.as_view(), name="api-share"),
    path("accounts/", accounts.AccountListView.as_view(), name="api-accounts"),
    path("accounts/<api_id:account_id>/", accounts.AccountDetailView.as_view(), name="api-account"),
    path("accounts/<api_id:account_id>/events/", accounts.AccountEventListView.as_view(), name="api-account-events"),
    path(
        "accounts/<api_id:account_id>/reassign/",
        accounts.AccountReassignView.as_view(),
        name="api-account-reassign",
    ),
    path("notifications/", notifications.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/read/", notifications.NotificationsReadView.as_view(), name="api-notifications-read"),
    path("me/export/", notifications.MyDataExportView.as_view(), name="api-me-export"),
]
