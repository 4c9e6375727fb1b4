"""Bypass attempts on the Cypher console, against the real Neo4j.

Each attempt is refused by the text guard AND, sent straight past it, by the plan
check (Neo4j's own EXPLAIN) or Neo4j itself; what is read-only but expensive is
stopped by the console's timeout or the server's memory limit.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from brain.graph.base import CHARACTER, RELATED_TO, Edge, GraphError, Node, Plan
from brain.graph.cypher_guard import CypherRejected, check_read_only
from brain.graph.neo4j_backend import Neo4jBackend
from tests.brain.helpers import new_id, wipe
from tests.conftest import service_url

pytestmark = pytest.mark.neo4j

PASSWD = "file:///etc/passwd"
LOAD = f"LOAD CSV FROM '{PASSWD}' AS row RETURN row"

# Refused by the text guard, and by the plan (or Neo4j) when sent past the guard.
PLAN_REFUSES = {
    # LOAD CSV in every form
    "load csv": LOAD,
    "load csv with headers": f"LOAD CSV WITH HEADERS FROM '{PASSWD}' AS row RETURN row",
    "load csv with a field terminator": f"{LOAD[:-11]} FIELDTERMINATOR ':' RETURN row",
    "lower-case load csv over http": "load csv from 'http://127.0.0.1:9/x.csv' as row return row",
    "load csv from a variable": f"WITH '{PASSWD}' AS u LOAD CSV FROM u AS row RETURN row",
    "load csv of the process environment": (
        "LOAD CSV FROM 'file:///proc/self/environ' AS row RETURN row"
    ),
    "load csv in a subquery": f"CALL () {{ {LOAD} }} RETURN row",
    "load csv in an old-style subquery": f"CALL {{ {LOAD} }} RETURN row",
    "load csv after union": f"RETURN ['x'] AS row UNION {LOAD}",
    "load csv without spaces": f"/**/LOAD/**/CSV/**/FROM'{PASSWD}'AS row RETURN row",
    # line terminators ending a // comment
    "carriage return ends a comment": f"WITH 1 AS a // x\r{LOAD}",
    "crlf ends a comment": f"WITH 1 AS a // x\r\n{LOAD}",
    "line separator": f"WITH 1 AS a // x\u2028{LOAD}",
    "paragraph separator": f"WITH 1 AS a // x\u2029{LOAD}",
    "next line": f"WITH 1 AS a // x\u0085{LOAD}",
    "vertical tab": f"WITH 1 AS a // x\x0b{LOAD}",
    # unicode escapes, read before anything else
    "escaped newline ends a comment": f"WITH 1 AS a // x\\u000a{LOAD}",
    "escaped quote closes a string": (
        "WITH 'a\\u0027 AS a LOAD CSV FROM \\u0027file:///etc/passwd\\u0027 AS row RETURN row //'"
    ),
    "escaped backtick closes a name": f"WITH 1 AS `a\\u0060 {LOAD} //`",
    "escaped keyword": "\\u004cOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "escaped slashes start no comment here": f"WITH 1 AS a \\u002f* x *\\u002f {LOAD}",
    # comments and strings
    "nested block comment": f"WITH 1 AS a /* /* */ {LOAD} //*/",
    "escaped backslash closes a string": f'WITH "\\\\" AS a {LOAD}',
    "doubled backtick": f"WITH 1 AS `a``` {LOAD}",
    # procedures
    "dbms.listConfig": "CALL dbms.listConfig() YIELD name, value RETURN name, value",
    "backticked dbms.listConfig": "CALL `dbms`.`listConfig`()",
    "dbms.components": "CALL dbms.components()",
    "db.clearQueryCaches": "CALL db.clearQueryCaches()",
    "db.createLabel": "CALL db.createLabel('Pwned')",
    "tx.setMetaData": "CALL tx.setMetaData({who: 'x'})",
    "vector property write": (
        "MATCH (n) CALL db.create.setNodeVectorProperty(n, 'embedding', [1.0]) RETURN n"
    ),
    "procedure in a subquery": "CALL () { CALL dbms.listConfig() YIELD name RETURN name } "
    "RETURN name",
    # SHOW and admin commands
    "show users": "SHOW USERS",
    "show settings": "SHOW SETTINGS YIELD name, value RETURN name, value",
    "show transactions": "SHOW TRANSACTIONS",
    "show databases": "SHOW DATABASES",
    "show procedures": "SHOW PROCEDURES",
    "show current user": "SHOW CURRENT USER",
    "use system": "USE system SHOW USERS",
    "terminate": "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
    "create index": "CREATE INDEX pwned FOR (n:Pwned) ON (n.x)",
    "drop index": "DROP INDEX character_name",
    "create user": "CREATE USER pwned SET PASSWORD 'pwned-pwned' CHANGE NOT REQUIRED",
    "alter user": "ALTER USER neo4j SET PASSWORD 'pwned-pwned'",
    "create database": "CREATE DATABASE pwned",
    # writes, also in CALL subqueries
    "create": "CREATE (:Character {id: $marker, projectId: $marker})",
    "merge": "MERGE (:Character {id: $marker, projectId: $marker})",
    "write in a subquery": "CALL () { CREATE (:Character {id: $marker, projectId: $marker}) }",
    "subquery in transactions": (
        "UNWIND [1] AS i CALL (i) { CREATE (:Character {id: $marker, projectId: $marker}) } "
        "IN TRANSACTIONS OF 1 ROW"
    ),
    "read in transactions": "CALL () { MATCH (n) RETURN n } IN TRANSACTIONS RETURN count(n)",
    "foreach": "FOREACH (i IN [1] | CREATE (:Character {id: $marker, projectId: $marker}))",
    "set": "MATCH (n:Character) SET n.pwned = true",
    "remove": "MATCH (n:Character) REMOVE n.name",
    "detach delete": "MATCH (n:Character {id: $marker}) DETACH DELETE n",
    "two statements": "RETURN 1 AS x; CREATE (:Character {id: $marker, projectId: $marker})",
    # expensive expressions the transaction timeout cannot stop
    "reduce over two million": (
        "RETURN size(reduce(s='', x IN range(1,2000000) | s+'xxxxxxxxxx')) AS n"
    ),
    "reduce backticked and cased": "RETURN size(REDUCE(s = '', x IN `range`(1, 9) | s + 'x'))",
}

# Refused by the text guard only: sent past it they would run for hours inside one
# expression, so they are never sent.
TEXT_REFUSES = {
    "comprehension over a huge range": "RETURN size([x IN range(1, 2000000000) WHERE x < 0])",
    "computed range bound": "RETURN size([x IN range(1, toInteger('9' + '000000000')) | x])",
    "range over a parameter": "UNWIND range(1, $n) AS x RETURN count(x)",
    "escaped range": "RETURN size([x IN r\\u0061nge(1, 2000000000) | x])",
    "nested comprehension": (
        "MATCH (n) WITH collect(n.id) AS ids "
        "RETURN size([a IN ids | size([b IN ids WHERE b < a])]) AS n"
    ),
    "nested quantifier": (
        "MATCH (n) WITH collect(n.id) AS ids RETURN all(a IN ids WHERE any(b IN ids WHERE b = a))"
    ),
}

# Read-only, so both checks pass them; the console's timeout or Neo4j's memory limit
# stops them. $p is a project of CROWD characters, each related to the next few.
CROWD = 300
STOPPED = {
    "four-way cartesian product": (
        "MATCH (a:Character {projectId: $p}), (b:Character {projectId: $p}), "
        "(c:Character {projectId: $p}), (d:Character {projectId: $p}) "
        "WHERE a.name + b.name + c.name + d.name = 'none' RETURN count(*) AS n"
    ),
    "variable-length path explosion": (
        "MATCH p = (a:Character {projectId: $p})-[:RELATED_TO*1..25]-(b) RETURN count(p) AS n"
    ),
    "collecting millions of strings": (
        "MATCH (a:Character {projectId: $p}), (b:Character {projectId: $p}), "
        "(c:Character {projectId: $p}) WITH collect(a.name + b.name + c.name) AS l "
        "RETURN size(l) AS n"
    ),
    "sorting billions of rows": (
        "MATCH (a:Character {projectId: $p}), (b:Character {projectId: $p}), "
        "(c:Character {projectId: $p}), (d:Character {projectId: $p}) "
        "RETURN a.name + b.name + c.name + d.name AS s ORDER BY s DESC LIMIT 1"
    ),
}
TIMEOUT = 2.0


@pytest.fixture
async def console_backend() -> AsyncIterator[Neo4jBackend]:
    """A backend of its own (its own driver) with a short console timeout."""
    backend = Neo4jBackend(
        service_url("neo4j"),
        password=os.environ.get("TEST_NEO4J_PASSWORD", ""),
        query_timeout=TIMEOUT,
    )
    await backend.ensure_schema()
    yield backend
    await backend.close()


@pytest.fixture
async def crowd(console_backend: Neo4jBackend) -> AsyncIterator[str]:
    project_id = new_id()
    ids = [new_id() for _ in range(CROWD)]
    nodes = [
        Node(CHARACTER, i, {"id": i, "name": f"c{n}", "projectId": project_id, "type": "character"})
        for n, i in enumerate(ids)
    ]
    edges = [
        Edge(RELATED_TO, ids[n], ids[(n + step) % CROWD], {"type": "ally", "strength": 0.5})
        for n in range(CROWD)
        for step in (1, 2, 3)
    ]
    await console_backend.apply(Plan(upsert_nodes=nodes, upsert_edges=edges))
    yield project_id
    await wipe(console_backend, project_id)


@pytest.mark.parametrize("cypher", PLAN_REFUSES.values(), ids=PLAN_REFUSES.keys())
def test_the_text_guard_refuses_the_bypass(cypher: str) -> None:
    with pytest.raises(CypherRejected):
        check_read_only(cypher)


@pytest.mark.parametrize("cypher", TEXT_REFUSES.values(), ids=TEXT_REFUSES.keys())
def test_the_text_guard_refuses_expressions_no_timeout_can_stop(cypher: str) -> None:
    with pytest.raises(CypherRejected):
        check_read_only(cypher)


@pytest.mark.parametrize("cypher", PLAN_REFUSES.values(), ids=PLAN_REFUSES.keys())
async def test_past_the_text_guard_neo4j_plan_or_neo4j_itself_refuses_the_bypass(
    console_backend: Neo4jBackend, cypher: str
) -> None:
    marker = new_id()
    with pytest.raises((CypherRejected, GraphError)) as refused:
        rows = await console_backend.read_query(cypher, {"marker": marker}, 10)
        pytest.fail(f"the query ran and returned {rows!r}"[:500])
    assert "root:" not in str(refused.value)  # no line of /etc/passwd in the message
    assert (await console_backend.fetch([marker])).nodes == {}


@pytest.mark.parametrize("cypher", STOPPED.values(), ids=STOPPED.keys())
async def test_an_expensive_read_is_stopped_by_the_timeout_or_the_memory_limit(
    console_backend: Neo4jBackend, crowd: str, cypher: str
) -> None:
    check_read_only(cypher)  # it is a read: the guard lets it through
    with pytest.raises(GraphError, match=r"(?i)within 2 s|terminated|timed? ?out|memory"):
        await console_backend.read_query(cypher, {"p": crowd}, 10)


async def test_the_console_still_answers_after_the_expensive_ones(
    console_backend: Neo4jBackend,
) -> None:
    rows = await console_backend.read_query("RETURN 1 + 1 AS two", {}, 10)
    assert rows == [{"two": 2}]


def test_the_test_neo4j_is_hardened_as_operations_md_asks_of_production() -> None:
    """tools/neo4j's launcher: LOAD CSV file URLs off, an empty import root, a plug-in
    procedure allowlist, a transaction timeout and a per-transaction memory limit."""
    import neo4j

    password = os.environ.get("TEST_NEO4J_PASSWORD", "")
    auth = ("neo4j", password) if password else None
    with neo4j.GraphDatabase.driver(service_url("neo4j"), auth=auth) as driver:
        records, _, _ = driver.execute_query(
            "SHOW SETTINGS YIELD name, value WHERE name IN $names RETURN name, value",
            names=[
                "dbms.security.allow_csv_import_from_file_urls",
                "server.directories.import",
                "dbms.security.procedures.allowlist",
                "db.transaction.timeout",
                "db.memory.transaction.max",
            ],
        )
        settings = {r["name"]: r["value"] for r in records}
        with pytest.raises(neo4j.exceptions.ClientError, match="allow_csv_import_from_file_urls"):
            driver.execute_query(f"{LOAD} LIMIT 1")
    assert settings["dbms.security.allow_csv_import_from_file_urls"] == "false"
    assert settings["server.directories.import"].endswith("import")
    assert "db.labels" in settings["dbms.security.procedures.allowlist"]
    assert settings["db.transaction.timeout"] not in {"0s", "0"}
    assert settings["db.memory.transaction.max"] not in {"0B", "0"}
