"""How long importing a feature-length screenplay takes, and what it costs in memory.

Generates a deterministic Fountain feature (about 120 pages by the importer's own
page count: 115 scenes, 30 speaking characters, 36 locations), then on a fresh
SQLite database with the embedded graph:
1. parses it (read, checks, Fountain rules, scenes, eighths): no database;
2. imports it (one transaction: episode, scenes, sources, characters, locations,
   appearances), then the after-commit graph sync and continuity check;
3. imports the same file again (every scene matched, nothing changed).
Peak Python allocations come from tracemalloc, peak RSS from the kernel.

    .venv/bin/python bench/bench_script_import.py [--scenes 115]
"""

from __future__ import annotations

import argparse
import json
import random
import time
import tracemalloc
from typing import Any

import common

NAMES = [
    "ISLA", "TOBIAS", "AGNES", "CORWIN", "RUAN", "WREN", "MAREK", "ODILE", "PIPER", "SILAS",
    "HOLLIS", "JUNE", "BRAM", "NELL", "CASPAR", "IMOGEN", "REUBEN", "TAMSIN", "EWAN", "FLORA",
    "GIDEON", "HESTER", "ANSEL", "MAEVE", "LUCAN", "ROSALIND", "DORIAN", "ELSPETH", "FINN", "GRETA",
]  # fmt: skip
PREFIXES = ("NORTH", "OLD", "UPPER", "LOWER", "WEST")
ROOMS = ("HARBOUR", "LIGHTHOUSE", "CHAPEL", "CAUSEWAY", "FERRY", "INN", "MILL", "QUAY")
PLACES = [f"{a} {b}" for a in PREFIXES for b in ROOMS]
TIMES = ["DAWN", "MORNING", "DAY", "AFTERNOON", "DUSK", "EVENING", "NIGHT"]
WORDS = [
    "the",
    "fog",
    "rolls",
    "in",
    "over",
    "wet",
    "stone",
    "while",
    "gulls",
    "wheel",
    "above",
    "a",
    "lamp",
    "that",
    "gutters",
    "and",
    "a",
    "door",
    "bangs",
    "somewhere",
    "below",
    "as",
    "rain",
    "finds",
    "every",
    "crack",
    "in",
    "the",
    "old",
    "walls",
    "and",
    "nobody",
    "moves",
]


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def feature(scenes: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    out = ["Title: Benchmark Feature", "Author: bench_script_import.py", ""]
    for number in range(1, scenes + 1):
        place = rng.choice(PLACES)
        prefix = rng.choice(["INT.", "EXT."])
        out += [f"{prefix} {place} - {TIMES[number % len(TIMES)]} #{number}#", ""]
        cast = rng.sample(NAMES, k=rng.randint(2, 4))
        out += [f"{cast[0]} {sentence(rng, 20, 40)} {cast[1].title()} waits.", ""]
        for _ in range(rng.randint(7, 11)):
            speaker = rng.choice(cast)
            out.append(speaker + (" (V.O.)" if rng.random() < 0.05 else ""))
            if rng.random() < 0.25:
                out.append("(quietly)")
            out += [sentence(rng, 6, 24), ""]
            if rng.random() < 0.3:
                out += [sentence(rng, 12, 30), ""]
    return "\n".join(out) + "\n"


def timed(work: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def traced(work: Any) -> float:
    """Peak Python allocations (MiB) of `work`; tracemalloc slows Python several times,
    so timings are taken in separate, untraced runs."""
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def after_commit_timer() -> dict[str, float]:
    """Time spent in the after-commit graph sync and continuity re-check."""
    import brain.signals
    import screenplay.signals

    spent = {"graph_sync_s": 0.0, "continuity_s": 0.0}
    for cls, key in ((brain.signals._Batch, "graph_sync_s"),
                     (screenplay.signals._Recheck, "continuity_s")):  # fmt: skip
        original = cls.__call__

        def call(self: Any, original: Any = original, key: str = key) -> None:
            started = time.perf_counter()
            original(self)
            spent[key] += time.perf_counter() - started

        cls.__call__ = call  # type: ignore[method-assign]
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=115)
    args = parser.parse_args()
    common.setup_django("http://127.0.0.1:9/v1", seed=False)
    from django.conf import settings

    from brain.models import Project
    from screenplay.importing import import_script
    from screenplay.parsing import read_script
    from screenplay.structure import split_scenes

    data = feature(args.scenes).encode()
    limit = settings.ALADDIN_SCRIPT_MAX_BYTES
    rss_before = common.current_rss_mb()

    def parse() -> Any:
        return split_scenes(read_script("f.fountain", data, max_bytes=limit))

    drafts, parse_s = timed(parse)
    spent = after_commit_timer()
    project = Project.objects.create(slug="bench-feature", name="Benchmark Feature")
    first, import_s = timed(lambda: import_script(project, data, "feature.fountain"))
    first_hooks = dict(spent)
    again, reimport_s = timed(lambda: import_script(project, data, "feature.fountain"))
    rss_after = common.current_rss_mb()
    other = Project.objects.create(slug="bench-traced", name="Traced")
    parse_mib = traced(parse)
    import_mib = traced(lambda: import_script(other, data, "feature.fountain"))
    print(json.dumps({
        "bytes": len(data), "scenes": len(drafts), "pages": sum(d.eighths for d in drafts) / 8,
        "characters": len(first.characters_created), "locations": len(first.locations_created),
        "parse_s": round(parse_s, 3), "import_s": round(import_s, 2),
        "import_graph_sync_s": round(first_hooks["graph_sync_s"], 2),
        "import_continuity_s": round(first_hooks["continuity_s"], 2),
        "reimport_s": round(reimport_s, 2),
        "reimport_changed": len(again.changed) + len(again.added) + len(again.removed),
        "parse_peak_mib": round(parse_mib, 1), "import_peak_mib": round(import_mib, 1),
        "rss_before_mib": round(rss_before, 1), "rss_after_mib": round(rss_after, 1),
        "peak_rss_mib": round(common.peak_rss_mb(), 1),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
