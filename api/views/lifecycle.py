"""A run's next step: retry what failed, resume a budget pause, approve or reject
results before they enter the brain (spec 8, 11.1)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import selectors
from api.serializers.lifecycle import ApproveIn, AttemptOut, DecisionOut, RejectIn
from api.views.common import WRITE_ERRORS, error, uuid_or_400, valid
from api.views.orchestrator import EXECUTION_PATH
from executions.approval import ApprovalError, decide
from executions.models import Execution
from executions.resume import NotRetryable, resume_paused, retry_orchestration

E409_RETRY = error("Not retryable", "The run is running; only a finished run can be retried.")
E409_RESUME = error("Not paused", "The run is completed; only a paused run can be resumed.")
E409_DECIDE = error("Not awaiting approval", "The run is not waiting for approval.")


def _orchestration(request: Request, execution_id: str, permission: str) -> Execution:
    run = selectors.execution_for(request.user, uuid_or_400(execution_id))
    if run.project is not None:
        selectors.require_on(request.user, permission, run.project)
    if run.kind != Execution.Kind.ORCHESTRATION:
        raise serializers.ValidationError({"executionId": ["Not an orchestration."]})
    return run


def _attempt(run: Execution) -> dict[str, Any]:
    execution_id = str(run.execution_id)
    return {
        "executionId": execution_id,
        "status": run.status,
        "attempt": int(run.params.get("attempt") or 1),
        "statusUrl": f"/api/orchestrator/status/{execution_id}",
    }


class RetryView(APIView):
    @extend_schema(
        operation_id="orchestrator_retry",
        summary="Retry what failed in a finished run",
        description="Runs again, as a new attempt of the same run, only what failed, was "
        "cancelled or was skipped for budget; every run that completed is reused without "
        "a model call. The department reports and the result are recomputed.",
        parameters=[EXECUTION_PATH],
        request=None,
        responses={202: AttemptOut, **WRITE_ERRORS, 409: E409_RETRY},
        examples=[
            OpenApiExample(
                "Queued",
                response_only=True,
                status_codes=["202"],
                value={
                    "executionId": "3f2c8a9e-4b1d-4c7a-9a51-2d1f0e6b7c11",
                    "status": "pending",
                    "attempt": 2,
                    "statusUrl": "/api/orchestrator/status/3f2c8a9e-4b1d-4c7a-9a51-2d1f0e6b7c11",
                },
            )
        ],
    )
    def post(self, request: Request, execution_id: str) -> Response:
        run = _orchestration(request, execution_id, "agent:execute")
        try:
            run = retry_orchestration(run, request.user.pk)
        except NotRetryable as exc:
            return Response({"error": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(AttemptOut(_attempt(run)).data, status=status.HTTP_202_ACCEPTED)


class ResumeView(APIView):
    @extend_schema(
        operation_id="orchestrator_resume",
        summary="Resume a run paused at its budget",
        description="Raise the project's budget first: the run goes on from where it "
        "paused, reusing every finished run, and pauses again if the budget runs out.",
        parameters=[EXECUTION_PATH],
        request=None,
        responses={202: AttemptOut, **WRITE_ERRORS, 409: E409_RESUME},
    )
    def post(self, request: Request, execution_id: str) -> Response:
        run = _orchestration(request, execution_id, "agent:execute")
        try:
            run = resume_paused(run, request.user.pk)
        except NotRetryable as exc:
            return Response({"error": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(AttemptOut(_attempt(run)).data, status=status.HTTP_202_ACCEPTED)


def _decided(run: Execution) -> dict[str, Any]:
    output = run.output if isinstance(run.output, dict) else {}
    return {
        "executionId": str(run.execution_id),
        "status": run.status,
        "entitiesStored": output.get("entitiesStored", 0),
        **output.get("approval", {}),
    }


class ApproveView(APIView):
    @extend_schema(
        operation_id="orchestrator_approve",
        summary="Approve a run's results for the brain, all or entity by entity",
        description="Only for a run in awaiting_approval. Without `entities` every "
        "pending entity is stored; with it, only those (indices from the run's "
        "pending entities), and the rest are rejected.",
        parameters=[EXECUTION_PATH],
        request=ApproveIn,
        responses={200: DecisionOut, **WRITE_ERRORS, 409: E409_DECIDE},
        examples=[OpenApiExample("Two of them", request_only=True, value={"entities": [0, 2]})],
    )
    def post(self, request: Request, execution_id: str) -> Response:
        data = valid(ApproveIn, request.data)
        run = _orchestration(request, execution_id, "project:write")
        try:
            run = decide(
                run,
                request.user,
                approve=True,
                comment=data.get("comment", ""),
                indices=data.get("entities"),
            )
        except ApprovalError as exc:
            return Response({"error": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(DecisionOut(_decided(run)).data)


class RejectView(APIView):
    @extend_schema(
        operation_id="orchestrator_reject",
        summary="Reject a run's results: nothing is stored",
        parameters=[EXECUTION_PATH],
        request=RejectIn,
        responses={200: DecisionOut, **WRITE_ERRORS, 409: E409_DECIDE},
    )
    def post(self, request: Request, execution_id: str) -> Response:
        data = valid(RejectIn, request.data)
        run = _orchestration(request, execution_id, "project:write")
        try:
            run = decide(run, request.user, approve=False, comment=data["comment"])
        except ApprovalError as exc:
            return Response({"error": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(DecisionOut(_decided(run)).data)
