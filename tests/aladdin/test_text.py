from aladdin.text import plural


def test_plural_agrees_with_the_count_and_groups_thousands() -> None:
    assert plural(1, "scene") == "1 scene"
    assert plural(0, "scene") == "0 scenes"
    assert plural(45500, "token") == "45,500 tokens"
    assert plural(2, "entity", "entities") == "2 entities"
