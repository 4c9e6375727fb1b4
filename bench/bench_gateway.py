"""The LLM gateway's own overhead per call, against the fake server at zero latency.

Three paths make the same chat completion (a specialist-sized prompt with a JSON Schema):
  raw      httpx.AsyncClient POST and json parsing: the floor for any Python client
  litellm  LitellmClient.complete (litellm -> openai SDK -> httpx)
  gateway  engine Gateway.complete: LitellmClient + retry + breaker + budget ledger
each sequentially and with C calls in flight. Gateway overhead = gateway - raw.
Also the one-time cost of `import litellm`, in a fresh interpreter.

    .venv/bin/python bench/bench_gateway.py [--calls 300] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import common

Call = Callable[[], Awaitable[Any]]
SYSTEM_PROMPT = (
    "You are a character development specialist on a film production team. "
    "Build rich, consistent characters that fit the project's canon. " * 12
)
USER_PROMPT = "TASK:\nCreate a villain for episode 2.\n\nPROJECT CONTEXT:\n" + (
    "The Lantern Keepers guard the last lights of a drowned city; every scene is lit by "
    "hand-held lanterns and the villain must threaten that light. " * 20
)

# getrusage's ru_maxrss survives fork+exec (the child starts at the parent's peak),
# so the child reads its own VmRSS / VmHWM instead.
IMPORT_SCRIPT = """
import json, time
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
rss0 = status("VmRSS")
wall, cpu = time.perf_counter(), time.process_time()
import litellm
print(json.dumps({
    "wall": time.perf_counter() - wall,
    "cpu": time.process_time() - cpu,
    "rss_before_mb": rss0,
    "rss_after_mb": status("VmRSS"),
    "peak_rss_mb": status("VmHWM"),
}))
"""


@dataclass(frozen=True)
class Result:
    path: str
    mode: str
    calls: int
    wall: common.Summary
    cpu_per_call: float
    calls_per_second: float
    server_cpu_per_call: float


# ------------------------------------------------------------------ the three paths
def llm_request() -> Any:
    from engine.ports import LLMRequest
    from engine.schemas import SPECIALIST_SCHEMA

    return LLMRequest(
        model=common.BENCH_MODEL,
        messages=[
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": USER_PROMPT},
        ],
        max_tokens=2000,
        response_schema=SPECIALIST_SCHEMA,
        schema_name="specialist_output",
        agent_id="character-creator-001",
    )


def raw_body(request: Any) -> dict[str, Any]:
    """The OpenAI wire body litellm sends for `request`."""
    return {
        "model": request.model.split("/", 1)[1],
        "messages": request.messages,
        "max_tokens": request.max_tokens,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": request.schema_name, "schema": request.response_schema},
        },
        "user": request.agent_id,
    }


def raw_call(client: Any, url: str, body: dict[str, Any]) -> Call:
    headers = {"Authorization": "Bearer bench-key"}

    async def call() -> str:
        response = await client.post(url, json=body, headers=headers)
        response.raise_for_status()
        data = response.json()
        return str(data["choices"][0]["message"]["content"])

    return call


def litellm_call(request: Any) -> Call:
    from agents.llm.client import LitellmClient

    client = LitellmClient()
    return lambda: client.complete(request)


def gateway_call(request: Any) -> Call:
    from agents.runtime import build_gateway
    from engine.budgets import ROLE_LIMITS, BudgetLedger, BudgetLimit
    from engine.gateway import CallBudget

    gateway = build_gateway()
    ledger = BudgetLedger([BudgetLimit("bench", max_tokens=None, max_usd=None)])
    budget = CallBudget(limits=ROLE_LIMITS["specialist"], ledgers=(ledger,))
    return lambda: gateway.complete(request, budget)


# ------------------------------------------------------------------ running them
async def timed(call: Call, latencies: list[float]) -> None:
    started = time.perf_counter()
    await call()
    latencies.append(time.perf_counter() - started)


async def run_sequential(call: Call, calls: int) -> tuple[list[float], common.Span]:
    latencies: list[float] = []
    with common.measure() as span:
        for _ in range(calls):
            await timed(call, latencies)
    return latencies, span


async def run_concurrent(call: Call, calls: int, width: int) -> tuple[list[float], common.Span]:
    latencies: list[float] = []
    remaining = iter(range(calls))

    async def worker() -> None:
        for _ in remaining:
            await timed(call, latencies)

    with common.measure() as span:
        await asyncio.gather(*(worker() for _ in range(width)))
    return latencies, span


async def bench_path(server: Any, name: str, call: Call, calls: int, width: int) -> list[Result]:
    server.reset()  # the server keeps every request body; start each path empty
    # Warm-up, not measured: imports, caches, and a full connection pool.
    await run_concurrent(call, 3 * width, width)
    results = []
    for mode, (latencies, span) in (
        ("sequential", await run_sequential(call, calls)),
        (f"{width} concurrent", await run_concurrent(call, calls, width)),
    ):
        results.append(
            Result(
                path=name,
                mode=mode,
                calls=calls,
                wall=common.Summary.of(latencies),
                cpu_per_call=span.cpu / calls,
                calls_per_second=calls / span.wall,
                server_cpu_per_call=span.server_cpu / calls,
            )
        )
    return results


async def bench_all(server: Any, calls: int, width: int) -> list[Result]:
    import httpx

    request = llm_request()
    results: list[Result] = []
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        url = f"{server.base_url}/chat/completions"
        raw = raw_call(client, url, raw_body(request))
        results += await bench_path(server, "raw httpx", raw, calls, width)
    results += await bench_path(server, "LitellmClient", litellm_call(request), calls, width)
    results += await bench_path(server, "Gateway", gateway_call(request), calls, width)
    return results


# ------------------------------------------------------------------ import cost
def litellm_import_cost(repeats: int) -> list[dict[str, float]]:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        output = subprocess.run(
            [sys.executable, "-c", IMPORT_SCRIPT],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        sample = json.loads(output.strip().splitlines()[-1])
        sample["process_wall"] = time.perf_counter() - started
        samples.append(sample)
    return samples


# ------------------------------------------------------------------ report
def report(results: list[Result]) -> None:
    rows = [
        [
            r.path,
            r.mode,
            str(r.calls),
            f"{r.wall.mean * 1000:.2f}",
            f"{r.wall.p50 * 1000:.2f}",
            f"{r.wall.p95 * 1000:.2f}",
            f"{r.cpu_per_call * 1000:.2f}",
            f"{r.calls_per_second:.0f}",
            f"{r.server_cpu_per_call * 1000:.2f}",
        ]
        for r in results
    ]
    common.print_table(
        [
            "path",
            "mode",
            "calls",
            "wall mean ms",
            "wall p50 ms",
            "wall p95 ms",
            "client CPU ms/call",
            "calls/s",
            "fake server CPU ms/call",
        ],
        rows,
    )
    print()
    print("Gateway overhead over raw httpx (Gateway - raw):")
    by_key = {(r.path, r.mode): r for r in results}
    for mode in dict.fromkeys(r.mode for r in results):
        raw, gateway = by_key[("raw httpx", mode)], by_key[("Gateway", mode)]
        wall = (gateway.wall.mean - raw.wall.mean) * 1000
        cpu = (gateway.cpu_per_call - raw.cpu_per_call) * 1000
        print(f"  {mode}: +{wall:.2f} ms wall/call (mean), +{cpu:.2f} ms CPU/call")


def report_import(samples: list[dict[str, float]]) -> None:
    rows = [
        [
            str(index),
            f"{s['wall']:.2f}",
            f"{s['cpu']:.2f}",
            f"{s['process_wall']:.2f}",
            f"{s['rss_before_mb']:.0f}",
            f"{s['rss_after_mb']:.0f}",
            f"{s['peak_rss_mb']:.0f}",
        ]
        for index, s in enumerate(samples, 1)
    ]
    print()
    print("import litellm (fresh interpreter, LITELLM_LOCAL_MODEL_COST_MAP=True):")
    common.print_table(
        [
            "run",
            "import wall s",
            "import CPU s",
            "process wall s",
            "RSS before MB",
            "RSS after MB",
            "peak RSS MB",
        ],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per path and mode")
    parser.add_argument("--concurrency", type=int, default=20, help="calls in flight")
    parser.add_argument("--import-runs", type=int, default=3, help="fresh `import litellm` runs")
    args = parser.parse_args()

    server = common.start_fake_llm()
    common.setup_django(server, seed=False)
    python = sys.version.split()[0]
    print(f"{args.calls} calls per path and mode, fake server latency 0, Python {python}")
    print()
    report(asyncio.run(bench_all(server, args.calls, args.concurrency)))
    report_import(litellm_import_cost(args.import_runs))
    print()
    print(f"peak RSS of this process: {common.peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
