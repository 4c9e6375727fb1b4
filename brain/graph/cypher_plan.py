"""The console's first line: what Neo4j itself plans to do with a query.

`explain_and_check` runs `EXPLAIN <query>` (Neo4j plans it, runs nothing) and
`check_plan` allows the plan only if every operator is a read operator of
READ_OPERATORS on the brain's database, every procedure call is one of the
read-only procedures, every namespaced function is in FUNCTION_NAMESPACES, and
no expression uses reduce(). Whatever the text looked like (comments, escapes,
casing), LoadCSV, Create, SetProperty, ShowSettings, AdministrationCommand,
TransactionApply and the rest have no way through: they are simply not listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from neo4j import AsyncManagedTransaction, AsyncTransaction

from brain.graph.cypher_guard import READ_PROCEDURES, CypherRejected

# Operators that only read the graph (Neo4j 5 Community's plan descriptions).
READ_OPERATORS: Final = frozenset(
    {
        "ProduceResults",
        "AllNodesScan",
        "NodeByLabelScan",
        "UnionNodeByLabelsScan",
        "IntersectionNodeByLabelsScan",
        "SubtractionNodeByLabelsScan",
        "NodeByIdSeek",
        "NodeByElementIdSeek",
        "DirectedRelationshipByIdSeek",
        "UndirectedRelationshipByIdSeek",
        "DirectedRelationshipByElementIdSeek",
        "UndirectedRelationshipByElementIdSeek",
        "DirectedAllRelationshipsScan",
        "UndirectedAllRelationshipsScan",
        "DirectedRelationshipTypeScan",
        "UndirectedRelationshipTypeScan",
        "DirectedUnionRelationshipTypesScan",
        "UndirectedUnionRelationshipTypesScan",
        "MultiNodeIndexSeek",
        "NodeCountFromCountStore",
        "RelationshipCountFromCountStore",
        "ShortestPath",
        "ProjectEndpoints",
        "NullifyMetadata",
        "TriadicSelection",
        "TriadicBuild",
        "TriadicFilter",
        "Filter",
        "Projection",
        "Aggregation",
        "EagerAggregation",
        "OrderedAggregation",
        "Distinct",
        "OrderedDistinct",
        "Sort",
        "PartialSort",
        "Top",
        "PartialTop",
        "Skip",
        "Limit",
        "ExhaustiveLimit",
        "Eager",
        "Apply",
        "SemiApply",
        "AntiSemiApply",
        "LetSemiApply",
        "LetAntiSemiApply",
        "SelectOrSemiApply",
        "SelectOrAntiSemiApply",
        "LetSelectOrSemiApply",
        "LetSelectOrAntiSemiApply",
        "RollUpApply",
        "ConditionalApply",
        "AntiConditionalApply",
        "CartesianProduct",
        "NodeHashJoin",
        "ValueHashJoin",
        "NodeLeftOuterHashJoin",
        "NodeRightOuterHashJoin",
        "Optional",
        "Anti",
        "Argument",
        "ArgumentTracker",
        "Union",
        "OrderedUnion",
        "Unwind",
        "CacheProperties",
        "PreserveOrder",
        "ProcedureCall",  # and then only READ_PROCEDURES, see check_operator
    }
)
# Families whose names carry a mode: Expand(All), VarLengthExpand(Pruning,BFS),
# NodeUniqueIndexSeek(Locking) is not among them (it locks, for MERGE).
READ_OPERATOR_PATTERNS: Final = (
    re.compile(r"(Optional)?Expand\((All|Into)\)"),
    re.compile(r"VarLengthExpand\((All|Into|Pruning|Pruning,BFS)\)"),
    re.compile(r"StatefulShortestPath\((All|Into)\)"),
    re.compile(r"(Bidirectional)?Repeat\((Trail|Walk)\)"),
    re.compile(
        r"(Node|DirectedRelationship|UndirectedRelationship)(Unique)?"
        r"Index(Seek|SeekByRange|Scan|ContainsScan|EndsWithScan)"
    ),
)
# Namespaces of functions an expression may call (built-in; APOC's read-only ones).
FUNCTION_NAMESPACES: Final = (
    "vector.similarity.",
    "point.",
    "date.",
    "datetime.",
    "localdatetime.",
    "localtime.",
    "time.",
    "duration.",
    "apoc.agg.",
    "apoc.coll.",
    "apoc.convert.",
    "apoc.date.",
    "apoc.map.",
    "apoc.math.",
    "apoc.number.",
    "apoc.temporal.",
    "apoc.text.",
)
_CALL = re.compile(r"(?<![\w.`$])((?:`[^`]*`|\w+)(?:\s*\.\s*(?:`[^`]*`|\w+))+)\s*\(")
_REDUCE = re.compile(r"(?<![\w.`$])reduce\s*\(", re.IGNORECASE)
_PROCEDURE = re.compile(r"^\s*((?:`[^`]*`|\w+)(?:\.(?:`[^`]*`|\w+))*)\s*\(")


async def explain_and_check(
    tx: AsyncManagedTransaction | AsyncTransaction,
    cypher: str,
    params: Mapping[str, Any],
    database: str,
) -> None:
    """Plan `cypher` in `tx` without running it; raise CypherRejected unless it reads."""
    result = await tx.run(f"EXPLAIN {cypher}", dict(params))
    summary = await result.consume()
    if not summary.plan:
        raise CypherRejected("Neo4j gave no plan for the query, so it cannot be checked.")
    check_plan(summary.plan, database)


def check_plan(plan: Mapping[str, Any], database: str) -> None:
    steps = [str(operator.get("operatorType", "")).partition("@") for operator in operators(plan)]
    elsewhere = sorted({where for _, _, where in steps if where and where != database})
    if elsewhere:
        raise CypherRejected(f"The plan runs on database {', '.join(elsewhere)}: not allowed.")
    refused = list(dict.fromkeys(name for name, _, _ in steps if not is_read_operator(name)))
    if refused:
        raise CypherRejected(
            f"Neo4j plans steps that are not reads ({', '.join(refused)}): the console runs "
            "only read operators (no writes, LOAD CSV, SHOW or admin commands, transactions)."
        )
    for operator in operators(plan):
        check_operator(operator)


def operators(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield plan
    for child in plan.get("children") or []:
        yield from operators(child)


def check_operator(operator: Mapping[str, Any]) -> None:
    name = str(operator.get("operatorType", "")).partition("@")[0]
    details = str((operator.get("args") or {}).get("Details", ""))
    if name == "ProcedureCall":
        check_procedure_call(details)
    check_expressions(name, details)


def is_read_operator(name: str) -> bool:
    return name in READ_OPERATORS or any(p.fullmatch(name) for p in READ_OPERATOR_PATTERNS)


def check_procedure_call(details: str) -> None:
    match = _PROCEDURE.match(details)
    procedure = match.group(1).replace("`", "").lower() if match else ""
    if procedure not in READ_PROCEDURES:
        raise CypherRejected(
            f"The procedure {procedure or '(unknown)'} is not allowed: only "
            f"{', '.join(sorted(READ_PROCEDURES))}."
        )


def check_expressions(operator: str, details: str) -> None:
    if _REDUCE.search(details):
        raise CypherRejected(f"{operator} evaluates reduce(), which the console does not run.")
    for match in _CALL.finditer(details):
        function = re.sub(r"[\s`]", "", match.group(1)).lower() + "."
        if operator == "ProcedureCall" and match.start() == 0:
            continue  # the procedure itself, checked by check_procedure_call
        if not function.startswith(FUNCTION_NAMESPACES):
            raise CypherRejected(
                f"The function {function.rstrip('.')} is not allowed in the console."
            )
