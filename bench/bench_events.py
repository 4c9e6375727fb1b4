"""W5: event latency from emit to a WebSocket client, with 1 and with 100 subscribers.

The product's own path end to end: this process emits with `DjangoEventSink` (the
row is written, then the Redis channel layer rings), a daphne server in another
process runs the `/ws/events/` consumer, and aiohttp WebSocket clients subscribed
to the run receive each event. Latency is the client's receive time minus the time
just before `emit` was called (one clock: one machine). Needs Redis
(TEST_REDIS_URL); the database is a fresh SQLite file shared by both processes.

    .venv/bin/python bench/bench_events.py [--events 50] [--subscribers 1 100]

prints a Markdown section (run_all.py puts it in docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import bench_api
import common

# Another Redis database than the tests' (which use /0), so nobody hears our bells.
REDIS_DB = 5
WARM_UP_EVENTS = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare() -> tuple[str, str]:
    """A superuser's API key and a pending orchestration to emit on."""
    from django.contrib.auth import get_user_model

    from api.keys import create_key
    from brain.models import Project
    from executions.services import create_orchestration

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-pass")
    _, raw = create_key(user, "bench")
    root = create_orchestration(Project.objects.get(slug="the-lantern-keepers"), "W5")
    return raw, str(root.execution_id)


def start_daphne(port: int) -> subprocess.Popen[bytes]:
    daphne = Path(sys.executable).with_name("daphne")
    command = [str(daphne), "-b", "127.0.0.1", "-p", str(port), "aladdin.asgi:application"]
    process = subprocess.Popen(
        command, cwd=common.REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("daphne did not start within 60 s")


def last_sequence(root: str) -> int:
    from django.db.models import Max

    from executions.models import ExecutionEvent

    found = ExecutionEvent.objects.filter(execution__execution_id=root).aggregate(
        last=Max("sequence")
    )
    return int(found["last"] or 0)


async def subscriber(
    session: Any, url: str, key: str, root: str, received: dict[int, float], ready: Any
) -> Any:
    from asgiref.sync import sync_to_async

    socket_ = await session.ws_connect(url, headers={"Authorization": f"Api-Key {key}"})
    last = await sync_to_async(last_sequence)(root)  # no replay: only live events are timed
    await socket_.send_json({"action": "subscribe", "executionId": root, "lastSequence": last})
    while (await socket_.receive_json()).get("action") != "subscribed":
        pass
    ready.release()

    async def listen() -> None:
        async for message in socket_:
            data = message.json()
            if "sequence" in data:
                received[int(data["sequence"])] = time.perf_counter()

    return socket_, asyncio.create_task(listen())


async def measure(port: int, key: str, root: str, count: int, events: int) -> list[float]:
    import aiohttp

    from executions.events import DjangoEventSink

    url = f"ws://127.0.0.1:{port}/ws/events/"
    ready = asyncio.Semaphore(0)
    inboxes: list[dict[int, float]] = [{} for _ in range(count)]
    async with aiohttp.ClientSession() as session:
        clients = await asyncio.gather(
            *(subscriber(session, url, key, root, inbox, ready) for inbox in inboxes)
        )
        for _ in range(count):
            await ready.acquire()
        sink, sent = DjangoEventSink(), {}
        # Unreported warm-up, as every system gets: the server's first events pay for
        # its lazy imports and first connections.
        for index in range(WARM_UP_EVENTS):
            await sink.emit(root, "progress", {"percent": index, "step": "W5 warm-up"})
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        for inbox in inboxes:
            inbox.clear()
        for index in range(events):
            started = time.perf_counter()
            sequence = await sink.emit(root, "progress", {"percent": index, "step": "W5"})
            sent[sequence] = started
            await asyncio.sleep(0.05)
        await asyncio.sleep(2)  # the last bells arrive
        for socket_, task in clients:
            task.cancel()
            await socket_.close()
    return [inbox[s] - t for inbox in inboxes for s, t in sent.items() if s in inbox] + [
        float("nan")
    ] * sum(s not in inbox for inbox in inboxes for s in sent)


def row(count: int, events: int, latencies: list[float]) -> str:
    got = [x for x in latencies if x == x]
    summary = common.Summary.of([x * 1000 for x in got])
    worst = max(got) * 1000 if got else float("nan")
    return (
        f"| {count} | {len(got)} / {count * events} | {summary.p50:.1f} | {summary.p95:.1f} "
        f"| {worst:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--server", help="unused; run_all.py passes the fake server to all")
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1, 100])
    args = parser.parse_args()
    redis = os.environ.get("TEST_REDIS_URL")
    if not redis:
        print("Not measured: W5 needs Redis (TEST_REDIS_URL) for the channel layer.")
        return
    redis_url = redis.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    # No LLM is called here; the address only has to be well formed.
    common.setup_django("http://127.0.0.1:9/v1", redis_url=redis_url)
    key, root = prepare()
    port = free_port()
    daphne = start_daphne(port)
    try:
        # Its boot work (litellm's import, in the background) is not an event's latency.
        bench_api.settle([daphne.pid])
        rows = [
            row(n, args.events, asyncio.run(measure(port, key, root, n, args.events)))
            for n in args.subscribers
        ]
    finally:
        daphne.terminate()
        try:
            daphne.wait(10)
        except subprocess.TimeoutExpired:
            daphne.kill()
    print(
        "Emit (row written, then the Redis channel layer rings) to a WebSocket client of\n"
        "`/ws/events/` served by daphne in another process, over loopback; "
        f"{args.events} events 50 ms apart per row, after {WARM_UP_EVENTS} unreported warm-up "
        "events (`bench/bench_events.py`).\n"
    )
    print("| subscribers | events received | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
