"""Settings shared by every environment. See docs/configuration.md for each variable."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from advocacy.settings.broker import broker_transport_options, filesystem_broker_dirs, send_lease_seconds
from advocacy.settings.database import default_database
from advocacy.settings.environment import env
from advocacy.settings.networks import add_network_providers
from advocacy.settings.operations import metrics_allowed_networks, metrics_token, witness_dirs
from advocacy.settings.site import run_site_url
from advocacy.settings.sso import sso_origins, sso_providers, sso_role_groups

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env.str("CANDOR_VAR_DIR", default=str(BASE_DIR / "var")))
# Folders Candor makes at start-up (advocacy.core.apps), never when settings are read.
CANDOR_RUNTIME_DIRS: list[Path] = [VAR_DIR]

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The organisation staff work for; disclosures say "I work at {organisation}".
CANDOR_ORGANISATION_NAME = env.str("CANDOR_ORGANISATION_NAME", default="Acme Robotics")
# Participation figures are shown only for groups at least this large (no singling out).
CANDOR_MIN_GROUP_SIZE = env.positive_int("CANDOR_MIN_GROUP_SIZE", default=5)
# Fernet keys for stored social-network credentials, newest first (see docs/operations.md).
CANDOR_CREDENTIALS_KEYS = env.stripped_list("CANDOR_CREDENTIALS_KEYS")
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
CANDOR_SITE_URL = env.str("CANDOR_SITE_URL", default=run_site_url(env))
CANDOR_SITE_URL = CANDOR_SITE_URL.rstrip("/")
# Shares are refused while CANDOR_SITE_URL is not an https:// address (production.py sets it).
CANDOR_REQUIRE_HTTPS_SITE_URL = False
# Seconds Candor waits for each request to a Bluesky server before taking it for lost
# (a post's outcome is then unknown, and the next attempt looks it up first).
CANDOR_BLUESKY_TIMEOUT_SECONDS = env.positive_int("CANDOR_BLUESKY_TIMEOUT_SECONDS", default=30)
# Link cards: the server reads a draft's linked page once for its Open Graph card
# (advocacy.linkcards). Loopback addresses only when allowed (tests, `make run`);
# private, link-local and reserved addresses never. Production refuses true.
CANDOR_LINK_CARD_ALLOW_LOOPBACK = env.bool("CANDOR_LINK_CARD_ALLOW_LOOPBACK", default=DEBUG)
CANDOR_LINK_CARD_TIMEOUT_SECONDS = env.positive_int("CANDOR_LINK_CARD_TIMEOUT_SECONDS", default=5)
CANDOR_LINK_CARD_MAX_PAGE_BYTES = env.positive_int("CANDOR_LINK_CARD_MAX_PAGE_BYTES", default=1_000_000)
CANDOR_LINK_CARD_MAX_IMAGE_BYTES = env.positive_int("CANDOR_LINK_CARD_MAX_IMAGE_BYTES", default=5_000_000)
CANDOR_LINK_CARD_HOURS = env.positive_int("CANDOR_LINK_CARD_HOURS", default=24)
# X counts any link as 23 of its 280 characters: the post's public page is linked from
# the disclosure there only when the organisation chooses to spend them.
CANDOR_PUBLIC_PAGE_LINK_ON_X = env.bool("CANDOR_PUBLIC_PAGE_LINK_ON_X", default=False)
# How often corporate (and opted-in personal) accounts are read for posts made outside
# Candor; each network also has its own floor (advocacy.watch.services).
CANDOR_WATCH_SECONDS = env.positive_int("CANDOR_WATCH_SECONDS", default=300)
# Web push to the installed portal (docs/configuration.md, "Web push"). The VAPID key
# pair identifies this Candor to the browsers' push services: the public key goes to
# the browser when a person turns push on, the private key signs each push. Unset, push
# is off and the Notification settings page says so; dev.py and test.py ship a dev pair.
CANDOR_VAPID_PUBLIC_KEY = env.str("CANDOR_VAPID_PUBLIC_KEY", default="").strip()
CANDOR_VAPID_PRIVATE_KEY = env.str("CANDOR_VAPID_PRIVATE_KEY", default="").strip()
# Who the push services can contact about this sender (a mailto: or https: address).
CANDOR_VAPID_SUBJECT = env.str("CANDOR_VAPID_SUBJECT", default="mailto:candor@localhost").strip()
# Seconds Candor waits for a push service to accept one message.
CANDOR_PUSH_TIMEOUT_SECONDS = env.positive_int("CANDOR_PUSH_TIMEOUT_SECONDS", default=10)
# Signed checkpoints of the audit log and their witnesses (docs/operations.md,
# "Signed checkpoints and witnesses"). The signing key never goes into the database:
# the variable or CANDOR_AUDIT_SIGNING_KEY_FILE; unset, a key file under var/ is made
# on first use (production refuses to start without a key).
CANDOR_AUDIT_LOG_ORIGIN = env.str("CANDOR_AUDIT_LOG_ORIGIN", default=f"{urlsplit(CANDOR_SITE_URL).netloc}/audit")
CANDOR_AUDIT_SIGNING_KEY = env.str("CANDOR_AUDIT_SIGNING_KEY", default="").strip()
CANDOR_AUDIT_DEV_KEY_FILE: Path | None = VAR_DIR / "audit-signing.key"
CANDOR_AUDIT_RETIRED_KEYS = env.stripped_list("CANDOR_AUDIT_RETIRED_KEYS")
CANDOR_AUDIT_WITNESS_DIRS, _default_witness = witness_dirs(env, var_dir=VAR_DIR)
CANDOR_RUNTIME_DIRS += _default_witness
# An S3-compatible bucket with object lock, as s3://bucket/prefix; credentials from
# boto3's usual sources (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a role); the endpoint
# for MinIO, Ceph and other S3-compatible stores.
CANDOR_AUDIT_WITNESS_S3 = env.str("CANDOR_AUDIT_WITNESS_S3", default="").strip()
CANDOR_AUDIT_WITNESS_S3_ENDPOINT = env.str("CANDOR_AUDIT_WITNESS_S3_ENDPOINT", default="").strip()
CANDOR_AUDIT_WITNESS_S3_RETENTION_DAYS = env.positive_int("CANDOR_AUDIT_WITNESS_S3_RETENTION_DAYS", default=3650)
CANDOR_AUDIT_WITNESS_EMAIL = env.stripped_list("CANDOR_AUDIT_WITNESS_EMAIL")
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
    "advocacy.invitations",
    "advocacy.public",
    "advocacy.watch",
    "advocacy.linkcards",
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

DATABASES = {"default": default_database(env, var_dir=VAR_DIR)}
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
# CSV invitations (advocacy.invitations, docs/identity.md): the largest upload accepted.
CANDOR_INVITE_MAX_ROWS = env.int("CANDOR_INVITE_MAX_ROWS", default=1000)
CANDOR_INVITE_MAX_BYTES = env.int("CANDOR_INVITE_MAX_BYTES", default=1_048_576)
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_ADAPTER = "accounts.adapters.CandorSocialAccountAdapter"
# Tokens of connected posting accounts live only in the ownership ledger, encrypted;
# allauth must never write them to its plain-text SocialToken table.
SOCIALACCOUNT_STORE_TOKENS = False


# The Connect buttons of LinkedIn and X (advocacy.settings.networks), next to SSO.
_NETWORK_ORIGINS = add_network_providers(SOCIALACCOUNT_PROVIDERS, CANDOR_NETWORK_APPS)
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


# Sign-in with SSO posts a form to Candor that redirects to the identity provider;
# browsers apply form-action to that redirect, so the provider's origin is allowed.
_SSO_ORIGINS = sso_origins(env)
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
CANDOR_RUNTIME_DIRS.append(STATIC_ROOT)  # WhiteNoise warns at start-up when it is missing
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
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL, CELERY_BROKER_DIR)
CANDOR_RUNTIME_DIRS += filesystem_broker_dirs(CELERY_BROKER_URL, CELERY_BROKER_DIR)
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
CANDOR_SEND_LEASE_SECONDS = send_lease_seconds(env)  # at least 8
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
CANDOR_METRICS_TOKEN = metrics_token(env)  # at least 24 characters, or unset
CANDOR_METRICS_ALLOWED_NETWORKS = metrics_allowed_networks(env)
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

# The dev-only VAPID pair dev.py and test.py fall back to (public: never in production).
DEV_VAPID_PUBLIC_KEY = "BF6WMV0-l-uYVcG6i-u7ggudGg99oEbWqjWqQryfqYLZrIz2ZJU1YR9yGHpW7yYeKD156BGOvg0NSZDleroekJE"
DEV_VAPID_PRIVATE_KEY = "Bj3CPX8jaAcKkWKgPar-3WgInmAlF1yC0i-r4hbCHg4"
