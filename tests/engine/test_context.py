import random

import pytest

from engine.context import lexical_similarity, prune_context


def character(name, description="", **extra):
    return {"id": f"c-{name.lower()}", "name": name, "description": description, **extra}


def scene(title, summary=""):
    return {"id": f"s-{title.lower()}", "title": title, "summary": summary, "content": ""}


def project_context(characters=(), scenes=(), relationships=(), episodes=()):
    return {
        "project": {"id": "p1", "name": "Movie XYZ", "settings": {"genre": "noir"}},
        "episodes": list(episodes),
        "scenes": list(scenes),
        "characters": list(characters),
        "relationships": list(relationships),
    }


def names(items, key="name"):
    return [item[key] for item in items]


def test_characters_named_in_the_task_come_first():
    context = project_context(
        characters=[
            character("Ada", "a detective who hunts the villain"),
            character("Vex", "the villain"),
            character("Bo", "a bartender"),
        ]
    )
    pruned = prune_context(context, "Give vex a villain backstory that the detective uncovers")
    assert names(pruned["characters"]) == ["Vex", "Ada", "Bo"]


def test_only_the_top_characters_and_scenes_are_kept():
    characters = [character(f"Extra{i}", "crowd") for i in range(12)]
    characters.append(character("Mara", "smuggler in the harbour"))
    scenes = [scene(f"Scene {i}", "a quiet street") for i in range(8)]
    scenes.append(scene("Docks", "a smuggler unloads crates at the harbour"))
    pruned = prune_context(
        project_context(characters, scenes), "Describe the harbour smuggler", max_scenes=2
    )
    assert len(pruned["characters"]) == 10
    assert pruned["characters"][0]["name"] == "Mara"
    assert names(pruned["scenes"], "title") == ["Docks", "Scene 0"]


def test_ties_keep_the_original_order():
    characters = [character(name, "same") for name in ("C", "A", "B")]
    pruned = prune_context(project_context(characters), "unrelated task")
    assert names(pruned["characters"]) == ["C", "A", "B"]


def test_relationships_are_kept_only_between_kept_characters():
    characters = [
        character("Hero", "brave hero"),
        character("Villain", "villain"),
        character("Cook"),
    ]
    relationships = [
        {"from": "Hero", "to": "Villain", "type": "enemy", "strength": 0.9},
        {"from": "c-hero", "to": "c-cook", "type": "friend"},
        {"source": "villain", "target": "hero", "type": "rival"},
        {"type": "orphan"},
    ]
    pruned = prune_context(
        project_context(characters, relationships=relationships),
        "the hero confronts the villain",
        max_characters=2,
    )
    assert names(pruned["characters"]) == ["Hero", "Villain"]
    assert [item["type"] for item in pruned["relationships"]] == ["enemy", "rival"]


def relationships_between_by_scan(relationships, kept):
    """The rule, relationship by relationship: both ends among the kept characters'
    ids or lowercased names."""
    keys = {str(c[k]).strip().lower() for c in kept for k in ("id", "name") if c.get(k)}
    found = []
    for item in relationships:
        ends = next(
            (
                (item[a], item[b])
                for a, b in (("from", "to"), ("source", "target"))
                if a in item and b in item
            ),
            None,
        )
        if ends and all(str(end).strip().lower() in keys for end in ends):
            found.append(item)
    return found


def test_relationships_of_a_large_context_read_twice_match_the_rule():
    chooser = random.Random(3)
    characters = [character(f"Name{i}", "crowd" if i % 3 else "harbour") for i in range(40)]
    ends = [*(c["id"] for c in characters), *(c["name"] for c in characters), "Nobody"]
    relationships = [
        {"from": chooser.choice(ends), "to": chooser.choice(ends), "type": f"r{n}"}
        if n % 2
        else {"source": chooser.choice(ends), "target": chooser.choice(ends), "type": f"r{n}"}
        for n in range(400)
    ]
    context = project_context(characters, relationships=relationships)
    for task in ("the harbour", "Name7 and Name8 argue", "crowd Name30"):  # one index, reused
        pruned = prune_context(context, task)
        expected = relationships_between_by_scan(relationships, pruned["characters"])
        assert pruned["relationships"] == expected and expected
    context["relationships"].append({"from": "Name0", "to": "Name3", "type": "appended"})
    pruned = prune_context(context, "Name0 Name3")
    assert pruned["relationships"][-1]["type"] == "appended"


def test_summary_counts_everything_and_says_what_is_shown():
    context = project_context(
        characters=[character(f"P{i}") for i in range(7)],
        scenes=[scene(f"S{i}") for i in range(12)],
        episodes=[{"id": "e1"}, {"id": "e2"}, {"id": "e3"}],
    )
    pruned = prune_context(context, "anything", max_characters=5)
    assert pruned["summary"] == (
        "3 episodes, 12 scenes, 7 characters; "
        "showing top 5 characters and 5 scenes by relevance to the task"
    )


def test_summary_uses_singular_nouns_for_one():
    context = project_context([character("Solo")], [scene("Only")], episodes=[{"id": "e"}])
    assert prune_context(context, "x")["summary"].startswith("1 episode, 1 scene, 1 character;")


def test_project_and_the_most_relevant_episodes_are_kept():
    pruned = prune_context(project_context(episodes=[{"id": "e1"}]), "x")
    assert pruned["project"] == {"id": "p1", "name": "Movie XYZ", "settings": {"genre": "noir"}}
    assert set(pruned) == {
        "project",
        "episodes",
        "characters",
        "scenes",
        "relationships",
        "summary",
    }
    assert pruned["episodes"] == [{"id": "e1"}]


def test_an_episode_named_by_number_comes_first_and_so_do_its_scenes():
    episodes = [
        {"id": f"e{n}", "number": n, "title": f"Part {n}", "synopsis": ""} for n in range(1, 6)
    ]
    scenes = [
        {**scene(f"Scene {n}", "a storm"), "episode": 1 + n % 5, "number": n} for n in range(1, 9)
    ]
    pruned = prune_context(
        project_context(scenes=scenes, episodes=episodes),
        "Create a villain for episode 4",
        max_scenes=2,
        max_episodes=1,
    )
    assert names(pruned["episodes"], "title") == ["Part 4"]
    assert {s["episode"] for s in pruned["scenes"]} == {4}


def test_missing_or_malformed_sections_are_treated_as_empty():
    pruned = prune_context({"characters": None, "scenes": ["not a dict"]}, "x")
    assert pruned["characters"] == [] and pruned["scenes"] == [] and pruned["project"] == {}
    assert pruned["summary"].startswith("0 episodes, 0 scenes, 0 characters")


def test_pruned_entities_are_copies():
    context = project_context([character("Ada")])
    prune_context(context, "Ada")["characters"][0]["name"] = "changed"
    assert context["characters"][0]["name"] == "Ada"


def test_a_custom_similarity_replaces_the_lexical_one():
    characters = [character("A", "x"), character("B", "y"), character("C", "z")]

    def prefers_z(task, text):
        return 1.0 if "z" in text.split() else 0.0

    pruned = prune_context(project_context(characters), "task", similarity=prefers_z)
    assert names(pruned["characters"]) == ["C", "A", "B"]


def test_lexical_similarity_ignores_case_and_stopwords():
    assert lexical_similarity("The HARBOUR smuggler", "a smuggler at the harbour") == 1.0
    assert lexical_similarity("the a of", "the a of") == 0.0
    assert lexical_similarity("harbour smuggler", "harbour") == 0.5


def test_negative_limits_are_refused():
    with pytest.raises(ValueError):
        prune_context(project_context(), "x", max_scenes=-1)
