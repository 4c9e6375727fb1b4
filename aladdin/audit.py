"""The audit log of spec 10.4, written from every edge: admin, API, commands.

Who acted, from where and with what client come from the request being served
(`AuditMiddleware` keeps it in a context variable, so services deep below a view
need not be handed it) or from `cli()` for management commands. Admin changes
are audited here too, including bulk actions, from the admin's own change log,
so every model admin is covered without touching it. Logins and failed logins
come from Django's auth signals.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from aladdin.models import AuditLog

CLI_AGENT = "cli"
_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "audit_request", default=None
)
_cli: contextvars.ContextVar[bool] = contextvars.ContextVar("audit_cli", default=False)

# Admin pages that write their own, richer audit rows on save (with the new version).
SELF_AUDITED_ON_SAVE = {("agents", "agent"), ("agents", "customtool")}
_VERBS = {ADDITION: "create", CHANGE: "update", DELETION: "delete"}


def record(
    action: str,
    resource: str,
    resource_id: object = "",
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    user_id: int | None = None,
    request: HttpRequest | None = None,
    changes: Any = None,
    success: bool = True,
    error_message: str = "",
) -> AuditLog:
    request = request if request is not None else _request.get()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user_id is None and user is not None and user.is_authenticated:
        user_id = user.pk
    return AuditLog.objects.create(
        action=action,
        resource=resource,
        resource_id=str(resource_id)[:100],
        user_id=user_id,
        changes=_jsonable(changes),
        ip_address=client_ip(request),
        user_agent=_user_agent(request),
        success=success,
        error_message=error_message[:5000],
    )


def _jsonable(changes: Any) -> Any:
    return None if changes is None else json.loads(json.dumps(changes, default=str))


def _user_agent(request: HttpRequest | None) -> str:
    if request is not None:
        return request.headers.get("User-Agent", "")[:1000]
    return CLI_AGENT if _cli.get() else ""


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR")
    return address or None


@contextlib.contextmanager
def cli() -> Iterator[None]:
    """Rows written inside come from the command line (user agent `cli`)."""
    token = _cli.set(True)
    try:
        yield
    finally:
        _cli.reset(token)


@contextlib.contextmanager
def serving(request: HttpRequest) -> Iterator[None]:
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


class AuditMiddleware:
    """Keeps the request for audit rows, and audits admin writes after they happen."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = timezone.now()
        with serving(request):
            response = self.get_response(request)
        if request.method == "POST" and request.path.startswith("/admin/"):
            audit_admin_request(request, response, started)
        return response


def audit_admin_request(request: HttpRequest, response: HttpResponse, started: Any) -> None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    entries = LogEntry.objects.filter(user_id=user.pk, action_time__gte=started).select_related(
        "content_type"
    )
    for entry in entries:
        _record_log_entry(request, entry)
    action = request.POST.get("action", "")
    selected = request.POST.getlist("_selected_action")
    # Deletions are in the change log above; other bulk actions leave no entry there.
    if action and selected and action != "delete_selected":
        resource = request.path.strip("/").split("/")[-1] or "admin"
        record(
            f"{resource}.{action}",
            resource,
            ",".join(selected)[:100],
            request=request,
            changes={"action": action, "ids": selected},
            success=response.status_code < 400,
        )


def _record_log_entry(request: HttpRequest, entry: LogEntry) -> None:
    content_type = entry.content_type
    app_label = content_type.app_label if content_type else ""
    model = content_type.model if content_type else "object"
    verb = _VERBS.get(entry.action_flag, "change")
    if (app_label, model) in SELF_AUDITED_ON_SAVE and verb != "delete":
        return
    record(
        f"{model}.{verb}",
        model,
        entry.object_id or "",
        request=request,
        changes={
            "object": entry.object_repr,
            "message": entry.get_change_message(),
            "via": "admin",
        },
    )


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **_: Any) -> None:
    record("auth.login", "user", user.pk, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    # The password is never kept; Django already masks it in `credentials`.
    username = str(credentials.get("username", ""))[:150]
    record(
        "auth.login_failed",
        "user",
        username,
        user=AnonymousUser(),
        request=request,
        changes={"username": username},
        success=False,
        error_message="Wrong username or password.",
    )
