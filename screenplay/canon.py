"""The LLM canon check: each character's lines in the script against their
established canon (description, traits, backstory, relationships), one call per
character across every episode, through the product's LLM gateway (retries,
breaker, token limits and cost accounting apply). Findings become continuity
warnings of rule `canon`, keyed by character, scene and line, so a dismissal
survives a re-check that finds the same thing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from asgiref.sync import async_to_sync

from brain.models import Character, CharacterRelationship, Project
from brain.pipeline import JsonLLM
from screenplay.continuity import Finding, Rule, project_scenes, record
from screenplay.names import NameBook, project_aliases
from screenplay.parsing.base import ACTION, CHARACTER, DIALOGUE, PARENTHETICAL

MAX_LINES_PER_CHARACTER = 120
SYSTEM = (
    "You are a script supervisor checking continuity of character. Compare a "
    "character's lines and actions in a screenplay with their established canon. Report "
    "only clear contradictions of the canon (a trait, a fact, a relationship), never "
    "matters of taste. Cite the scene label and line number exactly as given."
)


def finding_schema(labels: list[str]) -> dict[str, object]:
    item = {
        "type": "object",
        "properties": {
            "scene": {"enum": labels},
            "line": {"type": "integer"},
            "issue": {"type": "string"},
        },
        "required": ["scene", "line", "issue"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"findings": {"type": "array", "items": item}},
        "required": ["findings"],
        "additionalProperties": False,
    }


@dataclass
class Excerpt:
    label: str
    scene_uid: str
    lines: list[tuple[int, str]]


def canon_text(character: Character) -> str:
    parts = [f"Name: {character.name}"]
    if character.role:
        parts.append(f"Role: {character.role}")
    if character.description:
        parts.append(f"Description: {character.description}")
    if character.traits:
        parts.append("Traits: " + ", ".join(map(str, character.traits)))
    if character.backstory:
        parts.append(f"Backstory: {character.backstory}")
    links = CharacterRelationship.objects.filter(from_character=character)
    for link in links.select_related("to_character"):
        parts.append(f"Relationship: {link.type} of {link.to_character.name}")
    return "\n".join(parts)


def excerpts(project: Project, scene_ids: set[int] | None = None) -> dict[int, list[Excerpt]]:
    """Each character's dialogue and the action lines naming them, per scene (of
    `scene_ids` only, when given)."""
    characters = {c.name.upper(): c.pk for c in Character.objects.filter(project=project)}
    infos = [i for i in project_scenes(project) if i.source is not None]
    cues = [str(e[1]) for i in infos for e in i.source.elements if e[0] == CHARACTER]  # type: ignore[union-attr]
    book = NameBook.build(cues, list(characters), project_aliases(project.settings or {}))
    if scene_ids is not None:
        infos = [i for i in infos if i.scene.pk in scene_ids]
    found: dict[int, list[Excerpt]] = defaultdict(list)
    for info in infos:
        per: dict[int, list[tuple[int, str]]] = defaultdict(list)
        speaker: int | None = None
        for kind, text, line, *_ in info.source.elements:  # type: ignore[union-attr]
            if kind == CHARACTER:
                speaker = characters.get(book.name_of(book.resolve(str(text))).upper())
            elif kind in (DIALOGUE, PARENTHETICAL) and speaker is not None:
                per[speaker].append((int(line), f"{kind}: {text}"))
            elif kind == ACTION:
                speaker = None
                for key in book.mentions(str(text)):
                    if (pk := characters.get(book.name_of(key).upper())) is not None:
                        per[pk].append((int(line), f"action: {text}"))
        for pk, lines in per.items():
            found[pk].append(Excerpt(info.label, str(info.scene.uid), lines))
    return found


def has_canon(character: Character) -> bool:
    return bool(character.description.strip() or character.traits or character.backstory)


async def check_character(
    llm: JsonLLM, character: Character, canon: str, seen: list[Excerpt]
) -> list[Finding]:
    body, budget = [], MAX_LINES_PER_CHARACTER
    for excerpt in seen:
        body.append(f"[{excerpt.label}]")
        for line, text in excerpt.lines[:budget]:
            body.append(f"line {line}: {text}")
        budget -= len(excerpt.lines)
        if budget <= 0:
            break
    prompt = f"Canon:\n{canon}\n\nIn the script:\n" + "\n".join(body)
    labels = [e.label for e in seen]
    reply = await llm(
        system=SYSTEM, prompt=prompt, schema=finding_schema(labels), schema_name="canon_check"
    )
    uid_of = {e.label: e.scene_uid for e in seen}
    return [
        Finding(
            Rule.CANON,
            f"{character.uid}:{uid_of.get(f['scene'], f['scene'])}:{f['line']}",
            f"{character.name}: {f['issue']}",
            [str(f["scene"])],
            [int(f["line"])],
        )
        for f in reply.get("findings", [])
        if f.get("scene") in uid_of
    ]


def check_canon(project: Project, llm: JsonLLM, scene_ids: set[int] | None = None) -> int:
    """Check every character with canon who appears in the script (or in these scenes,
    e.g. the ones an import added or changed); returns the open warnings afterwards."""
    per_character = excerpts(project, scene_ids)
    scope = None
    if scene_ids is not None:
        scope = {e.label for seen in per_character.values() for e in seen}
    characters = Character.objects.filter(pk__in=list(per_character))
    work = [(c, canon_text(c), per_character[c.pk]) for c in characters if has_canon(c)]

    async def run_all() -> list[Finding]:
        findings: list[Finding] = []
        for character, canon, seen in work:
            findings += await check_character(llm, character, canon, seen)
        return findings

    return record(project, async_to_sync(run_all)(), [Rule.CANON], scope)
