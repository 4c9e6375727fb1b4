"""POST /api/projects/{projectId}/scripts: import a script (multipart upload).

The same import as the command, the project page and the admin; `project:write`
on the project; bad input answers 400 with the line in the message."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import selectors
from api.views.common import WRITE_ERRORS, valid
from screenplay.importing import MAX_EPISODE, import_script
from screenplay.parsing import ScriptError


class ScriptIn(serializers.Serializer):
    file = serializers.FileField(help_text="Fountain, Final Draft (.fdx) or PDF.")
    episode = serializers.IntegerField(min_value=1, max_value=MAX_EPISODE, default=1)


class ScriptOut(serializers.Serializer):
    importId = serializers.IntegerField()
    episode = serializers.IntegerField()
    format = serializers.CharField()
    summary = serializers.CharField()
    scenes = serializers.IntegerField()
    added = serializers.ListField(child=serializers.CharField())
    changed = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())
    charactersCreated = serializers.ListField(child=serializers.CharField())
    locationsCreated = serializers.ListField(child=serializers.CharField())


class ScriptImportView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="project_scripts_import",
        summary="Import a screenplay into a project's episode",
        description="Re-importing a revised draft updates the episode's scenes in place and "
        "reports the scenes added, changed and removed. Needs `project:write`.",
        request={"multipart/form-data": ScriptIn},
        responses={201: ScriptOut, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Imported",
                response_only=True,
                status_codes=["201"],
                value={
                    "importId": 3,
                    "episode": 1,
                    "format": "fountain",
                    "summary": "Imported 5 scenes into episode 1: 1 added, 1 changed, 1 removed; "
                    "0 new characters, 1 new locations.",
                    "scenes": 5,
                    "added": ["5. EXT. CLIFF PATH - LATER"],
                    "changed": ["2. INT. LIGHTHOUSE - LAMP ROOM - DAY"],
                    "removed": ["3. INT. HARBOUR MASTER'S OFFICE - SAME TIME"],
                    "charactersCreated": [],
                    "locationsCreated": ["CLIFF PATH"],
                },
            )
        ],
    )
    def post(self, request: Request, project_id: str) -> Response:
        project = selectors.project_by_ref(request.user, project_id, "project:write")
        data = valid(ScriptIn, request.data)
        upload = data["file"]
        if upload.size > settings.ALADDIN_SCRIPT_MAX_BYTES:
            limit = settings.ALADDIN_SCRIPT_MAX_BYTES / 1_048_576
            raise serializers.ValidationError(
                {"file": [f"The file is larger than the {limit:.1f} MB limit."]}
            )
        try:
            result = import_script(
                project, upload.read(), upload.name,
                episode_number=data["episode"], user_id=request.user.pk,
            )  # fmt: skip
        except ScriptError as error:
            raise serializers.ValidationError({"file": [str(error)]}) from None
        record = result.script_import
        body = {
            "importId": record.pk,
            "episode": data["episode"],
            "format": record.format,
            "summary": result.summary(),
            **result.as_dict(),
        }
        body.pop("keptByHand", None)
        return Response(body, status=status.HTTP_201_CREATED)
