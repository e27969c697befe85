"""Settings shared by every environment. See docs/configuration.md for each variable."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from advocacy.settings.environment import env
from advocacy.settings.sso import sso_providers

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
CANDOR_SITE_URL = env.str("CANDOR_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

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
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.mfa",
    "accounts",
    "advocacy.core",
    "advocacy.audit",
    "advocacy.program",
    "advocacy.drafts",
    "advocacy.ledger",
    "advocacy.sharing",
    "advocacy.notifications",
    "advocacy.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
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
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
CANDOR_SIGNUP_OPEN = env.bool("CANDOR_SIGNUP_OPEN", default=False)
CANDOR_SIGNUP_DOMAINS = [d.lower() for d in env.list("CANDOR_SIGNUP_DOMAINS", default=[])]
SOCIALACCOUNT_PROVIDERS = sso_providers(env)
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]

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
        "rest_framework.authentication.TokenAuthentication",
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
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env.positive_int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.positive_int("CELERY_TASK_TIME_LIMIT", default=90)
# How long a worker holds a share while it talks to the network. A share left in
# *sending* longer than this is re-enqueued (and reconciled first), so it must
# outlast the task's hard time limit or a slow send could be taken over.
CANDOR_SEND_LEASE_SECONDS = env.positive_int("CANDOR_SEND_LEASE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 30)
if CANDOR_SEND_LEASE_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CANDOR_SEND_LEASE_SECONDS={CANDOR_SEND_LEASE_SECONDS} must be longer than "
        f"CELERY_TASK_TIME_LIMIT={CELERY_TASK_TIME_LIMIT}."
    )
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
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
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
