"""The text guard of the read-only Cypher console: the third line of three.

The first line is Neo4j's own plan (brain.graph.cypher_plan: `EXPLAIN`, then only
read operators and allowed procedures), the second the server's configuration and
the READ transaction with its timeout (docs/operations.md, "Cypher console").
This one reads the text with Cypher's lexical rules (brain.graph.cypher_lexer), so
strings, `backtick` names, comments and $parameters never count as clauses, and
refuses early, with a position, what the plan would refuse too: write clauses,
schema and admin commands, SHOW, LOAD CSV, CALL { } IN TRANSACTIONS, USE, more
than one statement, and procedures outside READ_PROCEDURES.

It also refuses what no server limit stops: Neo4j checks its transaction timeout
between rows, not inside one expression, so `reduce()`, a list iteration inside
another, or `range()` over more than MAX_RANGE numbers could run for hours on one
row. Those are refused here.
"""

from __future__ import annotations

from typing import Final

from brain.graph.cypher_lexer import CypherLexError, Token, position, tokenize, unescape

WRITE_KEYWORDS: Final = frozenset(
    {
        "CREATE",
        "MERGE",
        "DELETE",
        "DETACH",
        "SET",
        "REMOVE",
        "DROP",
        "FOREACH",
        "LOAD",
        "ALTER",
        "RENAME",
        "GRANT",
        "DENY",
        "REVOKE",
        "TERMINATE",
        "START",
        "STOP",
        "ENABLE",
        "DEALLOCATE",
        "REALLOCATE",
        "INSERT",
        "SHOW",
        "FINISH",
    }
)
# Lower-case; the plan check (cypher_plan) uses the same list.
READ_PROCEDURES: Final = frozenset(
    {
        "db.labels",
        "db.relationshiptypes",
        "db.propertykeys",
        "db.schema.visualization",
        "db.schema.nodetypeproperties",
        "db.schema.reltypeproperties",
        "db.index.vector.querynodes",
        "db.index.vector.queryrelationships",
        "db.index.fulltext.querynodes",
        "db.index.fulltext.queryrelationships",
    }
)
READ_APOC_NAMESPACES: Final = frozenset(
    {"agg", "coll", "convert", "date", "label", "map", "math", "number", "temporal", "text"}
)
QUANTIFIERS: Final = frozenset({"all", "any", "none", "single"})
PREFIXES: Final = frozenset({"EXPLAIN", "PROFILE", "CYPHER"})
MAX_QUERY_LENGTH: Final = 10_000
MAX_RANGE: Final = 100_000


class CypherRejected(ValueError):
    """The query is not allowed on the read-only console; the message says why."""


def check_read_only(cypher: str) -> None:
    """Return if `cypher` is one read-only statement of bounded cost, else raise CypherRejected."""
    if not cypher.strip():
        raise CypherRejected("The query is empty.")
    if len(cypher) > MAX_QUERY_LENGTH:
        raise CypherRejected(f"The query is longer than {MAX_QUERY_LENGTH} characters.")
    try:
        text = unescape(cypher)
        tokens = tokenize(text)
    except CypherLexError as exc:
        raise CypherRejected(str(exc)) from exc
    if not tokens:
        raise CypherRejected("The query has only comments.")
    first = tokens[0].text.upper()
    if tokens[0].kind == "word" and first in PREFIXES:
        raise CypherRejected(
            f"{first} is not allowed: the console plans and runs the query itself."
        )
    for index, token in enumerate(tokens):
        check_token(text, tokens, index, token)
    check_iteration(text, tokens)


def string_literals(cypher: str) -> list[str]:
    """The values of the query's string literals, escapes decoded (for scope checks)."""
    try:
        return [t.text for t in tokenize(unescape(cypher)) if t.kind == "string"]
    except CypherLexError as exc:
        raise CypherRejected(str(exc)) from exc


def check_token(text: str, tokens: list[Token], index: int, token: Token) -> None:
    where = position(text, token.offset)
    if token.kind == "punct" and token.text == ";":
        if any(t.kind != "punct" or t.text != ";" for t in tokens[index + 1 :]):
            raise CypherRejected(f"Only one statement is allowed (a ';' {where}).")
        return
    if token.kind not in {"word", "name"} or is_name_position(tokens, index):
        return
    if is_call(tokens, index):
        check_function(text, tokens, index)
    if token.kind != "word":
        return
    word = token.text.upper()
    if word in WRITE_KEYWORDS:
        raise CypherRejected(
            f"{word} {where} is not allowed: the console is read-only (no writes, "
            "schema or admin commands, SHOW, LOAD CSV or FOREACH)."
        )
    if word == "USE":
        raise CypherRejected(f"USE {where} is not allowed: queries run on the brain's database.")
    if word == "TRANSACTIONS" and previous_word(tokens, index) in {"IN", "CONCURRENT"}:
        raise CypherRejected(f"CALL {{ }} IN TRANSACTIONS {where} is not allowed: it writes.")
    if word == "CALL":
        check_procedure(text, tokens, index)


def check_procedure(text: str, tokens: list[Token], index: int) -> None:
    where = position(text, tokens[index].offset)
    if next_text(tokens, index) in {"{", "("}:
        return  # a subquery, CALL { } or CALL (x) { }: its clauses are checked one by one
    name = dotted_name(tokens, index + 1)
    if name.startswith("apoc."):
        check_apoc(name, where)
        return
    if name not in READ_PROCEDURES:
        raise CypherRejected(
            f"CALL {name or '?'} {where} is not allowed: only read-only procedures may be "
            f"called ({', '.join(sorted(READ_PROCEDURES))})."
        )


def check_function(text: str, tokens: list[Token], index: int) -> None:
    """A call `name(`: refuse reduce(), large or computed range(), write APOC."""
    name, where = tokens[index].text.lower(), position(text, tokens[index].offset)
    if next_text(tokens, index) == ".":
        dotted = dotted_name(tokens, index)
        if dotted.startswith("apoc."):
            check_apoc(dotted, where)
        return
    if name == "reduce":
        raise CypherRejected(
            f"reduce() {where} is not allowed: one expression cannot be stopped by the "
            "query timeout, and reduce() can run for hours."
        )
    if name == "range":
        check_range(tokens, index, where)


def check_range(tokens: list[Token], index: int, where: str) -> None:
    args = call_arguments(tokens, index + 1)
    bounds = [literal_int(arg) for arg in args]
    if len(bounds) not in {2, 3} or any(b is None for b in bounds):
        raise CypherRejected(
            f"range() {where} must have whole-number literals as bounds (and step), "
            f"at most {MAX_RANGE} numbers."
        )
    start, end, *rest = (b for b in bounds if b is not None)
    step = rest[0] if rest else 1
    count = 0 if step == 0 else max(0, (end - start) // step + 1)
    if step == 0 or count > MAX_RANGE:
        raise CypherRejected(f"range() {where} is limited to {MAX_RANGE} numbers (step not 0).")


def call_arguments(tokens: list[Token], open_index: int) -> list[list[Token]]:
    """The comma-separated arguments of the call whose `(` is at open_index."""
    args: list[list[Token]] = [[]]
    depth = 0
    for token in tokens[open_index:]:
        if token.kind == "punct" and token.text in "([{":
            depth += 1
            if depth == 1:
                continue
        elif token.kind == "punct" and token.text in ")]}":
            depth -= 1
            if depth == 0:
                return args if args[0] else []
        elif depth == 1 and token.kind == "punct" and token.text == ",":
            args.append([])
            continue
        args[-1].append(token)
    return []


def literal_int(arg: list[Token]) -> int | None:
    sign = -1 if len(arg) == 2 and arg[0].text == "-" else 1
    if len(arg) != (2 if sign < 0 else 1) or arg[-1].kind != "number":
        return None
    text = arg[-1].text.lower().replace("_", "")
    try:
        if text.startswith(("0x", "0o")):
            return sign * int(text[2:], 16 if text[1] == "x" else 8)
        return sign * int(text, 10)
    except ValueError:
        return None


def check_iteration(text: str, tokens: list[Token]) -> None:
    """Refuse a list comprehension or quantifier inside another one: N x N work in one
    expression, which the transaction timeout cannot interrupt."""
    open_brackets: list[bool] = []  # one per open bracket: does it start an iteration?
    for index, token in enumerate(tokens):
        if token.kind != "punct":
            continue
        if token.text in "([{":
            iterates = starts_iteration(tokens, index)
            if iterates and any(open_brackets):
                raise CypherRejected(
                    f"A list iteration inside another one {position(text, token.offset)} "
                    "is not allowed: one expression cannot be stopped by the query timeout."
                )
            open_brackets.append(iterates)
        elif token.text in ")]}" and open_brackets:
            open_brackets.pop()


def starts_iteration(tokens: list[Token], index: int) -> bool:
    """`[x IN ...` or `any(x IN ...` (all, any, none, single)."""
    bracket = tokens[index].text
    if bracket == "(":
        before = tokens[index - 1] if index else None
        if before is None or before.kind not in {"word", "name"}:
            return False
        if before.text.lower() not in QUANTIFIERS:
            return False
    elif bracket != "[":
        return False
    variable = tokens[index + 1] if index + 1 < len(tokens) else None
    keyword = tokens[index + 2] if index + 2 < len(tokens) else None
    return (
        variable is not None
        and variable.kind in {"word", "name"}
        and keyword is not None
        and keyword.kind == "word"
        and keyword.text.upper() == "IN"
    )


def check_apoc(name: str, where: str) -> None:
    parts = name.split(".")
    if len(parts) < 3 or parts[1] not in READ_APOC_NAMESPACES:
        raise CypherRejected(
            f"{name} {where} is not allowed: only read-only APOC namespaces may be used "
            f"({', '.join(sorted(READ_APOC_NAMESPACES))})."
        )


# ------------------------------------------------------------------------- tokens
def is_name_position(tokens: list[Token], index: int) -> bool:
    """A word used as a property key (n.set), label (:Set), map key ({set: 1}) or
    later part of a dotted name is a name, not a clause."""
    before = tokens[index - 1].text if index else ""
    return before in {".", ":"} or next_text(tokens, index) == ":"


def is_call(tokens: list[Token], index: int) -> bool:
    """`name(` or the first part of `a.b.name(`."""
    while next_text(tokens, index) == "." and index + 2 < len(tokens):
        index += 2
    return next_text(tokens, index) == "("


def previous_word(tokens: list[Token], index: int) -> str:
    return tokens[index - 1].text.upper() if index and tokens[index - 1].kind == "word" else ""


def next_text(tokens: list[Token], index: int) -> str:
    if index + 1 < len(tokens) and tokens[index + 1].kind == "punct":
        return tokens[index + 1].text
    return ""


def dotted_name(tokens: list[Token], start: int) -> str:
    """`db.index.vector.queryNodes` (backtick parts included), lower-cased."""
    parts: list[str] = []
    index = start
    while index < len(tokens) and tokens[index].kind in {"word", "name"}:
        parts.append(tokens[index].text.lower())
        if next_text(tokens, index) != ".":
            break
        index += 2
    return ".".join(parts)
