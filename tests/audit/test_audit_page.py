"""The admin audit page shows the latest checkpoint, when it was witnessed, and,
when asked to verify, whether the database still matches the witnessed checkpoints."""

import pytest
from django.db import connection, transaction

from advocacy.audit import checkpoints, triggers
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(employee, django_capture_on_commit_callbacks):
    with transaction.atomic():
        for index in range(3):
            audit_record(actor=employee, action=AuditAction.SETTINGS_CHANGED, new={"i": index})
    with django_capture_on_commit_callbacks(execute=True):
        created = checkpoints.checkpoint_create(actor=None)
    created.refresh_from_db()
    return created


def test_the_page_shows_the_latest_checkpoint_and_when_it_was_witnessed(client, admin_user, signed):
    client.force_login(admin_user)
    page = client.get("/audit/").content.decode()
    assert f"{signed.tree_size} events, signed" in page and signed.key_id in page
    assert "Witnessed" in page and "/.well-known/candor-audit-key" in page


def test_verifying_says_whether_the_database_still_matches(client, admin_user, signed):
    client.force_login(admin_user)
    assert "consistent with 1 signed checkpoint" in client.get("/audit/?verify=1").content.decode()
    triggers.remove_on(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 3")
            cursor.execute(
                "UPDATE audit_auditchainhead SET sequence = 2, "
                "hash = (SELECT hash FROM audit_auditevent WHERE sequence = 2)"
            )
    finally:
        triggers.install_on(connection)
    page = client.get("/audit/?verify=1").content.decode()
    assert 'data-testid="witness-result"' in page and "deleted from the end" in page


def test_no_checkpoint_yet_is_said(client, admin_user):
    client.force_login(admin_user)
    assert "No checkpoint has been signed yet." in client.get("/audit/").content.decode()
