"""Comptoir settings: one module, every difference between machines comes from the environment.

Unset service variables are filled in by `saas.embedded` (the `portal` command and the test
plugin) before this module is read; here they are only read.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-development-key-set-DJANGO_SECRET_KEY")
HTTPS = env.bool("HTTPS", default=not DEBUG)

BASE_DOMAIN = env("BASE_DOMAIN", default="localhost")
PORTAL_PORT = env("PORTAL_PORT", default="")
RESERVED_SLUGS = frozenset(
    [
        "www",
        "api",
        "admin",
        "public",
        "static",
        "media",
        "assets",
        "mail",
        "smtp",
        "ftp",
        "app",
        "apps",
        "portal",
        "help",
        "support",
        "status",
        "docs",
        "blog",
        "billing",
        "auth",
        "login",
        "account",
        "accounts",
        "dashboard",
        "cdn",
        "template",
        "test",
    ]
)
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}", *env.list("EXTRA_ALLOWED_HOSTS", default=[])]
_ORIGIN_PORT = f":{PORTAL_PORT}" if PORTAL_PORT else ""
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS",
    default=[
        f"{'https' if HTTPS else 'http'}://{host}{_ORIGIN_PORT}"
        for host in (BASE_DOMAIN, f"*.{BASE_DOMAIN}")
    ],
)

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "django.contrib.messages",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "frontend",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rest_framework_api_key",
    "clients",
    "firms",
    "entitlements",
    "invoicing",
    "api",
    "webhooks",
    "payments",
    "sepa",
    "banking",
    "cards",
    "reminders",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Firm"
TENANT_DOMAIN_MODEL = "tenants.Domain"
TENANT_BASE_SCHEMA = "template_firm"
TENANT_CREATION_FAKES_MIGRATIONS = True
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("MIGRATE_PROCESSES", default=2)
# One `SET search_path` per connection and schema instead of one before every statement; code
# that changes the search path by hand must say so to the connection (tenants/routing.py).
TENANT_LIMIT_SET_CALLS = env.bool("TENANT_LIMIT_SET_CALLS", default=True)
PUBLIC_SCHEMA_URLCONF = "saas.urls_public"
ROOT_URLCONF = "saas.urls_tenant"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    "saas.health.ProbeMiddleware",
    "saas.observability.RequestMiddleware",
    "tenants.middleware.FirmMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "saas.security.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clients.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "frontend.account.middleware.UserLanguageMiddleware",
    "frontend.account.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "frontend.errors.DomainErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "api.middleware.ApiMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context.portal",
                "frontend.cards.context.portal",
                "frontend.reminders.context.portal",
            ],
        },
    },
]

WSGI_APPLICATION = "saas.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", engine="django_tenants.postgresql_backend")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=3)
)
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=None)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_URL"),
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    },
    # Host name -> firm (tenants/routing.py), outside any firm's key space.
    "routing": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_URL"),
        "KEY_PREFIX": "routing",
    },
}
# How long a host's firm is trusted without reading the public schema; closing a firm or
# changing its hosts forgets it at once (tenants/routing.py).
TENANT_HOST_CACHE_SECONDS = env.int("TENANT_HOST_CACHE_SECONDS", default=60)

AUTH_USER_MODEL = "clients.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "frontend:login"
LOGIN_REDIRECT_URL = "frontend:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row in firm schemas

SESSION_ENGINE = "clients.sessions"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=60 * 60 * 2)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# Cookies stay on the host that set them (no Domain attribute): one firm's session or token is
# never sent to another firm's sub-domain. Over HTTPS the __Host- prefix makes browsers refuse
# any such cookie set with a Domain, or without Secure, by a sibling sub-domain.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_NAME = "__Host-sessionid" if HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if HTTPS else "csrftoken"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Lockout after repeated failures, keyed by account and client address (per firm schema).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
AXES_LOCKOUT_TEMPLATE = "frontend/locked_out.html"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "Comptoir"
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp, saas.security): no inline script anywhere but the API
# reference pages; the only inline style is the firm's colour, which carries the nonce.
# Forms may post to a firm's host from the public site (sign-up, then its first sign-in).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", f"*.{BASE_DOMAIN}{_ORIGIN_PORT}"],
        "upgrade-insecure-requests": HTTPS,
        "report-uri": env.list("CSP_REPORT_URI", default=[]) or None,
    },
}
CSP_INLINE_ALLOWED_PREFIXES = ["/api/v1/docs/", "/api/v1/redoc/"]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "frontend" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".data" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Comptoir <no-reply@comptoir.localhost>")

S3_ENDPOINT_URL = env("S3_ENDPOINT_URL", default=None)
S3_BUCKET = env("S3_BUCKET", default="comptoir")
S3_REGION = env("S3_REGION", default="eu-west-3")
S3_ACCESS_KEY_ID = env("S3_ACCESS_KEY_ID", default=None)
S3_SECRET_ACCESS_KEY = env("S3_SECRET_ACCESS_KEY", default=None)
S3_PRESIGNED_SECONDS = env.int("S3_PRESIGNED_SECONDS", default=300)
# Invoices are locked in compliance mode for their legal retention when the store supports
# S3 Object Lock (the bucket must be created with it).
S3_OBJECT_LOCK = env.bool("S3_OBJECT_LOCK", default=False)
# First wait before rendering an invoice's documents again after a failure (doubles each time).
INVOICE_DOCUMENT_RETRY_SECONDS = env.int("INVOICE_DOCUMENT_RETRY_SECONDS", default=30)

CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=env("REDIS_URL"))
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="comptoir")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TENANT_CACHE_SECONDS = 60
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # The month just ended is billed on the 1st at 02:00, Paris time (CELERY_TIMEZONE).
    "monthly-billing": {
        "task": "invoicing.monthly",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
    # Documents whose rendering task was lost (a worker killed between commit and upload).
    "invoice-documents-sweep": {
        "task": "invoicing.documents_sweep",
        "schedule": crontab(minute="*/15"),
    },
}

# Outgoing webhooks: attempts wait these many seconds after each failure (then give up);
# an endpoint failing without a break for WEBHOOKS_DISABLE_AFTER_SECONDS is turned off.
WEBHOOKS_RETRY_SCHEDULE = env.list(
    "WEBHOOKS_RETRY_SCHEDULE", cast=int, default=[60, 300, 1800, 7200, 21600, 43200, 86400, 86400]
)
WEBHOOKS_DISABLE_AFTER_SECONDS = env.int("WEBHOOKS_DISABLE_AFTER_SECONDS", default=3 * 24 * 3600)
WEBHOOKS_TIMEOUT_SECONDS = 10
# Private, loopback and reserved addresses, and plain http, only for tests on one machine.
WEBHOOKS_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOKS_ALLOW_PRIVATE_HOSTS", default=False)
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=False)
CELERY_BEAT_SCHEDULE["webhooks-due"] = {"task": "webhooks.due", "schedule": 60.0}
# Card payments: Stripe's API (a loopback stand-in in tests); its Checkout pages take the
# "pay by card" forms' redirect, which the form-action policy must allow.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append("https://checkout.stripe.com")
# Collections, every morning, Paris time: direct-debit pre-notifications, mandates lapsing after
# 36 months without a debit, payment reminders.
CELERY_BEAT_SCHEDULE |= {
    "sepa-prenotify": {"task": "sepa.prenotify", "schedule": crontab(minute=0, hour=7)},
    "sepa-mandates-lapse": {"task": "sepa.mandates_lapse", "schedule": crontab(minute=30, hour=3)},
    "payment-reminders": {"task": "reminders.due", "schedule": crontab(minute=0, hour=9)},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.FirmAccess"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.errors.problem_details",
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per API key and per signed-in person; a firm may set its own (api.models.APISettings).
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.FirmRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"firm": env("API_RATE_LIMIT", default="120/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Comptoir API",
    "DESCRIPTION": (
        "The REST API of a firm's Comptoir portal. Authenticate with `Authorization: Bearer <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Choice sets that share a field name with another resource's get a name of their own.
    "ENUM_NAME_OVERRIDES": {
        "BankStatementFormatEnum": "banking.models.StatementFormat",
        "BankStatementStatusEnum": [("pending", "pending"), ("done", "done")],
    },
}

# One line per event on stderr: JSON in production (request id, firm schema, user id; task id,
# name and schema in workers: saas.observability), plain text on a developer's machine.
LOG_FORMAT = env("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "saas.observability.ContextFilter"},
        "skip_probes": {"()": "saas.observability.SkipProbes"},
    },
    "formatters": {
        "json": {"()": "saas.observability.JsonFormatter"},
        "text": {"()": "saas.observability.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers would print some lines twice; the root handler has them all.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {
            "handlers": ["console"],
            "filters": ["skip_probes"],
            "level": "INFO",
            "propagate": False,
        },
        "django.db.backends": {"level": "INFO"},
        "pgserver": {"level": "WARNING"},
        "botocore": {"level": "WARNING"},
    },
}

# Prometheus: `/metrics` on the public host; when set, scrapes send `Authorization: Bearer`.
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# Error reports, only when a DSN is given. No personal data is sent.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        release=env("RELEASE", default=None),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )
