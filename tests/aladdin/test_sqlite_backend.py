"""The SQLite backend converts each statement's placeholders as Django's does, once
per text, and runs what Django's runs, `%%` escapes and named parameters included."""

from __future__ import annotations

import pytest
from django.db import connection, connections
from django.db.backends.sqlite3.base import SQLiteCursorWrapper

from aladdin.sqlite3.base import DatabaseWrapper, _qmark
from brain.models import Project
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend's own"),
]

TEXTS = [
    'SELECT "id" FROM "brain_project" WHERE "slug" = %s AND "id" IN (%s, %s)',
    "SELECT 1 WHERE 'a%%b' LIKE %s",
    "UPDATE t SET a = %s",
    "SELECT '%%s is not a placeholder'",
]


@pytest.mark.parametrize("text", TEXTS)
def test_a_text_is_converted_as_djangos_cursor_converts_it(text: str) -> None:
    with connection.cursor() as cursor:
        ours = cursor.cursor.convert_query(text)
    djangos = SQLiteCursorWrapper.convert_query(cursor.cursor, text)
    assert ours == djangos


def test_each_text_is_converted_once() -> None:
    text = "SELECT %s + %s -- counted"
    _qmark.cache_clear()
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute(text, [1, 2])
            assert cursor.fetchone() == (3,)
    info = _qmark.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_the_orm_and_raw_sql_with_escapes_and_names_run_through_it() -> None:
    project = factories.project(name="Lantern 100%")
    found = Project.objects.filter(name__contains="100%").values_list("pk", flat=True)
    assert list(found) == [project.pk]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM brain_project WHERE name LIKE '%%100%%' AND id = %s", [project.pk]
        )
        assert cursor.fetchone() == ("Lantern 100%",)
        cursor.execute("SELECT :a + :b", {"a": 2, "b": 3})
        assert cursor.fetchone() == (5,)
    assert isinstance(connections["default"], DatabaseWrapper)
