"""Keeping the graph in step with the database, which is the source of truth.

Two ways in, one diff:
- `sync_nodes`: after a commit, the nodes whose rows changed (and the relationships
  they own) are read from the database and from the graph, compared, and the
  difference is written in one transaction. A node whose row is gone is deleted.
- `rebuild_project`: the same for a whole project (`manage.py brain_sync`).
Both are idempotent: a second run finds nothing to change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, fields
from typing import TypeVar

from asgiref.sync import async_to_sync, sync_to_async

from brain.graph.base import (
    APPEARS_IN,
    BELONGS_TO,
    CHARACTER,
    CREATED_IN,
    ELEMENT,
    EPISODE,
    LOCATION,
    NEEDED_IN,
    PART_OF,
    PROJECT,
    RELATED_TO,
    SCENE,
    SET_IN,
    Edge,
    EdgeKey,
    GraphBackend,
    Node,
    Plan,
    Snapshot,
)
from brain.models import (
    Character,
    CharacterRelationship,
    Element,
    Episode,
    Location,
    Project,
    Scene,
    SceneAppearance,
    SceneElement,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")
NodeKey = tuple[str, str]  # (label, id)


@dataclass
class SyncReport:
    nodes_created: int = 0
    nodes_updated: int = 0
    nodes_deleted: int = 0
    relationships_created: int = 0
    relationships_updated: int = 0
    relationships_deleted: int = 0
    documents_deleted: int = 0

    def __add__(self, other: SyncReport) -> SyncReport:
        return SyncReport(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def changed(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def summary(self) -> str:
        text = (
            f"nodes +{self.nodes_created} ~{self.nodes_updated} -{self.nodes_deleted}, "
            f"relationships +{self.relationships_created} ~{self.relationships_updated} "
            f"-{self.relationships_deleted}"
        )
        if self.documents_deleted:
            text += f", documents -{self.documents_deleted}"
        return text


# ------------------------------------------------------------------- rows -> nodes
def project_node(project: Project) -> Node:
    props = {"id": str(project.uid), "slug": project.slug, "name": project.name, "type": "project"}
    return Node(PROJECT, props["id"], props)


def episode_node(episode: Episode) -> Node:
    props = {
        "id": str(episode.uid),
        "episodeNumber": episode.episode_number,
        "projectId": str(episode.project.uid),
        "type": "episode",
    }
    return Node(EPISODE, str(episode.uid), props)


def scene_node(scene: Scene) -> Node:
    props = {
        "id": str(scene.uid),
        "sceneNumber": scene.scene_number,
        "episodeId": str(scene.episode.uid),
        "projectId": str(scene.episode.project.uid),
        "type": "scene",
    }
    return Node(SCENE, str(scene.uid), props)


def _project_entity_node(
    label: str, kind: str, entity: Character | Location | Element, **extra: str
) -> Node:
    """A named node that belongs to a project: characters, locations, elements."""
    props = {
        "id": str(entity.uid),
        "name": entity.name,
        **extra,
        "projectId": str(entity.project.uid),
        "type": kind,
    }
    return Node(label, props["id"], props)


def character_node(character: Character) -> Node:
    return _project_entity_node(CHARACTER, "character", character)


def location_node(location: Location) -> Node:
    return _project_entity_node(LOCATION, "location", location)


def element_node(element: Element) -> Node:
    return _project_entity_node(ELEMENT, "element", element, category=element.category)


def add_element(snapshot: Snapshot, element: Element) -> None:
    snapshot.add_node(element_node(element))
    uses = SceneElement.objects.filter(element=element).select_related(*SCENE_ELEMENT_RELATED)
    for use in uses:
        snapshot.add_node(scene_node(use.scene))
        props = {"evidence": use.evidence, "fate": use.fate}
        snapshot.add_edge(Edge(NEEDED_IN, str(element.uid), str(use.scene.uid), props))


def add_episode(snapshot: Snapshot, episode: Episode) -> None:
    node = episode_node(episode)
    snapshot.add_node(node)
    snapshot.add_node(project_node(episode.project))
    snapshot.add_edge(Edge(PART_OF, node.id, str(episode.project.uid)))


def add_scene(snapshot: Snapshot, scene: Scene) -> None:
    node = scene_node(scene)
    snapshot.add_node(node)
    snapshot.add_node(episode_node(scene.episode))
    snapshot.add_edge(Edge(BELONGS_TO, node.id, str(scene.episode.uid)))
    if scene.setting is not None:
        snapshot.add_node(location_node(scene.setting))
        snapshot.add_edge(Edge(SET_IN, node.id, str(scene.setting.uid)))


def add_character(snapshot: Snapshot, character: Character) -> None:
    node = character_node(character)
    snapshot.add_node(node)
    snapshot.add_node(project_node(character.project))
    snapshot.add_edge(Edge(CREATED_IN, node.id, str(character.project.uid)))


def add_relationship(snapshot: Snapshot, row: CharacterRelationship) -> None:
    snapshot.add_node(character_node(row.to_character))
    snapshot.add_edge(
        Edge(
            RELATED_TO,
            str(row.from_character.uid),
            str(row.to_character.uid),
            {"type": row.type, "strength": float(row.strength)},
        )
    )


def add_appearance(snapshot: Snapshot, row: SceneAppearance) -> None:
    snapshot.add_node(scene_node(row.scene))
    snapshot.add_edge(
        Edge(APPEARS_IN, str(row.character.uid), str(row.scene.uid), {"role": row.role})
    )


SCENE_RELATED = ("episode__project", "setting__project")
SCENE_ELEMENT_RELATED = ("scene__episode__project", "scene__setting__project")
RELATIONSHIP_RELATED = ("from_character__project", "to_character__project")
APPEARANCE_RELATED = ("character__project", "scene__episode__project")


def desired_for(keys: Collection[NodeKey]) -> Snapshot:
    """The database's version of these nodes, the relationships they own, and the
    nodes at the far end of those relationships. A node with no row is absent."""
    ids = {
        label: [i for lbl, i in keys if lbl == label]
        for label in (PROJECT, EPISODE, SCENE, CHARACTER, LOCATION, ELEMENT)
    }
    snapshot = Snapshot()
    # Only the labels asked for are read: a query for none still costs its building.
    if ids[PROJECT]:
        for project in Project.objects.filter(uid__in=ids[PROJECT]):
            snapshot.add_node(project_node(project))
    if ids[EPISODE]:
        for episode in Episode.objects.filter(uid__in=ids[EPISODE]).select_related("project"):
            add_episode(snapshot, episode)
    if ids[SCENE]:
        for scene in Scene.objects.filter(uid__in=ids[SCENE]).select_related(*SCENE_RELATED):
            add_scene(snapshot, scene)
    if ids[CHARACTER]:
        characters = Character.objects.filter(uid__in=ids[CHARACTER]).select_related("project")
        for character in characters:
            add_character(snapshot, character)
        add_character_links(
            snapshot,
            {"from_character__uid__in": ids[CHARACTER]},
            {"character__uid__in": ids[CHARACTER]},
        )
    if ids[LOCATION]:
        for location in Location.objects.filter(uid__in=ids[LOCATION]).select_related("project"):
            snapshot.add_node(location_node(location))
    if ids[ELEMENT]:
        for element in Element.objects.filter(uid__in=ids[ELEMENT]).select_related("project"):
            add_element(snapshot, element)
    return snapshot


def add_character_links(
    snapshot: Snapshot, relationships: dict[str, object], appearances: dict[str, object]
) -> None:
    rows = CharacterRelationship.objects.filter(**relationships)
    for row in rows.select_related(*RELATIONSHIP_RELATED):
        add_relationship(snapshot, row)
    for appearance in SceneAppearance.objects.filter(**appearances).select_related(
        *APPEARANCE_RELATED
    ):
        add_appearance(snapshot, appearance)


def desired_project(project_uid: str) -> Snapshot:
    """The whole project as the database has it (empty if the project is gone)."""
    snapshot = Snapshot()
    project = Project.objects.filter(uid=project_uid).first()
    if project is None:
        return snapshot
    snapshot.add_node(project_node(project))
    for episode in Episode.objects.filter(project=project).select_related("project"):
        add_episode(snapshot, episode)
    scenes = Scene.objects.filter(episode__project=project).select_related(*SCENE_RELATED)
    for scene in scenes:
        add_scene(snapshot, scene)
    for character in Character.objects.filter(project=project).select_related("project"):
        add_character(snapshot, character)
    for location in Location.objects.filter(project=project).select_related("project"):
        snapshot.add_node(location_node(location))
    for element in Element.objects.filter(project=project).select_related("project"):
        add_element(snapshot, element)
    add_character_links(
        snapshot, {"from_character__project": project}, {"character__project": project}
    )
    return snapshot


def keys_of(snapshot: Snapshot, ids: Iterable[str]) -> set[NodeKey]:
    return {(snapshot.nodes[i].label, i) for i in ids if i in snapshot.nodes}


# ------------------------------------------------------------------------- the diff
def diff(desired: Snapshot, current: Snapshot, owners: set[str]) -> tuple[Plan, SyncReport]:
    """What to write so that the owners' nodes and outgoing relationships match `desired`.
    Nodes outside `owners` are only created or updated, never deleted."""
    plan, report = Plan(), SyncReport()
    for node in desired.nodes.values():
        existing = current.nodes.get(node.id)
        if existing is None or dict(existing.properties) != dict(node.properties):
            plan.upsert_nodes.append(node)
            report.nodes_created += existing is None
            report.nodes_updated += existing is not None
    plan.delete_nodes = [
        n for i, n in current.nodes.items() if i in owners and i not in desired.nodes
    ]
    report.nodes_deleted = len(plan.delete_nodes)
    gone = {node.id for node in plan.delete_nodes}
    diff_edges(desired, current, owners, gone, plan, report)
    return plan, report


def diff_edges(
    desired: Snapshot,
    current: Snapshot,
    owners: set[str],
    gone: set[str],
    plan: Plan,
    report: SyncReport,
) -> None:
    for key, edge in desired.edges.items():
        existing = current.edges.get(key)
        if existing is None or dict(existing.properties) != dict(edge.properties):
            plan.upsert_edges.append(edge)
            report.relationships_created += existing is None
            report.relationships_updated += existing is not None
    detached: set[EdgeKey] = set()
    for key, edge in current.edges.items():
        if edge.source in gone or edge.target in gone:
            detached.add(key)  # DETACH DELETE of the node removes it
        elif edge.source in owners and key not in desired.edges:
            plan.delete_edges.append(edge)
    report.relationships_deleted = len(detached) + len(plan.delete_edges)


# ------------------------------------------------------------------------ entry points
async def sync_nodes(backend: GraphBackend, keys: Collection[NodeKey]) -> SyncReport:
    """Bring these nodes (and what they own) in line with the database."""
    owners = set(keys)
    desired = await sync_to_async(desired_for)(owners)
    current = await _current(backend, owners, desired)
    # A far-end node the graph lacks (an earlier sync failed) is synced whole, so
    # that it arrives with its own relationships, not bare.
    for _ in range(3):
        missing = keys_of(desired, set(desired.nodes) - set(current.nodes)) - owners
        if not missing:
            break
        owners |= missing
        desired = await sync_to_async(desired_for)(owners)
        current = await _current(backend, owners, desired)
    plan, report = diff(desired, current, {i for _, i in owners})
    await backend.apply(plan)
    return report


async def _current(backend: GraphBackend, owners: set[NodeKey], desired: Snapshot) -> Snapshot:
    """What the graph holds of the owners and their far ends. Only the owners'
    relationships are compared, so only theirs are read: a new character's far end is
    its project, whose relationships reach every entity of the project."""
    ids = {i for _, i in owners}
    return await backend.fetch(ids | set(desired.nodes), edges_of=ids)


async def rebuild_project(backend: GraphBackend, project_uid: str) -> SyncReport:
    """Make the project's graph exactly what the database says; drop stale documents."""
    desired = await sync_to_async(desired_project)(project_uid)
    current = await backend.fetch_project(project_uid)
    outside = set(desired.nodes) - set(current.nodes)
    if outside:  # far ends in other projects, or nodes not yet in the graph
        extra = await backend.fetch(outside)
        current.nodes.update(extra.nodes)
        current.edges.update(extra.edges)
    owners = {i for i, n in current.nodes.items() if n.project_id == project_uid}
    owners |= {i for i, n in desired.nodes.items() if n.project_id == project_uid}
    plan, report = diff(desired, current, owners)
    documents = await backend.document_ids(project_uid)
    plan.delete_documents = sorted(documents - set(desired.nodes))
    report.documents_deleted = len(plan.delete_documents)
    await backend.apply(plan)
    return report


# --------------------------------------------------------------- from synchronous code
def run_blocking(make: Callable[[], Awaitable[T]]) -> T:
    """Run a graph coroutine from synchronous code (signals, commands, admin)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("run_blocking() was called inside an event loop; await instead.")

    async def call() -> T:
        return await make()

    return async_to_sync(call)()


def sync_now(keys: Collection[NodeKey]) -> SyncReport | None:
    """The after-commit sync. A graph outage must not break the save that triggered it:
    the error is logged and `manage.py brain_sync` repairs the graph later."""
    from brain.graph import get_backend

    try:
        return run_blocking(lambda: sync_nodes(get_backend(), keys))
    except Exception:
        _log_outage(keys)
        return None


async def sync_now_async(keys: Collection[NodeKey]) -> SyncReport | None:
    """`sync_now` from an event loop (a run's held after-commit work)."""
    from brain.graph import get_backend

    try:
        return await sync_nodes(get_backend(), keys)
    except Exception:
        _log_outage(keys)
        return None


def _log_outage(keys: Collection[NodeKey]) -> None:
    logger.exception(
        "The brain graph was not updated for %d node(s); the database change is saved. "
        "Run `python manage.py brain_sync` to bring the graph back in step.",
        len(keys),
    )
