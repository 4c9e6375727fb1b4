"""The orchestrator's GraphStore port on the Django side.

The database rows are the source of truth for the story world: results are
written there (characters, their relationships, episodes, scenes), and the knowledge
graph is kept in step from them (brain/graph). When the store is given the
pipeline's LLM, every entity written then goes through the data preparation
pipeline of spec 3.2 and gets its brain document: before store_results returns, or,
with `documents_later`, in the background once the run has ended (brain/preparation.py).
With `documents_later` the graph sync and continuity re-check of the rows wait for the
run's end too, and run first in that background step: the run answers without them.
Reads come from the cached project context.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.db import transaction
from django.db.models import Max, Q

from brain.commit_hooks import Hook, held_after_commit, run_held_async
from brain.models import Character, CharacterRelationship, Episode, Project, Scene
from brain.pipeline import EntityRef, JsonLLM, PipelineResult

if TYPE_CHECKING:
    from brain.relevance import Canon

logger = logging.getLogger(__name__)
# On the run's row once its results are in the brain: how many entities were written.
STORED_PARAM = "brainStored"
# On the run's row while and after its entities' brain documents are made: {"status":
# "preparing" | "ready" | "failed" | "interrupted", "entities": n, and when ready how
# many were "stored", "rejected" (by validation) and "failed"}.
DOCUMENTS_PARAM = "brainDocuments"
PIPELINE_OUTCOMES = ("stored", "rejected", "failed")


# Finds a run's row, locked, for the store's "stored once" mark. The runs live in an
# app above the brain, which hands this in (brain/ never imports it).
RunRowLock = Callable[[str], Any]


class DjangoGraphStore:
    def __init__(
        self,
        llm: JsonLLM | None = None,
        run_row: RunRowLock | None = None,
        *,
        documents_later: bool = False,
    ) -> None:
        # The pipeline's LLM, handed down by the app that runs orchestrations (brain/
        # never builds one); without it results are stored with no brain documents.
        self.llm = llm
        self.run_row = run_row
        # Later: store_results keeps the documents' preparation for start_documents(),
        # which runs it in the background (brain/preparation.py) once the run has ended.
        self.documents_later = documents_later
        # By run: its held after-commit hooks and its documents' preparation, if any.
        self.deferred: list[
            tuple[str, list[Hook], Coroutine[Any, Any, list[PipelineResult]] | None]
        ] = []
        self.prepared: list[PipelineResult] = []
        self._canons: dict[int, asyncio.Future[Canon]] = {}

    async def relevant_context(
        self, project_id: int, text: str, *, meaning_of: str | None = None
    ) -> dict[str, Any]:
        """Nearest canon to `text`. One store serves one run, which reads its project's
        context once, as it was when the run first asked (its judges ask 24 times)."""
        from brain.relevance import relevant_context

        canon = await self._canon(project_id)
        return await relevant_context(project_id, text, meaning_of=meaning_of, canon=canon)

    async def _canon(self, project_id: int) -> Canon:
        from brain.relevance import load_canon

        if project_id not in self._canons:
            self._canons[project_id] = asyncio.ensure_future(load_canon(project_id))
        try:
            return await asyncio.shield(self._canons[project_id])
        except Exception:
            self._canons.pop(project_id, None)  # a failed read is tried again next time
            raise

    async def store_results(
        self, project_id: int, execution_id: str, entities: list[dict[str, Any]]
    ) -> int:
        touched: list[EntityRef] = []
        written, hooks = await sync_to_async(self._store)(
            project_id, execution_id, entities, touched
        )
        work = (
            self._prepare(project_id, execution_id, touched, self.llm)
            if self.llm is not None and touched
            else None
        )
        if self.documents_later and (hooks or work is not None):
            self.deferred.append((execution_id, hooks, work))
            return written
        await run_held_async(hooks)
        if work is not None:
            self.prepared = await work
        return written

    def _store(
        self,
        project_id: int,
        execution_id: str,
        entities: list[dict[str, Any]],
        touched: list[EntityRef],
    ) -> tuple[int, list[Hook]]:
        """The rows, and the graph sync and continuity re-check their commit brought,
        held for store_results to run now or after the run (brain.commit_hooks)."""
        with held_after_commit() as hooks:
            written = store_entities(
                project_id,
                execution_id,
                entities,
                touched,
                run_row=self.run_row,
                documents=self.llm is not None,
            )
        return written, hooks

    def start_documents(self) -> None:
        """Start what store_results kept for later as a background task of this loop,
        tracked by run id (brain_documents_ready waits for it): the held graph sync and
        continuity re-check, then the brain documents."""
        from brain.preparation import prepare_in_background

        self._canons.clear()  # the run is over: its canon snapshot is not read again
        while self.deferred:
            execution_id, hooks, work = self.deferred.pop(0)
            first = run_held_async(hooks) if hooks else None
            prepare_in_background(execution_id, work or _no_documents(), first=first)

    async def _prepare(
        self, project_id: int, execution_id: str, refs: list[EntityRef], llm: JsonLLM
    ) -> list[PipelineResult]:
        from brain.services import prepare_project

        project = await Project.objects.aget(pk=project_id)
        try:
            results = await prepare_project(project, llm=llm, refs=refs)
        except asyncio.CancelledError:  # the process is stopping: say so, then stop
            logger.warning("Brain documents of run %s were stopped unfinished.", execution_id)
            await self._mark(execution_id, {"status": "interrupted"})
            raise
        except Exception as exc:  # the rows are stored; `brain_prepare` can redo the documents
            logger.exception("brain pipeline failed for project %s", project.slug)
            await self._mark(execution_id, {"status": "failed", "error": str(exc)[:500]})
            return []
        await self._mark(execution_id, documents_state(results))
        await self._canon_from_documents(project_id, results)
        return results

    @staticmethod
    async def _canon_from_documents(project_id: int, results: list[PipelineResult]) -> None:
        """The vectors of this run's new documents kept for its entities' canon ranking.
        A document rejected for its relationships still has the vector of its entity's
        text, so it is used too. Only a head start: on failure, the next ranking that
        needs these entities embeds them."""
        from brain.embeddings import default_embedder
        from brain.relevance import take_document_vectors

        model = default_embedder().name
        documents = {
            result.entity.id: result.embedding
            for result in results
            if result.embedding is not None and result.embedding_model == model
        }
        if not documents:
            return
        try:
            await take_document_vectors(project_id, documents)
        except Exception:
            logger.exception("keeping the document vectors of project %s failed", project_id)

    async def _mark(self, execution_id: str, state: dict[str, Any]) -> None:
        if self.run_row is not None:
            await sync_to_async(mark_documents)(execution_id, state, self.run_row)


async def _no_documents() -> list[PipelineResult]:
    return []


# Reasons kept for the entities whose documents were not made: enough to say why.
PROBLEMS_KEPT = 3


def documents_state(results: list[PipelineResult]) -> dict[str, Any]:
    """The DOCUMENTS_PARAM of a finished preparation: how many entities, by outcome,
    and the first few distinct reasons a document was not made."""
    counts = {status: sum(r.status == status for r in results) for status in PIPELINE_OUTCOMES}
    state: dict[str, Any] = {"status": "ready", "entities": len(results), **counts}
    reasons = [
        f"{r.entity.type}: {r.problems[0][:300]}" for r in results if not r.ok and r.problems
    ]
    if reasons:
        state["problems"] = list(dict.fromkeys(reasons))[:PROBLEMS_KEPT]
    return state


@transaction.atomic
def mark_documents(execution_id: str, state: dict[str, Any], run_row: RunRowLock) -> None:
    root = run_row(execution_id)
    if root is not None:
        root.params = {**root.params, DOCUMENTS_PARAM: state}
        root.save(update_fields=["params"])


@transaction.atomic
def store_entities(
    project_id: int,
    execution_id: str,
    entities: list[dict[str, Any]],
    touched: list[EntityRef] | None = None,
    *,
    run_row: RunRowLock | None = None,
    documents: bool = False,
) -> int:
    """Create or update the characters, episodes and scenes an orchestration produced;
    returns how many entities (those and relationships) were written. `touched`
    collects the entities written, for the brain pipeline. With `run_row`, the run's
    row is marked in the same transaction, so a resumed run never stores twice, and,
    with `documents`, says its brain documents are being prepared."""
    touched = [] if touched is None else touched
    root = run_row(execution_id) if run_row is not None else None
    if root is not None and STORED_PARAM in root.params:
        return int(root.params[STORED_PARAM])  # stored before a crash: not twice
    written = _store_all(project_id, entities, touched)
    if root is not None:
        # In the same transaction as the rows: resumed after a crash, the run finds
        # its results either stored and marked, or not stored at all.
        params = {**root.params, STORED_PARAM: written}
        if documents and touched:
            params[DOCUMENTS_PARAM] = {"status": "preparing", "entities": len(set(touched))}
        root.params = params
        root.save(update_fields=["params"])
    return written


def _store_all(project_id: int, entities: list[dict[str, Any]], touched: list[EntityRef]) -> int:
    project = Project.objects.get(pk=project_id)
    created: list[Episode] = []
    written = _store_episodes(project, entities, touched, created)
    written += _store_scenes(project, entities, touched, created)
    characters = _characters_named(project, entities)
    for entity in entities:
        if entity.get("type") != "character" or not str(entity.get("name", "")).strip():
            continue
        character = _upsert_character(project, entity, characters)
        characters[character.name.casefold()] = character
        touched.append(EntityRef("character", str(character.uid)))
        written += 1
    for entity in entities:
        if entity.get("type") != "character":
            continue
        source = characters.get(str(entity.get("name", "")).strip().casefold())
        for link in _links(entity):
            target = characters.get(str(link.get("name", "")).strip().casefold())
            if source is None or target is None or source.pk == target.pk:
                continue
            CharacterRelationship.objects.update_or_create(
                from_character=source,
                to_character=target,
                type=str(link.get("type") or "related")[:50],
                defaults={"strength": min(max(float(link.get("strength", 0.5)), 0.0), 1.0)},
            )
            written += 1
    return written


def _characters_named(project: Project, entities: list[dict[str, Any]]) -> dict[str, Character]:
    """The project's characters these results name (as characters or as the far end of
    a relationship), by case-folded name. Names are matched over the whole project, but
    only the matching rows are loaded: a project has thousands of characters."""
    names = [
        str(name).strip()
        for entity in entities
        if entity.get("type") == "character"
        for name in [entity.get("name", ""), *(link.get("name", "") for link in _links(entity))]
    ]
    # As written, and cut to the column's 200 characters as a stored name is.
    wanted = {name.casefold() for name in names} | {name[:200].casefold() for name in names}
    pks: dict[str, int] = {}
    for pk, name in Character.objects.filter(project=project).values_list("pk", "name"):
        if name.casefold() in wanted:
            pks[name.casefold()] = pk  # the last of a shared name, as a full load had it
    rows = Character.objects.in_bulk(list(pks.values()))
    return {name: rows[pk] for name, pk in pks.items()}


def _links(entity: dict[str, Any]) -> list[dict[str, Any]]:
    return [link for link in entity.get("relatedTo") or [] if isinstance(link, dict)]


def _store_episodes(
    project: Project,
    entities: list[dict[str, Any]],
    touched: list[EntityRef],
    created: list[Episode],
) -> int:
    """A new episode gets the next number; one with a known title is kept as it is."""
    named = [
        (str(e.get("name", "")).strip()[:200], e) for e in entities if e.get("type") == "episode"
    ]
    named = [(title, entity) for title, entity in named if title]
    if not named:
        return 0
    known = _episode_titles(project, [title for title, _ in named])
    last: int | None = None
    written = 0
    for title, entity in named:
        if title.casefold() in known:
            continue
        if last is None:
            found = Episode.objects.filter(project=project).aggregate(n=Max("episode_number"))
            last = found["n"] or 0
        last += 1
        episode = Episode.objects.create(
            project=project,
            episode_number=last,
            title=title,
            synopsis=str(entity.get("description") or ""),
        )
        known.add(title.casefold())
        created.append(episode)
        touched.append(EntityRef("episode", str(episode.uid)))
        written += 1
    return written


def _episode_titles(project: Project, titles: list[str]) -> set[str]:
    """The casefolded titles among `titles` the project already has. ASCII titles are
    looked up by name; others (whose case SQLite cannot fold) by reading every title,
    as all titles were read before: that read grew with the project."""
    episodes = Episode.objects.filter(project=project)
    if all(title.isascii() for title in titles):
        wanted = Q()
        for title in titles:
            wanted |= Q(title__iexact=title)
        episodes = episodes.filter(wanted)
    return {title.casefold() for title in episodes.values_list("title", flat=True)}


EPISODE_NAMED = re.compile(r"\bepisode\s+(\d+)\b", re.IGNORECASE)


def _store_scenes(
    project: Project,
    entities: list[dict[str, Any]],
    touched: list[EntityRef],
    created: list[Episode],
) -> int:
    """A scene goes to the episode it names ("episode 2"), else to the one episode
    these results created; with neither it is not stored (and logged)."""
    written = 0
    for entity in entities:
        title = str(entity.get("name", "")).strip()[:200]
        if entity.get("type") != "scene" or not title:
            continue
        episode = _episode_for(project, entity, created)
        if episode is None:
            logger.info("scene %r names no episode of %s; not stored", title, project.slug)
            continue
        if Scene.objects.filter(episode=episode, title__iexact=title).exists():
            continue
        last = Scene.objects.filter(episode=episode).aggregate(n=Max("scene_number"))["n"]
        scene = Scene.objects.create(
            episode=episode,
            scene_number=(last or 0) + 1,
            title=title,
            summary=str(entity.get("description") or ""),
        )
        touched.append(EntityRef("scene", str(scene.uid)))
        written += 1
    return written


def _episode_for(
    project: Project, entity: dict[str, Any], created: list[Episode]
) -> Episode | None:
    named = EPISODE_NAMED.search(f"{entity.get('name', '')} {entity.get('description', '')}")
    if named:
        return Episode.objects.filter(project=project, episode_number=int(named[1])).first()
    return created[0] if len(created) == 1 else None


def _upsert_character(
    project: Project, entity: dict[str, Any], known: dict[str, Character]
) -> Character:
    name = str(entity["name"]).strip()[:200]
    existing = known.get(name.casefold())
    description = str(entity.get("description") or "")
    traits = [str(t) for t in entity.get("traits") or []][:30]
    if existing is None:
        return Character.objects.create(
            project=project, name=name, description=description, traits=traits
        )
    # Canon wins: only fill what is missing, never overwrite an edited field.
    changed: list[str] = []
    if not existing.description and description:
        existing.description, changed = description, [*changed, "description"]
    if not existing.traits and traits:
        existing.traits, changed = traits, [*changed, "traits"]
    if changed:
        existing.save(update_fields=[*changed, "updated_at"])
    return existing
