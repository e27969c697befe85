"""Walk every URL pattern of Candor with every role and check the status against
the permission matrix (accounts/url_access.py + accounts/permissions.py). A new page
without an entry in the matrix fails here. The REST API is walked the same way from
its OpenAPI schema in tests/api/test_permissions.py."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Role
from accounts.url_access import PUBLIC, URL_ACCESS
from advocacy.audit.export import ExportFilters
from advocacy.audit.jobs import audit_export_job_start
from advocacy.ledger.offboarding import offboarding_start
from advocacy.sharing.services import share_create
from advocacy.watch.models import OutsidePost
from tests.factories import UserFactory

# Third-party pages, and the REST API (walked from its OpenAPI schema instead).
# SCIM answers bearer tokens of provisioning clients, never a role: tests/identity walks it.
THIRD_PARTY = (
    "allauth.",
    "django.contrib.",
    "django.views.static",
    "advocacy.api.",
    "accounts.api",
    "advocacy.identity.",
)
ROLES = ["anonymous", "employee", "other_employee", "author", "reviewer", "admin_user"]


def candor_patterns(patterns=None, namespace=None, prefix=""):
    """Every named pattern of Candor's own pages (the API and Django's admin are
    walked elsewhere: the API from its schema, the admin is Django's own)."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith("admin/"):
            continue
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}:{pattern.namespace}"
                if namespace and pattern.namespace
                else (pattern.namespace or namespace)
            )
            yield from candor_patterns(pattern.url_patterns, inner, route)
        elif isinstance(pattern, URLPattern) and not pattern.callback.__module__.startswith(THIRD_PARTY):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            if name:
                yield name, pattern


def test_every_page_has_an_entry_in_the_matrix():
    names = {name for name, _ in candor_patterns()}
    assert names - set(URL_ACCESS) == set(), "pages missing from accounts/url_access.py"
    assert set(URL_ACCESS) - names == set(), "stale entries in accounts/url_access.py"


def test_the_docs_list_every_page():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    missing = [name for name in URL_ACCESS if f"`{name}`" not in docs]
    assert not missing, "run `python manage.py permission_matrix > docs/permissions.md`"


@pytest.fixture
def world(
    employee,
    other_employee,
    author,
    reviewer,
    admin_user,
    account,
    published,
    later,
    django_capture_on_commit_callbacks,
):
    from advocacy.drafts.models import Campaign

    share = share_create(
        employee=account.owner,
        draft_id=published.pk,
        account_id=account.pk,
        text="#employee · I work at Acme Robotics.\n\nRobots sort parcels faster.",
        scheduled_at=later,
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = audit_export_job_start(actor=admin_user, filters=ExportFilters(), fmt="csv")
    # Someone else leaves: offboarding deactivates the leaver, who then has no pages at all.
    leaver = UserFactory(email="lea@example.com", display_name="Lea Leaver", role=Role.EMPLOYEE)
    case = offboarding_start(actor=admin_user, user_id=leaver.pk)
    campaign = Campaign.objects.create(name="Launch week")
    code = "no-such-link"
    outside = OutsidePost.objects.create(
        account=account,
        network=account.network,
        ownership=account.ownership,
        external_id="at://did:plc:emma/app.bsky.feed.post/3outside",
        text_digest="0" * 64,
    )
    values = {
        "draft_id": published.pk,
        "share_id": share.pk,
        "public_id": share.public_id,
        "outside_post_id": outside.pk,
        "account_id": account.pk,
        "user_id": employee.pk,
        "offboarding_id": case.pk,
        "job_id": job.pk,
        "fmt": "json",
        "action": "submit",
        "network": "linkedin",
        "code": code,
        "campaign_id": campaign.pk,
        "name": "drafts/no-such-image.png",
        "page_id": 1,
    }
    owners = {
        "share_id": {"employee"},
        "account_id": {"employee"},
        "outside_post_id": {"employee", "admin_user"},
        "offboarding_id": {"admin_user"},
        "job_id": {"admin_user"},
    }
    return values, owners


def _expected(name, pattern, role, user, owners) -> set[int]:
    access = URL_ACCESS[name]
    if access.needs == PUBLIC:
        return {200, 302, 404, 405}
    if role == "anonymous":
        return {302}
    if not access.allows(user):
        return {403}
    if access.owner_only:
        keys = [key for key in pattern.pattern.converters if key in owners]
        if keys and role not in owners[keys[0]]:
            return {404}
    return {405} if access.post_only else {200, 302}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_the_matrix_says(client, request, world, role):
    values, owners = world
    user = None if role == "anonymous" else request.getfixturevalue(role)
    if user is not None:
        client.force_login(user)
    wrong = []
    for name, pattern in candor_patterns():
        kwargs = {key: values[key] for key in pattern.pattern.converters}
        url = reverse(name, kwargs=kwargs)
        expected = _expected(name, pattern, role, user, owners)
        # Actions are POST-only; a non-owner's POST must find nothing to act on.
        if URL_ACCESS[name].post_only and expected == {404}:
            status = client.post(url).status_code
        else:
            status = client.get(url).status_code
            if URL_ACCESS[name].post_only and expected != {403} and role != "anonymous":
                expected = {405}
        if status not in expected:
            wrong.append(f"{role} GET {url} ({name}) -> {status}, expected {sorted(expected)}")
    assert not wrong, "\n".join(wrong)
