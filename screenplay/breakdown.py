"""The script breakdown: a request to the agent team (the orchestrator routes it to
the production department), recorded, judged and within budget like any other.

The team is asked to write one `ELEMENT | scene | category | name | evidence | fate`
line per element. Collecting a finished run turns those lines into proposals: one
whose evidence line is not in the scene's text is flagged and can never be
confirmed; the others wait for a person to confirm them on the scene's breakdown
page, which writes the brain's Element and SceneElement rows (and so the graph).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from brain.models import Element, ElementCategory, Project, Scene, SceneElement
from executions.models import Execution
from executions.requests import PROMPT_MAX_CHARS, validate_request
from executions.services import create_orchestration
from screenplay.models import BreakdownRun, ElementProposal

CATEGORIES = [c.value for c in ElementCategory]
ELEMENT_RE = re.compile(r"^\s*[-*]?\s*ELEMENT\s*\|(.+)$", re.MULTILINE)
CATEGORY_ALIASES = {
    "makeup": "makeup_hair", "hair": "makeup_hair", "makeup/hair": "makeup_hair",
    "sfx": "special_effects", "vfx": "visual_effects", "prop": "props", "vehicle": "vehicles",
    "animal": "animals", "extra": "extras", "background": "extras", "set dressing": "set_dressing",
    "special effects": "special_effects", "visual effects": "visual_effects",
}  # fmt: skip
FATES = {"destroyed": "destroyed", "given_away": "given_away", "given away": "given_away"}
INSTRUCTIONS = (
    "Script breakdown for the production department (breakdown sheets for scheduling "
    "and budgeting). For each scene below, list every element production must provide, "
    f"in these categories: {', '.join(CATEGORIES)}. In your report write one line per "
    "element, exactly:\nELEMENT | <scene tag> | <category> | <element name> | <the line "
    "of the scene it comes from, copied exactly> | <destroyed, given_away or empty>\n"
    "Use the last field only when the scene destroys the element or gives it away."
)


def scene_tag(scene: Scene) -> str:
    return f"E{scene.episode.episode_number}S{scene.scene_number}"


def scene_lines(scene: Scene) -> list[tuple[int | None, str]]:
    source = getattr(scene, "source", None)
    if source is not None:
        body = [(int(e[2]), str(e[1])) for e in source.elements if str(e[1]).strip()]
        return [(source.start_line, source.heading), *body]
    return [(None, line) for line in scene.content.splitlines() if line.strip()]


def scene_block(scene: Scene) -> str:
    lines = [f"line {n}: {t}" if n else t for n, t in scene_lines(scene)]
    return f"Scene {scene_tag(scene)} ({scene.title}):\n" + "\n".join(lines)


def batches(scenes: Sequence[Scene]) -> Iterator[list[Scene]]:
    """Scenes packed into requests that fit the request size limit."""
    room = PROMPT_MAX_CHARS - len(INSTRUCTIONS) - 100
    batch: list[Scene] = []
    size = 0
    for scene in scenes:
        block = len(scene_block(scene)) + 2
        if batch and size + block > room:
            yield batch
            batch, size = [], 0
        batch.append(scene)
        size += block
    if batch:
        yield batch


def prompt_for(scenes: Sequence[Scene]) -> str:
    body = "\n\n".join(scene_block(s) for s in scenes)
    text = f"{INSTRUCTIONS}\n\n{body}"
    return text[: PROMPT_MAX_CHARS - 1]


def start_breakdown(
    project: Project, scenes: Iterable[Scene], *, user_id: int | None = None
) -> list[BreakdownRun]:
    """Create one pending orchestration per batch of scenes; the caller launches them."""
    scenes = list(scenes)
    if not scenes:
        raise ValueError("There are no scenes to break down: import a script first.")
    runs = []
    for batch in batches(scenes):
        valid = validate_request(prompt_for(batch), {})
        with transaction.atomic():
            root = create_orchestration(
                project, valid.prompt, user_id=user_id, options=valid.options
            )
            run = BreakdownRun.objects.create(
                project=project, execution=root, created_by_id=user_id
            )
            run.scenes.set(batch)
        runs.append(run)
    return runs


# ----------------------------------------------------------------------- collecting
def texts_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from texts_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts_in(item)


def element_lines(root: Execution) -> list[list[str]]:
    outputs = [root.output, *Execution.objects.filter(root=root).values_list("output", flat=True)]
    found: list[list[str]] = []
    for text in (t for output in outputs for t in texts_in(output)):
        for match in ELEMENT_RE.finditer(text):
            fields = [f.strip().strip("\"'\u201c\u201d") for f in match.group(1).split("|")]
            if len(fields) >= 4:
                found.append([*fields, ""][:5])
    return found


def category_of(text: str) -> str | None:
    key = " ".join(text.lower().replace("-", " ").split())
    key = CATEGORY_ALIASES.get(key, key).replace(" ", "_")
    return key if key in CATEGORIES else None


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[\"'\u2018\u2019\u201c\u201d]", "", text).lower().split())


def evidence_line(scene: Scene, evidence: str) -> tuple[bool, int | None]:
    """Is the evidence in the scene's text, and on which line?"""
    wanted = normalise(evidence)
    if len(wanted) < 3:
        return False, None
    for number, text in scene_lines(scene):
        if wanted in normalise(text):
            return True, number
    whole = normalise(" ".join(t for _, t in scene_lines(scene)))
    return wanted in whole, None


def collect(run: BreakdownRun) -> int:
    """Turn a finished run's element lines into proposals (once); returns how many."""
    if run.status != BreakdownRun.Status.RUNNING or run.execution is None:
        return 0
    root = run.execution
    root.refresh_from_db()
    if root.status not in Execution.FINISHED:
        return 0
    if root.status != Execution.Status.COMPLETED:
        run.status, run.message = BreakdownRun.Status.FAILED, f"The run {root.status}."
        run.save(update_fields=["status", "message"])
        return 0
    scenes = {scene_tag(s): s for s in run.scenes.select_related("episode", "source")}
    made = 0
    with transaction.atomic():
        for tag, category, name, evidence, fate in element_lines(root):
            made += _propose(run, scenes.get(tag.upper().replace(" ", "")), category, name,
                             evidence, fate)  # fmt: skip
        run.status = BreakdownRun.Status.COLLECTED
        run.message = f"{made} elements proposed." if made else (
            "The team wrote no ELEMENT lines (the demo model answers with placeholders; "
            "configure a real model to get a breakdown)."
        )  # fmt: skip
        run.save(update_fields=["status", "message"])
    return made


def _propose(
    run: BreakdownRun, scene: Scene | None, category: str, name: str, evidence: str, fate: str
) -> int:
    kind = category_of(category)
    if scene is None or kind is None or not name:
        return 0
    duplicate = ElementProposal.objects.filter(
        run=run, scene=scene, category=kind, name__iexact=name
    )
    if duplicate.exists():
        return 0
    found, line = evidence_line(scene, evidence)
    ElementProposal.objects.create(
        run=run,
        scene=scene,
        category=kind,
        name=name[:200],
        evidence=evidence,
        line=line,
        fate=FATES.get(fate.lower().strip(), ""),
        status=ElementProposal.Status.PENDING if found else ElementProposal.Status.FLAGGED,
    )
    return 1


# ------------------------------------------------------------------------- reviewing
def decide(proposals: Iterable[ElementProposal], *, confirm: bool, user_id: int | None) -> int:
    """Confirm (into the canon) or reject pending proposals; flagged ones are refused."""
    done = 0
    with transaction.atomic():
        for proposal in proposals:
            if proposal.status != ElementProposal.Status.PENDING:
                continue
            if confirm:
                _make_canon(proposal)
            proposal.status = (
                ElementProposal.Status.CONFIRMED if confirm else ElementProposal.Status.REJECTED
            )
            proposal.decided_by_id, proposal.decided_at = user_id, timezone.now()
            proposal.save(update_fields=["status", "decided_by", "decided_at"])
            done += 1
    return done


def _make_canon(proposal: ElementProposal) -> None:
    project = proposal.run.project
    element, _ = Element.objects.get_or_create(
        project=project, category=proposal.category, name=proposal.name
    )
    SceneElement.objects.update_or_create(
        scene=proposal.scene,
        element=element,
        defaults={"evidence": proposal.evidence, "line": proposal.line, "fate": proposal.fate},
    )
