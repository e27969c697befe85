"""Production settings, plus the portal benchmark's baseline page (``bench.urls``).

Every benchmark process (gunicorn, Celery workers, the driver) runs with these, so
what is measured is the production configuration: DEBUG off, the production
middleware, password hashers and session settings.
"""

from advocacy.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
