"""A project that requires approval stores only the entities a person approves."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.test import Client

from aladdin.models import AuditLog
from brain.models import Character, Project, ProjectMembership
from executions.approval import ApprovalError, decide, pending_entities
from executions.models import Execution, HumanReview
from tests.executions.conftest import PLAN, SYNTHESIS, orchestrate, plan
from tests.support.fake_llm import FakeLLMServer, json_reply

pytestmark = pytest.mark.django_db(transaction=True)


def out(run: Execution) -> dict[str, Any]:
    assert isinstance(run.output, dict), run.output
    return run.output


NAMES = ("Mara Vell", "Tobin Ash", "Old Quill")


def character(name: str) -> dict[str, object]:
    return {
        "type": "character",
        "name": name,
        "description": f"{name}, new",
        "traits": [],
        "relatedTo": [],
    }


REPORT = {
    "summary": "three new characters",
    "report": "The cast grows.",
    "entities": [character(name) for name in NAMES],
    "conflictsResolved": [],
    "openIssues": [],
}


def awaiting(llm: FakeLLMServer, project: Project) -> Execution:
    project.requires_approval = True
    project.save(update_fields=["requires_approval"])
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(SYNTHESIS, json_reply(REPORT))
    response = async_to_sync(orchestrate)(project)
    assert response["status"] == "awaiting_approval", response.get("error")
    return Execution.objects.get(execution_id=response["executionId"])


def test_a_run_recommended_for_ingest_waits_and_stores_nothing(
    llm: FakeLLMServer, project: Project
) -> None:
    characters = Character.objects.filter(project=project).count()

    root = awaiting(llm, project)

    assert root.status == "awaiting_approval"
    assert out(root)["entitiesStored"] == 0 and len(pending_entities(root)) == 3
    types = list(root.events.order_by("sequence").values_list("type", flat=True))
    assert types[-2:] == ["approval-requested", "orchestration-complete"]
    requested = root.events.get(type="approval-requested")
    assert requested.payload["entities"] == 3
    assert Character.objects.filter(project=project).count() == characters


def test_approving_entity_by_entity_stores_only_those(llm: FakeLLMServer, project: Project) -> None:
    root = awaiting(llm, project)
    entities = pending_entities(root)
    reviewer = get_user_model().objects.create_user("reviewer", password="pw-long-enough-1")
    before = set(Character.objects.filter(project=project).values_list("name", flat=True))

    root = decide(root, reviewer, approve=True, comment="only the first", indices=[0])

    assert root.status == "completed"
    approval = out(root)["approval"]
    assert approval["decision"] == "approved" and approval["by"] == "reviewer"
    assert approval["approvedEntities"] == [0]
    assert approval["rejectedEntities"] == [e["index"] for e in entities[1:]]
    after = set(Character.objects.filter(project=project).values_list("name", flat=True))
    assert after - before == {"Mara Vell"} and out(root)["entitiesStored"] >= 1
    review = HumanReview.objects.get(root=root)
    assert review.decision == "approved" and review.judge_decision
    assert review.entities_approved == 1 and review.reviewer == reviewer
    assert AuditLog.objects.filter(action="orchestration.approve").count() == 1


def test_rejecting_stores_nothing_and_a_second_decision_is_refused(
    llm: FakeLLMServer, project: Project
) -> None:
    root = awaiting(llm, project)
    characters = Character.objects.filter(project=project).count()

    root = decide(root, None, approve=False, comment="not canon")

    assert out(root)["approval"]["decision"] == "rejected"
    assert out(root)["entitiesStored"] == 0
    assert Character.objects.filter(project=project).count() == characters
    assert not HumanReview.objects.get(root=root).agrees_with_judge
    with pytest.raises(ApprovalError, match="not waiting"):
        decide(root, None, approve=True)


def test_the_monitor_offers_approval_and_stores_the_ticked_entities(
    llm: FakeLLMServer, project: Project, client: Client
) -> None:
    root = awaiting(llm, project)
    writer = get_user_model().objects.create_user("writer", password="pw-long-enough-1")
    ProjectMembership.objects.create(project=project, user=writer, role="user")
    client.force_login(writer)
    page = f"/executions/{root.execution_id}/"

    shown = client.get(page).content.decode()
    response = client.post(f"{page}approve/", {"entities": ["1"], "comment": "just Tobin"})

    assert 'data-testid="approve-run"' in shown and "Tobin Ash" in shown
    assert response.status_code == 302
    root.refresh_from_db()
    assert out(root)["approval"]["approvedEntities"] == [1]
    assert Character.objects.filter(project=project, name="Tobin Ash").exists()
    assert not Character.objects.filter(project=project, name="Mara Vell").exists()


def test_a_viewer_cannot_approve_from_the_monitor(
    llm: FakeLLMServer, project: Project, client: Client
) -> None:
    root = awaiting(llm, project)
    viewer = get_user_model().objects.create_user("viewer", password="pw-long-enough-1")
    ProjectMembership.objects.create(project=project, user=viewer, role="viewer")
    client.force_login(viewer)

    response = client.post(f"/executions/{root.execution_id}/approve/", {"comment": "yes"})

    assert response.status_code == 403
    root.refresh_from_db()
    assert root.status == "awaiting_approval"
