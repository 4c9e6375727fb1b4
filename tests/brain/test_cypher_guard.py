"""The console's text guard (the third line), and the plan check behind it."""

from __future__ import annotations

import pytest

from brain.graph.cypher_guard import CypherRejected, check_read_only
from tests.brain.conftest import neo4j_backend
from tests.brain.helpers import new_id, wipe

REFUSED = {
    "create": ("CREATE (n:Character {name: 'x'})", "CREATE"),
    "merge": ("MERGE (n:Character {id: $id}) RETURN n", "MERGE"),
    "delete": ("MATCH (n) DELETE n", "DELETE"),
    "detach delete": ("MATCH (n) DETACH DELETE n", "DETACH"),
    "set": ("MATCH (n:Character) SET n.name = 'y' RETURN n", "SET"),
    "remove": ("MATCH (n:Character) REMOVE n.name", "REMOVE"),
    "drop": ("DROP INDEX character_name", "DROP"),
    "load csv": ("LOAD CSV FROM 'file:///x.csv' AS row RETURN row", "LOAD"),
    "foreach": ("MATCH p = (a)-->(b) FOREACH (n IN nodes(p) | SET n.x = 1)", "FOREACH"),
    "lower case": ("match (n) detach delete n", "DETACH"),
    "after a comment": ("MATCH (n) // harmless\nDELETE n", "DELETE"),
    "write procedure": ("CALL db.create.setNodeVectorProperty(n, 'e', [1.0])", "CALL"),
    "unknown procedure": ("CALL dbms.security.createUser('x', 'y', false)", "CALL"),
    "backticked procedure": ("CALL `db`.`create`.setNodeVectorProperty(n, 'e', [])", "CALL"),
    "apoc write procedure": ("CALL apoc.create.node(['X'], {})", "apoc.create.node"),
    "apoc write function": ("RETURN apoc.nodes.delete([], 1)", "apoc.nodes.delete"),
    "periodic apoc": (
        "CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DELETE n', {})",
        "apoc.periodic.iterate",
    ),
    "in transactions": (
        "MATCH (n) CALL { WITH n RETURN n.id AS i } IN TRANSACTIONS RETURN i",
        "IN TRANSACTIONS",
    ),
    "two statements": ("MATCH (n) RETURN n; MATCH (m) RETURN m", "one statement"),
    "use another database": ("USE system SHOW USERS", "USE"),
    "show settings": ("SHOW SETTINGS YIELD name, value RETURN *", "SHOW"),
    "show indexes": ("SHOW INDEXES", "SHOW"),
    "terminate": ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE"),
    "explain prefix": ("EXPLAIN MATCH (n) RETURN n", "EXPLAIN"),
    "runtime options": ("CYPHER runtime=slotted MATCH (n) RETURN n", "CYPHER"),
    "dbms procedure": ("CALL dbms.listConfig()", "CALL dbms.listconfig"),
    "clear caches": ("CALL db.clearQueryCaches()", "CALL db.clearquerycaches"),
    "reduce": ("RETURN size(reduce(s='', x IN range(1,20) | s+'x'))", "reduce"),
    "large range": ("UNWIND range(1, 2000000) AS x RETURN x", "range"),
    "computed range": ("RETURN size(range(1, 1000 * 1000 * 1000)) AS n", "range"),
    "nested iteration": (
        "WITH [1, 2] AS l RETURN [x IN l | size([y IN l WHERE y = x])] AS n",
        "inside another",
    ),
    "empty": ("   // only a comment", "only comments"),
    "unclosed string": ("MATCH (n) WHERE n.name = 'x RETURN n", "not closed"),
}

ACCEPTED = {
    "match return": "MATCH (c:Character)-[r:RELATED_TO]->(o) RETURN c.name, r.type, o.name",
    "keywords in strings": "MATCH (n) WHERE n.name = 'CREATE (x); DELETE n' RETURN n",
    "escaped quote": "RETURN 'it\\'s SET in stone' AS s, \"MERGE\" AS t",
    "keywords in comments": "MATCH (n) /* DELETE n */ RETURN n // SET n.x = 1",
    "keywords as names": "MATCH (n:`CREATE`) RETURN n.set, n.delete, {merge: 1} AS m",
    "relationship type containing a keyword": "MATCH (c)-[:CREATED_IN]->(p) RETURN p",
    "parameter named like a keyword": "MATCH (n {id: $set}) RETURN n",
    "read procedure": "CALL db.labels() YIELD label RETURN label",
    "vector search": "CALL db.index.vector.queryNodes('brain_document_embedding', 5, $v) "
    "YIELD node, score RETURN node.id, score",
    "read subquery": "MATCH (n) CALL { WITH n MATCH (n)--(m) RETURN count(m) AS c } RETURN c",
    "apoc read function": "RETURN apoc.text.join(['a', 'b'], '-') AS joined",
    "small range": "UNWIND range(1, 100) AS i RETURN i",
    "one list iteration": "MATCH p = (a)-->(b) RETURN [n IN nodes(p) | n.id] AS ids",
    "quantifier": "MATCH (n) WHERE any(x IN n.tags WHERE x = 'a') RETURN n",
    "property named like a function": "MATCH (n) RETURN n.reduce, n.range AS r",
    "trailing semicolon": "MATCH (n) RETURN count(n);",
}


@pytest.mark.parametrize(("query", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_guard_refuses_writes_and_says_why(query: str, reason: str) -> None:
    with pytest.raises(CypherRejected, match=reason):
        check_read_only(query)


@pytest.mark.parametrize("query", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_guard_accepts_read_queries(query: str) -> None:
    check_read_only(query)


def test_refusal_points_at_the_line_and_column() -> None:
    with pytest.raises(CypherRejected, match="line 2, column 3"):
        check_read_only("MATCH (n)\n  SET n.x = 1")


@pytest.mark.neo4j
@pytest.mark.django_db(transaction=True)
async def test_neo4j_plans_a_write_and_the_plan_check_refuses_it_even_past_the_guard() -> None:
    backend = neo4j_backend()
    marker = new_id()
    with pytest.raises(CypherRejected, match="Create"):
        await backend.read_query(
            "CREATE (:Character {id: $id, projectId: $id})", {"id": marker}, 10
        )
    assert (await backend.fetch([marker])).nodes == {}
    await wipe(backend, marker)
