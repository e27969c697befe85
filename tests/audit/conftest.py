import pytest


@pytest.fixture(autouse=True)
def witness_dir(settings, tmp_path):
    """Each test's own witness directory: the database is rolled back between tests,
    a directory under var/ would not be."""
    settings.CANDOR_AUDIT_WITNESS_DIRS = [str(tmp_path / "witness")]
    settings.CANDOR_AUDIT_WITNESS_EMAIL = []
    return tmp_path / "witness"
