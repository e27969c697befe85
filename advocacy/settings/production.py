"""Production. Refuses to start without its secrets; passes ``check --deploy``."""

from django.core.exceptions import ImproperlyConfigured

from advocacy.settings.base import *  # noqa: F403
from advocacy.settings.environment import env

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be false in production settings.")
SECRET_KEY = env.str("SECRET_KEY")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters.")

if not CANDOR_CREDENTIALS_KEYS:  # noqa: F405
    raise ImproperlyConfigured(
        "CANDOR_CREDENTIALS_KEYS is not set; generate one with "
        "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
    )

# No generated key file: a key under var/ sits next to the data it is meant to vouch for.
CANDOR_AUDIT_DEV_KEY_FILE = None
if not CANDOR_AUDIT_SIGNING_KEY:  # noqa: F405
    raise ImproperlyConfigured(
        "CANDOR_AUDIT_SIGNING_KEY (or CANDOR_AUDIT_SIGNING_KEY_FILE) is not set; generate one with "
        "`python manage.py audit_checkpoint --new-key` and keep it out of the database's reach."
    )

# Every post carries a tracked link to CANDOR_SITE_URL: an http:// or unset address would
# publish dead or unencrypted links, so sharing says so and refuses (sharing.services).
CANDOR_REQUIRE_HTTPS_SITE_URL = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
# Reviewers, admins and staff must use an authenticator app (advocacy.core.security).
CANDOR_REQUIRE_MFA = env.bool("CANDOR_REQUIRE_MFA", default=True)

if CANDOR_ALLOW_PLAIN_HTTP_NETWORKS:  # noqa: F405
    raise ImproperlyConfigured("CANDOR_ALLOW_PLAIN_HTTP_NETWORKS must be false in production settings.")
if CANDOR_LINK_CARD_ALLOW_LOOPBACK:  # noqa: F405
    raise ImproperlyConfigured("CANDOR_LINK_CARD_ALLOW_LOOPBACK must be false in production settings.")

# The dev pair is public (it ships in this repository): anyone could sign pushes with it.
if CANDOR_VAPID_PRIVATE_KEY == DEV_VAPID_PRIVATE_KEY:  # noqa: F405
    raise ImproperlyConfigured("CANDOR_VAPID_PRIVATE_KEY is the public dev key; generate a pair for production.")
if bool(CANDOR_VAPID_PUBLIC_KEY) != bool(CANDOR_VAPID_PRIVATE_KEY):  # noqa: F405
    raise ImproperlyConfigured("Set both CANDOR_VAPID_PUBLIC_KEY and CANDOR_VAPID_PRIVATE_KEY, or neither.")
