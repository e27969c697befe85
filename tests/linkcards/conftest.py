import pytest

from tests.support.og_site import running_site


@pytest.fixture(scope="module")
def og_site():
    """A real web site on loopback, shared by a module's tests (each adds its routes)."""
    with running_site() as site:
        yield site


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
