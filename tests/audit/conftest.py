import pytest

from advocacy.audit import checkpoints
from tests.support.audit_history import record


@pytest.fixture
def checkpoint(django_capture_on_commit_callbacks):
    """checkpoint_create as a command or beat would run it: witnessed after commit."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            created = checkpoints.checkpoint_create(actor=None)
        created.refresh_from_db()
        return created

    return run


@pytest.fixture
def witnessed(employee, checkpoint):
    """Eight events, a checkpoint at 5 and one at 8, both witnessed."""
    record(employee, 5)
    first = checkpoint()
    record(employee, 3, start=5)
    return first, checkpoint()
