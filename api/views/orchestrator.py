"""Orchestrations: start, follow, cancel (spec 11.1)."""

from __future__ import annotations

import time
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import selectors
from api.serializers.executions import (
    CancelIn,
    CancelOut,
    ExecuteAcceptedOut,
    ExecuteIn,
    ExecuteOut,
    StatusOut,
    StatusQuery,
)
from api.throttles import ExecutionRateThrottle
from api.views.common import E400, E429, READ_ERRORS, WRITE_ERRORS, error, query, uuid_or_400, valid
from brain.models import Project
from executions import background
from executions.maintenance import WAITING
from executions.models import Conversation, Execution
from executions.requests import validate_request
from executions.services import (
    cancel_orchestration,
    create_orchestration,
    launch,
    run_orchestration,
)

WAIT_SECONDS = 600
EXECUTION_PATH = OpenApiParameter(
    "execution_id", str, OpenApiParameter.PATH, description="The run's id (a UUID)."
)
E409 = error("Already finished", "The run has already finished.")
EXECUTE_EXAMPLE = OpenApiExample(
    "A request",
    request_only=True,
    value={
        "projectId": "the-lantern-keepers",
        "userPrompt": "Create a villain for episode 2",
        "options": {"priority": "high", "maxTokens": 20000, "qualityThreshold": 75},
    },
)


def conversation_for(project: Project, conversation_id: Any) -> Conversation | None:
    if conversation_id is None:
        return None
    conversation, _ = Conversation.objects.get_or_create(
        conversation_id=conversation_id, defaults={"project": project}
    )
    if conversation.project_id != project.pk:
        raise serializers.ValidationError(
            {"conversationId": ["This conversation belongs to another project."]}
        )
    return conversation


class ExecuteView(APIView):
    throttle_classes = [ExecutionRateThrottle]

    @extend_schema(
        operation_id="orchestrator_execute",
        summary="Start an orchestration",
        description="Answers 202 with the run's id at once; with `options.wait: true` it "
        "answers 200 with the ExecuteResponse when the run ends.",
        request=ExecuteIn,
        responses={
            202: ExecuteAcceptedOut,
            200: ExecuteOut,
            **WRITE_ERRORS,
            429: E429,
        },
        examples=[
            EXECUTE_EXAMPLE,
            OpenApiExample(
                "Started",
                response_only=True,
                status_codes=["202"],
                value={
                    "executionId": "3f2c8a9e-4b1d-4c7a-9a51-2d1f0e6b7c11",
                    "status": "pending",
                    "statusUrl": "/api/orchestrator/status/3f2c8a9e-4b1d-4c7a-9a51-2d1f0e6b7c11",
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = valid(ExecuteIn, request.data)
        options = data.get("options") or {}
        wait = options.get("wait", False)
        if not isinstance(wait, bool):
            raise serializers.ValidationError({"wait": ["Must be true or false."]})
        checked = validate_request(data["userPrompt"], options)
        project = selectors.project_by_ref(request.user, data["projectId"], "agent:execute")
        root = create_orchestration(
            project,
            checked.prompt,
            user_id=request.user.pk,
            conversation=conversation_for(project, data.get("conversationId")),
            options=checked.options,
        )
        execution_id = str(root.execution_id)
        if wait:
            return Response(_run_to_end(execution_id), status=status.HTTP_200_OK)
        background.submit(launch(execution_id))
        body = {
            "executionId": execution_id,
            "status": root.status,
            "statusUrl": f"/api/orchestrator/status/{execution_id}",
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


def _run_to_end(execution_id: str) -> dict[str, Any]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return background.submit(run_orchestration(execution_id)).result(timeout=WAIT_SECONDS)
    background.submit(launch(execution_id)).result(timeout=30)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        run = Execution.objects.only("status", "output").get(execution_id=execution_id)
        # A paused or held run waits for a person: answering now beats the timeout.
        settled = run.is_finished or run.status in WAITING
        if settled and isinstance(run.output, dict):
            return run.output
        time.sleep(0.5)
    raise TimeoutError(f"Run {execution_id} did not finish within {WAIT_SECONDS} s.")


class StatusView(APIView):
    @extend_schema(
        operation_id="orchestrator_status",
        summary="Progress of a run, and its events since a sequence number",
        parameters=[StatusQuery, EXECUTION_PATH],
        responses={200: StatusOut, 400: E400, **READ_ERRORS},
        examples=[
            OpenApiExample(
                "Running",
                response_only=True,
                value={
                    "executionId": "3f2c8a9e-4b1d-4c7a-9a51-2d1f0e6b7c11",
                    "status": "running",
                    "progress": 46,
                    "currentPhase": "departments",
                    "departmentsComplete": 1,
                    "departmentsTotal": 2,
                    "events": [
                        {
                            "sequence": 7,
                            "type": "department-complete",
                            "timestamp": "2026-11-29T21:00:03Z",
                            "payload": {"department": "story", "outputs": []},
                        }
                    ],
                    "lastSequence": 7,
                    "partialResults": {
                        "departments": {
                            "story": {"status": "completed", "score": 86.0, "decision": "accept"}
                        }
                    },
                },
            )
        ],
    )
    def get(self, request: Request, execution_id: str) -> Response:
        since = query(request, StatusQuery)["since"]
        # execution_for answers only runs the caller may read (execution:read), else 404.
        run = selectors.execution_for(request.user, uuid_or_400(execution_id))
        return Response(StatusOut(selectors.status_of(run, since)).data)


class CancelView(APIView):
    @extend_schema(
        operation_id="orchestrator_cancel",
        summary="Cancel a run, or one department of it",
        parameters=[EXECUTION_PATH],
        request=CancelIn,
        responses={200: CancelOut, **WRITE_ERRORS, 409: E409},
        examples=[
            OpenApiExample("One department", request_only=True, value={"department": "visual"}),
            OpenApiExample(
                "Cancelled",
                response_only=True,
                value={
                    "executionId": "3f2c8a9e-4b1d-4c7a-9a51-2d1f0e6b7c11",
                    "cancelled": True,
                    "department": None,
                },
            ),
        ],
    )
    def post(self, request: Request, execution_id: str) -> Response:
        department = valid(CancelIn, request.data).get("department")
        run = selectors.execution_for(request.user, uuid_or_400(execution_id))
        if run.project is not None:
            selectors.require_on(request.user, "execution:cancel", run.project)
        if run.kind != Execution.Kind.ORCHESTRATION:
            raise serializers.ValidationError(
                {"executionId": ["Only orchestrations can be cancelled."]}
            )
        if (
            department
            and not run.descendants.filter(
                kind=Execution.Kind.DEPARTMENT, department__slug=department
            ).exists()
        ):
            raise Execution.DoesNotExist(f"The run has no department {department!r}.")
        if not async_to_sync(cancel_orchestration)(execution_id, department):
            return Response({"error": "The run has already finished."}, status=409)
        body = {"executionId": execution_id, "cancelled": True, "department": department}
        return Response(CancelOut(body).data)
