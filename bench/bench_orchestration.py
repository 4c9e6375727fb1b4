"""K concurrent orchestrations of the seeded team on the demo project, fake server at L s/call.

The plan picks 3 departments and each head picks 2 specialists, so one orchestration makes
1 (plan) + 3 * (1 select + 2 specialists + 2 reviews + 1 synthesis) + 1 (validation) = 20
LLM calls; its critical path is 6 calls (plan, select, specialist, review, synthesis,
validation), so 6 * L is the lower bound on its wall time. Everything but the LLM is real:
litellm, the gateway, the engine, the recorder and event sink on a fresh SQLite database.

    .venv/bin/python bench/bench_orchestration.py [--concurrency 1 20] [--latency 0.2] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import common

PROMPT = "Create a villain for episode 2"
PROJECT_SLUG = "the-lantern-keepers"
PLAN_MARKER = "Score every department's relevance"
TEAM = {
    "character": ("character-creator-001", "psychology-specialist-001"),
    "story": ("story-architect-001", "dialogue-writer-001"),
    "visual": ("art-director-001", "color-theory-001"),
}
CALLS_PER_ORCHESTRATION = 1 + len(TEAM) * (1 + 2 + 2 + 1) + 1
CRITICAL_PATH_CALLS = 6
# SQL statements run on the DB threads' connections: asgiref's one thread-sensitive
# executor (all ORM work) and, on PostgreSQL, the run writer's own thread.
QUERIES = [0]
QUERIES_LOCK = threading.Lock()


@dataclass(frozen=True)
class Result:
    concurrency: int
    latency: float
    run: int
    wall: float
    per_run: common.Summary
    completed: int
    llm_calls: int
    cpu: float
    loop_cpu: float
    db_cpu: float
    queries: int
    peak_rss_mb: float
    executions: int
    events: int
    rows: int

    @property
    def calls_per_second(self) -> float:
        return self.llm_calls / self.wall

    @property
    def cpu_ms_per_call(self) -> float:
        return self.cpu / max(self.llm_calls, 1) * 1000


# ------------------------------------------------------------------ scripting the model
def plan_reply() -> dict[str, Any]:
    return {
        "intent": "a villain for episode 2",
        "complexity": "medium",
        "departments": [
            {"department": slug, "relevance": 0.9, "task": f"{slug} work", "reasoning": "needed"}
            for slug in TEAM
        ],
    }


def selection_reply(agent_ids: tuple[str, ...]) -> dict[str, Any]:
    return {
        "relevance": 0.9,
        "approach": "split the work",
        "specialists": [{"agentId": agent, "task": f"{agent} task"} for agent in agent_ids],
    }


def by_user(agent_id: str) -> Any:
    return lambda body: body.get("user") == agent_id


def script_model(server: Any, orchestrations: int, latency: float) -> None:
    """Plans and selections are scripted; specialists, reviews, synthesis and validation
    get the fake server's schema-shaped defaults (which pass review)."""
    from tests.support.fake_llm import json_reply

    server.reset()
    server.latency = latency
    server.script(PLAN_MARKER, *[json_reply(plan_reply())] * orchestrations)
    for slug, specialists in TEAM.items():
        reply = json_reply(selection_reply(specialists))
        server.script(by_user(f"{slug}-head-001"), *[reply] * orchestrations)


# ------------------------------------------------------------------ database
def prepare_project() -> None:
    """Budgets large enough that repeated runs never hit the daily cap."""
    from brain.models import Project

    Project.objects.filter(slug=PROJECT_SLUG).update(
        token_budget_per_execution=10**7,
        token_budget_daily=10**9,
        usd_budget_per_execution=None,
        usd_budget_daily=None,
    )


def row_counts() -> tuple[int, int, int]:
    """Execution rows, ExecutionEvent rows, and rows in every table."""
    from django.apps import apps

    from executions.models import Execution, ExecutionEvent

    total = sum(model._default_manager.count() for model in apps.get_models())
    return Execution.objects.count(), ExecutionEvent.objects.count(), total


def count_query(execute: Callable[..., Any], *args: Any) -> Any:
    with QUERIES_LOCK:  # two threads count: the ORM's and the run writer's
        QUERIES[0] += 1
    return execute(*args)


def install_query_counter() -> int:
    """Run on a DB thread: count its queries; returns the thread's ident."""
    from django.db import connection

    if count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(count_query)
    return threading.get_ident()


def database_cpu(threads: set[int]) -> float:
    return sum(common.thread_cpu_seconds(thread) for thread in threads)


# ------------------------------------------------------------------ running
async def one_orchestration() -> tuple[float, str]:
    from asgiref.sync import sync_to_async

    from brain.models import Project
    from executions.services import create_orchestration, run_orchestration

    started = time.perf_counter()
    project = await Project.objects.aget(slug=PROJECT_SLUG)
    root = await sync_to_async(create_orchestration)(project, PROMPT)
    response = await run_orchestration(str(root.execution_id))
    return time.perf_counter() - started, str(response.get("status"))


async def batch(server: Any, concurrency: int, latency: float, run: int) -> Result:
    from asgiref.sync import sync_to_async

    from brain.preparation import all_brain_documents_ready

    script_model(server, concurrency, latency)
    from executions.events import on_writer_connection

    # The ORM's thread and the run writer's (the same one on SQLite).
    db_threads = {
        await sync_to_async(install_query_counter)(),
        await on_writer_connection(install_query_counter),
    }
    before = await sync_to_async(row_counts)()
    queries, loop_cpu, db_cpu = QUERIES[0], time.thread_time(), database_cpu(db_threads)
    with common.measure() as span:
        outcomes = await asyncio.gather(*(one_orchestration() for _ in range(concurrency)))
        # Wall and CPU include the brain documents made after the runs answered (per_run
        # is each run's answer); none spill into the next batch.
        await all_brain_documents_ready()
    loop_cpu, db_cpu = time.thread_time() - loop_cpu, database_cpu(db_threads) - db_cpu
    queries = QUERIES[0] - queries
    after = await sync_to_async(row_counts)()
    walls = [wall for wall, _ in outcomes]
    return Result(
        concurrency=concurrency,
        latency=latency,
        run=run,
        wall=span.wall,
        per_run=common.Summary.of(walls),
        completed=sum(status == "completed" for _, status in outcomes),
        llm_calls=len(server.requests),
        cpu=span.cpu,
        loop_cpu=loop_cpu,
        db_cpu=db_cpu,
        queries=queries,
        peak_rss_mb=common.peak_rss_mb(),
        executions=after[0] - before[0],
        events=after[1] - before[1],
        rows=after[2] - before[2],
    )


async def bench(server: Any, args: argparse.Namespace) -> list[Result]:
    warm_up = await batch(server, 1, 0.0, 0)  # litellm import, caches; not reported
    print(f"warm-up (K=1, latency 0, not reported): {warm_up.wall:.2f} s", file=sys.stderr)
    results = []
    for concurrency in args.concurrency:
        for run in range(1, args.runs + 1):
            result = await batch(server, concurrency, args.latency, run)
            print(f"K={concurrency} run {run}: {result.wall:.2f} s", file=sys.stderr)
            results.append(result)
    return results


# ------------------------------------------------------------------ report
def timing_rows(results: list[Result]) -> list[list[str]]:
    return [
        [
            str(r.concurrency),
            str(r.run),
            f"{r.completed}/{r.concurrency}",
            f"{r.wall:.2f}",
            f"{r.per_run.p50:.2f}",
            f"{r.per_run.p95:.2f}",
            f"{CRITICAL_PATH_CALLS * r.latency:.2f}",
            str(r.llm_calls),
            f"{r.calls_per_second:.0f}",
            f"{r.peak_rss_mb:.0f}",
        ]
        for r in results
    ]


def cost_rows(results: list[Result]) -> list[list[str]]:
    def per_call(seconds: float, r: Result) -> str:
        return f"{seconds / max(r.llm_calls, 1) * 1000:.1f}"

    return [
        [
            str(r.concurrency),
            str(r.run),
            f"{r.cpu:.2f}",
            per_call(r.cpu, r),
            per_call(r.loop_cpu, r),
            per_call(r.db_cpu, r),
            str(r.queries),
            str(r.executions),
            str(r.events),
            str(r.rows),
        ]
        for r in results
    ]


def report(results: list[Result]) -> None:
    common.print_table(
        [
            "K",
            "run",
            "completed",
            "total wall s",
            "per-run p50 s",
            "per-run p95 s",
            "lower bound s",
            "LLM calls",
            "LLM calls/s",
            "peak RSS MB",
        ],
        timing_rows(results),
    )
    print()
    common.print_table(
        [
            "K",
            "run",
            "CPU s",
            "CPU ms/call",
            "event loop ms/call",
            "DB threads ms/call",
            "SQL queries",
            "Execution rows",
            "ExecutionEvent rows",
            "all rows",
        ],
        cost_rows(results),
    )
    print()
    for concurrency in dict.fromkeys(r.concurrency for r in results):
        mine = [r for r in results if r.concurrency == concurrency]
        expected = CALLS_PER_ORCHESTRATION * concurrency
        wrong = [r.run for r in mine if r.llm_calls != expected]
        if wrong:
            print(f"NOTE: K={concurrency} runs {wrong} did not make {expected} LLM calls")
        median = statistics.median(r.wall for r in mine)
        print(f"K={concurrency}: median total wall {median:.2f} s over {len(mine)} run(s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 20], help="K values")
    parser.add_argument("--latency", type=float, default=0.2, help="fake server s per call")
    parser.add_argument("--runs", type=int, default=3, help="batches per K")
    args = parser.parse_args()

    server = common.start_fake_llm()
    common.setup_django(server)
    prepare_project()
    print(
        f"{CALLS_PER_ORCHESTRATION} LLM calls per orchestration, latency {args.latency} s, "
        f"critical path {CRITICAL_PATH_CALLS} calls; CPU excludes the fake server's thread; "
        f"DEBUG={os.environ.get('DEBUG')}"
    )
    print()
    report(asyncio.run(bench(server, args)))


if __name__ == "__main__":
    main()
