"""Local development: ``make run``. Debug on, a fixed dev secret, console email."""

from advocacy.settings.base import *  # noqa: F403
from advocacy.settings.base import CANDOR_METRICS_ALLOWED_NETWORKS
from advocacy.settings.environment import env

DEBUG = env.bool("DEBUG", default=True)
# Only ever used on a developer's machine; production.py refuses to start without its own.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
# The demo accounts (make run) have no authenticator app; production requires one.
CANDOR_REQUIRE_MFA = env.bool("CANDOR_REQUIRE_MFA", default=False)

CANDOR_ALLOW_PLAIN_HTTP_NETWORKS = env.bool("CANDOR_ALLOW_PLAIN_HTTP_NETWORKS", default=True)
# `curl http://127.0.0.1:8000/metrics` works on a developer's machine without a token.
if not CANDOR_METRICS_ALLOWED_NETWORKS and not env.str("CANDOR_METRICS_ALLOWED_NETWORKS", default=""):
    CANDOR_METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32", "::1/128"]
# The demo's pages (the local PDS, a page served on this machine) may get link cards.
CANDOR_LINK_CARD_ALLOW_LOOPBACK = env.bool("CANDOR_LINK_CARD_ALLOW_LOOPBACK", default=True)

# Web push on a developer's machine without any set-up: a dev-only VAPID pair, public
# in this repository, so never for production (production.py does not inherit it).
CANDOR_VAPID_PUBLIC_KEY = env.str("CANDOR_VAPID_PUBLIC_KEY", default=DEV_VAPID_PUBLIC_KEY)  # noqa: F405
CANDOR_VAPID_PRIVATE_KEY = env.str("CANDOR_VAPID_PRIVATE_KEY", default=DEV_VAPID_PRIVATE_KEY)  # noqa: F405
