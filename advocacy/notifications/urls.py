from django.urls import path

from advocacy.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/settings/", views.preferences, name="settings"),
    path("notifications/push/subscribe/", views.push_subscription_add, name="push_subscribe"),
    path("notifications/push/unsubscribe/", views.push_subscription_remove, name="push_unsubscribe"),
    path("notifications/push/off-everywhere/", views.push_off_everywhere, name="push_off_everywhere"),
]
