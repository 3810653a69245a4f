"""Minting IRIs: the one place that turns names into slugs and slugs into IRIs.

>>> slugify("Defining the problem to solve")
'defining-the-problem-to-solve'
>>> mint("initiative", "Flanders Smart Data Space")
'https://w3id.org/iopgraph/id/initiative/flanders-smart-data-space'
>>> concept("challenge", "Lack of trust")
'https://w3id.org/iopgraph/concept/challenge/lack-of-trust'
"""

from __future__ import annotations

import re
import unicodedata

from iopgraph.core.namespaces import CONCEPT, ID

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_APOSTROPHES = str.maketrans("", "", "'’‘`")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")

#: Kinds of instance IRIs (id/<kind>/<slug>) the graph mints.
KINDS = frozenset(
    {
        "initiative",
        "organisation",
        "function",
        "participation",
        "place",
        "platform",
        "mitigation",
        "recommendation",
        "enabler",
        "statistic",
        "publication",
        "consultation",
        "report",
        "activity",
        "release",
        "dataset",
        "agent",
    }
)


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens; accents and apostrophes dropped."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = _NON_ALNUM.sub("-", ascii_text.translate(_APOSTROPHES).lower())
    slug = words.strip("-")
    if not slug:
        raise ValueError(f"cannot make a slug from {text!r}: it has no letters or digits")
    return slug


def is_slug(text: str) -> bool:
    """True when ``text`` is already a well-formed slug."""
    return bool(SLUG_PATTERN.match(text))


def mint(kind: str, name: str) -> str:
    """The instance IRI for a resource of ``kind`` named ``name``."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(KINDS)}")
    return f"{ID}{kind}/{slugify(name)}"


def concept(scheme: str, name: str | None = None) -> str:
    """The IRI of a concept scheme, or of one of its concepts when ``name`` is given."""
    base = f"{CONCEPT}{slugify(scheme)}"
    return base if name is None else f"{base}/{slugify(name)}"
