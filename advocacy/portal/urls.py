from django.urls import path

from advocacy.portal import comms, connect_views, employee, invitations, oversight, share_as_is, tokens

app_name = "portal"

urlpatterns = [
    path("programme/", employee.programme, name="programme"),
    path("programme/leave/", employee.leave, name="leave"),
    path("feed/", employee.feed, name="feed"),
    path("feed/<int:draft_id>/share/", employee.share_compose, name="share_compose"),
    path("feed/<int:draft_id>/share-as-is/", share_as_is.share_as_is, name="share_as_is"),
    path("preview/", employee.preview, name="preview"),
    path("shares/", employee.shares, name="shares"),
    path("shares/<int:share_id>/", employee.share_detail, name="share"),
    path("shares/<int:share_id>/cancel/", employee.share_cancel_view, name="share_cancel"),
    path("connections/", employee.connections, name="connections"),
    path("connections/<int:account_id>/disconnect/", employee.connection_disconnect, name="disconnect"),
    path("connections/<int:account_id>/reconnect/", connect_views.reconnect, name="reconnect"),
    path("connections/mastodon/", connect_views.mastodon_start, name="connect_mastodon"),
    # The redirect URI registered on every Mastodon instance: keep it stable.
    path("connections/mastodon/callback/", connect_views.mastodon_callback, name="connect_mastodon_callback"),
    path("connections/mastodon/cancel/", connect_views.mastodon_cancel, name="connect_mastodon_cancel"),
    path("connections/<slug:network>/", connect_views.oauth_start, name="connect_oauth"),
    path("my-data/", employee.my_data, name="my_data"),
    path("my-data/export.json", employee.my_data_download, name="my_data_download"),
    path("notifications/", employee.notifications, name="notifications"),
    path("api-token/", tokens.api_token, name="api_token"),
    path("programme/participation/", oversight.participation, name="participation"),
    path("people/", oversight.people, name="people"),
    path("people/invite/", invitations.people_invite, name="people_invite"),
    path("people/invite/confirm/", invitations.people_invite_confirm, name="people_invite_confirm"),
    path("people/<int:user_id>/offboard/", oversight.offboard, name="offboard"),
    path("offboarding/<int:offboarding_id>/", oversight.offboarding_detail, name="offboarding"),
    path("offboarding/<int:offboarding_id>/retry/", oversight.offboarding_retry, name="offboarding_retry"),
    path("offboarding/<int:offboarding_id>/receipt.<str:fmt>", oversight.offboarding_receipt, name="receipt"),
    path("audit/", oversight.audit_log, name="audit"),
    path("audit/export/", oversight.audit_export, name="audit_export"),
    path("audit/jobs/<int:job_id>/", oversight.audit_job, name="audit_job"),
    path("audit/jobs/<int:job_id>/download/", oversight.audit_job_download, name="audit_job_download"),
    path("comms/", comms.drafts, name="comms_drafts"),
    path("comms/review/", comms.review_queue_view, name="review_queue"),
    path("comms/review/shares/<int:share_id>/<str:action>/", comms.share_review, name="share_review"),
    path("comms/drafts/new/", comms.draft_new, name="draft_new"),
    path("comms/drafts/<int:draft_id>/", comms.draft_detail, name="draft"),
    path("comms/drafts/<int:draft_id>/edit/", comms.draft_edit_view, name="draft_edit"),
    path("comms/drafts/<int:draft_id>/diff/", comms.draft_diff, name="draft_diff"),
    path("comms/drafts/<int:draft_id>/<str:action>/", comms.draft_action, name="draft_action"),
]
