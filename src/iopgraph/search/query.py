"""What a person types, turned into an FTS5 query that SQLite can never misread.

No raw text reaches FTS5's query syntax: the words and "quoted phrases" of the
query become FTS5 strings (``"..."``, inner quotes doubled), so ``OR``, ``NEAR``,
``*``, ``:``, ``^``, ``(`` and unbalanced quotes are just characters. All terms
must match (implicit AND); a term ending in ``*`` (or, in suggestions, the last
one) matches as a prefix.

    >>> parse("lack of \\"data sharing\\" trust*").match
    '"lack" "of" "data sharing" "trust"*'
    >>> parse("tru", prefix_last=True).match
    '"tru"*'
    >>> parse('OR ) NEAR(').match
    '"OR" "NEAR("'
    >>> parse("😀 ---").match
    ''
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iopgraph.core.errors import InvalidParameter

#: Longest query accepted, in characters (the longest label of the shipped graph has 187).
MAX_QUERY_CHARS = 200
#: Most terms (words and phrases) a query may have.
MAX_TERMS = 40

_PART = re.compile(r'"([^"]*)"?|(\S+)')
_WORD_CHAR = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class ParsedQuery:
    """The user's text, normalised (for exact-label matching), and its FTS5 MATCH expression."""

    text: str
    match: str  # "" when the text has no searchable word
    typed: bool = False  # the user typed something (if match is "" nothing can match it)

    @property
    def normalised(self) -> str:
        return normalise(self.text)


def normalise(text: str) -> str:
    """Case-folded with whitespace collapsed: how labels are compared for an exact match."""
    return " ".join(text.casefold().split())


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def parse(text: str, prefix_last: bool = False) -> ParsedQuery:
    """The FTS5 expression for ``text``; 400 for a query that is too long or has too many terms."""
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidParameter(f"q: at most {MAX_QUERY_CHARS} characters (this one has {len(text)})")
    terms: list[str] = []
    parts = list(_PART.finditer(text))
    for index, part in enumerate(parts):
        phrase, word = part.group(1), part.group(2)
        raw = phrase if phrase is not None else word
        prefix = word is not None and raw.endswith("*")
        raw = raw.rstrip("*") if word is not None else raw
        if not _WORD_CHAR.search(raw):
            continue  # punctuation or symbols only: nothing the tokenizer would index
        last = index == len(parts) - 1
        star = prefix or (prefix_last and last and word is not None)
        terms.append(_fts_string(raw) + ("*" if star else ""))
    if len(terms) > MAX_TERMS:
        raise InvalidParameter(f"q: at most {MAX_TERMS} words or phrases (this one has {len(terms)})")
    return ParsedQuery(text.replace('"', "").strip(), " ".join(terms), bool(text))
