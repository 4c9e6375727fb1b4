"""The producer's pages, rendered by Django for a logged-in member of a project."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Permission
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from aladdin import audit
from brain.models import Project, ProjectMembership
from departments.models import Department
from executions.models import Execution
from tests import factories

pytestmark = pytest.mark.django_db

PAGES = ["/", "/requests/new/", "/executions/", "/agents/", "/charts/", "/audit/"]


def member(project: Project, role: str = "user", username: str = "producer") -> AbstractUser:
    user = get_user_model().objects.create_user(username, password="pw-123456789")
    ProjectMembership.objects.create(project=project, user=user, role=role)
    return user


def client_for(user: AbstractUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run(project: Project, prompt: str = "Create a villain", **fields: object) -> Execution:
    root = Execution.objects.create(
        kind=Execution.Kind.ORCHESTRATION, project=project, prompt=prompt, **fields
    )
    root.root = root
    root.save(update_fields=["root"])
    return root


@pytest.fixture
def project(seeded: None) -> Project:
    return Project.objects.get(slug="the-lantern-keepers")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_asks_an_anonymous_visitor_to_log_in(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_login_page_logs_a_user_in_and_sends_them_home(project: Project) -> None:
    member(project)
    client = Client()
    assert "Log in" in client.get("/login/").content.decode()
    response = client.post("/login/", {"username": "producer", "password": "pw-123456789"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "The Lantern Keepers" in client.get("/").content.decode()


def test_home_shows_only_readable_projects_with_requests_spend_and_graph_link(
    project: Project,
) -> None:
    hidden = factories.project(name="Secret Show")
    run(project, "Outline episode 3", status="completed", total_tokens=1234)
    run(hidden, "Hidden request")
    html = client_for(member(project)).get("/").content.decode()
    assert "The Lantern Keepers" in html and "Secret Show" not in html
    assert "Outline episode 3" in html and "Hidden request" not in html
    assert "/brain/the-lantern-keepers/graph" in html
    assert "Tokens today" in html and "of 500,000" in html


def test_home_says_demo_model_runs_are_not_counted_in_tokens_today(
    project: Project, settings: SettingsWrapper
) -> None:
    """A producer on the demo model sees a run of 19,829 tokens and 'Tokens today 0':
    the card says why."""
    run(project, "Outline episode 3", status="completed", total_tokens=1234)
    client = client_for(member(project))
    settings.ALADDIN_DEFAULT_MODEL = settings.DEMO_MODEL
    assert "Demo-model runs are free and not counted here." in client.get("/").content.decode()
    settings.ALADDIN_DEFAULT_MODEL = "openai/gpt-4o-mini"
    assert "Demo-model runs" not in client.get("/").content.decode()


def test_new_request_form_reports_the_validators_reasons_and_writes_nothing(
    project: Project,
) -> None:
    client = client_for(member(project))
    response = client.post(
        "/requests/new/",
        {"project": project.pk, "prompt": "   ", "priority": "medium", "max_tokens": 5},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "the request is empty" in html
    assert "Must be between 100 and 50,000." in html
    assert not Execution.objects.exists()


def test_a_viewer_cannot_start_a_request(project: Project) -> None:
    client = client_for(member(project, role="viewer"))
    assert "agent:execute" in client.get("/requests/new/").content.decode()
    response = client.post("/requests/new/", {"project": project.pk, "prompt": "Write a scene"})
    assert response.status_code == 400
    assert not Execution.objects.exists()


def test_monitor_renders_a_finished_run_for_people_with_raw_json_behind_a_toggle(
    project: Project,
) -> None:
    root = run(
        project,
        status="completed",
        output={
            "status": "completed",
            "recommendation": "modify",
            "overallQuality": 74.5,
            "consistency": 80,
            "decision": "accept-with-revision",
            "issues": ["The villain's age differs between departments"],
            "departmentReports": [
                {
                    "department": "character",
                    "name": "Character Department",
                    "status": "completed",
                    "score": 74.5,
                    "decision": "accept-with-revision",
                    "relevance": 0.9,
                    "report": {"summary": "A villain called Morrow", "report": "Long text"},
                    "entities": [{"type": "character", "name": "Morrow", "description": "Cold"}],
                    "issues": [],
                    "specialists": [
                        {
                            "agentId": "character-creator-001",
                            "status": "completed",
                            "decision": "reject",
                            "overallScore": 41,
                            "attempts": 2,
                        }
                    ],
                }
            ],
            "metrics": {"tokensUsed": 900, "agentsSpawned": 3, "cost": None},
        },
    )
    html = client_for(member(project)).get(f"/executions/{root.execution_id}/").content.decode()
    assert "Finished: every department that ran has reported." in html
    assert "A villain called Morrow" in html and "Morrow" in html
    assert "The villain&#x27;s age differs between departments" in html
    assert "character-creator-001" in html and "reject" in html
    assert "<summary>Raw JSON</summary>" in html
    assert "Score</dt><dd>74" in html.replace("\n", "").replace("  ", "")
    assert "ws-connect" not in html  # a finished run needs no socket


@pytest.mark.parametrize(
    ("documents", "note"),
    [
        ({"status": "preparing", "entities": 3}, "Brain documents of 3 entities: being prepared."),
        (
            {"status": "ready", "entities": 3, "stored": 2, "rejected": 1, "failed": 0},
            "Brain documents: 2 of 3 entities made. `manage.py brain_prepare` can remake",
        ),
        (
            {
                "status": "ready",
                "entities": 3,
                "stored": 2,
                "rejected": 1,
                "failed": 0,
                "problems": ["scene: Quality 0.40 is below the threshold 0.7 (inferred: tone)."],
            },
            "Brain documents: 2 of 3 entities made. Not made: scene: Quality 0.40 is below "
            "the threshold 0.7 (inferred: tone). `manage.py brain_prepare` can remake",
        ),
    ],
)
def test_monitor_of_a_finished_run_says_where_its_brain_documents_are(
    project: Project, documents: dict[str, object], note: str
) -> None:
    root = run(
        project,
        status="completed",
        output={"status": "completed", "recommendation": "ingest", "departmentReports": []},
        params={"brainStored": 3, "brainDocuments": documents},
    )
    html = client_for(member(project)).get(f"/executions/{root.execution_id}/").content.decode()
    assert note in html


def test_monitor_of_a_running_run_connects_its_socket_and_offers_cancel(
    project: Project,
) -> None:
    root = run(project, status="running")
    html = client_for(member(project)).get(f"/executions/{root.execution_id}/").content.decode()
    assert f'ws-connect="/ws/executions/{root.execution_id}/monitor/"' in html
    assert 'id="orgchart"' in html and 'id="timeline"' in html and 'id="run-summary"' in html
    assert "Cancel run" in html


def test_monitor_of_a_run_that_failed_before_reporting_shows_it_and_offers_a_retry(
    project: Project,
) -> None:
    message = "Interrupted: the server stopped. Send the orchestration again."
    error = {"type": "agent_failure", "message": message, "retryable": False}
    root = run(project, status="failed", error=error, error_type="agent_failure")
    response = client_for(member(project)).get(f"/executions/{root.execution_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'data-testid="retry-run"' in html


def test_a_completed_run_offers_a_retry_only_when_some_of_its_work_did_not_finish(
    project: Project,
) -> None:
    root = run(project, status="completed")
    specialist = Execution.objects.create(
        kind=Execution.Kind.SPECIALIST, project=project, root=root, parent=root, status="completed"
    )
    client = client_for(member(project))
    page = f"/executions/{root.execution_id}/"
    assert 'data-testid="retry-run"' not in client.get(page).content.decode()
    specialist.status = "skipped"
    specialist.save(update_fields=["status"])
    assert 'data-testid="retry-run"' in client.get(page).content.decode()


def test_a_next_step_that_cannot_happen_explains_why_on_the_runs_page(project: Project) -> None:
    root = run(project, status="running")
    client = client_for(member(project))
    response = client.post(f"/executions/{root.execution_id}/retry/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(f"/executions/{root.execution_id}/", 302)]
    assert "The run is running; only a finished run can be retried." in response.content.decode()


def test_a_retry_from_the_runs_page_says_it_started(project: Project) -> None:
    root = run(project, status="failed", error={"type": "network_error", "message": "down"})
    response = client_for(member(project)).post(
        f"/executions/{root.execution_id}/retry/", follow=True
    )
    assert "Retry started: only what failed" in response.content.decode()
    root.refresh_from_db()
    assert root.status == "pending"


def test_monitor_of_another_projects_run_is_forbidden(project: Project) -> None:
    root = run(factories.project())
    response = client_for(member(project)).get(f"/executions/{root.execution_id}/")
    assert response.status_code == 403
    assert "execution:read" in response.content.decode()


def test_cancel_asks_the_run_to_stop_and_viewers_may_not(project: Project) -> None:
    root = run(project, status="running")
    viewer = client_for(member(project, role="viewer", username="watcher"))
    assert viewer.post(f"/executions/{root.execution_id}/cancel/").status_code == 403
    root.refresh_from_db()
    assert not root.cancel_requested

    response = client_for(member(project)).post(
        f"/executions/{root.execution_id}/cancel/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204
    root.refresh_from_db()
    assert root.cancel_requested


def test_executions_list_says_when_no_request_matches_the_filters(project: Project) -> None:
    run(project, "A villain", status="completed")
    client = client_for(member(project))
    assert "No requests yet." not in client.get("/executions/").content.decode()
    page = client.get("/executions/?status=failed").content.decode()
    assert "No request matches these filters." in page and "No requests yet." not in page


def test_executions_list_filters_and_pages_one_row_per_request(project: Project) -> None:
    story = Department.objects.get(slug="story")
    old = run(project, "Old request", status="failed")
    Execution.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    storied = run(project, "Story request", status="completed")
    Execution.objects.create(
        kind=Execution.Kind.DEPARTMENT, parent=storied, root=storied, department=story
    )
    for i in range(30):
        run(project, f"Bulk {i}", status="completed")
    run(factories.project(), "Not yours")
    client = client_for(member(project))

    first = client.get("/executions/").content.decode()
    assert "Page 1 of 2" in first and "Not yours" not in first
    assert "Story request" in client.get("/executions/?department=story").content.decode()
    assert "Bulk 1" not in client.get("/executions/?department=story").content.decode()
    assert "Old request" in client.get("/executions/?status=failed").content.decode()
    day = (timezone.localdate() - timedelta(days=3)).isoformat()
    by_day = client.get(f"/executions/?date={day}").content.decode()
    assert "Old request" in by_day and "Story request" not in by_day
    assert client.get("/executions/?date=tomorrow").status_code == 400


def test_agents_page_shows_each_departments_agents_with_metrics(project: Project) -> None:
    html = client_for(member(project)).get("/agents/").content.decode()
    assert "Story Department" in html and "dialogue-writer-001" in html
    assert "Avg quality" in html and "Success" in html


def test_audit_trail_needs_system_admin_and_filters_by_action(project: Project) -> None:
    user = member(project)
    audit.record("agent.update", "agent", "story-head-001", user=user)
    audit.record("orchestration.start", "execution", "x", user=user)
    assert client_for(user).get("/audit/").status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="system_admin"))
    html = client_for(user).get("/audit/?action=agent.update").content.decode()
    assert "story-head-001" in html and "orchestration.start</code>" not in html


def test_charts_draw_svg_with_the_numbers_as_text(project: Project) -> None:
    story = Department.objects.get(slug="story")
    Execution.objects.create(
        kind=Execution.Kind.SPECIALIST,
        project=project,
        department=story,
        overall_score=85,
        total_tokens=4321,
        cost=Decimal("0.0125"),
    )
    html = client_for(member(project)).get("/charts/").content.decode()
    assert html.count('role="img"') >= 8  # six histograms, tokens and cost
    assert "<td>80-90</td>" in html
    assert '<td class="num">4321</td>' in html and "$0.0125" in html


def test_healthz_is_bare_for_anonymous_clients_and_detailed_with_system_metrics(
    project: Project,
) -> None:
    assert Client().get("/healthz").json() == {"status": "ok"}
    user = member(project)
    user.user_permissions.add(Permission.objects.get(codename="system_metrics"))
    body = client_for(user).get("/healthz").json()
    assert body["database"] == "ok" and "openCircuits" in body["llm"]
    page = client_for(user).get("/healthz", HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert page["Content-Type"].startswith("text/html")
    assert "Circuit breakers" in page.content.decode() or "Open circuits" in page.content.decode()


def test_brain_search_sends_people_to_the_graph_page(project: Project) -> None:
    response = client_for(member(project)).get(
        "/brain/the-lantern-keepers/search?q=lighthouse", HTTP_ACCEPT="text/html"
    )
    assert response.status_code == 302
    assert response["Location"] == "/brain/the-lantern-keepers/graph?q=lighthouse"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_api_docs_pages_load_nothing_from_another_host(project: Project, path: str) -> None:
    response = client_for(member(project)).get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/schema/" in html
    assert "http://" not in html and "https://" not in html  # no CDN, no web fonts


def test_unreadable_agents_page_and_audit_explain_the_missing_permission() -> None:
    user = get_user_model().objects.create_user("nobody", password="pw-123456789")
    response = client_for(user).get("/agents/")
    assert response.status_code == 403
    assert "agent:read" in response.content.decode()
