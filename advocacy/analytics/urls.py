from django.urls import path

from advocacy.analytics import views

app_name = "analytics"

urlpatterns = [
    path("l/<str:code>", views.follow, name="follow"),
    path("analytics/", views.overview, name="overview"),
    path("analytics/drafts/<int:draft_id>/", views.draft_page, name="draft"),
    path("analytics/drafts/<int:draft_id>/export.csv", views.draft_csv, name="draft_csv"),
    path("analytics/campaigns/<int:campaign_id>/", views.campaign_page, name="campaign"),
    path("analytics/campaigns/<int:campaign_id>/export.csv", views.campaign_csv, name="campaign_csv"),
    path("my-impact/", views.my_impact_page, name="my_impact"),
]
