"""Named queries: ``queries/*.rq`` files with a grlc-style header, and their typed parameters.

A file's leading ``#+`` lines are YAML (after the ``#+ `` is stripped)::

    #+ summary: Mitigations that address a challenge
    #+ description: Lists the mitigations ...
    #+ tags:
    #+   - challenges
    #+ pagination: 50
    #+ params:
    #+   challenge:
    #+     description: IRI of a challenge concept
    #+     example: https://w3id.org/iopgraph/concept/challenge/lack-of-trust
    PREFIX iop: <https://w3id.org/iopgraph/ontology#>
    SELECT ... WHERE { ... ?_challenge_iri ... }

Parameters are the query's variables named ``?_<name>_<type>`` (grlc's
convention; types: iri, string, integer, decimal, boolean, year, date) or
``?_<name>`` (a string). ``params:`` adds a description, an example,
``required: false`` (an optional parameter leaves its variable unbound) and a
``default``. Values are turned into RDF terms (:func:`to_term`) and bound by the
engine (SEP-0007 substitution), never pasted into the query text.

    queries = load_queries(root / "queries")
    term = queries["mitigations-for-challenge"].parameters[0].to_term("https://...")
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from iopgraph.core.namespaces import XSD
from iopgraph.query.errors import BadQueryParameter
from iopgraph.query.lexer import analyse

log = logging.getLogger("iopgraph.sparql")

PARAM_TYPES = ("iri", "string", "integer", "decimal", "boolean", "year", "date")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_YEAR = re.compile(r"^-?\d{4,}$")


class NamedQueryError(ValueError):
    """A .rq file whose header cannot be read."""


@dataclass(frozen=True)
class Parameter:
    """One typed parameter of a named query."""

    name: str
    variable: str  # without the leading ?
    type: str
    description: str = ""
    example: str | None = None
    required: bool = True
    default: str | None = None

    def to_term(self, value: str) -> ox.NamedNode | ox.Literal:
        """The RDF term for ``value``; raises :class:`BadQueryParameter` (422) if it is not a valid ``type``."""
        try:
            return _convert(self.type, value.strip() if self.type != "string" else value)
        except (ValueError, InvalidOperation, ArithmeticError) as exc:
            raise BadQueryParameter(
                f"parameter '{self.name}' must be {_describe(self.type)}; got {value!r} ({exc})"
            ) from None


def _describe(kind: str) -> str:
    return {
        "iri": "an absolute IRI such as https://w3id.org/iopgraph/...",
        "integer": "an integer",
        "decimal": "a decimal number",
        "boolean": "true or false",
        "year": "a year (YYYY)",
        "date": "a date (YYYY-MM-DD)",
    }.get(kind, "a string")


def _typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


def _convert(kind: str, value: str) -> ox.NamedNode | ox.Literal:
    if kind == "iri":
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", value) or any(c in value for c in '<>"{}|^`\\'):
            raise ValueError("not an absolute IRI")
        return ox.NamedNode(value)
    if kind == "integer":
        return _typed(str(int(value)), "integer")
    if kind == "decimal":
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError("not a finite number")
        return _typed(format(number, "f"), "decimal")
    if kind == "boolean":
        lowered = value.lower()
        if lowered not in ("true", "false", "1", "0"):
            raise ValueError("not a boolean")
        return _typed("true" if lowered in ("true", "1") else "false", "boolean")
    if kind == "year":
        if not _YEAR.match(value):
            raise ValueError("not a year")
        return _typed(value, "gYear")
    if kind == "date":
        return _typed(dt.date.fromisoformat(value).isoformat(), "date")
    return ox.Literal(value)


@dataclass(frozen=True)
class NamedQuery:
    """A ``queries/<name>.rq`` file: its metadata, parameters and SPARQL text."""

    name: str
    path: Path
    text: str
    form: str
    summary: str
    description: str = ""
    tags: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    pagination: int | None = None
    header: dict[str, Any] = field(default_factory=dict)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def bind(self, values: dict[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
        """Substitutions (variable → term) for the given parameter values; 422 if one is missing or bad."""
        bound: dict[str, ox.NamedNode | ox.Literal] = {}
        for param in self.parameters:
            value = values.get(param.name)
            if value is None or value == "":
                value = param.default
            if value is None:
                if param.required:
                    raise BadQueryParameter(
                        f"parameter '{param.name}' is required: {param.description or _describe(param.type)}"
                        + (f" (e.g. {param.example})" if param.example else "")
                    )
                continue
            bound[param.variable] = param.to_term(value)
        return bound


def parse_header(text: str) -> tuple[dict[str, Any], str]:
    """The YAML header of a .rq file (its leading ``#+`` lines) and the remaining SPARQL text."""
    lines = text.splitlines(keepends=True)
    header_lines: list[str] = []
    index = 0
    for index, line in enumerate(lines):  # noqa: B007 - index is used after the loop
        if line.startswith("#+"):
            content = line[2:]
            header_lines.append(content[1:] if content.startswith(" ") else content)
        elif line.strip() == "" and not header_lines:
            continue
        else:
            break
    else:
        index = len(lines)
    if not header_lines:
        return {}, text
    try:
        header = yaml.safe_load("".join(header_lines)) or {}
    except yaml.YAMLError as exc:
        # Be lenient like grlc: a plain value with ": " in it (prose) is read as a string.
        try:
            header = yaml.safe_load("".join(_quote_prose(line) for line in header_lines)) or {}
        except yaml.YAMLError:
            raise NamedQueryError(f"the #+ header is not valid YAML: {exc}") from None
    if not isinstance(header, dict):
        raise NamedQueryError("the #+ header must be a YAML mapping (key: value lines)")
    return header, "".join(lines[index:])


_PROSE_LINE = re.compile(r"^(\s*[A-Za-z_][\w-]*:\s+)([^'\"\[{|>&*!%@`#\s].*: .*?)\s*$")


def _quote_prose(line: str) -> str:
    match = _PROSE_LINE.match(line)
    if not match:
        return line
    return match.group(1) + json.dumps(match.group(2)) + "\n"


def parameters_of(variables: list[str], declared: dict[str, Any]) -> tuple[Parameter, ...]:
    """The parameters named by ``?_name_type`` variables, described by the header's ``params:``."""
    params = []
    for variable in variables:
        if not variable.startswith("_") or len(variable) < 2:
            continue
        stem = variable[1:]
        name, _, kind = stem.rpartition("_")
        if not name or kind not in PARAM_TYPES:
            name, kind = stem, "string"
        spec = declared.get(name) or {}
        if not isinstance(spec, dict):
            spec = {"description": str(spec)}
        example = spec.get("example")
        default = spec.get("default")
        params.append(
            Parameter(
                name=name,
                variable=variable,
                type=kind,
                description=str(spec.get("description", "")),
                example=None if example is None else str(example),
                required=bool(spec.get("required", default is None)),
                default=None if default is None else str(default),
            )
        )
    return tuple(params)


def load_query(path: Path) -> NamedQuery:
    """Read one .rq file; raises :class:`NamedQueryError` if its header or form cannot be read."""
    name = path.stem
    if not NAME_PATTERN.match(name):
        raise NamedQueryError(f"{path.name}: query names use lower-case letters, digits, '-' and '_'")
    text = path.read_text(encoding="utf-8")
    header, _ = parse_header(text)
    info = analyse(text)
    if info.form is None:
        raise NamedQueryError(f"{path.name}: no SELECT, CONSTRUCT, DESCRIBE or ASK found")
    declared = header.get("params") or {}
    if not isinstance(declared, dict):
        raise NamedQueryError(f"{path.name}: 'params' must map parameter names to their description")
    pagination = header.get("pagination")
    tags = header.get("tags") or []
    return NamedQuery(
        name=name,
        path=path,
        text=text,
        form=info.form,
        summary=str(header.get("summary") or header.get("title") or name.replace("-", " ")),
        description=str(header.get("description") or ""),
        tags=tuple(str(t) for t in (tags if isinstance(tags, list) else [tags])),
        parameters=parameters_of(info.variables, declared),
        pagination=int(pagination) if pagination else None,
        header=header,
    )


def load_queries(folder: Path) -> dict[str, NamedQuery]:
    """Every readable ``*.rq`` in ``folder`` by name; unreadable ones are logged and skipped."""
    found: dict[str, NamedQuery] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.rq")):
        try:
            query = load_query(path)
        except (NamedQueryError, OSError, UnicodeDecodeError) as exc:
            log.warning("skipping named query %s: %s", path, exc)
            continue
        found[query.name] = query
    return found
