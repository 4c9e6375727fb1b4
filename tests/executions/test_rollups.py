"""Usage roll-ups: spend per project, department and day outlives the runs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from aladdin.models import AuditLog
from aladdin.schedules import sync_periodic_tasks
from executions.models import DailyUsage, Execution
from executions.rollups import daily_report, rollup_day
from tests import factories

pytestmark = pytest.mark.django_db


def run(project: object, department: object, kind: str, **fields: object) -> Execution:
    return Execution.objects.create(project=project, department=department, kind=kind, **fields)


def test_rollup_sums_leaf_runs_per_project_and_department() -> None:
    project, story = factories.project(), factories.department()
    root = run(project, None, "orchestration", input_tokens=999, cost=Decimal("9"))
    run(project, story, "department", input_tokens=999, cost=Decimal("9"))
    run(project, story, "specialist", input_tokens=100, output_tokens=50, cost=Decimal("0.5"))
    run(project, story, "review", input_tokens=10, output_tokens=5, cost=Decimal("0.25"))
    run(project, story, "specialist", status="failed", input_tokens=1, cost=None)
    run(project, None, "plan", input_tokens=7, output_tokens=3, cost=Decimal("0.01"))
    assert root.kind == "orchestration"

    assert rollup_day(timezone.localdate()) == 2
    by_department = {row.department_id: row for row in DailyUsage.objects.all()}
    story_row, orchestration_row = by_department[story.pk], by_department[None]
    assert (story_row.runs, story_row.failed_runs) == (3, 1)
    assert (story_row.input_tokens, story_row.output_tokens) == (111, 55)
    assert story_row.cost == Decimal("0.75")
    assert (orchestration_row.runs, orchestration_row.input_tokens) == (1, 7)


def test_rollup_is_idempotent_and_follows_the_runs() -> None:
    project, story = factories.project(), factories.department()
    run(project, story, "specialist", input_tokens=100)
    today = timezone.localdate()
    rollup_day(today)
    rollup_day(today)
    assert DailyUsage.objects.get().input_tokens == 100
    run(project, story, "specialist", input_tokens=20)
    rollup_day(today)
    assert DailyUsage.objects.get().input_tokens == 120


def test_usage_outlives_the_runs_it_was_rolled_up_from() -> None:
    project, story = factories.project(), factories.department()
    old = run(project, story, "specialist", input_tokens=40)
    yesterday = timezone.localdate() - timedelta(days=1)
    Execution.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))
    rollup_day(yesterday)
    Execution.objects.all().delete()  # retention
    assert DailyUsage.objects.get(day=yesterday).input_tokens == 40


def test_daily_report_writes_one_audit_entry_per_project() -> None:
    first, second = factories.project(slug="alpha"), factories.project(slug="beta")
    story = factories.department()
    for project, tokens in ((first, 10), (second, 30)):
        row = run(project, story, "specialist", input_tokens=tokens, cost=Decimal("0.1"))
        Execution.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=1))
    totals = daily_report()
    assert [(t.project, t.tokens) for t in totals] == [("alpha", 10), ("beta", 30)]
    entries = AuditLog.objects.filter(action="usage.daily_report").order_by("resource_id")
    assert [e.changes["tokens"] for e in entries] == [10, 30]


def test_usage_report_command_prints_each_projects_day(
    capsys: pytest.CaptureFixture[str],
) -> None:
    project, story = factories.project(slug="lantern"), factories.department()
    run(project, story, "specialist", input_tokens=1200, output_tokens=34, cost=Decimal("0.02"))
    call_command("usage_report", "--days", "1")
    [line] = [x for x in capsys.readouterr().out.splitlines() if "lantern" in x]
    assert "1,234" in line and "$0.0200" in line


def test_usage_report_refuses_a_silly_range() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="between 1 and 90"):
        call_command("usage_report", "--days", "0")


def test_declared_periodic_jobs_are_listed_in_the_admin_tables() -> None:
    names = sync_periodic_tasks()
    sync_periodic_tasks()  # twice: nothing doubles
    assert {"cleanup-runs", "webhook-retries", "usage-rollup", "daily-usage-report"} <= set(names)
    report = PeriodicTask.objects.get(name="daily-usage-report")
    assert report.crontab is not None and report.crontab.hour == "0"
    assert PeriodicTask.objects.get(name="usage-rollup").interval.every == 900
    assert PeriodicTask.objects.filter(name__in=names).count() == len(names)
