"""The browser SPARQL editor at ``/sparql``, a page of the site, preloaded with the example queries.

YASGUI (npm ``@zazuko/yasgui``) is installed by ``make web`` into
``web/node_modules`` (git-ignored) and served under ``/sparql/assets/``; no
third-party code is committed and the page needs no internet access. Without
those assets (Python only, no npm) the page offers a plain built-in editor
(``static/sparql-editor.js``: a textarea, the examples, a results table) and
says how to get YASGUI.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from iopgraph.core.namespaces import PREFIXES
from iopgraph.core.settings import Settings
from iopgraph.query.lexer import tokenize
from iopgraph.sparql.named import NamedQuery, load_queries
from iopgraph.views.jsonld import CONTEXT_PATH

ASSETS_PATH = "/sparql/assets"
#: Files of the YASGUI package served under ASSETS_PATH.
ASSET_FILES = {
    "yasgui.min.js": "text/javascript",
    "yasgui.min.css": "text/css",
    "yasgui.min.js.map": "application/json",
}

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parents[1] / "templates"),
    autoescape=True,
)
_env.globals["context_path"] = CONTEXT_PATH


def assets_dir(settings: Settings) -> Path:
    """Where ``make web`` installed YASGUI's built files."""
    return settings.root / "web" / "node_modules" / "@zazuko" / "yasgui" / "build"


def yasgui_installed(settings: Settings) -> bool:
    return (assets_dir(settings) / "yasgui.min.js").is_file()


def prologue() -> str:
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


DEFAULT_QUERY_BODY = """
# Challenges of the report, with their labels. Pick more examples above.
SELECT ?challenge ?label WHERE {
  ?challenge skos:inScheme ?scheme ; skos:prefLabel ?label .
  FILTER(CONTAINS(STR(?scheme), "challenge"))
}
ORDER BY ?label
LIMIT 50
"""


def with_examples(query: NamedQuery) -> str:
    """The query text for the editor, its parameters filled with their examples (as RDF terms)."""
    text = query.text
    replacements = []
    for param in query.parameters:
        if param.example is None:
            continue
        term = str(param.to_term(param.example))
        for token in tokenize(text):
            if token.kind == "var" and token.text[1:] == param.variable:
                replacements.append((token.start, len(token.text), term))
    for start, length, term in sorted(replacements, reverse=True):
        text = text[:start] + term + text[start + length :]
    return text


def editor_page(settings: Settings, endpoint: str) -> str:
    examples = [
        {"name": q.name, "summary": q.summary, "query": with_examples(q)}
        for q in load_queries(settings.root / "queries").values()
    ]
    yasgui = yasgui_installed(settings)
    config = {
        "yasgui": yasgui,
        "endpoint": endpoint,
        "prefixes": PREFIXES,
        "defaultQuery": prologue() + DEFAULT_QUERY_BODY,
        "examples": examples,
    }
    return _env.get_template("sparql_editor.html").render(
        endpoint=endpoint,
        assets=ASSETS_PATH,
        config=config,
        examples=examples,
        yasgui=yasgui,
        wide=True,
        max_results=settings.max_results,
        timeout=f"{settings.query_timeout:g}",
    )
