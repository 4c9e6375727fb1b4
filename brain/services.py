"""The brain's use cases, for views, commands, the admin and agents' tools.

Edges stay thin: they parse input, check access and call one function here, which
wires the configured collaborators (graph backend, embedder). The pipeline's LLM is
an argument: brain/ is the bottom app and never imports the apps above it
(executions.runners.pipeline_llm builds one).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import partial
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

from brain.embeddings import default_embedder
from brain.graph import get_backend
from brain.graph.base import CHARACTER, EPISODE, SCENE, SearchHit, Snapshot
from brain.graph.cypher_guard import check_read_only
from brain.graph.sync import SyncReport, rebuild_project, run_blocking
from brain.models import Character, Episode, Project, Scene
from brain.pipeline import (
    EntityRef,
    EventCallback,
    JsonLLM,
    PipelineConfig,
    PipelineResult,
    run_pipeline,
)

QUERY_ROW_LIMIT = 500
logger = logging.getLogger(__name__)


class ProjectNotFound(LookupError):
    pass


# ----------------------------------------------------------------------------- sync
def rebuild_graphs(slug: str | None = None) -> dict[str, SyncReport]:
    """Rebuild one project's graph (or every project's, and drop the graphs of projects
    that no longer exist) from the database. Returns a report per project slug."""
    backend = get_backend()
    run_blocking(backend.ensure_schema)
    projects = Project.objects.filter(slug=slug) if slug else Project.objects.all()
    if slug and not projects.exists():
        known = ", ".join(Project.objects.values_list("slug", flat=True)) or "none"
        raise ProjectNotFound(f"No project {slug!r} (projects: {known}).")
    reports: dict[str, SyncReport] = {}
    for project in projects.order_by("slug"):
        uid = str(project.uid)
        reports[project.slug] = run_blocking(partial(rebuild_project, backend, uid))
    if slug is None:
        existing = {str(uid) for uid in Project.objects.values_list("uid", flat=True)}
        stale = run_blocking(backend.project_ids) - existing
        for uid in sorted(stale):
            reports[f"(deleted project {uid})"] = run_blocking(
                partial(rebuild_project, backend, uid)
            )
    return reports


# ------------------------------------------------------------------------- reading
async def project_graph(project: Project) -> Snapshot:
    return await get_backend().fetch_project(str(project.uid))


async def search(
    project: Project, query: str, *, limit: int = 5, types: Collection[str] | None = None
) -> list[SearchHit]:
    """The project's brain documents nearest in meaning to `query`, best first."""
    vector = await default_embedder().embed_query(query)
    return await get_backend().search(str(project.uid), vector, limit, types)


async def read_query(
    cypher: str, params: Mapping[str, Any] | None = None, *, limit: int = QUERY_ROW_LIMIT
) -> list[dict[str, Any]]:
    """Staff's read-only Cypher: the text guard first, then a READ transaction."""
    check_read_only(cypher)
    return await get_backend().read_query(cypher, params or {}, min(limit, QUERY_ROW_LIMIT))


# ------------------------------------------------------------------------ pipeline
async def prepare_document(
    ref: EntityRef,
    *,
    llm: JsonLLM,
    on_event: EventCallback | None = None,
    config: PipelineConfig | None = None,
    writes: asyncio.Lock | None = None,
) -> PipelineResult:
    """Run the data preparation pipeline (spec 3.2) for one entity."""
    return await run_pipeline(
        ref,
        llm=llm,
        backend=get_backend(),
        embedder=default_embedder(),
        on_event=on_event,
        config=config,
        writes=writes,
    )


ProgressCallback = Callable[[PipelineResult], None]


async def prepare_project(
    project: Project,
    *,
    llm: JsonLLM,
    refs: Sequence[EntityRef] | None = None,
    on_result: ProgressCallback | None = None,
    concurrency: int | None = None,
) -> list[PipelineResult]:
    """Run the pipeline over a project's entities (all of them by default, each once),
    up to `concurrency` at a time (ALADDIN_BRAIN_PREPARE_CONCURRENCY): a failed entity
    is reported in its result and the others go on. Results come in the refs' order."""
    if refs is None:
        refs = await sync_to_async(entity_refs)(project)
    limit = asyncio.Semaphore(max(1, concurrency or settings.ALADDIN_BRAIN_PREPARE_CONCURRENCY))
    # The LLM calls overlap; the writes (links to the database, then links and document
    # to the graph) go one at a time, so two entities never write one link at once.
    writes = asyncio.Lock()

    async def prepare(ref: EntityRef) -> PipelineResult:
        async with limit:
            try:
                result = await prepare_document(ref, llm=llm, writes=writes)
            except Exception as exc:  # a bug or an outage: this entity fails, not the batch
                logger.exception("brain pipeline broke on %s %s", ref.type, ref.id)
                result = PipelineResult("failed", ref, problems=[f"{type(exc).__name__}: {exc}"])
        if on_result is not None:
            on_result(result)
        return result

    return list(await asyncio.gather(*(prepare(ref) for ref in dict.fromkeys(refs))))


def entity_refs(project: Project) -> list[EntityRef]:
    """Every entity of a project, for preparing all its documents."""
    refs = [EntityRef("project", str(project.uid))]
    refs += [
        EntityRef(EPISODE.lower(), str(uid))
        for uid in Episode.objects.filter(project=project).values_list("uid", flat=True)
    ]
    refs += [
        EntityRef(SCENE.lower(), str(uid))
        for uid in Scene.objects.filter(episode__project=project).values_list("uid", flat=True)
    ]
    refs += [
        EntityRef(CHARACTER.lower(), str(uid))
        for uid in Character.objects.filter(project=project).values_list("uid", flat=True)
    ]
    return refs
