"""The busiest lists make the same number of queries for 3 rows as for 30."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import connect, enroll, published_draft, schedule, submitted_draft

pytestmark = pytest.mark.django_db


def queries_for(client, url, rows):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows
    return len(context)


def test_the_feed(api_as, employee, author, reviewer, django_assert_max_num_queries):
    drafts = [published_draft(author, reviewer, title=f"Post {n}") for n in range(3)]
    client = api_as(employee)
    few = queries_for(client, "/api/feed/", 3)
    drafts += [published_draft(author, reviewer, title=f"Post {n}") for n in range(3, 30)]

    with django_assert_max_num_queries(few):
        response = client.get("/api/feed/")

    assert len(response.json()["results"]) == 30


def test_my_shares(api_as, employee, author, reviewer, policy, django_assert_max_num_queries):
    enroll(employee, policy)
    draft = published_draft(author, reviewer)
    accounts = [connect(employee, handle=f"emma{n}.test") for n in range(3)]
    for n in range(3):
        schedule(employee, draft, accounts[n])
    client = api_as(employee)
    few = queries_for(client, "/api/shares/", 3)
    for n in range(27):
        schedule(employee, draft, accounts[n % 3])

    with django_assert_max_num_queries(few):
        response = client.get("/api/shares/")

    assert len(response.json()["results"]) == 30


def test_the_review_queue(api_as, author, reviewer, django_assert_max_num_queries):
    for n in range(3):
        submitted_draft(author, title=f"Draft {n}")
    client = api_as(reviewer)
    few = queries_for(client, "/api/review-queue/", 3)
    for n in range(3, 30):
        submitted_draft(author, title=f"Draft {n}")

    with django_assert_max_num_queries(few):
        response = client.get("/api/review-queue/")

    assert len(response.json()["results"]) == 30
