"""The producer's browser: real Chromium against a real daphne server, agents answered
by the fake LLM server. Screenshots land in var/screenshots/ (see the README)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from brain.models import Project, ProjectMembership
from tests.browser.server import ROOT, Server
from tests.executions.conftest import PLAN, plan
from tests.support.fake_llm import FakeLLMServer, hang, json_reply, request_text

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

SHOTS = ROOT / "var" / "screenshots"
CHROMIUM = os.environ.get("ALADDIN_CHROMIUM", "/usr/bin/chromium")
FINAL = ["completed", "failed", "cancelled"]
ALL_DEPARTMENTS_FINAL = """() => {
  const cards = [...document.querySelectorAll("#orgchart .department")];
  const final = ["completed", "failed", "cancelled"];
  return cards.length > 0 && cards.every(c => final.includes(c.dataset.state));
}"""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def server(seeded: None, fake_llm: FakeLLMServer) -> Iterator[Server]:
    project = Project.objects.get(slug="the-lantern-keepers")
    user = get_user_model().objects.create_user("producer", password="pw-producer-1")
    ProjectMembership.objects.create(project=project, user=user, role="user")
    running = Server(
        {
            "ALADDIN_DEFAULT_MODEL": "openai/gpt-4o-mini",
            "ALADDIN_LLM_API_BASE": fake_llm.base_url,
            "ALADDIN_LLM_API_KEY": "test-key",
            "ALADDIN_RETRY_BASE_DELAY": "0.01",
            "ALADDIN_RETRY_MAX_DELAY": "0.05",
        }
    )
    try:
        running.wait_until_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture
def page(server: Server) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"No Chromium at {CHROMIUM}; `make test` installs Debian's chromium.")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(60_000)
        yield page
        browser.close()


def log_in(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/")
    assert "/login/" in page.url
    page.fill("#id_username", "producer")
    page.fill("#id_password", "pw-producer-1")
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_url(f"{server.url}/")


def start(page: Any, server: Server, prompt: str) -> None:
    page.goto(f"{server.url}/requests/new/")
    page.select_option("#id_project", label="The Lantern Keepers")
    page.fill("#id_prompt", prompt)
    page.click("form.request-form button[type=submit]")
    page.wait_for_url("**/executions/*/")


def test_a_producer_runs_a_request_live_cancels_another_and_reviews_them(
    page: Any, server: Server, fake_llm: FakeLLMServer
) -> None:
    fake_llm.latency = 0.3  # long enough that the page opens before the run ends
    slow = plan(("story", 0.9))
    slow["departments"][0]["task"] = "SLOWRUN story work"
    fake_llm.script(PLAN, json_reply(plan(("story", 0.9), ("character", 0.8))), json_reply(slow))
    fake_llm.script(lambda body: "SLOWRUN" in request_text(body), *[hang() for _ in range(5)])
    log_in(page, server)

    watch_a_run_to_its_end(page, server)
    cancel_a_run(page, server)

    page.click("nav >> text=Projects")
    page.screenshot(path=str(SHOTS / "projects.png"), full_page=True)
    page.click("nav >> text=Executions")
    assert page.locator("table.runs tbody tr").count() == 2  # one row per request
    assert "Outline the slow episode" in page.locator("table.runs").inner_text()
    page.screenshot(path=str(SHOTS / "executions.png"), full_page=True)
    page.click("nav >> text=Charts")
    assert page.locator("svg.chart[role=img]").count() >= 8
    assert page.locator("table.numbers").count() >= 8
    page.screenshot(path=str(SHOTS / "charts.png"), full_page=True)
    page.click("nav >> text=Agents")
    page.screenshot(path=str(SHOTS / "agents.png"), full_page=True)
    page.click("nav >> text=New request")
    page.screenshot(path=str(SHOTS / "new-request.png"), full_page=True)


def watch_a_run_to_its_end(page: Any, server: Server) -> None:
    start(page, server, "Create a villain for episode 2")
    assert page.locator(".monitor[ws-connect]").count() == 1  # it opened while running
    page.evaluate("window.notReloaded = true")
    page.wait_for_selector("#dept-story")
    page.screenshot(path=str(SHOTS / "monitor-running.png"), full_page=True)

    page.wait_for_function(ALL_DEPARTMENTS_FINAL)
    page.wait_for_selector("#report .result")
    assert page.evaluate("window.notReloaded") is True  # updated in place, never reloaded
    assert page.locator("#run-summary [data-testid=run-status]").inner_text() in FINAL
    assert page.locator("#timeline li").count() >= 10
    page.screenshot(path=str(SHOTS / "monitor-finished.png"), full_page=True)

    page.reload()  # the same state, rendered from the database
    assert page.locator("#dept-story").get_attribute("data-state") in FINAL
    page.click("#report details.raw summary")
    assert '"departmentReports"' in page.locator("#report details.raw pre").inner_text()


def cancel_a_run(page: Any, server: Server) -> None:
    start(page, server, "Outline the slow episode")
    page.wait_for_selector("#dept-story[data-state=working]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=cancel-run]")

    page.wait_for_selector("#run-summary .status-cancelled")
    page.wait_for_selector("#report .result")
    assert "Cancelled" in page.locator("[data-testid=stop-reason]").inner_text()
    assert page.locator("[data-testid=cancel-run]").count() == 0
    page.screenshot(path=str(SHOTS / "monitor-cancelled.png"), full_page=True)
