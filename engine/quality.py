"""Quality scoring (spec 6): weights, thresholds, decisions and the LLM judge.

The judge (an LLM) only supplies dimension scores. The overall score and the
decision are always computed here from those scores, so a judge that rounds
generously or contradicts itself cannot wave weak output through.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from engine.errors import AladdinError, ErrorType

BASE_DIMENSIONS: Final = ("quality", "relevance", "consistency", "completeness")
DIMENSIONS: Final = (*BASE_DIMENSIONS, "creativity", "technical")

# Spec 6.1.
DEPARTMENT_WEIGHTS: Final[Mapping[str, Mapping[str, float]]] = {
    "story": {
        "quality": 0.30,
        "relevance": 0.25,
        "consistency": 0.20,
        "completeness": 0.15,
        "creativity": 0.10,
    },
    "character": {
        "quality": 0.30,
        "relevance": 0.20,
        "consistency": 0.25,
        "completeness": 0.15,
        "creativity": 0.10,
    },
    "visual": {
        "quality": 0.35,
        "relevance": 0.20,
        "consistency": 0.20,
        "completeness": 0.15,
        "technical": 0.10,
    },
    "video": {
        "quality": 0.30,
        "relevance": 0.15,
        "consistency": 0.15,
        "completeness": 0.20,
        "technical": 0.20,
    },
    "audio": {
        "quality": 0.35,
        "relevance": 0.15,
        "consistency": 0.15,
        "completeness": 0.15,
        "technical": 0.20,
    },
    "production": {
        "quality": 0.25,
        "relevance": 0.25,
        "consistency": 0.20,
        "completeness": 0.30,
    },
}

# Departments added in the admin beyond the spec's six get equal weights.
DEFAULT_WEIGHTS: Final[Mapping[str, float]] = dict.fromkeys(BASE_DIMENSIONS, 0.25)

CREATIVE_DEPARTMENTS: Final = frozenset({"story", "character"})
TECHNICAL_DEPARTMENTS: Final = frozenset({"video", "audio", "visual"})


class Level(StrEnum):
    SPECIALIST = "specialist"
    DEPARTMENT = "department"
    OVERALL = "overall"


# Spec 6.2.
THRESHOLDS: Final[Mapping[str, Mapping[str, float]]] = {
    Level.SPECIALIST: {"minimum": 60, "acceptable": 70, "good": 80, "excellent": 90},
    Level.DEPARTMENT: {"minimum": 65, "acceptable": 75, "good": 85, "excellent": 92},
    Level.OVERALL: {"minimum": 70, "acceptable": 80, "good": 88, "excellent": 95},
    "consistency": {"minimum": 60, "acceptable": 75, "good": 85},
}


class Decision(StrEnum):
    REJECT = "reject"
    RETRY = "retry"
    ACCEPT_WITH_REVISION = "accept-with-revision"
    ACCEPT = "accept"
    EXEMPLARY = "exemplary"

    @property
    def is_accepted(self) -> bool:
        return self in _ACCEPTED


_ACCEPTED: Final = frozenset({Decision.ACCEPT_WITH_REVISION, Decision.ACCEPT, Decision.EXEMPLARY})


def _normalise(department: str) -> str:
    return department.strip().lower()


def weights_for(department: str) -> Mapping[str, float]:
    return DEPARTMENT_WEIGHTS.get(_normalise(department), DEFAULT_WEIGHTS)


def overall_score(scores: Mapping[str, float | None], department: str) -> float:
    """Weighted mean over the dimensions present (spec calculateOverallScore)."""
    total = 0.0
    weight_sum = 0.0
    for dimension, weight in weights_for(department).items():
        score = scores.get(dimension)
        if score is not None:
            total += score * weight
            weight_sum += weight
    return round(total / weight_sum, 2) if weight_sum > 0 else 0.0


def decide(overall: float, consistency: float, level: Level) -> Decision:
    """Spec getQualityDecision: consistency first, then the level's bands."""
    bands = THRESHOLDS[Level(level)]
    consistency_bands = THRESHOLDS["consistency"]
    if consistency < consistency_bands["minimum"]:
        return Decision.RETRY
    if overall < bands["minimum"]:
        return Decision.REJECT
    if overall < bands["acceptable"]:
        return Decision.RETRY
    if overall < bands["good"]:
        if consistency >= consistency_bands["good"]:
            return Decision.ACCEPT
        return Decision.ACCEPT_WITH_REVISION
    if overall < bands["excellent"]:
        return Decision.ACCEPT
    return Decision.EXEMPLARY


def judge_dimensions(department: str) -> list[str]:
    """Dimensions the judge scores for `department` (spec 6.3)."""
    department = _normalise(department)
    dimensions = list(BASE_DIMENSIONS)
    if department in CREATIVE_DEPARTMENTS:
        dimensions.append("creativity")
    if department in TECHNICAL_DEPARTMENTS:
        dimensions.append("technical")
    return dimensions


_PROMPT_DIMENSIONS = """\
1. QUALITY (0-100): How well-crafted and professional is the output?
   - Grammar, clarity, structure
   - Attention to detail
   - Polish and refinement

2. RELEVANCE (0-100): How well does it address the task?
   - Directly answers the prompt
   - Stays on topic
   - Provides requested information

3. CONSISTENCY (0-100): How consistent is it with existing project data?
   - Matches established facts
   - Consistent with character traits
   - Aligns with story direction

4. COMPLETENESS (0-100): How thorough is the output?
   - All requested elements present
   - Sufficient detail
   - No major gaps
"""

_PROMPT_CREATIVITY = """\
5. CREATIVITY (0-100): How creative and engaging is it?
   - Original ideas
   - Interesting concepts
   - Compelling narrative
"""

_PROMPT_TECHNICAL = """\
5. TECHNICAL (0-100): How technically sound is it?
   - Follows technical standards
   - Feasible to implement
   - Production-ready quality
"""


def _reply_shape(department: str) -> str:
    lines = [
        "{",
        '  "qualityScore": number,',
        '  "relevanceScore": number,',
        '  "consistencyScore": number,',
        '  "completenessScore": number,',
    ]
    lines += [f'  "{dimension}Score": number,' for dimension in judge_dimensions(department)[4:]]
    lines += [
        '  "overallScore": number,',
        '  "confidence": number (0-1),',
        '  "issues": string[],',
        '  "suggestions": string[],',
        '  "decision": "reject" | "retry" | "accept-with-revision" | "accept" | "exemplary",',
        '  "reasoning": string',
        "}",
    ]
    return "\n".join(lines)


def judge_prompt(department: str, task: str, output: str, context: str) -> str:
    """The spec 6.3 assessment prompt, without the template's empty lines."""
    extra = judge_dimensions(department)[4:]
    sections = [
        f"You are a quality assessment expert for the {department} department.",
        "Evaluate the following output on these dimensions:",
        _PROMPT_DIMENSIONS.rstrip(),
    ]
    if "creativity" in extra:
        sections.append(_PROMPT_CREATIVITY.rstrip())
    if "technical" in extra:
        sections.append(_PROMPT_TECHNICAL.rstrip())
    sections += [
        f"TASK:\n{task}",
        f"OUTPUT TO EVALUATE:\n{output}",
        f"EXISTING PROJECT CONTEXT:\n{context}",
        f"Provide your assessment as JSON:\n{_reply_shape(department)}",
    ]
    return "\n\n".join(sections) + "\n"


def _score_property(maximum: float) -> dict[str, Any]:
    return {"type": "number", "minimum": 0, "maximum": maximum}


def judge_schema(department: str) -> dict[str, Any]:
    """JSON Schema of the judge's reply, strict enough for structured outputs."""
    properties: dict[str, Any] = {
        f"{dimension}Score": _score_property(100) for dimension in judge_dimensions(department)
    }
    properties["overallScore"] = _score_property(100)
    properties["confidence"] = _score_property(1)
    properties["issues"] = {"type": "array", "items": {"type": "string"}}
    properties["suggestions"] = {"type": "array", "items": {"type": "string"}}
    properties["decision"] = {"type": "string", "enum": [decision.value for decision in Decision]}
    properties["reasoning"] = {"type": "string"}
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _number(data: Mapping[str, Any], key: str) -> float | None:
    """The finite number at `key` (numeric strings accepted), None if absent."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _invalid(key, value)
    try:
        number = float(value)
    except ValueError:
        raise _invalid(key, value) from None
    if not math.isfinite(number):
        raise _invalid(key, value)
    return number


def _invalid(key: str, value: Any) -> AladdinError:
    return AladdinError(
        ErrorType.VALIDATION_ERROR,
        f"judge reply field {key!r} must be a number, got {value!r}",
        details={"field": key},
    )


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list | tuple):
        return tuple(str(item) for item in value)
    return (str(value),)


def _decision(value: Any) -> Decision | None:
    try:
        return Decision(value)
    except ValueError:
        return None


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


@dataclass(frozen=True)
class JudgeVerdict:
    scores: dict[str, float]  # keyed by dimension: quality, relevance, ...
    confidence: float
    issues: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    reasoning: str = ""
    # What the judge said it would decide; kept for display only.
    judge_decision: Decision | None = None

    @classmethod
    def from_reply(cls, data: Mapping[str, Any], department: str) -> JudgeVerdict:
        """Parse a judge reply (spec 6.3 shape); clamp scores into range."""
        if not isinstance(data, Mapping):
            raise AladdinError(
                ErrorType.VALIDATION_ERROR,
                f"judge reply must be a JSON object, got {type(data).__name__}",
            )
        scores: dict[str, float] = {}
        missing: list[str] = []
        for dimension in judge_dimensions(department):
            score = _number(data, f"{dimension}Score")
            if score is None:
                missing.append(f"{dimension}Score")
            else:
                scores[dimension] = _clamp(score, 0.0, 100.0)
        if missing:
            raise AladdinError(
                ErrorType.VALIDATION_ERROR,
                f"judge reply is missing required scores: {', '.join(missing)}",
                details={"missing": missing},
            )
        confidence = _number(data, "confidence")
        return cls(
            scores=scores,
            confidence=_clamp(confidence, 0.0, 1.0) if confidence is not None else 0.0,
            issues=_strings(data.get("issues")),
            suggestions=_strings(data.get("suggestions")),
            reasoning=str(data.get("reasoning") or ""),
            judge_decision=_decision(data.get("decision")),
        )

    def overall(self, department: str) -> float:
        return overall_score(self.scores, department)

    def decision(self, department: str, level: Level) -> Decision:
        return decide(self.overall(department), self.scores["consistency"], level)
