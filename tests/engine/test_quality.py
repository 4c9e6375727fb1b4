import json

import jsonschema
import pytest

from engine.errors import AladdinError, ErrorType
from engine.quality import (
    DEPARTMENT_WEIGHTS,
    THRESHOLDS,
    Decision,
    JudgeVerdict,
    Level,
    decide,
    judge_dimensions,
    judge_prompt,
    judge_schema,
    overall_score,
)

BANDS = {
    Level.SPECIALIST: (60, 70, 80, 90),
    Level.DEPARTMENT: (65, 75, 85, 92),
    Level.OVERALL: (70, 80, 88, 95),
}


def band_cases():
    for level, (minimum, acceptable, good, excellent) in BANDS.items():
        yield level, minimum - 0.01, 90, Decision.REJECT
        yield level, minimum, 90, Decision.RETRY
        yield level, acceptable - 0.01, 90, Decision.RETRY
        yield level, acceptable, 84.99, Decision.ACCEPT_WITH_REVISION
        yield level, acceptable, 85, Decision.ACCEPT
        yield level, good - 0.01, 60, Decision.ACCEPT_WITH_REVISION
        yield level, good, 60, Decision.ACCEPT
        yield level, excellent - 0.01, 60, Decision.ACCEPT
        yield level, excellent, 60, Decision.EXEMPLARY
        yield level, 100, 60, Decision.EXEMPLARY


@pytest.mark.parametrize(("level", "overall", "consistency", "expected"), list(band_cases()))
def test_decision_follows_the_spec_bands_for_each_level(level, overall, consistency, expected):
    assert decide(overall, consistency, level) is expected


@pytest.mark.parametrize("level", list(Level))
def test_low_consistency_means_retry_whatever_the_overall_score(level):
    assert decide(100, 59.99, level) is Decision.RETRY
    assert decide(10, 59.99, level) is Decision.RETRY


def test_thresholds_match_the_spec():
    for level, (minimum, acceptable, good, excellent) in BANDS.items():
        assert THRESHOLDS[level] == {
            "minimum": minimum,
            "acceptable": acceptable,
            "good": good,
            "excellent": excellent,
        }
    assert THRESHOLDS["consistency"] == {"minimum": 60, "acceptable": 75, "good": 85}


def test_only_the_three_accepting_decisions_count_as_accepted():
    accepted = {decision for decision in Decision if decision.is_accepted}
    assert accepted == {Decision.ACCEPT_WITH_REVISION, Decision.ACCEPT, Decision.EXEMPLARY}


def test_department_weights_match_the_spec_and_sum_to_one():
    assert DEPARTMENT_WEIGHTS["story"] == {
        "quality": 0.30,
        "relevance": 0.25,
        "consistency": 0.20,
        "completeness": 0.15,
        "creativity": 0.10,
    }
    assert DEPARTMENT_WEIGHTS["audio"]["technical"] == 0.20
    assert DEPARTMENT_WEIGHTS["production"]["completeness"] == 0.30
    assert set(DEPARTMENT_WEIGHTS) == {
        "story",
        "character",
        "visual",
        "video",
        "audio",
        "production",
    }
    for weights in DEPARTMENT_WEIGHTS.values():
        assert sum(weights.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("department", "expected"),
    [
        # quality 100, others 0: the score is the department's quality weight.
        ("story", 30.0),
        ("character", 30.0),
        ("visual", 35.0),
        ("video", 30.0),
        ("audio", 35.0),
        ("production", 25.0),
        ("marketing", 25.0),
    ],
)
def test_overall_score_weights_dimensions_per_department(department, expected):
    scores = {"quality": 100, "relevance": 0, "consistency": 0, "completeness": 0}
    scores |= {"creativity": 0, "technical": 0}
    assert overall_score(scores, department) == expected


def test_overall_score_averages_only_the_dimensions_present():
    # story: quality 0.30 at 90, relevance 0.25 at 60 -> (27 + 15) / 0.55
    assert overall_score({"quality": 90, "relevance": 60, "creativity": None}, "story") == 76.36


def test_overall_score_ignores_dimensions_the_department_does_not_weigh():
    scores = {"quality": 80, "relevance": 80, "consistency": 80, "completeness": 80}
    assert overall_score(scores | {"creativity": 0}, "production") == 80.0


def test_overall_score_is_zero_without_scores():
    assert overall_score({}, "story") == 0.0


def test_creative_and_technical_departments_get_their_extra_dimension():
    base = ["quality", "relevance", "consistency", "completeness"]
    assert judge_dimensions("story") == [*base, "creativity"]
    assert judge_dimensions("Character") == [*base, "creativity"]
    for department in ("visual", "video", "audio"):
        assert judge_dimensions(department) == [*base, "technical"]
    assert judge_dimensions("production") == base
    assert judge_dimensions("marketing") == base


def test_judge_prompt_carries_the_spec_text_and_inputs():
    prompt = judge_prompt("story", "Write a villain", "Meet Vex.", "Hero: Ada")
    assert prompt.startswith("You are a quality assessment expert for the story department.")
    assert "1. QUALITY (0-100): How well-crafted and professional is the output?" in prompt
    assert "5. CREATIVITY (0-100): How creative and engaging is it?" in prompt
    assert "TECHNICAL" not in prompt
    assert "TASK:\nWrite a villain" in prompt
    assert "OUTPUT TO EVALUATE:\nMeet Vex." in prompt
    assert "EXISTING PROJECT CONTEXT:\nHero: Ada" in prompt
    assert '"creativityScore": number,' in prompt
    assert '"confidence": number (0-1),' in prompt
    assert (
        '"decision": "reject" | "retry" | "accept-with-revision" | "accept" | "exemplary",'
        in prompt
    )


def test_judge_prompt_asks_technical_departments_for_a_technical_score():
    prompt = judge_prompt("audio", "t", "o", "c")
    assert "5. TECHNICAL (0-100): How technically sound is it?" in prompt
    assert '"technicalScore": number,' in prompt
    assert "creativity" not in prompt.lower()


def test_judge_prompt_keeps_braces_in_user_text_intact():
    prompt = judge_prompt("production", "{task}", '{"a": 1}', "{}")
    assert '{"a": 1}' in prompt
    assert "5." not in prompt


def reply(**overrides):
    data = {
        "qualityScore": 82,
        "relevanceScore": 90,
        "consistencyScore": 88,
        "completenessScore": 75,
        "creativityScore": 70,
        "overallScore": 99,
        "confidence": 0.8,
        "issues": ["pacing"],
        "suggestions": ["tighten act two"],
        "decision": "exemplary",
        "reasoning": "solid",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("department", "extra"),
    [("story", "creativityScore"), ("video", "technicalScore"), ("production", None)],
)
def test_judge_schema_requires_every_key_of_the_department_reply(department, extra):
    schema = judge_schema(department)
    jsonschema.Draft202012Validator.check_schema(schema)
    expected = {
        "qualityScore",
        "relevanceScore",
        "consistencyScore",
        "completenessScore",
        "overallScore",
        "confidence",
        "issues",
        "suggestions",
        "decision",
        "reasoning",
    } | ({extra} if extra else set())
    assert set(schema["properties"]) == expected
    assert set(schema["required"]) == expected
    assert schema["additionalProperties"] is False
    assert schema["properties"]["decision"]["enum"] == [
        "reject",
        "retry",
        "accept-with-revision",
        "accept",
        "exemplary",
    ]


def test_judge_schema_accepts_a_valid_reply_and_rejects_out_of_range_scores():
    validator = jsonschema.Draft202012Validator(judge_schema("story"))
    assert validator.is_valid(reply())
    assert not validator.is_valid(reply(qualityScore=101))
    assert not validator.is_valid(reply(confidence=1.5))
    assert not validator.is_valid(reply(extra="x"))
    json.dumps(judge_schema("story"))


def test_verdict_parses_scores_by_dimension():
    verdict = JudgeVerdict.from_reply(reply(), "story")
    assert verdict.scores == {
        "quality": 82,
        "relevance": 90,
        "consistency": 88,
        "completeness": 75,
        "creativity": 70,
    }
    assert verdict.confidence == 0.8
    assert verdict.issues == ("pacing",)
    assert verdict.suggestions == ("tighten act two",)
    assert verdict.reasoning == "solid"
    assert verdict.judge_decision is Decision.EXEMPLARY


def test_verdict_decision_is_computed_from_scores_not_taken_from_the_judge():
    verdict = JudgeVerdict.from_reply(reply(), "story")
    # 82*.3 + 90*.25 + 88*.2 + 75*.15 + 70*.1 = 82.95
    assert verdict.overall("story") == 82.95
    assert verdict.decision("story", Level.SPECIALIST) is Decision.ACCEPT
    assert verdict.decision("story", Level.OVERALL) is Decision.ACCEPT


def test_verdict_sends_inconsistent_output_back_even_if_the_judge_loved_it():
    verdict = JudgeVerdict.from_reply(reply(consistencyScore=40), "story")
    assert verdict.decision("story", Level.SPECIALIST) is Decision.RETRY


def test_verdict_clamps_scores_and_confidence_into_range():
    verdict = JudgeVerdict.from_reply(
        reply(qualityScore=140, relevanceScore=-5, confidence=7), "story"
    )
    assert verdict.scores["quality"] == 100
    assert verdict.scores["relevance"] == 0
    assert verdict.confidence == 1.0


def test_verdict_accepts_numeric_strings_and_tolerates_odd_optional_fields():
    data = reply(qualityScore="77.5", issues="one issue", suggestions=None, decision="great")
    del data["confidence"]
    verdict = JudgeVerdict.from_reply(data, "story")
    assert verdict.scores["quality"] == 77.5
    assert verdict.issues == ("one issue",)
    assert verdict.suggestions == ()
    assert verdict.judge_decision is None
    assert verdict.confidence == 0.0


def test_verdict_refuses_a_reply_missing_required_scores():
    data = reply()
    del data["creativityScore"]
    del data["relevanceScore"]
    with pytest.raises(AladdinError) as caught:
        JudgeVerdict.from_reply(data, "story")
    assert caught.value.type is ErrorType.VALIDATION_ERROR
    assert "relevanceScore" in str(caught.value)
    assert "creativityScore" in str(caught.value)


def test_verdict_requires_the_technical_score_only_for_technical_departments():
    with pytest.raises(AladdinError, match="technicalScore"):
        JudgeVerdict.from_reply(reply(), "visual")
    assert "creativity" not in JudgeVerdict.from_reply(reply(), "production").scores


@pytest.mark.parametrize("bad", ["high", True, [80], float("nan")])
def test_verdict_refuses_non_numeric_scores(bad):
    with pytest.raises(AladdinError) as caught:
        JudgeVerdict.from_reply(reply(qualityScore=bad), "story")
    assert caught.value.type is ErrorType.VALIDATION_ERROR
    assert "qualityScore" in str(caught.value)


def test_verdict_refuses_a_reply_that_is_not_an_object():
    with pytest.raises(AladdinError, match="JSON object"):
        JudgeVerdict.from_reply(["not", "an", "object"], "story")  # type: ignore[arg-type]
