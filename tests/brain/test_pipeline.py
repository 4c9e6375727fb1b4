"""The data preparation pipeline (spec 3.2) through the real LLM path, against the fake
LLM server, on both graph backends."""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.management import CommandError, call_command

from agents.llm.client import LitellmClient, LitellmCosts
from brain.embeddings import default_embedder
from brain.graph import get_backend
from brain.graph.base import APPEARS_IN, BELONGS_TO, PART_OF, RELATED_TO, Edge
from brain.models import CharacterRelationship, Project, SceneAppearance
from brain.pipeline import (
    STAGES,
    EntityRef,
    JsonLLM,
    PipelineResult,
    find_cycle,
    gateway_llm,
    run_pipeline,
)
from engine.gateway import Gateway
from tests import factories
from tests.brain.helpers import new_id, wipe
from tests.support.fake_llm import FakeLLMServer, json_reply, request_text

pytestmark = pytest.mark.django_db(transaction=True)

MODEL = "openai/gpt-4o-mini"
GOOD_METADATA = {
    "summary": "Isla Marrow, a disgraced cartographer, returns to relight the island's lamp.",
    "themes": ["Guilt", "homecoming", "Guilt"],
    "tone": "Brooding",
    "importance": 0.9,
    "category": "Protagonist",
    "tags": ["Lighthouse", "cartographer", "north atlantic"],
}


@dataclass
class World:
    project: Project
    ids: dict[str, str]


def make_world() -> World:
    project = factories.project(slug=f"skellan-{new_id()[:8]}", name="Skellan")
    scene = factories.scene(
        factories.episode(project, episode_number=1),
        scene_number=1,
        title="The lamp fails",
        summary="Isla climbs the dark tower.",
    )
    isla = factories.character(
        project,
        name="Isla Marrow",
        role="protagonist",
        description="A cartographer who once sent a trawler onto the "
        "rocks. Her brother Tomas keeps the lighthouse.",
    )
    tomas = factories.character(project, name="Tomas Marrow", description="Her brother.")
    agnes = factories.character(project, name="Agnes Pell", description="The old keeper.")
    ids = {
        "isla": str(isla.uid),
        "tomas": str(tomas.uid),
        "agnes": str(agnes.uid),
        "scene": str(scene.uid),
    }
    return World(project, ids)


@pytest.fixture
async def world(configured_backend: str) -> Any:
    made = await sync_to_async(make_world)()
    yield made
    await wipe(get_backend(), str(made.project.uid))


def llm_for(server: FakeLLMServer) -> JsonLLM:
    client = LitellmClient(api_base=server.base_url, api_key="test-key", timeout=5)
    return gateway_llm(Gateway(client, costs=LitellmCosts()), MODEL)


def link(kind: str, source: str, target: str, confidence: float, **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "from": source,
        "to": target,
        "type": extra.get("type", ""),
        "role": extra.get("role", ""),
        "strength": extra.get("strength", 0.5),
        "confidence": confidence,
        "reason": "from the text",
    }


async def prepare(
    world: World, server: FakeLLMServer, events: list[tuple[str, dict[str, Any]]]
) -> PipelineResult:
    async def on_event(type_: str, payload: dict[str, Any]) -> None:
        events.append((type_, payload))

    return await run_pipeline(
        EntityRef("character", world.ids["isla"]),
        llm=llm_for(server),
        backend=get_backend(),
        embedder=default_embedder(),
        on_event=on_event,
    )


async def test_pipeline_stores_the_document_and_only_confident_relationships(
    world: World, fake_llm: FakeLLMServer
) -> None:
    ids = world.ids
    fake_llm.script("brain metadata", json_reply(GOOD_METADATA))
    fake_llm.script(
        "relationship discovery",
        json_reply(
            {
                "relationships": [
                    link(RELATED_TO, ids["isla"], ids["tomas"], 0.92, type="Sibling", strength=0.8),
                    link(RELATED_TO, ids["isla"], ids["agnes"], 0.4, type="mentor", strength=0.6),
                    link(APPEARS_IN, ids["isla"], ids["scene"], 0.95, role="Lead"),
                ]
            }
        ),
    )
    events: list[tuple[str, dict[str, Any]]] = []
    result = await prepare(world, fake_llm, events)

    assert result.status == "stored", result.problems
    assert [(p.kind, p.target) for p in result.proposed] == [(RELATED_TO, ids["agnes"])]
    assert await CharacterRelationship.objects.filter(type="sibling").acount() == 1
    assert not await CharacterRelationship.objects.filter(type="mentor").aexists()
    assert (await SceneAppearance.objects.aget()).role == "lead"

    graph = await get_backend().fetch([ids["isla"]])
    assert (RELATED_TO, ids["isla"], ids["tomas"], "sibling") in graph.edges
    assert (RELATED_TO, ids["isla"], ids["agnes"], "mentor") not in graph.edges
    assert graph.edges[(APPEARS_IN, ids["isla"], ids["scene"], "")].properties == {"role": "lead"}

    stored = await get_backend().get_document(ids["isla"])
    assert stored is not None and set(stored.as_dict()) == {
        "id",
        "type",
        "project_id",
        "text",
        "metadata",
        "relationships",
    }
    assert stored.type == "character" and stored.project_id == str(world.project.uid)
    assert stored.metadata["themes"] == ["guilt", "homecoming"]
    assert stored.metadata["tags"] == ["lighthouse", "cartographer", "north-atlantic"]
    assert stored.metadata["tone"] == "brooding" and stored.metadata["inferred"] == []
    tomas = {"id": ids["tomas"], "type": "character", "name": "Tomas Marrow", "via": "mention"}
    assert tomas in stored.metadata["links"]
    assert "Isla Marrow" in stored.text and len(stored.embedding) == 384
    assert {
        "kind": RELATED_TO,
        "from": ids["isla"],
        "to": ids["tomas"],
        "confidence": 0.92,
        "type": "sibling",
        "strength": 0.8,
    } in stored.relationships

    stages = [p for t, p in events if t == "brain-pipeline-stage"]
    assert [s["name"] for s in stages] == list(STAGES)
    assert all(s["ok"] and s["durationMs"] >= 0 for s in stages)
    assert set(result.timings) == set(STAGES)
    assert events[-1][0] == "brain-storage"
    assert events[-1][1]["success"] is True and events[-1][1]["entities"] == 3
    schema_names = [r["response_format"]["json_schema"]["name"] for r in fake_llm.requests]
    assert schema_names == ["brain_metadata", "brain_relationships"]


async def test_a_link_the_model_got_wrong_is_dropped_and_the_document_stored_without_it(
    world: World, fake_llm: FakeLLMServer
) -> None:
    """A model that names a character the project does not have, or a link that does
    not involve the subject, costs that link, not the entity's searchable document."""
    ids = world.ids
    ghost = new_id()
    fake_llm.script("brain metadata", json_reply(GOOD_METADATA))
    fake_llm.script(
        "relationship discovery",
        json_reply(
            {
                "relationships": [
                    link(RELATED_TO, ids["isla"], ids["tomas"], 0.9, type="sibling"),
                    link(RELATED_TO, ids["isla"], ghost, 0.99, type="enemy"),
                    link(RELATED_TO, ids["tomas"], ids["agnes"], 0.95, type="mentor"),
                ]
            }
        ),
    )
    events: list[tuple[str, dict[str, Any]]] = []
    result = await prepare(world, fake_llm, events)

    assert result.status == "stored", result.problems
    assert [(p.source, p.target) for p in result.accepted] == [(ids["isla"], ids["tomas"])]
    dropped = {(d["from"], d["to"]): d["problems"] for d in result.dropped}
    assert any("does not exist" in why for why in dropped[(ids["isla"], ghost)])
    assert any("does not involve" in why for why in dropped[(ids["tomas"], ids["agnes"])])
    stored = await get_backend().get_document(ids["isla"])
    assert stored is not None
    links = {(r["from"], r["to"]) for r in stored.relationships}
    assert (ids["isla"], ids["tomas"]) in links and (ids["isla"], ghost) not in links
    assert (ids["tomas"], ids["agnes"]) not in links
    assert await CharacterRelationship.objects.filter(type="sibling").acount() == 1
    assert not await CharacterRelationship.objects.filter(type__in=["enemy", "mentor"]).aexists()
    graph = await get_backend().fetch([ids["isla"]])
    assert (RELATED_TO, ids["isla"], ghost, "enemy") not in graph.edges
    assert events[-1][0] == "brain-storage" and events[-1][1]["success"] is True
    assert events[-1][1]["dropped"] == result.dropped


async def test_thin_metadata_is_rejected_below_the_quality_threshold(
    world: World, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script(
        "brain metadata",
        json_reply(
            {"summary": "", "themes": [], "tone": "", "importance": 0.5, "category": "", "tags": []}
        ),
    )
    fake_llm.script("relationship discovery", json_reply({"relationships": []}))
    result = await prepare(world, fake_llm, [])
    assert result.status == "rejected"
    assert any("Quality" in p and "summary" in p for p in result.problems), result.problems
    assert await get_backend().get_document(world.ids["isla"]) is None


async def test_an_unusable_llm_answer_fails_the_stage_and_is_reported(
    world: World, fake_llm: FakeLLMServer
) -> None:
    fake_llm.script("brain metadata", json_reply({"summary": "no other fields"}))
    events: list[tuple[str, dict[str, Any]]] = []
    result = await prepare(world, fake_llm, events)
    assert result.status == "failed"
    assert "brain_metadata" in result.problems[0]
    failed = [p for t, p in events if t == "brain-pipeline-stage" and not p["ok"]]
    assert [p["name"] for p in failed] == ["metadata"]


async def test_a_batch_prepares_entities_side_by_side_up_to_its_bound_each_on_its_own(
    world: World, fake_llm: FakeLLMServer
) -> None:
    from brain.services import prepare_project

    ids = world.ids
    fake_llm.latency = 0.3  # keeps each call in flight while the others start
    fake_llm.script("brain metadata", *[json_reply(GOOD_METADATA)] * 3)
    fake_llm.script(
        lambda body: "brain metadata" in request_text(body) and "Agnes Pell" in request_text(body),
        json_reply({"summary": "no other fields"}),
    )
    fake_llm.script("relationship discovery", *[json_reply({"relationships": []})] * 3)
    refs = [
        EntityRef("character", ids["isla"]),
        EntityRef("character", ids["agnes"]),
        EntityRef("character", ids["tomas"]),
        EntityRef("scene", ids["scene"]),
        EntityRef("character", ids["isla"]),  # touched twice: prepared once
    ]

    results = await prepare_project(world.project, llm=llm_for(fake_llm), refs=refs, concurrency=2)

    assert [r.entity for r in results] == refs[:4]
    assert [r.status for r in results] == ["stored", "failed", "stored", "stored"]
    assert "brain_metadata" in results[1].problems[0]
    assert len(fake_llm.requests_matching("brain metadata")) == 4
    assert fake_llm.peak_in_flight == 2
    assert fake_llm.pending_replies == 0


def test_a_cycle_in_belongs_to_and_part_of_is_found() -> None:
    edges = [Edge(BELONGS_TO, "s1", "e1"), Edge(PART_OF, "e1", "p1"), Edge(PART_OF, "p1", "s1")]
    assert find_cycle(edges) == ["s1", "e1", "p1", "s1"]
    assert find_cycle(edges[:2]) == []


# ------------------------------------------------------------- in the product
@pytest.fixture
def demo(configured_backend: str, seeded: None) -> Any:
    project = Project.objects.get(slug="the-lantern-keepers")
    yield project
    async_to_sync(wipe)(get_backend(), str(project.uid))


def documents_of(project: Project) -> dict[str, Any]:
    from brain.services import entity_refs

    backend = get_backend()
    return {ref.id: async_to_sync(backend.get_document)(ref.id) for ref in entity_refs(project)}


def test_brain_prepare_makes_a_document_for_every_entity_with_a_progress_bar(
    demo: Project,
) -> None:
    out = StringIO()
    call_command("brain_prepare", "--project", demo.slug, "--canon-only", stdout=out)

    documents = documents_of(demo)
    assert documents and all(documents.values())
    assert f"{len(documents)} of {len(documents)} documents stored" in out.getvalue()
    assert "Preparing The Lantern Keepers" in out.getvalue()
    kinds = {d.type for d in documents.values() if d is not None}
    assert {"project", "episode", "scene", "character"} <= kinds


def test_brain_prepare_refuses_an_unknown_project_in_one_line(seeded: None) -> None:
    with pytest.raises(CommandError, match="No project 'nope'"):
        call_command("brain_prepare", "--project", "nope")


def test_seeding_gives_the_demo_project_documents_that_search_finds(demo: Project) -> None:
    from aladdin.seeding import SeedReport, seed_brain_documents
    from brain.services import search

    report = SeedReport()
    seed_brain_documents(report)
    documents = documents_of(demo)
    assert report["brain documents"] == len(documents) and all(documents.values())

    hits = async_to_sync(search)(demo, "lighthouse keeper", limit=3)
    assert hits

    again = SeedReport()
    seed_brain_documents(again)
    assert again["brain documents"] == 0  # kept, not remade


def test_link_endpoints_are_looked_up_by_name_in_the_project_only() -> None:
    from brain.pipeline import project_entities

    project, other = factories.project(), factories.project()
    mine = factories.character(project, name="Mira")
    theirs = factories.character(other, name="Tom")

    known = project_entities(project.pk, [str(mine.uid), str(theirs.uid), "not-a-uid"])

    assert known == {str(mine.uid): "character"}
