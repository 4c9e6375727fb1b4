"""The data the stages hand each other, the run's result and settings, and its errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from brain.graph.base import RELATED_TO, Document, Snapshot

EventCallback = Callable[[str, dict[str, Any]], Awaitable[None]]


class PipelineError(Exception):
    """A stage could not finish; the message says why."""


@dataclass(frozen=True)
class PipelineConfig:
    relationship_threshold: float = 0.7  # confidence at which a discovered link is stored
    quality_threshold: float = 0.6  # share of quality checks a document must pass
    max_candidates: int = 40  # per kind, in the discovery prompt (spec 7.2 pruning)


@dataclass(frozen=True)
class EntityRef:
    type: str  # "project" | "episode" | "scene" | "character"
    id: str  # the row's uid, which is also the graph node id


@dataclass
class Gathered:
    ref: EntityRef
    entity: dict[str, Any]
    project_pk: int
    project_uid: str
    project: dict[str, Any]
    graph: Snapshot
    previous: Document | None


@dataclass
class Enriched:
    text: str
    metadata: dict[str, Any]
    embedding: list[float]


@dataclass(frozen=True)
class Proposal:
    kind: str
    source: str
    target: str
    type: str
    role: str
    strength: float
    confidence: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "from": self.source,
            "to": self.target,
            "confidence": self.confidence,
        }
        if self.kind == RELATED_TO:
            data.update(type=self.type, strength=self.strength)
        else:
            data["role"] = self.role
        return data


@dataclass
class PipelineResult:
    status: str  # "stored" | "rejected" (validation) | "failed" (a stage broke)
    entity: EntityRef
    document: Document | None = None
    accepted: list[Proposal] = field(default_factory=list)
    proposed: list[Proposal] = field(default_factory=list)
    # Confident links that failed validation (an endpoint the project does not have, a
    # link not involving the subject): each as_dict() with its "problems". Not stored.
    dropped: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # stage -> milliseconds
    # The vector of the entity's document text (stage enrichment) and its model's name,
    # kept even when the document is rejected: the canon ranking reuses it.
    embedding: list[float] | None = None
    embedding_model: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "stored"
