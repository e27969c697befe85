"""A peer's suite: scim2-tester (PyPI) runs every check it has for what Candor
declares in /ServiceProviderConfig, against the whole Django stack (middleware,
URL routing, the view), through the WSGI interface."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

from advocacy.identity.services import scim_client_create

pytestmark = pytest.mark.django_db


def test_scim2_tester_finds_nothing_wrong(admin_user):
    _, token = scim_client_create(actor=admin_user, name="scim2-tester")
    client = WSGISCIMClient(
        get_wsgi_application(),
        base_url="http://localhost/scim/v2",
        headers={"Authorization": f"Bearer {token}"},
    )

    # As Django's test client does: the request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        results = check_server(client)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)

    failed = [f"{r.title}: {r.reason}" for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    assert results, "scim2-tester ran no check"
    assert not failed, "\n".join(failed)
    passed = {r.title for r in results if r.status == Status.SUCCESS}
    # The checks for each declared feature ran, not only discovery.
    for check in ("object_creation", "object_replacement", "object_deletion", "check_replace_attribute"):
        assert check in passed, f"{check} did not pass: {sorted(passed)}"
