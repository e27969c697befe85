"""Candor's URLs plus the baselines: ``/bench/baseline/``, a trivial page that renders
the same base template through the same middleware and session (the portal
benchmark's); and ``/bench/api-baseline/``, a trivial authenticated DRF view with the
API's authentication, permission, throttling, parser and renderers (the REST API
benchmark's)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from advocacy.api.views.base import ApiView
from advocacy.urls import urlpatterns as candor_urlpatterns

_PAGE = engines["django"].from_string(
    '{% extends "base.html" %}{% block head_title %}Baseline{% endblock %}'
    "{% block content %}<h1>Baseline</h1>{% endblock %}"
)


@login_required
def baseline(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_PAGE.render({}, request))


class ApiBaseline(ApiView):
    """Signed in by token, parses the JSON body, answers a small JSON object: no domain work."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True})

    def post(self, request: Request) -> Response:
        return Response({"fields": len(request.data)}, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("bench/baseline/", baseline, name="bench_baseline"),
    path("bench/api-baseline/", ApiBaseline.as_view(), name="bench_api_baseline"),
    *candor_urlpatterns,
]
