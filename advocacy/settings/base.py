"""Settings shared by every environment. See docs/configuration.md for each variable."""

from __future__ import annotations

import contextlib
import ipaddress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from advocacy.settings.environment import env
from advocacy.settings.sso import sso_providers, sso_role_groups

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env.str("CANDOR_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The organisation staff work for; disclosures say "I work at {organisation}".
CANDOR_ORGANISATION_NAME = env.str("CANDOR_ORGANISATION_NAME", default="Acme Robotics")
# Participation figures are shown only for groups at least this large (no singling out).
CANDOR_MIN_GROUP_SIZE = env.positive_int("CANDOR_MIN_GROUP_SIZE", default=5)
# Fernet keys for stored social-network credentials, newest first (see docs/operations.md).
CANDOR_CREDENTIALS_KEYS = [k.strip() for k in env.list("CANDOR_CREDENTIALS_KEYS", default=[]) if k.strip()]
# A share found this long past its time is marked missed instead of posted late.
CANDOR_MAX_LATENESS_MINUTES = env.positive_int("CANDOR_MAX_LATENESS_MINUTES", default=60)
# Candor's own app registrations where a network needs them for token refresh and revoke.
CANDOR_NETWORK_APPS = {
    "linkedin": {
        "client_id": env.str("LINKEDIN_CLIENT_ID", default=""),
        "client_secret": env.str("LINKEDIN_CLIENT_SECRET", default=""),
    },
    "x": {"client_id": env.str("X_CLIENT_ID", default=""), "client_secret": env.str("X_CLIENT_SECRET", default="")},
}
# Connect to social servers over plain http:// (local test servers). Never in production:
# it would let anyone connecting an account make Candor talk to unencrypted endpoints.
CANDOR_ALLOW_PLAIN_HTTP_NETWORKS = env.bool("CANDOR_ALLOW_PLAIN_HTTP_NETWORKS", default=DEBUG)
# Unset, it is the address `make run` serves (CANDOR_HOST and PORT), so tracked links and
# emails point at a server that answers. Production refuses to share unless it is https.
_RUN_HOST = env.str("CANDOR_HOST", default="127.0.0.1").strip().strip("[]")
with contextlib.suppress(ValueError):  # a name, not an address
    # Serving on every interface: a link still needs one address that answers.
    _RUN_HOST = "127.0.0.1" if ipaddress.ip_address(_RUN_HOST).is_unspecified else _RUN_HOST
_RUN_HOST = f"[{_RUN_HOST}]" if ":" in _RUN_HOST else (_RUN_HOST or "127.0.0.1")
CANDOR_SITE_URL = env.str("CANDOR_SITE_URL", default=f"http://{_RUN_HOST}:{env.str('PORT', default='8000').strip()}")
CANDOR_SITE_URL = CANDOR_SITE_URL.rstrip("/")
# Shares are refused while CANDOR_SITE_URL is not an https:// address (production.py sets it).
CANDOR_REQUIRE_HTTPS_SITE_URL = False
# Seconds Candor waits for each request to a Bluesky server before taking it for lost
# (a post's outcome is then unknown, and the next attempt looks it up first).
CANDOR_BLUESKY_TIMEOUT_SECONDS = env.positive_int("CANDOR_BLUESKY_TIMEOUT_SECONDS", default=30)
# X counts any link as 23 of its 280 characters: the post's public page is linked from
# the disclosure there only when the organisation chooses to spend them.
CANDOR_PUBLIC_PAGE_LINK_ON_X = env.bool("CANDOR_PUBLIC_PAGE_LINK_ON_X", default=False)
# How often corporate (and opted-in personal) accounts are read for posts made outside
# Candor; each network also has its own floor (advocacy.watch.services).
CANDOR_WATCH_SECONDS = env.positive_int("CANDOR_WATCH_SECONDS", default=300)
# Signed checkpoints of the audit log and their witnesses (docs/operations.md,
# "Signed checkpoints and witnesses"). The signing key never goes into the database:
# the variable or CANDOR_AUDIT_SIGNING_KEY_FILE; unset, a key file under var/ is made
# on first use (production refuses to start without a key).
CANDOR_AUDIT_LOG_ORIGIN = env.str("CANDOR_AUDIT_LOG_ORIGIN", default=f"{urlsplit(CANDOR_SITE_URL).netloc}/audit")
CANDOR_AUDIT_SIGNING_KEY = env.str("CANDOR_AUDIT_SIGNING_KEY", default="").strip()
CANDOR_AUDIT_DEV_KEY_FILE: Path | None = VAR_DIR / "audit-signing.key"
CANDOR_AUDIT_RETIRED_KEYS = [k.strip() for k in env.list("CANDOR_AUDIT_RETIRED_KEYS", default=[]) if k.strip()]
if "CANDOR_AUDIT_WITNESS_DIRS" in env:
    CANDOR_AUDIT_WITNESS_DIRS = [d.strip() for d in env.list("CANDOR_AUDIT_WITNESS_DIRS") if d.strip()]
else:  # made here, like var/ itself; a configured witness that is missing is a health warning instead
    CANDOR_AUDIT_WITNESS_DIRS = [str(VAR_DIR / "witness")]
    (VAR_DIR / "witness").mkdir(exist_ok=True)
CANDOR_AUDIT_WITNESS_EMAIL = [a.strip() for a in env.list("CANDOR_AUDIT_WITNESS_EMAIL", default=[]) if a.strip()]
CANDOR_CHECKPOINT_INTERVAL = env.positive_int("CANDOR_CHECKPOINT_INTERVAL", default=600)
# The hand-back receipt PDF embeds DejaVu Sans from here (Debian: fonts-dejavu-core).
CANDOR_RECEIPT_FONT_DIR = env.str("CANDOR_RECEIPT_FONT_DIR", default="/usr/share/fonts/truetype/dejavu")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    # X, for connecting posting accounts only (accounts.adapters.CandorSocialAccountAdapter).
    "allauth.socialaccount.providers.twitter_oauth2",
    "allauth.mfa",
    "accounts",
    "advocacy.core",
    "advocacy.audit",
    "advocacy.program",
    "advocacy.drafts",
    "advocacy.ledger",
    "advocacy.sharing",
    "advocacy.notifications",
    "advocacy.analytics",
    "advocacy.portal",
    "advocacy.identity",
    "advocacy.public",
    "advocacy.watch",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "advocacy.core.security.ApiDocsCspMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "advocacy.core.security.AdminIdleTimeoutMiddleware",
    "advocacy.core.security.MfaRequiredMiddleware",
    "advocacy.audit.context.AuditContextMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "advocacy.urls"
WSGI_APPLICATION = "advocacy.wsgi.application"
ASGI_APPLICATION = "advocacy.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "advocacy.core.context_processors.candor",
            ],
        },
    },
]

DATABASES = {"default": env.database(default=f"sqlite:///{VAR_DIR / 'candor.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share one SQLite file in development: WAL lets readers
    # run beside a writer, IMMEDIATE avoids lock-upgrade deadlocks, and the
    # timeout makes a busy moment wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# --- django-allauth: email login, mandatory verification, rate limits, SSO --------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "accounts.adapters.CandorAccountAdapter"
ACCOUNT_RATE_LIMITS: dict[str, str] | bool = {  # False turns them off (the tests do)
    "login_failed": "5/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
CANDOR_SIGNUP_OPEN = env.bool("CANDOR_SIGNUP_OPEN", default=False)
CANDOR_SIGNUP_DOMAINS = [d.lower() for d in env.list("CANDOR_SIGNUP_DOMAINS", default=[])]
SOCIALACCOUNT_PROVIDERS = sso_providers(env)
# What Candor takes from the identity provider at sign-in (accounts.sso, docs/identity.md).
CANDOR_SSO_SIGNUP = env.bool("CANDOR_SSO_SIGNUP", default=True)
CANDOR_SSO_ALLOWED_DOMAINS = [d.lower() for d in env.list("CANDOR_SSO_ALLOWED_DOMAINS", default=[])]
CANDOR_SSO_GROUPS_CLAIM = env.str("CANDOR_SSO_GROUPS_CLAIM", default="groups")
CANDOR_SSO_ROLE_GROUPS = sso_role_groups(env)
CANDOR_SSO_MFA_AMR = env.list("CANDOR_SSO_MFA_AMR", default=["mfa"])
CANDOR_SSO_MFA_ACR = env.list("CANDOR_SSO_MFA_ACR", default=[])
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_ADAPTER = "accounts.adapters.CandorSocialAccountAdapter"
# Tokens of connected posting accounts live only in the ownership ledger, encrypted;
# allauth must never write them to its plain-text SocialToken table.
SOCIALACCOUNT_STORE_TOKENS = False


def network_providers(apps: dict[str, dict[str, str]]) -> dict[str, Any]:
    """allauth provider settings for LinkedIn and X from ``CANDOR_NETWORK_APPS``-shaped
    values: a network is configured with both its client id and secret, left out with
    neither, and half of it is an error naming the missing variable.

    Both are posting accounts a signed-in person connects, never sign-in methods:
    "hidden" keeps them off the sign-in page and the adapter refuses any sign-in."""
    providers: dict[str, Any] = {}
    for network, prefix in (("linkedin", "LINKEDIN"), ("x", "X")):
        app = apps.get(network) or {}
        if not (app.get("client_id") or app.get("client_secret")):
            continue
        missing = [f"{prefix}_CLIENT_{part.upper()}" for part in ("id", "secret") if not app.get(f"client_{part}")]
        if missing:
            raise ImproperlyConfigured(f"{missing[0]} is not set, but {prefix} is partly configured.")
        if network == "linkedin":
            # LinkedIn is an OpenID Connect provider (allauth's linkedin_oauth2 is deprecated).
            providers["openid_connect"] = {
                "APPS": [
                    {
                        "provider_id": "linkedin",
                        "name": "LinkedIn",
                        "client_id": app["client_id"],
                        "secret": app["client_secret"],
                        "settings": {
                            "server_url": "https://www.linkedin.com/oauth",
                            "hidden": True,
                            # Who the member is, and permission to post as them. No email address.
                            "scope": ["openid", "profile", "w_member_social"],
                            "token_auth_method": "client_secret_post",
                            "oauth_pkce_enabled": False,  # LinkedIn offers PKCE to native apps only
                        },
                    }
                ]
            }
        else:
            providers["twitter_oauth2"] = {
                "APPS": [
                    {
                        "client_id": app["client_id"],
                        "secret": app["client_secret"],
                        "settings": {
                            "hidden": True,
                            # offline.access brings a refresh token: X access tokens last two hours.
                            "scope": ["tweet.read", "tweet.write", "users.read", "offline.access"],
                            "oauth_pkce_enabled": True,
                        },
                    }
                ]
            }
    return providers


# Where each network's Connect button leads (allowed as form targets below).
_NETWORK_AUTHORIZE_ORIGINS = {"openid_connect": "https://www.linkedin.com", "twitter_oauth2": "https://x.com"}
_NETWORK_PROVIDERS = network_providers(CANDOR_NETWORK_APPS)
_SSO_OIDC_APPS = SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
if "openid_connect" in _NETWORK_PROVIDERS and any(app.get("provider_id") == "linkedin" for app in _SSO_OIDC_APPS):
    raise ImproperlyConfigured('OIDC_PROVIDER_ID "linkedin" is reserved for connecting LinkedIn accounts.')
for _name, _provider in _NETWORK_PROVIDERS.items():
    # LinkedIn shares the openid_connect provider with enterprise SSO: add an app to it.
    SOCIALACCOUNT_PROVIDERS.setdefault(_name, {}).setdefault("APPS", []).extend(_provider["APPS"])
_NETWORK_ORIGINS = [_NETWORK_AUTHORIZE_ORIGINS[name] for name in _NETWORK_PROVIDERS]
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Candor"
# Reviewers, admins and staff must set up an authenticator app before anything else
# (advocacy.core.security). Off here for development and tests (the demo accounts
# have none); production.py turns it on unless CANDOR_REQUIRE_MFA=false.
CANDOR_REQUIRE_MFA = env.bool("CANDOR_REQUIRE_MFA", default=False)

# --- Sessions, cookies and Content-Security-Policy ---------------------------------
# A working day; sessions that can reach admin pages also end after
# CANDOR_ADMIN_IDLE_MINUTES without a request (advocacy.core.security).
SESSION_COOKIE_AGE = env.positive_int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
CANDOR_ADMIN_IDLE_MINUTES = env.positive_int("CANDOR_ADMIN_IDLE_MINUTES", default=30)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: htmx sends the token from <body hx-headers>.
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# Sign-in with SSO posts a form to Candor that redirects to the identity provider;
# browsers apply form-action to that redirect, so the provider's origin is allowed.
_SSO_ORIGINS = sorted(
    {o for o in (_origin(env.str(v, default="")) for v in ("OIDC_SERVER_URL", "SAML_IDP_SSO_URL")) if o}
)
# django-csp 4. No inline scripts or styles and no other origins; the API docs
# pages alone get a relaxed policy (advocacy.core.security.ApiDocsCspMiddleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        # The Connect buttons for LinkedIn and X post to Candor, which redirects there.
        "form-action": ["'self'", *_SSO_ORIGINS, *_NETWORK_ORIGINS],
    },
}

# --- Email ------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Candor <candor@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- I18n / time --------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German")), ("id", _("Indonesian")), ("it", _("Italian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# One unambiguous date format per language, the same in lists and details (2 Dec 2026).
FORMAT_MODULE_PATH = ["advocacy.portal.formats"]

# --- Static / media -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up when it is missing
STATICFILES_DIRS = [BASE_DIR / "advocacy" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- REST API -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "advocacy.core.security.MfaTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "advocacy.core.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env.str("API_USER_THROTTLE", default="600/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Candor API",
    "DESCRIPTION": "Opt-in, transparent employee advocacy. Errors share one JSON shape: "
    '{"error": {"code", "message", "fields"}}.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "state", "status" or "kind"; name each choice set.
    "ENUM_NAME_OVERRIDES": {
        "DraftStateEnum": "advocacy.drafts.models.Draft.State",
        "ShareStateEnum": "advocacy.sharing.models.Share.State",
        "CustodyTransferStateEnum": "advocacy.ledger.models.CustodyTransfer.State",
        "AccountStatusEnum": "advocacy.ledger.models.ConnectedAccount.Status",
        "EnrollmentStatusEnum": "advocacy.program.models.Enrollment.Status",
        "ConsentKindEnum": "advocacy.program.models.ConsentEvent.Kind",
        "AccountEventKindEnum": "advocacy.ledger.models.AccountEvent.Kind",
        "NotificationKindEnum": "advocacy.notifications.models.Notification.Kind",
        "ReviewDecisionEnum": "advocacy.drafts.models.ReviewDecision.Decision",
        # A draft's language and its audience's languages are one set of codes.
        "LanguageEnum": "advocacy.drafts.services.LANGUAGES",
    },
}

# --- Celery -------------------------------------------------------------------------
# With no broker configured we use kombu's filesystem transport: no server to run,
# and queued messages are plain files under var/ that survive a worker restart.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "control"):
        (CELERY_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Redis: a task not acknowledged within an hour is redelivered; longer than any
    # task's hard limit so a slow task is never run twice concurrently by this path.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    if CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
        # RabbitMQ: each publish waits for the broker's confirm, so a task lost with a
        # closing connection is an error the dispatcher sees (it hands the shares back)
        # instead of a claim with no task that waits for the queue timeout.
        CELERY_BROKER_TRANSPORT_OPTIONS["confirm_publish"] = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env.positive_int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.positive_int("CELERY_TASK_TIME_LIMIT", default=90)
# How long a send batch's hold on its shares lasts without being renewed. A running
# batch renews it every quarter of this (a thread in the worker, also during a slow
# network call), so a worker that dies frees its shares within this long and the
# beat's next tick re-enqueues them (reconciled first where a send had begun).
CANDOR_SEND_LEASE_SECONDS = env.positive_int("CANDOR_SEND_LEASE_SECONDS", default=15)
if CANDOR_SEND_LEASE_SECONDS < 8:
    raise ImproperlyConfigured(
        f"CANDOR_SEND_LEASE_SECONDS={CANDOR_SEND_LEASE_SECONDS} is too short: at least 8 seconds, so that a "
        "renewal every quarter of it survives a busy database."
    )
# A claimed share whose send task no worker has started this long after the claim is
# taken for lost by the broker and enqueued again. Longer than a busy queue's wait.
CANDOR_SEND_QUEUE_TIMEOUT_SECONDS = env.positive_int(
    "CANDOR_SEND_QUEUE_TIMEOUT_SECONDS", default=CELERY_TASK_TIME_LIMIT + 30
)
# --- Operations: heartbeats, /healthz, /metrics (docs/operations.md) ------------------
# Each worker's main process records that it is alive this often; /healthz says
# "unhealthy" when no worker has for four times as long.
CANDOR_WORKER_HEARTBEAT_SECONDS = env.positive_int("CANDOR_WORKER_HEARTBEAT_SECONDS", default=15)
# /healthz says "unhealthy" when a due share has waited longer than this to be sent.
CANDOR_HEALTH_MAX_DUE_SECONDS = env.positive_int("CANDOR_HEALTH_MAX_DUE_SECONDS", default=300)
# /metrics answers a request with this bearer token, or from one of these networks
# (the direct peer's address); with neither set it answers no one.
CANDOR_METRICS_TOKEN = env.str("CANDOR_METRICS_TOKEN", default="").strip()
if CANDOR_METRICS_TOKEN and len(CANDOR_METRICS_TOKEN) < 24:
    raise ImproperlyConfigured("CANDOR_METRICS_TOKEN must be at least 24 characters long (or unset).")
CANDOR_METRICS_ALLOWED_NETWORKS: list[str] = []
for _network in env.list("CANDOR_METRICS_ALLOWED_NETWORKS", default=[]):
    try:
        CANDOR_METRICS_ALLOWED_NETWORKS.append(str(ipaddress.ip_network(_network.strip(), strict=False)))
    except ValueError:
        raise ImproperlyConfigured(
            f"CANDOR_METRICS_ALLOWED_NETWORKS: {_network!r} is not a network; use addresses or CIDRs "
            "such as 10.0.0.0/8,127.0.0.1."
        ) from None
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes the database connection around every task unless
# this is set, so each task paid for a new PostgreSQL connection (bench/: about a
# third of the fan-out's cost). Keep it for up to this many tasks; advocacy.celery
# still drops one that broke or outlived DATABASE_CONN_MAX_AGE, as Django does per request.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "core.heartbeat", "schedule": 30.0, "options": {"expires": 25}},
    "dispatch-due-shares": {
        "task": "sharing.dispatch_due_shares",
        "schedule": 10.0,
        "options": {"expires": 9},
    },
    # Retries failed revocations (with backoff, see ledger.offboarding) and starts the
    # hand-back for anyone deactivated without it (SSO, the ORM, loaddata).
    "ledger-hand-back-sweep": {
        "task": "ledger.hand_back_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "notifications-send-digests": {
        "task": "notifications.send_digests",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "audit-checkpoint": {
        "task": "audit.checkpoint",
        "schedule": float(CANDOR_CHECKPOINT_INTERVAL),
        "options": {"expires": CANDOR_CHECKPOINT_INTERVAL},
    },
    # Reads watched accounts' recent posts for posts made outside Candor (advocacy.watch).
    "watch-outside-posts": {
        "task": "watch.dispatch",
        "schedule": float(CANDOR_WATCH_SECONDS),
        "options": {"expires": CANDOR_WATCH_SECONDS},
    },
    "notifications-warn-expiring-tokens": {
        "task": "notifications.warn_expiring_tokens",
        "schedule": 86400.0,
        "options": {"expires": 3600},
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_credentials": {"()": "advocacy.core.logging.RedactingFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        # Django's own handlers, redefined here so that they too carry the filter.
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}
# Credentials never reach a log line: every handler redacts (advocacy.core.logging).
# A settings module that adds a handler later must add the filter to it as well
# (tests/security/test_logging_redaction.py checks every configured handler).
for _handler in LOGGING["handlers"].values():
    _handler["filters"] = ["redact_credentials", *_handler.get("filters", [])]
