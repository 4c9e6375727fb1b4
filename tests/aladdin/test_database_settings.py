"""PostgreSQL connections come from a pool (each ASGI request has a thread of its own)
and prepare their statements;
SQLite keeps its per-connection settings."""

from __future__ import annotations

import json
from pathlib import Path

from tests.aladdin.test_security_settings import run_python

SHOW_OPTIONS = (
    "import json; from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
)
POSTGRES = "postgres://aladdin:secret@db.example:5432/aladdin"


def options(tmp_path: Path, **env: str) -> dict[str, object]:
    done = run_python(SHOW_OPTIONS, tmp_path, DEBUG="true", **env)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_postgresql_lends_connections_from_a_pool_by_default(tmp_path: Path) -> None:
    pool = options(tmp_path, DATABASE_URL=POSTGRES)["pool"]
    assert pool == {"min_size": 2, "max_size": 40, "timeout": 30.0}


def test_the_pool_can_be_sized_or_turned_off(tmp_path: Path) -> None:
    sized = options(tmp_path, DATABASE_URL=POSTGRES, ALADDIN_DB_POOL_MAX_SIZE="8")
    assert sized["pool"] == {"min_size": 2, "max_size": 8, "timeout": 30.0}
    assert "pool" not in options(tmp_path, DATABASE_URL=POSTGRES, ALADDIN_DB_POOL="false")


def test_a_pool_smaller_than_two_stops_start_up_with_the_variables_name(tmp_path: Path) -> None:
    done = run_python(
        SHOW_OPTIONS, tmp_path, DEBUG="true", DATABASE_URL=POSTGRES, ALADDIN_DB_POOL_MAX_SIZE="1"
    )
    assert done.returncode != 0 and "ALADDIN_DB_POOL_MAX_SIZE" in done.stderr


def test_sqlite_has_no_pool(tmp_path: Path) -> None:
    assert "pool" not in options(tmp_path)


def test_postgresql_binds_in_the_server_and_prepares_statements_by_default(
    tmp_path: Path,
) -> None:
    chosen = options(tmp_path, DATABASE_URL=POSTGRES)
    assert (chosen["server_side_binding"], chosen["prepare_threshold"]) == (True, 1)


def test_prepared_statements_can_be_turned_off_for_a_pooler(tmp_path: Path) -> None:
    chosen = options(tmp_path, DATABASE_URL=POSTGRES, ALADDIN_DB_PREPARED="false")
    assert "server_side_binding" not in chosen and "prepare_threshold" not in chosen
    assert "server_side_binding" not in options(tmp_path)  # SQLite
