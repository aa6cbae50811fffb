"""tsgcrm settings, driven entirely by environment variables.

With no configuration the app runs on SQLite with a Celery broker on the local
filesystem, so `make run` needs nothing but Python. Set DATABASE_URL and REDIS_URL
to use PostgreSQL and Redis. Defaults are the safe production ones (DEBUG off,
secure cookies, HSTS); `make run` switches DEBUG on explicitly.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TSGCRM_VAR_DIR", BASE_DIR / "var"))


def envbool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",
    "django_htmx",
    "template_partials",
    "django_countries",
    "django_celery_beat",
    "axes",
    "simple_history",
    "import_export",
    "tsgcrm",
    "circles",
    "contacts",
    "pipeline",
    "certification",
    "newsletters",
    "anymail",
]

MIDDLEWARE = [
    "tsgcrm.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tsgcrm.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tsgcrm.middleware.UserTimezoneMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tsgcrm.urls"
WSGI_APPLICATION = "tsgcrm.wsgi.application"
ASGI_APPLICATION = "tsgcrm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

FORM_RENDERER = "tsgcrm.forms.FormRenderer"
FORMAT_MODULE_PATH = ["tsgcrm.formats"]

# --- Database -------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # Connections live ten minutes (checked before reuse): each keeps the queries psycopg
    # has prepared, which a reconnection would have to plan again.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600,
                                                  conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Short OLTP queries: PostgreSQL's JIT costs more to compile than it saves.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = "-c jit=off"
        # Bind parameters on the server, so psycopg prepares a query it has run five times
        # on a connection: the board's and lists' queries are then planned once, not on
        # every request (planning them cost more than running them).
        options["server_side_binding"] = envbool("DB_SERVER_SIDE_BINDING", True)
        options["prepare_threshold"] = envint("DB_PREPARE_THRESHOLD", 5)
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "tsgcrm.sqlite3",
            # Web, worker and beat share the file: wait for locks, and take the write
            # lock at BEGIN so concurrent writers queue instead of failing mid-way.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_URL = os.environ.get("CACHE_URL", REDIS_URL)
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "circles.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock an email + address pair after repeated failures.
AXES_ENABLED = envbool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Django's login form posts the email in a field named "username".
AXES_USERNAME_FORM_FIELD = "username"
AXES_IPWARE_PROXY_COUNT = envint("PROXY_COUNT", 0) or None

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"

# --- Email ----------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    # In development, mail lands in var/mail/ (one file per message batch) rather than
    # flooding the terminal with attached PDFs.
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
# The file backend (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend) writes
# here: tests count what worker processes sent.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tsgcrm <noreply@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
ADMINS = [("Admin", a) for a in envlist("ADMINS")]

# --- Celery ---------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    # No server needed: kombu's filesystem transport passes messages through a folder.
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),  # not ./control of the checkout
    }
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Report PDFs run on their own queue, served by a worker with a memory limit per process.
CELERY_TASK_ROUTES = {"pipeline.tasks.render_report": {"queue": "reports"},
                      "newsletters.tasks.send_newsletter_batch": {"queue": "newsletters"}}
# Synced into django-celery-beat's tables at beat start; admins can then tune them.
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "tsgcrm.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    "task-reminders": {
        "task": "pipeline.tasks.send_due_reminders",
        "schedule": crontab(),  # every minute
    },
    "follow-up-digests": {
        "task": "pipeline.tasks.send_follow_up_digests",
        "schedule": crontab(minute="*/15"),
    },
    "decision-review-reminders": {
        "task": "circles.decisions.tasks.send_review_reminders",
        "schedule": crontab(hour=6, minute=30),
    },
    "report-runs-recover": {
        "task": "pipeline.tasks.recover_report_runs",
        "schedule": crontab(minute="*/2"),
    },
    "report-subscriptions": {
        "task": "pipeline.tasks.send_report_subscriptions",
        "schedule": crontab(hour=7, minute=5),
    },
    "newsletters-dispatch": {
        "task": "newsletters.tasks.dispatch_newsletters",
        "schedule": crontab(),  # every minute: due sends, A/B decisions, stalled sends
    },
    "newsletter-readers": {
        "task": "newsletters.tasks.refresh_readers",
        "schedule": crontab(hour=2, minute=40),
    },
    "certification-reminders": {
        "task": "certification.tasks.send_certification_reminders",
        "schedule": crontab(hour=6, minute=45),
    },
}

# --- Newsletters ------------------------------------------------------------------
# Rows a worker claims at a time, how long its claim holds if it dies, how long one task
# sends before handing on, how many tasks a send starts (one per newsletter worker).
NEWSLETTER_CHUNK = envint("NEWSLETTER_CHUNK", 200)
NEWSLETTER_LEASE_SECONDS = envint("NEWSLETTER_LEASE_SECONDS", 60)
NEWSLETTER_BATCH_SECONDS = envint("NEWSLETTER_BATCH_SECONDS", 120)
NEWSLETTER_PARALLEL = envint("NEWSLETTER_PARALLEL", 2)
NEWSLETTER_MAX_ATTEMPTS = envint("NEWSLETTER_MAX_ATTEMPTS", 5)
NEWSLETTER_RETRY_SECONDS = envint("NEWSLETTER_RETRY_SECONDS", 60)
NEWSLETTER_DEFAULT_RATE_PER_MINUTE = envint("NEWSLETTER_DEFAULT_RATE_PER_MINUTE", 600)
NEWSLETTER_MESSAGE_ID_DOMAIN = os.environ.get("NEWSLETTER_MESSAGE_ID_DOMAIN",
                                              "newsletters.tsgcrm.local")
# Providers' bounce and complaint webhooks (django-anymail): basic auth "user:password".
ANYMAIL = {"WEBHOOK_SECRET": os.environ.get("ANYMAIL_WEBHOOK_SECRET") or None}

# --- Security -------------------------------------------------------------------
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_HTTPS_PROXY", False) else None
)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts only from our static files (templates use no inline handlers); styles may be
# inline (style attributes, htmx's indicator style); images also from https (newsletters'
# previews); never framed, no plugins, forms post only to this site.
CONTENT_SECURITY_POLICY = os.environ.get("CONTENT_SECURITY_POLICY", "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:", "font-src 'self'", "connect-src 'self'",
    "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
]))
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14)
# Sessions are read from the cache (Redis) on every request and written through to the
# database, so a cache flush logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Every login is logged by axes at INFO; failures and lockouts are WARNINGs.
        "axes": {"level": os.environ.get("AXES_LOG_LEVEL", "WARNING")},
    },
}

# A covering index's extra columns speed up PostgreSQL; SQLite (the development default)
# simply ignores them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
