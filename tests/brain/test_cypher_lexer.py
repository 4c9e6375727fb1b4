"""Cypher's lexical rules as the console's text guard reads them."""

from __future__ import annotations

import pytest

from brain.graph.cypher_lexer import CypherLexError, Token, tokenize, unescape


def words(cypher: str) -> list[str]:
    return [t.text for t in tokenize(unescape(cypher)) if t.kind == "word"]


def strings(cypher: str) -> list[str]:
    return [t.text for t in tokenize(unescape(cypher)) if t.kind == "string"]


@pytest.mark.parametrize(
    "terminator",
    ["\n", "\r", "\r\n", "\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"],
    ids=repr,
)
def test_a_line_comment_ends_at_every_line_terminator(terminator: str) -> None:
    assert words(f"RETURN 1 // note{terminator}LOAD CSV") == ["RETURN", "LOAD", "CSV"]


def test_a_line_comment_runs_to_the_end_of_the_text() -> None:
    assert words("RETURN 1 AS x // LOAD CSV FROM 'file:///etc/passwd'") == ["RETURN", "AS", "x"]


def test_unicode_escapes_are_read_before_anything_else_as_neo4j_does() -> None:
    # \u0027 is a quote: the string closes there and LOAD is code.
    assert words("RETURN 'a\\u0027 LOAD CSV //") == ["RETURN", "LOAD", "CSV"]
    # \u000a is a newline: it ends the comment.
    assert words("RETURN 1 // x\\u000aDELETE n") == ["RETURN", "DELETE", "n"]
    # \u002f\u002f starts a comment; \u0043REATE is the word CREATE.
    assert words("RETURN 1 \\u002f\\u002f DELETE") == ["RETURN"]
    assert words("\\u0043REATE (n)") == ["CREATE", "n"]
    # Java allows any number of u's.
    assert words("\\uuuu0053ET") == ["SET"]


def test_an_escaped_backslash_does_not_start_a_unicode_escape() -> None:
    assert unescape("'\\\\u0041'") == "'\\\\u0041'"
    assert strings("RETURN '\\\\u0041'") == ["\\u0041"]
    assert unescape("'\\\\\\u0041'") == "'\\\\A'"


def test_a_malformed_unicode_escape_is_an_error() -> None:
    with pytest.raises(CypherLexError, match="hex"):
        unescape("RETURN '\\u00zz'")


def test_block_comments_do_not_nest_so_the_first_close_ends_them() -> None:
    assert words("RETURN 1 /* a /* b */ DELETE n */") == ["RETURN", "DELETE", "n"]
    assert words("RETURN /* // */ 1 AS x") == ["RETURN", "AS", "x"]


def test_an_unclosed_block_comment_is_an_error() -> None:
    with pytest.raises(CypherLexError, match="comment"):
        tokenize("RETURN 1 /* DELETE n")


def test_strings_keep_keywords_and_decode_their_escapes() -> None:
    assert strings("""RETURN 'it\\'s // not a comment', "say \\"DELETE\\"", '\\n\\t\\\\'""") == [
        "it's // not a comment",
        'say "DELETE"',
        "\n\t\\",
    ]
    assert words("RETURN 'CREATE (n)' AS s") == ["RETURN", "AS", "s"]


def test_an_unknown_escape_stays_as_written_like_neo4j_keeps_it() -> None:
    assert strings("RETURN '\\x'") == ["\\x"]


def test_a_backslash_before_the_closing_quote_escapes_it() -> None:
    assert words("RETURN 'a\\' DELETE n '") == ["RETURN"]
    with pytest.raises(CypherLexError, match="string"):
        tokenize("RETURN 'a\\'")


def test_backtick_names_use_doubled_backticks_and_hide_keywords() -> None:
    tokens = tokenize("MATCH (n:`CREATE``x`) RETURN n")
    assert Token("name", "CREATE`x", 9) in tokens
    assert words("MATCH (n:`CREATE``x`) RETURN n") == ["MATCH", "n", "RETURN", "n"]
    # \u0060 is a backtick, so it closes the name and UNION is code.
    assert "UNION" in words("RETURN 1 AS `x\\u0060 UNION RETURN 2 AS x")


def test_parameters_numbers_and_punctuation_are_their_own_tokens() -> None:
    tokens = tokenize("RETURN $set, $`two words`, 0x1F, 1_000 ;")
    assert [(t.kind, t.text) for t in tokens] == [
        ("word", "RETURN"),
        ("param", "set"),
        ("punct", ","),
        ("param", "two words"),
        ("punct", ","),
        ("number", "0x1F"),
        ("punct", ","),
        ("number", "1_000"),
        ("punct", ";"),
    ]


def test_unicode_whitespace_separates_words() -> None:
    assert words("RETURN 1 AS x\u00a0UNION\u3000RETURN 2 AS x") == [
        "RETURN",
        "AS",
        "x",
        "UNION",
        "RETURN",
        "AS",
        "x",
    ]
