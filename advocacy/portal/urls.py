from django.urls import path

from advocacy.portal import comms, employee, oversight

app_name = "portal"

urlpatterns = [
    path("programme/", employee.programme, name="programme"),
    path("programme/leave/", employee.leave, name="leave"),
    path("feed/", employee.feed, name="feed"),
    path("feed/<int:draft_id>/share/", employee.share_compose, name="share_compose"),
    path("preview/", employee.preview, name="preview"),
    path("shares/", employee.shares, name="shares"),
    path("shares/<int:share_id>/", employee.share_detail, name="share"),
    path("shares/<int:share_id>/cancel/", employee.share_cancel_view, name="share_cancel"),
    path("connections/", employee.connections, name="connections"),
    path("connections/<int:account_id>/disconnect/", employee.connection_disconnect, name="disconnect"),
    path("my-data/", employee.my_data, name="my_data"),
    path("my-data/export.json", employee.my_data_download, name="my_data_download"),
    path("notifications/", employee.notifications, name="notifications"),
    path("programme/participation/", oversight.participation, name="participation"),
    path("comms/", comms.drafts, name="comms_drafts"),
    path("comms/review/", comms.review_queue_view, name="review_queue"),
    path("comms/drafts/new/", comms.draft_new, name="draft_new"),
    path("comms/drafts/<int:draft_id>/", comms.draft_detail, name="draft"),
    path("comms/drafts/<int:draft_id>/edit/", comms.draft_edit_view, name="draft_edit"),
    path("comms/drafts/<int:draft_id>/diff/", comms.draft_diff, name="draft_diff"),
    path("comms/drafts/<int:draft_id>/<str:action>/", comms.draft_action, name="draft_action"),
]
