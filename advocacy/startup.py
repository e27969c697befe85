"""Load settings once at process start, turning configuration mistakes into one line.

Every entry point (manage.py, WSGI, ASGI, the Celery app) calls ``load_settings``
so a bad ``DATABASE_URL`` or a missing production secret stops the process with
``Candor configuration error: <one sentence naming the variable>`` and exit code 2,
instead of a traceback several screens long.
"""

from __future__ import annotations

import os
import sys

DEFAULT_SETTINGS_MODULE = "advocacy.settings.dev"


def load_settings() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS_MODULE)
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 - touching a setting imports the module
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"Candor configuration error: {exc}\n")
        raise SystemExit(2) from None
