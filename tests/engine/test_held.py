"""engine.held.HeldByIdentity: made once per object in use, again when it grows."""

from __future__ import annotations

from engine.held import HeldByIdentity


def test_an_object_is_made_from_once_while_it_is_the_same_and_the_same_size() -> None:
    made: list[list[int]] = []

    def size(source: list[int]) -> int:
        made.append(source)
        return len(source)

    held = HeldByIdentity(size, kept=2)
    shared, equal = [1, 2], [1, 2]

    assert held.get(shared) == 2 and held.get(shared) == 2
    assert held.get(equal) == 2  # equal but another object: made for itself
    shared.append(3)
    assert held.get(shared) == 3  # grew in place: made again

    assert made == [[1, 2, 3], [1, 2], [1, 2, 3]]


def test_the_least_recently_made_is_dropped_past_the_limit() -> None:
    calls: list[int] = []

    def identity(source: list[int]) -> int:
        calls.append(id(source))
        return id(source)

    held = HeldByIdentity(identity, kept=2)
    first, second, third = [0], [1], [2]
    for source in (first, second, third, first):
        held.get(source)

    assert calls == [id(first), id(second), id(third), id(first)]
