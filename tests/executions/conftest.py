"""Orchestration tests: the seeded team, talking to the fake LLM server through litellm."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from pytest_django.fixtures import Settings as SettingsWrapper

from agents.runtime import BREAKERS
from brain.models import Project
from brain.preparation import brain_documents_ready
from executions.services import create_orchestration, run_orchestration, start_orchestration
from tests.support.fake_llm import FakeLLMServer, hang, json_reply

PLAN = "Score every department's relevance"
SELECT = "choose only the specialists needed"
JUDGE = "You are a quality assessment expert"
SYNTHESIS = "Synthesise one coherent department report"
VALIDATION = "score cross-department consistency"


def by_agent(agent_id: str) -> Callable[[dict[str, Any]], bool]:
    """Requests made by one agent (the gateway sends the agent id as `user`)."""
    return lambda body: body.get("user") == agent_id


def judge_of(marker: str) -> Callable[[dict[str, Any]], bool]:
    """The head's review of the output that contains `marker`."""

    def match(body: dict[str, Any]) -> bool:
        text = " ".join(str(m.get("content") or "") for m in body.get("messages", []))
        return JUDGE in text and marker in text

    return match


def plan(*departments: tuple[str, float]) -> dict[str, Any]:
    return {
        "intent": "test request",
        "complexity": "medium",
        "departments": [
            {
                "department": slug,
                "relevance": relevance,
                "task": f"{slug} work",
                "reasoning": "because",
            }
            for slug, relevance in departments
        ],
    }


def selection(*agent_ids: str) -> dict[str, Any]:
    return {
        "relevance": 0.9,
        "approach": "split the work",
        "specialists": [{"agentId": a, "task": f"{a} task"} for a in agent_ids],
    }


def specialist_output(marker: str) -> dict[str, Any]:
    return {
        "summary": marker,
        "content": f"{marker} content",
        "details": [],
        "entities": [],
        "openQuestions": [],
    }


def verdict(
    score: float,
    consistency: float | None = None,
    *,
    issues: tuple[str, ...] = (),
    creative: bool = True,
) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "qualityScore": score,
        "relevanceScore": score,
        "consistencyScore": score if consistency is None else consistency,
        "completenessScore": score,
        "overallScore": score,
        "confidence": 0.9,
        "issues": list(issues),
        "suggestions": ["Try harder"] if issues else [],
        "decision": "accept",
        "reasoning": "judged",
    }
    reply["creativityScore" if creative else "technicalScore"] = score
    return reply


@pytest.fixture
def llm(settings: SettingsWrapper, fake_llm: FakeLLMServer) -> Iterator[FakeLLMServer]:
    settings.ALADDIN_DEFAULT_MODEL = "openai/gpt-4o-mini"
    settings.ALADDIN_LLM_API_BASE = fake_llm.base_url
    settings.ALADDIN_LLM_API_KEY = "test-key"
    settings.ALADDIN_LLM_TIMEOUT = 10
    settings.ALADDIN_RETRY_BASE_DELAY = 0.01
    settings.ALADDIN_RETRY_MAX_DELAY = 0.05
    BREAKERS.reset()
    yield fake_llm
    BREAKERS.reset()


# Room for every department the tests plan: with no past runs, each agent is
# estimated at its role's maxTotal (spec 7.1) and a default budget would cut the plan.
ROOMY_RUN_TOKENS = 1_000_000


@pytest.fixture
def project(seeded: None) -> Project:
    project = Project.objects.get(slug="the-lantern-keepers")
    project.token_budget_per_execution = ROOMY_RUN_TOKENS
    project.token_budget_daily = 10 * ROOMY_RUN_TOKENS
    project.save(update_fields=["token_budget_per_execution", "token_budget_daily"])
    return project


@pytest.fixture
def default_project(seeded: None) -> Project:
    """The demo project with the budgets a new project gets."""
    return Project.objects.get(slug="the-lantern-keepers")


async def orchestrate(
    project: Project, prompt: str = "Create a villain for episode 2", **kwargs: Any
) -> dict[str, Any]:
    root = await sync_to_async(create_orchestration)(project, prompt, **kwargs)
    response = await run_orchestration(str(root.execution_id))
    # The brain documents follow the answer in the background; a test's next run and
    # its call counts must not overlap them.
    await brain_documents_ready(str(root.execution_id))
    return response


async def hold_the_only_slot(llm: FakeLLMServer, project: Project) -> str:
    """Start a run that takes the process's one slot and hangs in its specialist."""
    llm.script(PLAN, json_reply(plan(("story", 0.9))))
    llm.script(by_agent("story-head-001"), json_reply(selection("story-architect-001")))
    llm.script(by_agent("story-architect-001"), hang())
    busy = await start_orchestration(project, "Outline episode 3")
    await llm.wait_for_requests_async(3, 30)
    return busy
