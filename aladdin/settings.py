"""Aladdin settings, read from environment variables.

Every setting has a default that runs the embedded mode (SQLite, in-memory
channel layer, embedded graph store, demo LLM). Production sets the variables
listed in the README. A malformed value stops start-up with a message naming
the variable, rather than running with a silently wrong configuration.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# pytest-django imports settings before any conftest runs, hence the module check.
TESTING = env_bool("ALADDIN_TESTING", "pytest" in sys.modules)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY to a long random "
            "string (python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = "insecure-development-key-only-used-when-debug-is-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "django_htmx",
    "django_celery_beat",
    "aladdin",
    "departments",
    "agents",
    "brain",
    "executions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "aladdin.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "aladdin.asgi.application"

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
                "aladdin.context_processors.llm_mode",
            ],
        },
    },
]

# --- Storage -----------------------------------------------------------------
DATA_DIR = Path(env_str("ALADDIN_DATA_DIR", str(BASE_DIR / "var")))
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'aladdin.sqlite3'}")
try:
    _database = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent agent runs write from many threads; WAL and a busy timeout
    # turn SQLite's "database is locked" into a short wait.
    _database.setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    _database["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES: dict[str, dict[str, Any]] = {"default": dict(_database)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "aladdin",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "aladdin"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Auth, i18n, static ---------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/admin/login/"
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve straight from the app folders when collectstatic has not run (development, tests).
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# --- REST API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Aladdin API",
    "DESCRIPTION": "Hierarchical AI agent teams for film and series production.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Celery -----------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL and not env_str("CELERY_BROKER_URL")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "cleanup-runs": {"task": "executions.tasks.cleanup_runs_task", "schedule": 60.0},
}

# --- LLM -------------------------------------------------------------------------------
# litellm downloads its price list at import unless told otherwise; there is no
# network in many deployments and the bundled table is what cost accounting uses.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

DEMO_MODEL = "aladdin/demo"
ALADDIN_DEFAULT_MODEL = env_str("ALADDIN_DEFAULT_MODEL", DEMO_MODEL)
ALADDIN_LLM_API_BASE = env_str("ALADDIN_LLM_API_BASE") or None
ALADDIN_LLM_API_KEY = env_str("ALADDIN_LLM_API_KEY") or None
ALADDIN_LLM_TIMEOUT = env_float("ALADDIN_LLM_TIMEOUT", 120.0, minimum=0.1)
# Model tiers of spec 7.3; blank means "use the default model" so one setting
# switches every tier. Tiers can also be overridden per project in the admin.
ALADDIN_MODEL_SIMPLE = env_str("ALADDIN_MODEL_SIMPLE")
ALADDIN_MODEL_STANDARD = env_str("ALADDIN_MODEL_STANDARD")
ALADDIN_MODEL_PREMIUM = env_str("ALADDIN_MODEL_PREMIUM")
ALADDIN_RETRY_ATTEMPTS = env_int("ALADDIN_RETRY_ATTEMPTS", 3, minimum=1)
ALADDIN_RETRY_BASE_DELAY = env_float("ALADDIN_RETRY_BASE_DELAY", 1.0)
ALADDIN_RETRY_MAX_DELAY = env_float("ALADDIN_RETRY_MAX_DELAY", 30.0)

# --- Orchestration -------------------------------------------------------------------
ALADDIN_DEPARTMENT_RELEVANCE_THRESHOLD = env_float("ALADDIN_DEPARTMENT_RELEVANCE_THRESHOLD", 0.5)
ALADDIN_MAX_PARALLEL_DEPARTMENTS = env_int("ALADDIN_MAX_PARALLEL_DEPARTMENTS", 6, minimum=1)
ALADDIN_MAX_PARALLEL_SPECIALISTS = env_int("ALADDIN_MAX_PARALLEL_SPECIALISTS", 5, minimum=1)
ALADDIN_CONTEXT_CACHE_SECONDS = env_int("ALADDIN_CONTEXT_CACHE_SECONDS", 300, minimum=0)
# A running orchestration touches its row every few seconds; one silent for longer
# than this was interrupted (its process stopped) and is marked failed.
ALADDIN_HEARTBEAT_TIMEOUT_SECONDS = env_int("ALADDIN_HEARTBEAT_TIMEOUT_SECONDS", 60, minimum=10)
# Spec 4.1: finished runs are kept 90 days; 0 keeps them forever.
ALADDIN_EXECUTION_RETENTION_DAYS = env_int("ALADDIN_EXECUTION_RETENTION_DAYS", 90, minimum=0)

# --- Brain (knowledge graph) ----------------------------------------------------------
NEO4J_URL = env_str("NEO4J_URL")
NEO4J_USER = env_str("NEO4J_USER", "neo4j")
NEO4J_PASSWORD = env_str("NEO4J_PASSWORD")
NEO4J_DATABASE = env_str("NEO4J_DATABASE", "neo4j")

# --- Security -----------------------------------------------------------------------------
# Key for encrypting secrets stored in the database (HTTP tool signing secrets).
ALADDIN_ENCRYPTION_KEY = env_str("ALADDIN_ENCRYPTION_KEY") or SECRET_KEY

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "LiteLLM": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "neo4j": {"level": "WARNING"},
    },
}
