"""A read-only check for Cypher typed by a person (the staff query endpoint).

The text is tokenised first, so string literals, `backtick` names, comments and
$parameters never count: `RETURN "CREATE"` is fine, `MATCH (n) // x` is fine,
`CREATE (n)` is not. Then it refuses write clauses, schema and admin commands,
CALL { } IN TRANSACTIONS, procedures outside a list of read-only ones, and APOC
outside its read-only namespaces. This is the first line only: Neo4jBackend also
runs the query in a READ access-mode transaction, which the server enforces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

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
    }
)
READ_PROCEDURES: Final = frozenset(
    {
        "db.labels",
        "db.relationshiptypes",
        "db.propertykeys",
        "db.info",
        "db.ping",
        "db.schema.visualization",
        "db.schema.nodetypeproperties",
        "db.schema.reltypeproperties",
        "db.index.vector.querynodes",
        "db.index.vector.queryrelationships",
        "db.index.fulltext.querynodes",
        "db.index.fulltext.queryrelationships",
        "dbms.components",
        "dbms.info",
    }
)
READ_APOC_NAMESPACES: Final = frozenset(
    {
        "agg",
        "coll",
        "convert",
        "date",
        "label",
        "map",
        "math",
        "meta",
        "number",
        "path",
        "temporal",
        "text",
    }
)
MAX_QUERY_LENGTH: Final = 10_000


class CypherRejected(ValueError):
    """The query is not allowed on the read-only endpoint; the message says why."""


@dataclass(frozen=True)
class Token:
    kind: str  # "word" | "quoted" | "param" | "punct"
    text: str
    offset: int


def check_read_only(cypher: str) -> None:
    """Return if `cypher` is a single read-only statement, else raise CypherRejected."""
    if not cypher.strip():
        raise CypherRejected("The query is empty.")
    if len(cypher) > MAX_QUERY_LENGTH:
        raise CypherRejected(f"The query is longer than {MAX_QUERY_LENGTH} characters.")
    tokens = tokenize(cypher)
    if not tokens:
        raise CypherRejected("The query has only comments.")
    for index, token in enumerate(tokens):
        check_token(cypher, tokens, index, token)


def check_token(cypher: str, tokens: list[Token], index: int, token: Token) -> None:
    where = position(cypher, token.offset)
    if token.kind == "punct" and token.text == ";":
        if any(t.kind != "punct" or t.text != ";" for t in tokens[index + 1 :]):
            raise CypherRejected(f"Only one statement is allowed (a ';' {where}).")
        return
    if token.kind != "word" or is_name_position(tokens, index):
        return
    word = token.text.upper()
    if word in WRITE_KEYWORDS:
        raise CypherRejected(
            f"{word} {where} is not allowed: this endpoint is read-only "
            "(no CREATE, MERGE, DELETE, DETACH, SET, REMOVE, DROP, LOAD CSV or FOREACH)."
        )
    if word == "USE":
        raise CypherRejected(f"USE {where} is not allowed: queries run on the brain's database.")
    if word == "TRANSACTIONS" and previous_word(tokens, index) in {"IN", "CONCURRENT"}:
        raise CypherRejected(f"CALL {{ }} IN TRANSACTIONS {where} is not allowed: it writes.")
    if word == "CALL":
        check_procedure(cypher, tokens, index)
    elif word == "APOC" and next_text(tokens, index) == ".":
        check_apoc(dotted_name(tokens, index), where)


def check_procedure(cypher: str, tokens: list[Token], index: int) -> None:
    where = position(cypher, tokens[index].offset)
    if next_text(tokens, index) in {"{", "("}:
        return  # a subquery, CALL { } or CALL (x) { }: its clauses are checked one by one
    name = dotted_name(tokens, index + 1)
    if name.startswith("apoc."):
        check_apoc(name, where)
        return
    if name not in READ_PROCEDURES:
        allowed = ", ".join(sorted(READ_PROCEDURES))
        raise CypherRejected(
            f"CALL {name or '?'} {where} is not allowed: only read-only procedures may be "
            f"called ({allowed})."
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
    procedure-name part is a name, not a clause."""
    before = tokens[index - 1].text if index else ""
    return before in {".", ":"} or next_text(tokens, index) == ":"


def previous_word(tokens: list[Token], index: int) -> str:
    return tokens[index - 1].text.upper() if index and tokens[index - 1].kind == "word" else ""


def next_text(tokens: list[Token], index: int) -> str:
    return tokens[index + 1].text if index + 1 < len(tokens) else ""


def dotted_name(tokens: list[Token], start: int) -> str:
    """`db.index.vector.queryNodes` (backtick parts included), lower-cased."""
    parts: list[str] = []
    index = start
    while index < len(tokens) and tokens[index].kind in {"word", "quoted"}:
        parts.append(tokens[index].text.lower())
        if next_text(tokens, index) != ".":
            break
        index += 2
    return ".".join(parts)


def position(cypher: str, offset: int) -> str:
    line = cypher.count("\n", 0, offset) + 1
    column = offset - (cypher.rfind("\n", 0, offset) + 1) + 1
    return f"at line {line}, column {column}"


def tokenize(cypher: str) -> list[Token]:
    tokens: list[Token] = []
    index = 0
    while index < len(cypher):
        char = cypher[index]
        if char.isspace():
            index += 1
        elif cypher.startswith("//", index):
            end = cypher.find("\n", index)
            index = len(cypher) if end < 0 else end
        elif cypher.startswith("/*", index):
            index = skip_block_comment(cypher, index)
        elif char in "'\"":
            index = skip_string(cypher, index)
        elif char == "`":
            index = read_quoted_name(cypher, index, tokens)
        elif char == "$":
            index = read_word(cypher, index + 1, tokens, kind="param")
        elif char.isalpha() or char == "_":
            index = read_word(cypher, index, tokens, kind="word")
        else:
            tokens.append(Token("punct", char, index))
            index += 1
    return tokens


def skip_block_comment(cypher: str, start: int) -> int:
    end = cypher.find("*/", start + 2)
    if end < 0:
        raise CypherRejected(f"A /* comment is not closed ({position(cypher, start)}).")
    return end + 2


def skip_string(cypher: str, start: int) -> int:
    quote, index = cypher[start], start + 1
    while index < len(cypher):
        if cypher[index] == "\\":
            index += 2
        elif cypher[index] == quote:
            return index + 1
        else:
            index += 1
    raise CypherRejected(f"A string is not closed ({position(cypher, start)}).")


def read_quoted_name(cypher: str, start: int, tokens: list[Token]) -> int:
    index, text = start + 1, []
    while index < len(cypher):
        if cypher.startswith("``", index):  # a doubled backtick is a literal backtick
            text.append("`")
            index += 2
        elif cypher[index] == "`":
            tokens.append(Token("quoted", "".join(text), start))
            return index + 1
        else:
            text.append(cypher[index])
            index += 1
    raise CypherRejected(f"A `name` is not closed ({position(cypher, start)}).")


def read_word(cypher: str, start: int, tokens: list[Token], *, kind: str) -> int:
    index = start
    while index < len(cypher) and (cypher[index].isalnum() or cypher[index] == "_"):
        index += 1
    tokens.append(Token(kind, cypher[start:index], start))
    return index
