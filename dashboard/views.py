"""The producer's pages: new request, execution monitor, executions, agents, audit, charts.

Thin edges: parse, check access (brain.access), call one service or selector, render.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aladdin.models import AuditLog
from brain.access import AccessDenied, has_permission, projects_with, require
from dashboard import charts, fragments, selectors
from dashboard.forms import NewRequestForm
from dashboard.monitor import monitor_state
from departments.models import Department
from executions.approval import ApprovalError, decide
from executions.models import Execution
from executions.resume import NotRetryable, resume_paused, retry_orchestration
from executions.services import cancel_orchestration, start_orchestration

PAGE_SIZE = 25


@login_required
@require_http_methods(["GET", "POST"])
async def new_request(request: HttpRequest) -> HttpResponseBase:
    user = await request.auser()
    projects = projects_with(user, "agent:execute").order_by("name")
    if request.method == "POST":
        form = NewRequestForm(request.POST, projects=projects)
        if await sync_to_async(form.is_valid)():
            valid = form.valid_request
            execution_id = await start_orchestration(
                form.cleaned_data["project"], valid.prompt, user_id=user.pk, options=valid.options
            )
            return redirect("dashboard:monitor", execution_id)
    else:
        slug = request.GET.get("project", "")
        initial = await projects.filter(slug=slug).afirst() if slug else None
        form = NewRequestForm(initial={"project": initial}, projects=projects)
    context = {"form": form, "has_projects": await projects.aexists()}
    status = 400 if form.errors else 200
    return await sync_to_async(render)(
        request, "dashboard/new_request.html", context, status=status
    )


def _root_or_404(execution_id: UUID) -> Execution:
    root = (
        Execution.objects.select_related("project", "requested_by")
        .filter(execution_id=execution_id, parent__isnull=True)
        .first()
    )
    if root is None:
        raise Http404("There is no such run.")
    return root


@login_required
@require_GET
def monitor(request: HttpRequest, execution_id: UUID) -> HttpResponse:
    root = _root_or_404(execution_id)
    if root.project is None:
        require(request.user, "system:admin")
    else:
        require(request.user, "execution:read", root.project)
    state = monitor_state(root)
    can_cancel = root.project is not None and has_permission(
        request.user, "execution:cancel", root.project
    )
    context = {
        "state": state,
        "can_cancel": can_cancel,
        "next_step": fragments.next_steps(request.user, root),
    }
    return render(request, "dashboard/monitor.html", context)


@login_required
@require_POST
async def cancel(request: HttpRequest, execution_id: UUID) -> HttpResponseBase:
    user = await request.auser()
    root = await sync_to_async(_root_or_404)(execution_id)
    if root.project is None:
        raise AccessDenied("execution:cancel")
    allowed = await sync_to_async(has_permission)(user, "execution:cancel", root.project)
    if not allowed:
        raise AccessDenied("execution:cancel", root.project)
    department = request.POST.get("department", "").strip() or None
    await cancel_orchestration(str(execution_id), department)
    if request.headers.get("HX-Request"):
        return HttpResponse(status=204)
    return redirect("dashboard:monitor", execution_id)


NEXT_STEP_PERMISSIONS = {
    "retry": "agent:execute",
    "resume": "agent:execute",
    "approve": "project:write",
    "reject": "project:write",
}


NEXT_STEP_DONE = {
    "retry": "Retry started: only what failed, was cancelled or skipped runs again.",
    "resume": "Resumed from where the run paused.",
    "approve": "Approved: the ticked entities are stored.",
    "reject": "Rejected: nothing from this run is stored.",
}


@login_required
@require_POST
def next_step(request: HttpRequest, execution_id: UUID, action: str) -> HttpResponseBase:
    if action not in NEXT_STEP_PERMISSIONS:
        raise Http404("No such action.")
    root = _root_or_404(execution_id)
    if root.project is None:
        raise AccessDenied(NEXT_STEP_PERMISSIONS[action])
    require(request.user, NEXT_STEP_PERMISSIONS[action], root.project)
    comment = request.POST.get("comment", "").strip()
    try:
        if action == "retry":
            retry_orchestration(root, request.user.pk)
        elif action == "resume":
            resume_paused(root, request.user.pk)
        else:
            indices = [int(i) for i in request.POST.getlist("entities") if i.isdigit()]
            approve = action == "approve"
            decide(root, request.user, approve=approve, comment=comment, indices=indices)
    except (NotRetryable, ApprovalError) as exc:
        # People get the reason on the run's page, not a bare text page.
        messages.error(request, str(exc))
        return redirect("dashboard:monitor", execution_id)
    messages.success(request, NEXT_STEP_DONE[action])
    return redirect("dashboard:monitor", execution_id)


def _filters(request: HttpRequest) -> tuple[selectors.RunFilters, str]:
    day: date | None = None
    raw_day = request.GET.get("date", "").strip()
    error = ""
    if raw_day:
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            error = f"“{raw_day}” is not a date; use YYYY-MM-DD."
    filters = selectors.RunFilters(
        project=request.GET.get("project", "").strip(),
        status=request.GET.get("status", "").strip(),
        department=request.GET.get("department", "").strip(),
        agent=request.GET.get("agent", "").strip(),
        day=day,
    )
    return filters, error


@login_required
@require_GET
def executions(request: HttpRequest) -> HttpResponse:
    filters, error = _filters(request)
    runs = selectors.filtered_runs(request.user, filters)
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "filter_error": error,
        "query": query.urlencode(),
        "projects": projects_with(request.user, "execution:read").order_by("name"),
        "statuses": Execution.Status.choices,
        "departments": Department.objects.order_by("priority"),
    }
    return render(request, "dashboard/executions.html", context, status=400 if error else 200)


@login_required
@require_GET
def agents(request: HttpRequest) -> HttpResponse:
    require(request.user, "agent:read")
    departments, unassigned = selectors.agents_by_department()
    context = {"departments": departments, "unassigned": unassigned}
    return render(request, "dashboard/agents.html", context)


@login_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    require(request.user, "system:admin")
    entries = AuditLog.objects.select_related("user")
    username = request.GET.get("user", "").strip()
    action = request.GET.get("action", "").strip()
    raw_day = request.GET.get("date", "").strip()
    error = ""
    if username:
        entries = entries.filter(user__username=username)
    if action:
        entries = entries.filter(action=action)
    if raw_day:
        try:
            entries = entries.filter(timestamp__date=date.fromisoformat(raw_day))
        except ValueError:
            error = f"“{raw_day}” is not a date; use YYYY-MM-DD."
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "page": Paginator(entries, 50).get_page(request.GET.get("page")),
        "users": get_user_model().objects.order_by("username").values_list("username", flat=True),
        "actions": AuditLog.objects.order_by("action").values_list("action", flat=True).distinct(),
        "selected": {"user": username, "action": action, "date": raw_day},
        "filter_error": error,
        "query": query.urlencode(),
    }
    return render(request, "dashboard/audit.html", context, status=400 if error else 200)


@login_required
@require_GET
def charts_page(request: HttpRequest) -> HttpResponse:
    departments = list(Department.objects.order_by("priority"))
    quality = [
        {
            **row,
            "chart": charts.histogram(
                f"{row['department'].name} quality", row["bins"], row["department"].color
            ),
        }
        for row in selectors.quality_distribution(request.user)
    ]
    usage = selectors.daily_usage(request.user)
    days, values = usage["days"], usage["values"]
    tokens = {key: value[0] for key, value in values.items()}
    costs = {key: value[1] for key, value in values.items()}
    context = {
        "quality": quality,
        "departments": departments,
        "tokens_chart": charts.stacked_by_day("Tokens per day", days, departments, tokens),
        "cost_chart": charts.stacked_by_day("Cost per day (USD)", days, departments, costs, "$"),
        "tokens_table": charts.usage_table(days, departments, tokens),
        "cost_table": charts.usage_table(days, departments, costs),
    }
    return render(request, "dashboard/charts.html", context)
