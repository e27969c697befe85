"""The test suite. Uses DATABASE_URL / CELERY_BROKER_URL when set (the CI run on
PostgreSQL + Redis), otherwise a SQLite file and the filesystem broker under var/test/."""

import os
from pathlib import Path

# Each test run gets its own folder (SQLite file, filesystem broker, media), so two
# runs on one machine never share a database or steal each other's tasks. Worker
# processes a test starts inherit these variables and so join the same run.
_RUN_ID = os.environ.setdefault("CANDOR_TEST_RUN_ID", str(os.getpid()))
os.environ.setdefault("CANDOR_VAR_DIR", str(Path(__file__).resolve().parents[2] / "var" / "test" / _RUN_ID))

from advocacy.settings.base import *  # noqa: E402, F403
from advocacy.settings.base import DATABASES, VAR_DIR  # noqa: E402
from advocacy.settings.environment import env  # noqa: E402

DEBUG = False
SECRET_KEY = "test-only-key-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A worker process started by a test must open the same database file as the test,
# so the SQLite test database is a file, never in-memory.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
# Unit tests run tasks in-process; tests marked `worker` switch this off and use a
# real worker process on the real broker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
ACCOUNT_RATE_LIMITS = False
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405

# The test suite talks to local servers (Bluesky PDS, mastodon-mock) over http.
CANDOR_ALLOW_PLAIN_HTTP_NETWORKS = True
# Link-card tests serve their pages from a local HTTP server.
CANDOR_LINK_CARD_ALLOW_LOOPBACK = True

# Web push on a developer's machine without any set-up: a dev-only VAPID pair, public
# in this repository, so never for production (production.py does not inherit it).
CANDOR_VAPID_PUBLIC_KEY = env.str("CANDOR_VAPID_PUBLIC_KEY", default=DEV_VAPID_PUBLIC_KEY)  # noqa: F405
CANDOR_VAPID_PRIVATE_KEY = env.str("CANDOR_VAPID_PRIVATE_KEY", default=DEV_VAPID_PRIVATE_KEY)  # noqa: F405
