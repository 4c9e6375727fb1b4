"""The built-in tools: read and write the project's story world, grade an output."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.db.models import Q

from agents.tools.registry import BuiltinTool, ToolContext, builtin_tool
from brain.models import Character, CharacterRelationship, Episode, Project, Scene
from engine.quality import BASE_DIMENSIONS, DIMENSIONS


class ToolInputError(ValueError):
    """The call was well-formed JSON but cannot be carried out; told to the model."""


async def _project(context: ToolContext) -> Project:
    if context.project_id is None:
        raise ToolInputError("This run has no project; project tools are unavailable.")
    return await Project.objects.aget(pk=context.project_id)


def character_summary(character: Character) -> dict[str, Any]:
    return {
        "name": character.name,
        "role": character.role,
        "description": character.description,
        "traits": character.traits,
    }


def scene_summary(scene: Scene) -> dict[str, Any]:
    return {
        "episode": scene.episode.episode_number,
        "scene": scene.scene_number,
        "title": scene.title,
        "location": scene.location,
        "summary": scene.summary,
    }


@builtin_tool
class GetProjectContext(BuiltinTool):
    name = "get_project_context"
    description = "Read the project's premise, episodes and main characters."
    input_schema = {
        "type": "object",
        "properties": {
            "include": {
                "type": "array",
                "items": {"enum": ["episodes", "characters", "relationships"]},
            }
        },
        "additionalProperties": False,
    }

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        project = await _project(context)
        include = set(arguments.get("include") or ["episodes", "characters", "relationships"])
        result: dict[str, Any] = {
            "project": {"name": project.name, "genre": project.genre, "logline": project.logline}
        }
        if "episodes" in include:
            result["episodes"] = [
                {"number": e.episode_number, "title": e.title, "synopsis": e.synopsis}
                async for e in Episode.objects.filter(project=project)
            ]
        if "characters" in include:
            result["characters"] = [
                character_summary(c) async for c in Character.objects.filter(project=project)
            ]
        if "relationships" in include:
            result["relationships"] = [
                {
                    "from": r.from_character.name,
                    "to": r.to_character.name,
                    "type": r.type,
                    "strength": r.strength,
                }
                async for r in CharacterRelationship.objects.filter(
                    from_character__project=project
                ).select_related("from_character", "to_character")
            ]
        return result


@builtin_tool
class SearchBrain(BuiltinTool):
    name = "search_brain"
    description = (
        "Search the project's brain: characters and scenes containing the words, and "
        "brain documents nearest in meaning to the query."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1, "maxLength": 500},
            "limit": {"type": "integer", "minimum": 1, "maximum": 20},
        },
        "required": ["query"],
        "additionalProperties": False,
    }

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        project = await _project(context)
        query, limit = arguments["query"], arguments.get("limit", 5)
        characters = Character.objects.filter(project=project).filter(
            Q(name__icontains=query)
            | Q(description__icontains=query)
            | Q(backstory__icontains=query)
        )
        scenes = (
            Scene.objects.filter(episode__project=project)
            .filter(
                Q(title__icontains=query)
                | Q(summary__icontains=query)
                | Q(content__icontains=query)
            )
            .select_related("episode")
        )
        return {
            "characters": [character_summary(c) async for c in characters[:limit]],
            "scenes": [scene_summary(s) async for s in scenes[:limit]],
            "documents": await _documents_like(project, query, limit),
        }


async def _documents_like(project: Project, query: str, limit: int) -> list[dict[str, Any]]:
    """Brain documents by meaning (spec 3.2); none until the pipeline has made some."""
    from brain.services import search

    hits = await search(project, query, limit=limit)
    return [
        {"type": hit.document.type, "text": hit.document.text[:500], "score": round(hit.score, 3)}
        for hit in hits
    ]


@builtin_tool
class StoreEntity(BuiltinTool):
    name = "store_entity"
    description = "Create or update a character in the project (matched by name)."
    input_schema = {
        "type": "object",
        "properties": {
            "type": {"enum": ["character"]},
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "role": {"type": "string", "maxLength": 100},
            "description": {"type": "string", "maxLength": 5000},
            "traits": {"type": "array", "items": {"type": "string"}, "maxItems": 30},
        },
        "required": ["type", "name"],
        "additionalProperties": False,
    }

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        project = await _project(context)
        defaults: dict[str, Any] = {
            key: arguments[key] for key in ("role", "description", "traits") if key in arguments
        }
        character, created = await Character.objects.aupdate_or_create(
            project=project, name=arguments["name"], defaults=defaults
        )
        return {"stored": character_summary(character), "created": created}


@builtin_tool
class CreateRelationship(BuiltinTool):
    name = "create_relationship"
    description = "Relate two existing characters of the project (RELATED_TO with a strength)."
    input_schema = {
        "type": "object",
        "properties": {
            "from": {"type": "string", "minLength": 1},
            "to": {"type": "string", "minLength": 1},
            "type": {"type": "string", "minLength": 1, "maxLength": 50},
            "strength": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["from", "to", "type", "strength"],
        "additionalProperties": False,
    }

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        project = await _project(context)
        source = await self._character(project, arguments["from"])
        target = await self._character(project, arguments["to"])
        try:
            relationship, created = await CharacterRelationship.objects.aupdate_or_create(
                from_character=source,
                to_character=target,
                type=arguments["type"],
                defaults={"strength": arguments["strength"]},
            )
        except IntegrityError as exc:
            raise ToolInputError(f"Cannot store that relationship: {exc}") from exc
        return {
            "from": source.name,
            "to": target.name,
            "type": relationship.type,
            "strength": relationship.strength,
            "created": created,
        }

    async def _character(self, project: Project, name: str) -> Character:
        try:
            return await Character.objects.aget(project=project, name=name)
        except Character.DoesNotExist:
            raise ToolInputError(
                f"No character named {name!r} in this project; store it first."
            ) from None


@builtin_tool
class GradeOutput(BuiltinTool):
    name = "grade_output"
    description = (
        "Compute the weighted overall score and decision (spec 6.1/6.2) from dimension scores."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "department": {"type": "string"},
            "level": {"enum": ["specialist", "department", "overall"]},
            "scores": {
                "type": "object",
                "properties": {
                    dimension: {"type": "number", "minimum": 0, "maximum": 100}
                    for dimension in DIMENSIONS
                },
                "required": list(BASE_DIMENSIONS),
                "additionalProperties": False,
            },
        },
        "required": ["department", "scores"],
        "additionalProperties": False,
    }

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        from engine.quality import Level, decide, overall_score

        scores = arguments["scores"]
        overall = overall_score(scores, arguments["department"])
        level = Level(arguments.get("level", "specialist"))
        return {
            "overallScore": overall,
            "decision": str(decide(overall, scores["consistency"], level)),
        }
