"""A project's script pages: import, scenes, breakdown review, continuity, documents.

Thin edges: parse the form, check the permission (brain.access), call one service,
render. Reading needs project:read, importing, reviewing and dismissing need
project:write, starting agents (breakdown, canon check) needs agent:execute.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aladdin.text import plural
from brain.access import has_permission, require
from brain.models import Project, Scene
from executions.requests import RequestInvalid
from executions.services import launch
from screenplay import breakdown, continuity, exports
from screenplay.forms import UploadForm
from screenplay.importing import import_script
from screenplay.models import BreakdownRun, ContinuityWarning, ElementProposal, ScriptImport
from screenplay.parsing import ScriptError


def project_for(request: HttpRequest, slug: str, permission: str = "project:read") -> Project:
    """The project, if the user may read it (else 404) and holds `permission` (else 403)."""
    project = Project.objects.filter(slug=slug).first()
    if project is None or not has_permission(request.user, "project:read", project):
        raise Http404("No such project.")
    require(request.user, permission, project)
    return project


def collect_runs(project: Project) -> None:
    """Finished breakdown runs become proposals the first time a page looks."""
    for run in BreakdownRun.objects.filter(project=project, status=BreakdownRun.Status.RUNNING):
        breakdown.collect(run)


def can(request: HttpRequest, project: Project) -> dict[str, bool]:
    return {
        "can_write": has_permission(request.user, "project:write", project),
        "can_execute": has_permission(request.user, "agent:execute", project),
    }


# ------------------------------------------------------------------------- script
@login_required
@require_http_methods(["GET", "POST"])
def script_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request, slug)
    form = UploadForm()
    status = 200
    if request.method == "POST":
        require(request.user, "project:write", project)
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = import_script(
                    project,
                    upload.read(),
                    upload.name,
                    episode_number=form.cleaned_data["episode"],
                    user_id=request.user.pk,
                )
            except ScriptError as error:
                form.add_error("file", f"{upload.name}: {error}")
            else:
                messages.success(request, result.summary())
                return redirect("screenplay:script", slug=project.slug)
        status = 400
    collect_runs(project)
    context = {"project": project, "form": form, **script_context(project), **can(request, project)}
    return render(request, "screenplay/script.html", context, status=status)


def script_context(project: Project) -> dict[str, Any]:
    scenes = (
        Scene.objects.filter(episode__project=project)
        .select_related("episode", "source")
        .order_by("episode__episode_number", "scene_number")
    )
    pending = dict.fromkeys(
        ElementProposal.objects.filter(
            scene__episode__project=project, status=ElementProposal.Status.PENDING
        ).values_list("scene_id", flat=True),
        True,
    )
    return {
        "scenes": scenes,
        "pending": pending,
        "imports": ScriptImport.objects.filter(project=project).select_related("episode")[:5],
        "runs": BreakdownRun.objects.filter(project=project)[:5],
        "open_warnings": continuity.open_warnings(project).count(),
        "documents": sorted(exports.KINDS),
    }


def start(project: Project, scenes: list[Scene], user_id: int | None) -> list[BreakdownRun]:
    return breakdown.start_breakdown(project, scenes, user_id=user_id)


@login_required
@require_POST
async def start_breakdown_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Start the team on the chosen scenes (all, or one with `scene`); the runs go on
    in this process (or on a worker) and are collected when a page next looks."""
    project = await sync_to_async(project_for)(request, slug, "agent:execute")
    scene_id = request.POST.get("scene", "")
    scenes = Scene.objects.filter(episode__project=project).select_related("episode", "source")
    if scene_id.isdigit():
        scenes = scenes.filter(pk=int(scene_id))
    target = reverse("screenplay:script", args=[project.slug])
    if scene_id.isdigit():
        target = reverse("screenplay:scene", args=[project.slug, int(scene_id)])
    user_id = await sync_to_async(lambda: request.user.pk)()
    ordered = [s async for s in scenes.order_by("episode__episode_number", "scene_number")]
    try:
        runs = await sync_to_async(start)(project, ordered, user_id)
    except (ValueError, RequestInvalid) as error:
        await sync_to_async(messages.error)(request, str(error))
        return HttpResponseRedirect(target)
    for run in runs:
        await launch(str(await sync_to_async(lambda r=run: r.execution.execution_id)()))
    await sync_to_async(messages.success)(
        request, f"Breakdown started: {len(runs)} run(s). Proposals appear here when done."
    )
    return HttpResponseRedirect(target)


# -------------------------------------------------------------------------- scene
@login_required
@require_http_methods(["GET", "POST"])
def scene_page(request: HttpRequest, slug: str, scene_id: int) -> HttpResponse:
    project = project_for(request, slug)
    scene = get_object_or_404(
        Scene.objects.select_related("episode", "source"), pk=scene_id, episode__project=project
    )
    if request.method == "POST":
        require(request.user, "project:write", project)
        action = request.POST.get("action")
        ids = [int(i) for i in request.POST.getlist("proposal") if i.isdigit()]
        chosen = ElementProposal.objects.filter(scene=scene, pk__in=ids).select_related("run")
        if action in ("confirm", "reject") and ids:
            done = breakdown.decide(chosen, confirm=action == "confirm", user_id=request.user.pk)
            messages.success(request, f"{done} element(s) {action}ed.")
        else:
            messages.error(request, "Choose elements, then confirm or reject them.")
        return redirect("screenplay:scene", slug=project.slug, scene_id=scene.pk)
    collect_runs(project)
    proposals = ElementProposal.objects.filter(scene=scene).order_by("status", "category", "name")
    context = {
        "project": project,
        "scene": scene,
        "lines": breakdown.scene_lines(scene),
        "proposals": proposals,
        "confirmed": scene.scene_elements.select_related("element").order_by("element__category"),
        "cast": scene.appearances.select_related("character").order_by("character__name"),
        **can(request, project),
    }
    return render(request, "screenplay/scene.html", context)


# --------------------------------------------------------------------- continuity
@login_required
@require_http_methods(["GET", "POST"])
def continuity_page(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request, slug)
    if request.method == "POST":
        continuity_action(request, project)
        return redirect("screenplay:continuity", slug=project.slug)
    warnings = ContinuityWarning.objects.filter(project=project).order_by("rule", "message")
    context = {
        "project": project,
        "open": [w for w in warnings if w.active and not w.dismissed],
        "dismissed": [w for w in warnings if w.active and w.dismissed],
        "resolved": [w for w in warnings if not w.active],
        **can(request, project),
    }
    return render(request, "screenplay/continuity.html", context)


def continuity_action(request: HttpRequest, project: Project) -> None:
    action = request.POST.get("action")
    if action == "canon":
        require(request.user, "agent:execute", project)
        from executions.runners import pipeline_llm
        from screenplay.canon import check_canon

        count = check_canon(project, pipeline_llm(project))
        messages.success(request, f"Canon checked: {plural(count, 'open warning')}.")
        return
    require(request.user, "project:write", project)
    if action == "dismiss":
        warning = get_object_or_404(ContinuityWarning, project=project, pk=request.POST.get("id"))
        try:
            continuity.dismiss(warning, request.POST.get("reason", ""), request.user.pk)
        except ValueError as error:
            messages.error(request, str(error))
        return
    count = continuity.check_project(project)
    messages.success(request, f"Re-checked: {plural(count, 'open warning')}.")


# ---------------------------------------------------------------------- documents
def number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
@require_GET
def document(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    project = project_for(request, slug)
    try:
        doc = exports.export(
            project,
            kind,
            episode=number(request.GET.get("episode")),
            scene=number(request.GET.get("scene")),
        )
    except exports.ExportError as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(doc.content, content_type=f"{doc.content_type}; charset=utf-8")
    if doc.binary:
        response["Content-Type"] = doc.content_type
    inline = kind == "sheets-html"
    response["Content-Disposition"] = (
        f'{"inline" if inline else "attachment"}; filename="{doc.filename}"'
    )
    return response
