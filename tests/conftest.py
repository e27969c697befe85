"""Shared people for every test: the same owner / other member / outsider style cast,
one per role, as healthchecks does. Tests go through public interfaces."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import Role, User
from tests.factories import UserFactory
from tests.support.clock import clock, clock_start  # noqa: F401 - fixtures
from tests.support.fake_network import FakeNetworks
from tests.support.og_site import running_site
from tests.support.pds import running_pds
from tests.support.push_service import push_service  # noqa: F401 - fixture
from tests.support.scenario import account, enrolled, later, policy, published  # noqa: F401 - fixtures

ARTIFACTS = Path(__file__).resolve().parents[1] / "var" / "test-artifacts"


def pytest_sessionfinish(session, exitstatus):
    """Remove this run's scratch folder (SQLite file, broker queue, media)."""
    import shutil

    from django.conf import settings

    if "var" in settings.VAR_DIR.parts and settings.VAR_DIR.name == os.environ.get("CANDOR_TEST_RUN_ID"):
        shutil.rmtree(settings.VAR_DIR, ignore_errors=True)


# What a test needs, read from the fixtures it asks for, so `make test-fast`
# (-m "not worker and not pds and not browser") leaves out every slow test without
# each one having to remember its marker.
_FIXTURE_MARKERS = {
    "bluesky_pds": "pds",
    "real_broker": "worker",
    "celery_worker_process": "worker",
    "page": "browser",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        needs = {_FIXTURE_MARKERS[name] for name in getattr(item, "fixturenames", ()) if name in _FIXTURE_MARKERS}
        if "tests/browser/" in str(item.fspath):
            needs.add("browser")
        for marker in sorted(needs - {m.name for m in item.iter_markers()}):
            item.add_marker(marker)


@pytest.fixture
def employee(db) -> User:
    return UserFactory(email="emma@example.com", display_name="Emma Employee", role=Role.EMPLOYEE)


@pytest.fixture
def other_employee(db) -> User:
    return UserFactory(email="otto@example.com", display_name="Otto Other", role=Role.EMPLOYEE)


@pytest.fixture
def author(db) -> User:
    return UserFactory(email="arno@example.com", display_name="Arno Author", role=Role.COMMS_AUTHOR)


@pytest.fixture
def reviewer(db) -> User:
    return UserFactory(email="rita@example.com", display_name="Rita Reviewer", role=Role.COMMS_REVIEWER)


@pytest.fixture
def admin_user(db) -> User:
    return UserFactory(email="ada@example.com", display_name="Ada Admin", role=Role.ADMIN, is_staff=True)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def api_as(api: APIClient):
    def login(user: User) -> APIClient:
        api.force_authenticate(user)
        return api

    return login


@pytest.fixture
def real_broker(settings):
    """Send tasks to the configured broker instead of running them in-process, for
    tests that start a real worker (``tests/support/worker.py``)."""
    from advocacy.celery import app

    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True


@pytest.fixture(scope="session")
def bluesky_pds(tmp_path_factory: pytest.TempPathFactory):
    """One real Bluesky PDS (Node, loopback only) shared by the whole test session."""
    with running_pds(workdir=tmp_path_factory.mktemp("bluesky-pds")) as server:
        yield server


@pytest.fixture(scope="module")
def og_site():
    """A real web site on loopback with Open Graph pages, shared by a module's tests
    (each adds its own routes): what link cards are read from."""
    with running_site() as site:
        yield site


@pytest.fixture(autouse=True)
def witness_dir(settings, tmp_path, monkeypatch) -> Path:
    """Each test's own audit witness directory: the database is rolled back between
    tests, a directory under var/ would not be, and a checkpoint left there by one test
    would make the next test's (shorter) log look rewritten. Processes a test starts
    (manage.py, a worker) inherit it through the environment."""
    witness = tmp_path / "witness"
    witness.mkdir()  # as settings make the default one
    settings.CANDOR_AUDIT_WITNESS_DIRS = [str(witness)]
    settings.CANDOR_AUDIT_WITNESS_EMAIL = []
    monkeypatch.setenv("CANDOR_AUDIT_WITNESS_DIRS", str(witness))
    monkeypatch.delenv("CANDOR_AUDIT_WITNESS_EMAIL", raising=False)
    return witness


@pytest.fixture
def networks(monkeypatch) -> FakeNetworks:
    """In-memory networks for the engine and the hand-back (revoke) alike."""
    fakes = FakeNetworks()
    for target in (
        "advocacy.networks.registry.get_client",
        "advocacy.sharing.engine.batch.get_client",
        "advocacy.ledger.offboarding.get_client",
    ):
        monkeypatch.setattr(target, fakes.get_client)
    return fakes


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request in another language leaves that language active in the test's thread
    (LocaleMiddleware activates it and nothing deactivates it): the next test would
    read Italian messages where it expects English."""
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _lift_audit_triggers_for_flush(request):
    """The audit table refuses DELETE (by trigger). Transactional tests on SQLite are
    cleaned up with DELETE, so the triggers are lifted just for that clean-up and put
    back. (PostgreSQL cleans up with TRUNCATE, which row triggers do not see.)"""
    transactional = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        transactional = True
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    from django.db import connection

    from advocacy.audit import triggers

    if connection.vendor == "sqlite":
        triggers.remove_on(connection)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent")
        triggers.install_on(connection)
