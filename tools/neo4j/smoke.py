"""Smoke check for the local Neo4j started by tools/neo4j/start.sh.

Env: NEO4J_URL (default bolt://127.0.0.1:7687); NEO4J_TEST_PASSWORD (if set, auth as neo4j/<pw>).
Checks (sync + async driver): RETURN 1, uniqueness constraint, MERGE nodes/relationship,
vector index create + db.index.vector.queryNodes. Exits non-zero on any failure.
Uses labels prefixed with "Smoke" and cleans them up, so it is safe against a shared database.
"""

import asyncio
import os
import sys
import time

from neo4j import AsyncGraphDatabase, GraphDatabase

URL = os.environ.get("NEO4J_URL", "bolt://127.0.0.1:7687")
PASSWORD = os.environ.get("NEO4J_TEST_PASSWORD")
AUTH = ("neo4j", PASSWORD) if PASSWORD else None


def check_sync() -> None:
    with GraphDatabase.driver(URL, auth=AUTH) as driver:
        driver.verify_connectivity()
        records, _, _ = driver.execute_query("RETURN 1 AS one")
        assert records[0]["one"] == 1, records

        driver.execute_query(
            "CREATE CONSTRAINT smoke_doc_id IF NOT EXISTS FOR (d:SmokeDoc) REQUIRE d.id IS UNIQUE"
        )
        # Running it twice must be a no-op.
        driver.execute_query(
            "CREATE CONSTRAINT smoke_doc_id IF NOT EXISTS FOR (d:SmokeDoc) REQUIRE d.id IS UNIQUE"
        )

        for _ in range(2):  # MERGE is idempotent: two rounds must leave 3 nodes, 2 relationships
            driver.execute_query(
                """
                MERGE (a:SmokeDoc {id: 'a'}) SET a.embedding = [1.0, 0.0, 0.0]
                MERGE (b:SmokeDoc {id: 'b'}) SET b.embedding = [0.9, 0.1, 0.0]
                MERGE (c:SmokeDoc {id: 'c'}) SET c.embedding = [0.0, 0.0, 1.0]
                MERGE (a)-[:SMOKE_LINK]->(b)
                MERGE (b)-[:SMOKE_LINK]->(c)
                """
            )
        records, _, _ = driver.execute_query(
            "MATCH (d:SmokeDoc) OPTIONAL MATCH (d)-[r:SMOKE_LINK]->() "
            "RETURN count(DISTINCT d) AS n, count(r) AS r"
        )
        assert (records[0]["n"], records[0]["r"]) == (3, 2), records

        # The uniqueness constraint must reject a duplicate CREATE.
        try:
            driver.execute_query("CREATE (:SmokeDoc {id: 'a'})")
        except Exception as exc:  # neo4j.exceptions.ConstraintError
            assert "already exists" in str(exc) or "Constraint" in type(exc).__name__, exc
        else:
            raise AssertionError("uniqueness constraint did not fire")

        driver.execute_query(
            """
            CREATE VECTOR INDEX smoke_doc_embedding IF NOT EXISTS
            FOR (d:SmokeDoc) ON d.embedding
            OPTIONS {indexConfig: {`vector.dimensions`: 3, `vector.similarity_function`: 'cosine'}}
            """
        )
        driver.execute_query("CALL db.awaitIndexes(60)")
        records, _, _ = driver.execute_query(
            "CALL db.index.vector.queryNodes('smoke_doc_embedding', 2, $q) YIELD node, score "
            "RETURN node.id AS id, score ORDER BY score DESC",
            q=[1.0, 0.05, 0.0],
        )
        ids = [r["id"] for r in records]
        assert ids == ["a", "b"], records
    print("sync driver: ok (RETURN 1, constraint, MERGE, vector index)", flush=True)


async def check_async() -> None:
    async with AsyncGraphDatabase.driver(URL, auth=AUTH) as driver:
        await driver.verify_connectivity()
        records, _, _ = await driver.execute_query("RETURN 1 AS one")
        assert records[0]["one"] == 1, records
        async with driver.session() as session:
            result = await session.run(
                "MERGE (a:SmokeDoc {id: 'async'}) SET a.embedding = [0.0, 1.0, 0.0] "
                "RETURN a.id AS id"
            )
            record = await result.single()
            assert record is not None and record["id"] == "async", record
        await driver.execute_query("CALL db.awaitIndexes(60)")
        records, _, _ = await driver.execute_query(
            "CALL db.index.vector.queryNodes('smoke_doc_embedding', 2, $q) YIELD node, score "
            "RETURN node.id AS id ORDER BY score DESC",
            q=[0.0, 1.0, 0.0],
        )
        assert records and records[0]["id"] == "async", records
    print("async driver: ok", flush=True)


def cleanup() -> None:
    with GraphDatabase.driver(URL, auth=AUTH) as driver:
        driver.execute_query("MATCH (d:SmokeDoc) DETACH DELETE d")
        driver.execute_query("DROP INDEX smoke_doc_embedding IF EXISTS")
        driver.execute_query("DROP CONSTRAINT smoke_doc_id IF EXISTS")


def main() -> int:
    started = time.monotonic()
    print(f"smoke: {URL} (auth {'on' if AUTH else 'off'})", flush=True)
    try:
        check_sync()
        asyncio.run(check_async())
    except Exception as exc:
        print(f"smoke: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        try:
            cleanup()
        except Exception as exc:
            print(f"smoke: cleanup failed: {exc}", file=sys.stderr)
    print(f"smoke: ALL OK in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
