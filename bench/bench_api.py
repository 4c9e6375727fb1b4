"""W4: REST API latency at a fixed request rate, with 10,000 executions stored.

Each database runs in its own child process: a fresh SQLite file (or a fresh
PostgreSQL database on TEST_POSTGRES_URL's server), migrated and seeded, then
filled with 1,000 orchestrations of 10 runs each (10,000 executions) and 20
events per orchestration. The product's server (daphne, DEBUG off) serves it,
as one process or as several on their own ports (`--processes 1,2`: the README's
"Scaling out", with the client spreading requests round-robin as a proxy would);
an open-loop client sends requests at a fixed rate (requests go out on schedule
whether or not earlier ones have answered) with a project member's JWT, and
records each request's latency and the servers' CPU time.

    .venv/bin/python bench/bench_api.py [--database sqlite|postgres|both]
        [--rps 100] [--seconds 10] [--executions 10000] [--processes 1[,2]]
        [--profile DIR] [--server URL]

Prints a Markdown table: p50 / p95 / p99 per endpoint and database, against the
targets of spec 12.1. `--profile DIR` records each server with py-spy (from
bench/.venv-peers) into DIR while each endpoint is loaded (BENCH_PY_SPY_ARGS adds
flags: `--gil` keeps only samples holding the GIL, Python's CPU). `--server` is
accepted for bench/run_all.py; no LLM is called.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import common  # noqa: E402

TARGETS_MS = {"GET /api/agents": 100, "GET /api/executions": 200, "GET status": 50}
DAPHNE = str(BENCH.parent / ".venv" / "bin" / "daphne")
PY_SPY = BENCH / ".venv-peers" / "bin" / "py-spy"
EVENTS_PER_RUN = 20
WARM_UP = 20  # requests per server before measuring
RUNS_PER_TREE = 10


# ------------------------------------------------------------------ parent
def main() -> None:
    args = parse()
    if args.child:
        print(json.dumps(run_child(args)))
        return
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if "postgres" in databases and not os.environ.get("TEST_POSTGRES_URL"):
        databases.remove("postgres")
    results = {
        label(db, processes): measure_in_child(db, processes, args)
        for db in databases
        for processes in args.processes
    }
    print(render(results, args))


def label(database: str, processes: int) -> str:
    return database if processes == 1 else f"{database}, {processes} processes"


def process_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("use whole numbers, e.g. 1 or 1,2") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("use whole numbers of at least 1, e.g. 1 or 1,2")
    return counts


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rps", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--executions", type=int, default=10_000)
    parser.add_argument(
        "--processes",
        type=process_counts,
        default=[1],
        help="Server processes, or several counts measured in turn (1,2).",
    )
    parser.add_argument("--profile", default="", help="Record py-spy profiles into this folder.")
    parser.add_argument("--server", default="", help="Ignored: the API calls no model.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def measure_in_child(database: str, processes: int, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--database",
        database,
        "--rps",
        str(args.rps),
        "--seconds",
        str(args.seconds),
        "--executions",
        str(args.executions),
        "--processes",
        str(processes),
        "--profile",
        args.profile,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{database} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def render(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    load = os.getloadavg()[0]
    lines = [
        f"Load average {load:.1f} on {os.cpu_count()} cores at the end (other work on the "
        "machine counts).",
        "",
        f"{args.executions:,} executions stored; {args.rps:g} requests per second for "
        f"{args.seconds:g} s per endpoint (open loop), daphne with DEBUG off (one process "
        "unless the database column says more, requests spread round-robin), a project "
        "member's JWT. Server CPU is the user + system time of all server processes.",
        "",
        "| database | endpoint | p50 ms | p95 ms | p99 ms | target (spec 12.1) | errors "
        "| server CPU ms per request |",
        "|---|---|---:|---:|---:|---|---:|---:|",
    ]
    for database, endpoints in results.items():
        for name, row in endpoints.items():
            verdict = "met" if row["p95"] < TARGETS_MS[name] else "missed"
            lines.append(
                f"| {database} | {name} | {row['p50']:.1f} | {row['p95']:.1f} | "
                f"{row['p99']:.1f} | < {TARGETS_MS[name]} ms at p95: {verdict} | "
                f"{row['errors']} of {row['n']} | {row['cpu_ms']:.1f} |"
            )
    return "\n".join(lines)


# ------------------------------------------------------------------ child
def run_child(args: argparse.Namespace) -> dict[str, Any]:
    os.environ["DEBUG"] = "false"
    os.environ["ALADDIN_HTTPS"] = "false"  # plain HTTP on loopback, as behind a TLS proxy
    os.environ.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex)
    database_url = (
        common.postgres_database("aladdin_bench_api") if args.database == "postgres" else None
    )
    common.setup_django("http://127.0.0.1:9/v1", database_url=database_url)
    token, status_id = populate(args.executions)
    servers = [start_server(free_port()) for _ in range(args.processes[0])]
    try:
        bases = [base for base, _ in servers]
        pids = [server.pid for _, server in servers]
        for base in bases:
            wait_until_up(base)
        settle(pids)
        paths = {
            "GET /api/agents": "/api/agents",
            "GET /api/executions": "/api/executions",
            "GET status": f"/api/orchestrator/status/{status_id}",
        }
        results = {}
        for name, path in paths.items():
            urls = [base + path for base in bases]
            cpu = sum(process_cpu_seconds(pid) for pid in pids)
            with profiling(
                args.profile, pids, f"{args.database}-{name.split('/')[-1].split()[-1]}"
            ):
                results[name] = asyncio.run(load(urls, token, args.rps, args.seconds))
            spent = sum(process_cpu_seconds(pid) for pid in pids) - cpu
            warm_up = WARM_UP * len(urls)
            results[name]["cpu_ms"] = 1000 * spent / max(results[name]["n"] + warm_up, 1)
        return results
    finally:
        for _, server in servers:
            stop(server)


def start_server(port: int) -> tuple[str, subprocess.Popen[bytes]]:
    server = subprocess.Popen(
        [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "aladdin.asgi:application"],
        cwd=BENCH.parent,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return f"http://127.0.0.1:{port}", server


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def profiling(folder: str, pids: list[int], name: str) -> Iterator[None]:
    """py-spy on every server while the block runs (nothing without a folder)."""
    if not folder:
        yield
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    spies = [
        subprocess.Popen(
            [
                str(PY_SPY),
                "record",
                "--pid",
                str(pid),
                "-r",
                "100",
                *os.environ.get("BENCH_PY_SPY_ARGS", "").split(),
                "-f",
                "raw",
                "-o",
                str(Path(folder) / f"{name}-{n}.raw"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n, pid in enumerate(pids)
    ]
    try:
        time.sleep(1)  # py-spy attaches
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            spy.wait(timeout=60)


def populate(total: int) -> tuple[str, str]:
    """`total` executions in trees of 10, with events; a member's token; one root's id."""
    from django.contrib.auth import get_user_model
    from django.db.models import F
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import RefreshToken

    from agents.models import Agent
    from brain.models import Project, ProjectMembership
    from executions.models import Execution, ExecutionEvent

    project = Project.objects.get(slug="the-lantern-keepers")
    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    ProjectMembership.objects.create(project=project, user=user, role="admin")
    agents = list(Agent.objects.exclude(department=None).select_related("department"))
    now = timezone.now()
    roots = Execution.objects.bulk_create(
        Execution(
            kind="orchestration",
            project=project,
            status="completed",
            prompt="bench",
            requested_by=user,
            execution_time=9000,
            overall_score=82,
            created_at=now,
        )
        for _ in range(total // RUNS_PER_TREE)
    )
    Execution.objects.filter(kind="orchestration").update(root=F("pk"))
    children = []
    for index, root in enumerate(roots):
        for step in range(RUNS_PER_TREE - 1):
            agent = agents[(index + step) % len(agents)]
            children.append(
                Execution(
                    kind="specialist",
                    project=project,
                    parent=root,
                    root=root,
                    agent=agent,
                    department=agent.department,
                    status="completed",
                    total_tokens=900,
                    execution_time=1500,
                    overall_score=80,
                )
            )
    Execution.objects.bulk_create(children, batch_size=2000)
    ExecutionEvent.objects.bulk_create(
        (
            ExecutionEvent(
                execution=root,
                sequence=n,
                type="specialist-executing",
                payload={"executionId": str(root.execution_id), "progress": 0.5},
            )
            for root in roots
            for n in range(1, EVENTS_PER_RUN + 1)
        ),
        batch_size=5000,
    )
    analyze_as_autovacuum_would()
    return str(RefreshToken.for_user(user).access_token), str(roots[-1].execution_id)


def analyze_as_autovacuum_would() -> None:
    """PostgreSQL's autovacuum vacuums and analyses a table within a minute of a bulk
    load; the benchmark measures right after its load, so it does that first, or the
    planner would still see the empty tables of a new database. SQLite gathers no statistics
    on its own, and the product does not ask it to: it runs without."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process: the server's own cost, whatever else runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(base: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("daphne did not start")


def settle(pids: list[int]) -> None:
    """Wait until the servers idle: boot work (litellm's import, started in the
    background at start-up) is not a request's cost."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        before = sum(process_cpu_seconds(pid) for pid in pids)
        time.sleep(1)
        if sum(process_cpu_seconds(pid) for pid in pids) - before < 0.05:
            return


async def load(urls: list[str], token: str, rps: float, seconds: float) -> dict[str, Any]:
    """Requests at `rps` for `seconds`, the n-th to urls[n % len(urls)] (round-robin)."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        for url in urls:
            for _ in range(WARM_UP):  # connections, caches, first queries
                await client.get(url)
        latencies: list[float] = []
        errors = 0
        statuses: dict[int, int] = {}

        async def one(url: str) -> None:
            nonlocal errors
            started = time.perf_counter()
            try:
                code = (await client.get(url)).status_code
            except httpx.HTTPError:
                code = 0  # timed out or refused: counted, with the time it took
            latencies.append((time.perf_counter() - started) * 1000)
            errors += code != 200
            statuses[code] = statuses.get(code, 0) + 1

        start, tasks = time.perf_counter(), []
        for n in range(int(rps * seconds)):
            await asyncio.sleep(max(0.0, start + n / rps - time.perf_counter()))
            tasks.append(asyncio.create_task(one(urls[n % len(urls)])))
        await asyncio.gather(*tasks)
    return {
        "n": len(latencies),
        "errors": errors,
        "statuses": statuses,
        "p50": common.percentile(latencies, 50),
        "p95": common.percentile(latencies, 95),
        "p99": common.percentile(latencies, 99),
    }


if __name__ == "__main__":
    main()
