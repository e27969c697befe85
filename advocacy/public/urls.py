from django.urls import path

from advocacy.public import views

app_name = "public"

urlpatterns = [
    path("p/<str:public_id>", views.post_page, name="post"),
    path("programme/public/", views.programme_page, name="programme"),
    path(".well-known/candor-programme.json", views.programme_json, name="programme_json"),
    path("programme/public/my-name/", views.public_name, name="name"),
]
