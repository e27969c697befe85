"""Candor's URLs plus ``/bench/baseline/``: a trivial page that renders the same base
template through the same middleware and session, the portal benchmark's baseline."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from advocacy.urls import urlpatterns as candor_urlpatterns

_PAGE = engines["django"].from_string(
    '{% extends "base.html" %}{% block head_title %}Baseline{% endblock %}'
    "{% block content %}<h1>Baseline</h1>{% endblock %}"
)


@login_required
def baseline(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_PAGE.render({}, request))


urlpatterns = [path("bench/baseline/", baseline, name="bench_baseline"), *candor_urlpatterns]
