from django.urls import path

from advocacy.watch import views

app_name = "watch"

urlpatterns = [
    path("watch/", views.overview, name="overview"),
    path("watch/accounts/<int:account_id>/", views.account_watch, name="account_watch"),
    path("watch/posts/<int:outside_post_id>/", views.outside_post, name="outside_post"),
]
