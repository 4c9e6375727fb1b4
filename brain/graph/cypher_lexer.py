"""Cypher's lexical rules, for the console's text guard (brain.graph.cypher_guard).

Neo4j 5's parser reads a query the way Java reads source: every `\\uXXXX` escape in
the whole text (not only in strings) becomes its character before anything else,
so `'a\\u0027` is a closed string and `\\u002f\\u002f` starts a comment. `unescape`
does that first; `tokenize` then follows the lexer: `//` comments, `/* */`
comments (not nested: the first `*/` ends one), strings in single or double
quotes with backslash escapes, `backtick` names with doubled backticks,
$parameters, words, numbers and punctuation.

Where Neo4j versions differ, the guard takes the reading that shows more of the
text as code, since code is what it checks: a `//` comment ends at any line
terminator any version honours (Neo4j 5.26 ends it only at \\n and \\r).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# Every character Python's str.splitlines() splits on: \n \r \v \f \x1c-\x1e \x85 \u2028 \u2029.
LINE_TERMINATORS: Final = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
STRING_ESCAPES: Final = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
_UNICODE_ESCAPE = re.compile(r"\\u+([0-9A-Fa-f]{4})")


class CypherLexError(ValueError):
    """The text cannot be read as Cypher tokens (an unclosed string, a bad escape)."""


@dataclass(frozen=True)
class Token:
    kind: str  # "word" | "name" (a `quoted` name) | "string" | "param" | "number" | "punct"
    text: str  # for strings and names: the value, escapes decoded
    offset: int  # in the unescaped text


def unescape(cypher: str) -> str:
    """Replace Java-style unicode escapes as Neo4j's parser does before lexing.

    A backslash starts one only when an even number of backslashes stands before it
    (`\\\\u0041` is an escaped backslash and the letters u0041). Any number of `u`s
    may follow it, as in Java. A malformed escape is an error there too.
    """
    out: list[str] = []
    index = 0
    while index < len(cypher):
        char = cypher[index]
        if char == "\\" and _eligible(cypher, index) and cypher.startswith("\\u", index):
            match = _UNICODE_ESCAPE.match(cypher, index)
            if match is None:
                raise CypherLexError(f"A \\u escape is not 4 hex digits (offset {index}).")
            out.append(chr(int(match.group(1), 16)))
            index = match.end()
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _eligible(cypher: str, index: int) -> bool:
    before = 0
    while index - before - 1 >= 0 and cypher[index - before - 1] == "\\":
        before += 1
    return before % 2 == 0


def tokenize(text: str) -> list[Token]:
    """Tokens of already unescaped text; comments and whitespace are dropped."""
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace() or char in LINE_TERMINATORS:
            index += 1
        elif text.startswith("//", index):
            index = _line_comment_end(text, index)
        elif text.startswith("/*", index):
            index = _block_comment_end(text, index)
        elif char in "'\"":
            index = _read_string(text, index, tokens)
        elif char == "`":
            index = _read_quoted_name(text, index, tokens)
        elif char == "$":
            index = _read_parameter(text, index, tokens)
        elif char.isdigit():
            index = _read_run(text, index, tokens, "number")
        elif char.isalpha() or char == "_":
            index = _read_run(text, index, tokens, "word")
        else:
            tokens.append(Token("punct", char, index))
            index += 1
    return tokens


def _line_comment_end(text: str, start: int) -> int:
    index = start + 2
    while index < len(text) and text[index] not in LINE_TERMINATORS:
        index += 1
    return index


def _block_comment_end(text: str, start: int) -> int:
    end = text.find("*/", start + 2)
    if end < 0:
        raise CypherLexError(f"A /* comment is not closed ({position(text, start)}).")
    return end + 2


def _read_string(text: str, start: int, tokens: list[Token]) -> int:
    quote, index, value = text[start], start + 1, []
    while index < len(text):
        char = text[index]
        if char == "\\":
            if index + 1 >= len(text):
                break
            escaped = text[index + 1]
            if escaped in STRING_ESCAPES:
                value.append(STRING_ESCAPES[escaped])
            elif escaped in "\\'\"":
                value.append(escaped)
            else:  # Neo4j keeps an unknown escape as it is: '\x' is backslash, x
                value.append(char + escaped)
            index += 2
        elif char == quote:
            tokens.append(Token("string", "".join(value), start))
            return index + 1
        else:
            value.append(char)
            index += 1
    raise CypherLexError(f"A string is not closed ({position(text, start)}).")


def _read_quoted_name(text: str, start: int, tokens: list[Token]) -> int:
    index, value = start + 1, []
    while index < len(text):
        if text.startswith("``", index):  # a doubled backtick is a literal backtick
            value.append("`")
            index += 2
        elif text[index] == "`":
            tokens.append(Token("name", "".join(value), start))
            return index + 1
        else:
            value.append(text[index])
            index += 1
    raise CypherLexError(f"A `name` is not closed ({position(text, start)}).")


def _read_parameter(text: str, start: int, tokens: list[Token]) -> int:
    if text.startswith("$`", start):
        index = _read_quoted_name(text, start + 1, tokens)
        name = tokens.pop()
        tokens.append(Token("param", name.text, start))
        return index
    end = _run_end(text, start + 1)
    tokens.append(Token("param", text[start + 1 : end], start))
    return end


def _read_run(text: str, start: int, tokens: list[Token], kind: str) -> int:
    end = _run_end(text, start)
    tokens.append(Token(kind, text[start:end], start))
    return end


def _run_end(text: str, index: int) -> int:
    while index < len(text) and (text[index].isalnum() or text[index] == "_"):
        index += 1
    return index


def position(text: str, offset: int) -> str:
    """`at line L, column C` of an offset, counting lines as Neo4j does (\\n)."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"at line {line}, column {column}"
