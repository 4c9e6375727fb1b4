"""Readiness (/readyz): is every part this process depends on answering?

Liveness (/healthz) only says the process serves requests. Readiness checks
the database, and Redis, Neo4j and the Celery broker where they are
configured, plus the LLM circuit breakers. Any part down gives 503 naming it.
Anyone may ask (load balancers do); error details need `system:metrics`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from brain.access import has_permission

TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str = ""


def check_database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Check(True, connection.vendor)


def check_redis() -> Check:
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return Check(True)


def check_neo4j() -> Check:
    import neo4j

    auth = (settings.NEO4J_USER, settings.NEO4J_PASSWORD) if settings.NEO4J_PASSWORD else None
    driver = neo4j.GraphDatabase.driver(
        settings.NEO4J_URL, auth=auth, connection_timeout=TIMEOUT_SECONDS
    )
    try:
        driver.verify_connectivity()
    finally:
        driver.close()
    return Check(True)


def check_broker() -> Check:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)
    return Check(True)


def check_llm_breakers() -> Check:
    from agents.runtime import BREAKERS

    open_circuits = [b["name"] for b in BREAKERS.snapshot() if b["state"] == "open"]
    if open_circuits:
        return Check(False, "open circuit: " + ", ".join(open_circuits))
    return Check(True)


def configured_checks() -> dict[str, Callable[[], Check]]:
    checks: dict[str, Callable[[], Check]] = {"database": check_database}
    if settings.REDIS_URL:
        checks["redis"] = check_redis
    if settings.NEO4J_URL:
        checks["neo4j"] = check_neo4j
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        checks["celeryBroker"] = check_broker
    checks["llm"] = check_llm_breakers
    return checks


def run_checks() -> dict[str, Check]:
    results = {}
    for name, check in configured_checks().items():
        try:
            results[name] = check()
        except Exception as error:  # a probe reports failures; it never raises them
            results[name] = Check(False, f"{type(error).__name__}: {error}"[:300])
    return results


def readyz(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    down = [name for name, result in results.items() if not result.ok]
    detailed = has_permission(request.user, "system:metrics")
    parts = {
        name: ({"ok": r.ok, "detail": r.detail} if detailed else {"ok": r.ok})
        for name, r in results.items()
    }
    body = {"status": "ready" if not down else "unavailable", "down": down, "parts": parts}
    return JsonResponse(body, status=503 if down else 200)
