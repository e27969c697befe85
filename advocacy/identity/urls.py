from django.urls import re_path

from advocacy.identity import views

app_name = "scim"
urlpatterns = [
    re_path(r"^(?P<path>(/.*)?)$", views.scim, name="endpoint"),
]
