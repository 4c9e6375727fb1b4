"""The one fake OpenAI-compatible server every system in `make bench` talks to.

It runs in its own process (so its CPU is never counted as a client's) and answers
each JSON-schema request with a valid instance, built by the same code as the test
fake (`tests/support/fake_llm.py`: `default_reply`, `completion_json`). One rule is
added for the benchmark's shape: an array whose items start with an enum field (the
plan's departments, a head's specialists) gets one item per enum value, so every
system fans out to all 6 departments and all 4 specialists of each.

Every answer is new: each "[fake] ..." string gets the answer's number, so no two
outputs, entities or documents are the same text. Real answers differ from request
to request; identical ones would let anything cached by text (query vectors, canon
vectors, brain documents) look free.

The latency is part of the URL, so one server serves every workload:
`http://127.0.0.1:PORT/L200/v1` answers after 200 ms. `POST .../v1/embeddings`
answers OpenAI's embeddings API the same way, for Aladdin with
`ALADDIN_EMBEDDING_MODEL`. `GET /stats` returns the number of chat requests and the
bytes received so far, and the same for embedding requests.

    .venv/bin/python bench/fake_server.py   # prints the port, serves until killed
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.schema_sample import sample_from_schema
from tests.support.fake_llm import completion_json, default_reply, embeddings_json, json_reply

STATS = {"requests": 0, "bytes": 0, "embedding_requests": 0, "embedding_bytes": 0}
_IDS = itertools.count(1)
_ANSWERS = itertools.count(1)
# Sampling a schema costs more than the rest of a request, and the same schemas repeat.
_SAMPLES: dict[str, Any] = {}


def fan_out(schema: Mapping[str, Any], instance: Any) -> Any:
    """One array item per enum value where the items' first property is an enum."""
    if not isinstance(instance, dict):
        return instance
    for name, prop in (schema.get("properties") or {}).items():
        items = prop.get("items") if isinstance(prop, Mapping) else None
        if prop.get("type") != "array" or not isinstance(items, Mapping):
            continue
        first = next(iter((items.get("properties") or {}).items()), None)
        if first and "enum" in first[1] and instance.get(name):
            template = instance[name][0]
            instance[name] = [{**template, first[0]: value} for value in first[1]["enum"]]
    return instance


def reply_for(body: Mapping[str, Any]) -> Any:
    response_format = body.get("response_format") or {}
    schema = (response_format.get("json_schema") or {}).get("schema")
    if response_format.get("type") != "json_schema" or not isinstance(schema, Mapping):
        return default_reply(body)
    key = json.dumps(schema, sort_keys=True)
    if key not in _SAMPLES:
        _SAMPLES[key] = fan_out(schema, sample_from_schema(schema, label="fake"))
    return json_reply(numbered(_SAMPLES[key], next(_ANSWERS)))


def numbered(value: Any, number: int) -> Any:
    """A copy of a sampled instance with the answer's number in every free-text
    string (the sampler's "[fake] ..." strings; enums and formats are left as they are)."""
    if isinstance(value, str):
        return f"{value} n{number}" if value.startswith("[fake]") else value
    if isinstance(value, list):
        return [numbered(item, number) for item in value]
    if isinstance(value, dict):
        return {name: numbered(item, number) for name, item in value.items()}
    return value


async def chat(request: web.Request) -> web.Response:
    raw = await request.read()
    STATS["requests"] += 1
    STATS["bytes"] += len(raw)
    body = json.loads(raw)
    latency = int(request.match_info.get("latency", "0")) / 1000
    if latency:
        await asyncio.sleep(latency)
    response = completion_json(body, reply_for(body), f"chatcmpl-bench-{next(_IDS)}", 0)
    response["created"] = int(time.time())
    return web.json_response(response)


async def embeddings(request: web.Request) -> web.Response:
    """OpenAI's /embeddings, 384 numbers per text (tests/support/fake_llm.py), after L ms."""
    raw = await request.read()
    STATS["embedding_requests"] += 1
    STATS["embedding_bytes"] += len(raw)
    latency = int(request.match_info.get("latency", "0")) / 1000
    if latency:
        await asyncio.sleep(latency)
    return web.json_response(embeddings_json(json.loads(raw), 384))


async def stats(_: web.Request) -> web.Response:
    return web.json_response(STATS)


def app() -> web.Application:
    application = web.Application(client_max_size=32 * 2**20)
    application.router.add_post("/L{latency:\\d+}/v1/chat/completions", chat)
    application.router.add_post("/L{latency:\\d+}/chat/completions", chat)
    application.router.add_post("/L{latency:\\d+}/v1/embeddings", embeddings)
    application.router.add_get("/stats", stats)
    return application


async def serve() -> None:
    runner = web.AppRunner(app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
    await site.start()
    port = runner.addresses[0][1]
    print(port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve())
