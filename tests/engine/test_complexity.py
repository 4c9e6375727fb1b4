import pytest

from engine.complexity import ModelTier, assess_complexity, stronger, tier_for_score


def test_a_short_plain_task_scores_zero():
    result = assess_complexity("Name the villain", {"project": {"name": "X"}})
    assert (result.score, result.factors) == (0, ())


def test_a_long_task_adds_twenty():
    assert assess_complexity("x" * 501, None).factors == ("Long task description",)
    assert assess_complexity("x" * 501, None).score == 20
    assert assess_complexity("x" * 500, None).score == 0


def test_a_large_context_adds_twenty_five():
    big = {"notes": "y" * 10_000}
    result = assess_complexity("Name the villain", big)
    assert (result.score, result.factors) == (25, ("Large context",))


def test_context_size_is_measured_like_json_stringify():
    # {"n":"…"} is 8 characters of JSON around the text.
    assert assess_complexity("t", {"n": "é" * 9992}).score == 0
    assert assess_complexity("t", {"n": "é" * 9993}).score == 25


def test_each_complexity_keyword_adds_ten_and_is_named():
    result = assess_complexity("Analyze and SYNTHESIZE a creative arc", None)
    assert result.score == 30
    assert result.factors == ("Complex requirements: analyze, synthesize, creative",)


def test_more_than_three_steps_adds_fifteen():
    assert assess_complexity("Outline; draft; revise", None).score == 0
    result = assess_complexity("Outline; draft and then revise; next polish", None)
    assert (result.score, result.factors) == (15, ("Multi-step task",))


def test_newlines_count_as_step_separators():
    assert assess_complexity("one\ntwo\nthree\nfour", None).score == 15


def test_all_factors_together_reach_one_hundred():
    task = "Analyze, synthesize, creative and comprehensive; " + "a; " * 200
    result = assess_complexity(task, {"text": "z" * 20_000})
    assert result.score == 100
    assert len(result.factors) == 4


@pytest.mark.parametrize(
    ("score", "tier"),
    [
        (0, ModelTier.SIMPLE),
        (29, ModelTier.SIMPLE),
        (30, ModelTier.STANDARD),
        (69, ModelTier.STANDARD),
        (70, ModelTier.PREMIUM),
        (100, ModelTier.PREMIUM),
    ],
)
def test_tier_for_score_uses_the_spec_cut_offs(score, tier):
    assert tier_for_score(score) is tier


def test_stronger_moves_one_tier_up_and_stops_at_premium():
    assert stronger(ModelTier.SIMPLE) is ModelTier.STANDARD
    assert stronger(ModelTier.STANDARD) is ModelTier.PREMIUM
    assert stronger(ModelTier.PREMIUM) is ModelTier.PREMIUM
