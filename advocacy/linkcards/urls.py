from django.urls import path

from advocacy.linkcards import views

app_name = "linkcards"

urlpatterns = [
    path("link-cards/<int:page_id>/thumb.jpg", views.thumb, name="thumb"),
]
