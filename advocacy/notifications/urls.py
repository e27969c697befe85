from django.urls import path

from advocacy.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/settings/", views.preferences, name="settings"),
]
