"""A thread that lives on outside requests (asgiref's ORM thread, the run writer's)
gets a new connection after the server dropped its own: the query that met the drop
fails, the next one works."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, connection, connections

from brain.models import Project
from tests import factories

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's own"),
]


@pytest.fixture
def long_lived_thread() -> Iterator[ThreadPoolExecutor]:
    """A thread with a connection of its own, kept between calls, like asgiref's."""
    thread = ThreadPoolExecutor(max_workers=1)
    yield thread
    thread.submit(connections.close_all).result(timeout=30)
    thread.shutdown()


def backend_pid() -> int:
    connection.ensure_connection()
    return int(connection.connection.info.backend_pid)


def projects() -> int:
    return Project.objects.count()


def drop_connection(pid: int) -> None:
    """What a restart, a failover or an idle timeout does to a connection, to one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):  # the backend leaves at once; wait until it is gone
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError(f"backend {pid} is still there")


def test_after_the_server_drops_a_threads_connection_its_next_query_works(
    long_lived_thread: ThreadPoolExecutor,
) -> None:
    factories.project()
    old = long_lived_thread.submit(backend_pid).result()
    drop_connection(old)

    with pytest.raises(OperationalError):
        long_lived_thread.submit(projects).result()
    assert long_lived_thread.submit(projects).result() == 1
    assert long_lived_thread.submit(backend_pid).result() != old


def test_a_query_error_keeps_a_live_connection(long_lived_thread: ThreadPoolExecutor) -> None:
    def bad_query() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    old = long_lived_thread.submit(backend_pid).result()
    with pytest.raises(Exception, match="no_such_table"):
        long_lived_thread.submit(bad_query).result()

    assert long_lived_thread.submit(projects).result() == 0
    assert long_lived_thread.submit(backend_pid).result() == old
