"""A small SPARQL tokenizer: enough to know what a query is before the engine runs it.

The engine (Oxigraph) parses and checks the full grammar. This module only
answers the questions the service must settle first, without being fooled by
comments, strings or IRIs that happen to contain keywords:

    >>> info = analyse('PREFIX ex: <http://ex/> # SERVICE in a comment\\nSELECT * { ?s ex:p "SERVICE" }')
    >>> info.form, info.services, info.prefixes["ex"]
    ('SELECT', [], 'http://ex/')

* which query form it is (SELECT, CONSTRUCT, DESCRIBE, ASK) or which update
  operation (INSERT, DELETE, LOAD, ...), to pick result formats and refuse updates;
* which ``SERVICE`` endpoints it calls (IRIs expanded; a variable endpoint is ``None``);
* whether it has its own dataset (``FROM`` / ``FROM NAMED``);
* which variables it mentions (for the named-query parameters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_OPERATIONS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")

_CHAIN_WORDS = frozenset({"UNION", "OPTIONAL", "MINUS"})
_OPERATORS = frozenset("+-*/|&!=<>^")
_OPENING = frozenset("{([")
_CLOSING = frozenset("})]")

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w\-.\u00B7\u00C0-\uFFFF]*)?:(?:[\w\-.:%\\\u00B7\u00C0-\uFFFF]*[\w\-:%\u00B7\u00C0-\uFFFF])?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class Token(NamedTuple):
    """One significant token (a tuple: made for every token of every query, so it must be cheap)."""

    kind: str
    text: str
    start: int

    @property
    def upper(self) -> str:
        return self.text.upper()


_SKIPPED = frozenset({"ws", "comment"})


def tokenize(text: str) -> list[Token]:
    """All significant tokens of ``text`` (whitespace and comments dropped)."""
    make = Token._make
    return [
        make((match.lastgroup or "other", match.group(), match.start()))
        for match in _TOKEN.finditer(text)
        if match.lastgroup not in _SKIPPED
    ]


@dataclass
class QueryInfo:
    """What :func:`analyse` found out about a query or update."""

    form: str | None = None  # SELECT, CONSTRUCT, DESCRIBE, ASK; None when not a query
    update: str | None = None  # the first update operation keyword, if the text is an update
    prefixes: dict[str, str] = field(default_factory=dict)
    base: str | None = None
    services: list[str | None] = field(default_factory=list)  # endpoint IRIs; None = a variable
    has_dataset: bool = False  # FROM or FROM NAMED present
    variables: list[str] = field(default_factory=list)  # names without ? or $, in order of appearance
    max_depth: int = (
        0  # deepest nesting of { }, ( ) and [ ] (Oxigraph's parser cost grows ~cubically with [ ])
    )
    #: Flat chains: how many UNION, OPTIONAL, MINUS keywords and operator characters (path steps, + - * / ...)
    #: the text has; the engine's parse and plan time grows faster than linearly with each.
    chains: dict[str, int] = field(default_factory=dict)

    @property
    def longest_chain(self) -> tuple[str, int]:
        """The kind of chain with the most members, and how many (``("", 0)`` for none)."""
        return max(self.chains.items(), key=lambda item: item[1], default=("", 0))


def analyse(text: str) -> QueryInfo:
    """Read the prologue, the form, SERVICE endpoints, dataset clauses and variables of ``text``."""
    tokens = tokenize(text)
    info = QueryInfo()
    i = 0
    # Prologue: BASE <iri> | PREFIX pname: <iri>, in any order.
    while i < len(tokens):
        word = tokens[i].upper
        if word == "BASE" and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
            info.base = tokens[i + 1].text[1:-1]
            i += 2
        elif word == "PREFIX" and i + 2 < len(tokens) and tokens[i + 2].kind == "iri":
            info.prefixes[tokens[i + 1].text.rstrip(":")] = tokens[i + 2].text[1:-1]
            i += 3
        else:
            break
    if i < len(tokens):
        first = tokens[i].upper
        if first in QUERY_FORMS:
            info.form = first
        elif first in UPDATE_OPERATIONS:
            info.update = first
    seen: set[str] = set()
    depth = 0
    chains = info.chains
    for n in range(i, len(tokens)):
        kind, text, _ = tokens[n]
        if kind == "other":
            if text in _OPERATORS:
                chains["operators"] = chains.get("operators", 0) + 1
            elif text in _OPENING:
                depth += 1
                if depth > info.max_depth:
                    info.max_depth = depth
            elif text in _CLOSING:
                depth -= 1
        elif kind == "var":
            name = text[1:]
            if name not in seen:
                seen.add(name)
                info.variables.append(name)
        elif kind == "word":
            word = text.upper()
            if word in _CHAIN_WORDS:
                chains[word] = chains.get(word, 0) + 1
            if word == "SERVICE":
                info.services.append(_service_target(tokens, n + 1, info.prefixes))
            elif word == "FROM":
                info.has_dataset = True
            elif (
                info.form
                and word in ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE")
                and _after_semicolon(tokens, n)
            ):
                info.update = info.update or word
    return info


def _after_semicolon(tokens: list[Token], n: int) -> bool:
    """An update operation chained after ``;`` (``SELECT ... ; DROP ALL`` is not a query)."""
    return n > 0 and tokens[n - 1].text == ";" and tokens[n - 1].kind == "other"


def _service_target(tokens: list[Token], n: int, prefixes: dict[str, str]) -> str | None:
    if n < len(tokens) and tokens[n].upper == "SILENT":
        n += 1
    if n >= len(tokens):
        return None
    token = tokens[n]
    if token.kind == "iri":
        return token.text[1:-1]
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local
        return token.text
    return None


def find_where_brace(text: str) -> int | None:
    """Offset of the ``{`` that opens the query's WHERE clause, or None.

    Used to bind parameters with a leading ``VALUES`` block when the store has
    no substitution support (remote stores).
    """
    tokens = tokenize(text)
    info = analyse(text)
    if info.form is None:
        return None
    depth_paren = 0
    seen_where = False
    template_depth = 0
    in_template = False
    started = False
    for token in tokens:
        word = token.upper if token.kind == "word" else ""
        if not started:
            if word == info.form:
                started = True
            continue
        if word == "WHERE":
            seen_where = True
            continue
        if token.text == "(" and token.kind == "other":
            depth_paren += 1
        elif token.text == ")" and token.kind == "other":
            depth_paren -= 1
        elif token.text == "{" and token.kind == "other" and depth_paren == 0:
            if in_template:
                template_depth += 1
                continue
            if info.form == "CONSTRUCT" and not seen_where:
                in_template, template_depth = True, 1
                continue
            return token.start
        elif token.text == "}" and token.kind == "other" and in_template:
            template_depth -= 1
            if template_depth == 0:
                in_template = False
    return None


def append_page(text: str, limit: int, offset: int) -> str | None:
    """``text`` with ``LIMIT limit OFFSET offset`` added, or None if the query pages itself.

    Only for SELECT queries with no LIMIT or OFFSET of their own and no
    trailing VALUES block (after which no LIMIT may follow).
    """
    info = analyse(text)
    if info.form != "SELECT":
        return None
    tokens = tokenize(text)
    depth = 0
    closed_where = False
    for token in tokens:
        if token.kind == "word" and token.upper in ("LIMIT", "OFFSET"):
            return None
        if token.kind == "other" and token.text == "{":
            depth += 1
        elif token.kind == "other" and token.text == "}":
            depth -= 1
            closed_where = closed_where or depth == 0
        elif closed_where and depth == 0 and token.kind == "word" and token.upper == "VALUES":
            return None
    return f"{text.rstrip()}\nLIMIT {int(limit)} OFFSET {int(offset)}\n"
