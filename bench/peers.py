"""The peers of `make bench`: the same team shape written with other tools.

Runs in bench/.venv-peers (bench/peers-requirements.txt), never in the product's venv,
and imports nothing from the product. Each system runs one request as the hierarchy
1 + 6 + 24: a plan call, then per department (all 6 at once) a selection call, its 4
specialists at once, and a synthesis; then one final call: 38 calls, 5 on the critical
path. Every call asks for a JSON Schema and the reply is parsed as JSON. Unlike Aladdin,
the peers persist nothing, judge nothing and stream no events.

    bench/.venv-peers/bin/python bench/peers.py --system langgraph --server http://127.0.0.1:PORT

prints one JSON object: W1 at L = 0 and 200 ms, W2 (20 requests at once, 200 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import operator
import os
import resource
import time
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import Annotated, Any, TypedDict

DEPARTMENTS = {
    slug: [f"{slug}-specialist-{n}" for n in range(1, 5)]
    for slug in ("story", "character", "visual", "video", "audio", "production")
}
# langgraph: ChatOpenAI on aiohttp; langgraph-aiohttp: the nodes POST with aiohttp directly.
SYSTEMS = ["langgraph", "langgraph-aiohttp", "litellm", "aiohttp"]
CALLS_PER_REQUEST = 1 + len(DEPARTMENTS) * (1 + 4 + 1) + 1
CRITICAL_PATH = 5
MODEL = "gpt-4o-mini"
VERSIONED = ("langgraph", "langchain-core", "langchain-openai", "openai", "litellm", "aiohttp")
STRING = {"type": "string"}


def strict(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


PLAN = strict(
    {
        "departments": {
            "type": "array",
            "items": strict({"department": {"enum": list(DEPARTMENTS)}, "task": STRING}),
        }
    }
)


def selection(department: str) -> dict[str, Any]:
    item = strict({"agentId": {"enum": DEPARTMENTS[department]}, "task": STRING})
    return strict({"specialists": {"type": "array", "items": item}})


OUTPUT = strict({"summary": STRING, "content": STRING})
REPORT = strict({"summary": STRING, "recommendation": {"enum": ["ingest", "modify", "discard"]}})

Call = Callable[[str, str, dict[str, Any], str], Awaitable[dict[str, Any]]]


def body(system: str, user: str, schema: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "model": MODEL,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": True},
        },
    }


# ------------------------------------------------------------------ LLM clients
def aiohttp_call(base: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    import aiohttp

    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), headers={"Authorization": "Bearer bench"}
    )

    async def call(system: str, user: str, schema: dict[str, Any], name: str) -> dict[str, Any]:
        async with session.post(
            f"{base}/chat/completions", json=body(system, user, schema, name)
        ) as r:
            r.raise_for_status()
            reply = await r.json()
        return json.loads(reply["choices"][0]["message"]["content"])

    return call, session.close


def chat_openai_call(base: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    """LangChain's ChatOpenAI on the openai SDK's aiohttp transport: how a LangGraph
    app usually calls an OpenAI-compatible model."""
    from langchain_openai import ChatOpenAI
    from openai import DefaultAioHttpClient

    http = DefaultAioHttpClient()
    llm = ChatOpenAI(
        model=MODEL, base_url=base, api_key="bench", max_retries=0, http_async_client=http
    )

    async def call(system: str, user: str, schema: dict[str, Any], name: str) -> dict[str, Any]:
        response_format = body(system, user, schema, name)["response_format"]
        reply = await llm.ainvoke(
            [("system", system), ("user", user)], response_format=response_format
        )
        return json.loads(reply.content)

    return call, http.aclose


def litellm_call(base: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True

    async def call(system: str, user: str, schema: dict[str, Any], name: str) -> dict[str, Any]:
        arguments = body(system, user, schema, name)
        reply = await litellm.acompletion(
            **{**arguments, "model": f"openai/{MODEL}"}, api_base=base, api_key="bench"
        )
        return json.loads(reply.choices[0].message.content)

    async def close() -> None:
        return None

    return call, close


# ------------------------------------------------------------------ plain asyncio
async def plain_request(call: Call, prompt: str) -> dict[str, Any]:
    plan = await call("You are the orchestrator.", prompt, PLAN, "plan")

    async def department(item: dict[str, Any]) -> dict[str, Any]:
        slug = item["department"]
        chosen = await call(f"You head {slug}.", item["task"], selection(slug), "selection")
        outputs = await asyncio.gather(
            *(
                call(f"You are {s['agentId']}.", s["task"], OUTPUT, "output")
                for s in chosen["specialists"]
            )
        )
        return await call(f"You head {slug}.", json.dumps(outputs), REPORT, "report")

    reports = await asyncio.gather(*(department(item) for item in plan["departments"]))
    return await call("You are the orchestrator.", json.dumps(reports), REPORT, "final")


# ------------------------------------------------------------------ LangGraph
class DepartmentState(TypedDict, total=False):
    department: str
    task: str
    specialists: list[dict[str, Any]]
    outputs: Annotated[list[dict[str, Any]], operator.add]
    report: dict[str, Any]


class RequestState(TypedDict, total=False):
    prompt: str
    departments: list[dict[str, Any]]
    reports: Annotated[list[dict[str, Any]], operator.add]
    final: dict[str, Any]


def langgraph_runner(call: Call) -> Callable[[str], Awaitable[dict[str, Any]]]:
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Send

    async def select(state: DepartmentState) -> DepartmentState:
        slug = state["department"]
        chosen = await call(f"You head {slug}.", state["task"], selection(slug), "selection")
        return {"specialists": chosen["specialists"]}

    async def specialist(state: dict[str, Any]) -> DepartmentState:
        output = await call(f"You are {state['agentId']}.", state["task"], OUTPUT, "output")
        return {"outputs": [output]}

    async def synthesize(state: DepartmentState) -> DepartmentState:
        text = json.dumps(state["outputs"])
        return {"report": await call(f"You head {state['department']}.", text, REPORT, "report")}

    department = StateGraph(DepartmentState)
    department.add_node("select", select)
    department.add_node("specialist", specialist)
    department.add_node("synthesize", synthesize)
    department.add_edge(START, "select")
    department.add_conditional_edges(
        "select", lambda s: [Send("specialist", item) for item in s["specialists"]]
    )
    department.add_edge("specialist", "synthesize")
    department.add_edge("synthesize", END)
    department_graph = department.compile()

    async def plan(state: RequestState) -> RequestState:
        result = await call("You are the orchestrator.", state["prompt"], PLAN, "plan")
        return {"departments": result["departments"]}

    async def run_department(state: dict[str, Any]) -> RequestState:
        result = await department_graph.ainvoke(state)
        return {"reports": [result["report"]]}

    async def final(state: RequestState) -> RequestState:
        text = json.dumps(state["reports"])
        return {"final": await call("You are the orchestrator.", text, REPORT, "final")}

    graph = StateGraph(RequestState)
    graph.add_node("plan", plan)
    graph.add_node("department", run_department)
    graph.add_node("final", final)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges(
        "plan", lambda s: [Send("department", item) for item in s["departments"]]
    )
    graph.add_edge("department", "final")
    graph.add_edge("final", END)
    compiled = graph.compile()

    async def run(prompt: str) -> dict[str, Any]:
        return (await compiled.ainvoke({"prompt": prompt}))["final"]

    return run


# ------------------------------------------------------------------ measuring
def build(system: str, base: str) -> tuple[Callable[[str], Awaitable[Any]], Any, list[int]]:
    counted = [0]
    make = {"litellm": litellm_call, "langgraph": chat_openai_call}.get(system, aiohttp_call)
    raw_call, close = make(base)

    async def call(*args: Any) -> dict[str, Any]:
        counted[0] += 1
        return await raw_call(*args)

    if system.startswith("langgraph"):
        return langgraph_runner(call), close, counted
    return (lambda prompt: plain_request(call, prompt)), close, counted


async def workload(system: str, server: str, latency_ms: int, concurrency: int) -> dict[str, Any]:
    run, close, counted = build(system, f"{server}/L{latency_ms}/v1")
    try:
        started, cpu = time.perf_counter(), time.process_time()
        results = await asyncio.gather(
            *(run("Create a villain for episode 2") for _ in range(concurrency))
        )
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await close()
    assert all(isinstance(r, dict) for r in results)
    return {"wall": wall, "cpu": cpu, "calls": counted[0], "runs": len(results)}


async def main(system: str, server: str) -> dict[str, Any]:
    await workload(system, server, 0, 1)  # imports and first connections; not reported
    report: dict[str, Any] = {"system": system, "calls_per_run": CALLS_PER_REQUEST}
    report["critical_path"] = CRITICAL_PATH
    report["w1_l0"] = await workload(system, server, 0, 1)
    report["w1_l200"] = await workload(system, server, 200, 1)
    report["w2"] = await workload(system, server, 200, 20)
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report["versions"] = {p: metadata.version(p) for p in VERSIONED}
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--system", choices=SYSTEMS, required=True)
    parser.add_argument("--server", required=True, help="fake server root URL")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.system, args.server))))
