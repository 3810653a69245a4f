"""The project's guides (``docs/*.md``) as pages of the site: ``/guides/<name>``.

The Markdown is rendered with raw HTML disabled (a guide cannot inject markup);
links between guides become ``/guides/<name>``, links to the guides' example
files ``/guides/examples/<file>``; other relative links (into the source tree)
are kept as text, since the service does not serve the source tree.

    >>> rewrite_link("reliability.md#limits")
    '/guides/reliability#limits'
    >>> rewrite_link("examples/new-initiative.ttl")
    '/guides/examples/new-initiative.ttl'
    >>> rewrite_link("../tests/test_hostile_inputs.py") is None
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
EXAMPLE = re.compile(r"^[a-z0-9][a-z0-9-]*\.(ttl|jsonld|nt|rq|trig|nq|rdf)$")


@dataclass(frozen=True)
class Guide:
    name: str
    title: str
    html: str


def guide_names(docs: Path) -> list[str]:
    """The guides in ``docs`` (one per ``*.md`` file with a plain name)."""
    if not docs.is_dir():
        return []
    return sorted(p.stem for p in docs.glob("*.md") if NAME.match(p.stem))


def rewrite_link(href: str) -> str | None:
    """Where a relative link of a guide points on the site; None when the site does not serve it."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I) or href.startswith(("#", "/")):
        return href
    path, _, fragment = href.partition("#")
    suffix = "#" + fragment if fragment else ""
    if path.endswith(".md") and NAME.match(path[:-3]):
        return f"/guides/{path[:-3]}{suffix}"
    if path.startswith("examples/") and EXAMPLE.match(path[len("examples/") :]):
        return f"/guides/{path}"
    return None


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

    def link_open(
        renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        href = str(token.attrGet("href") or "")
        target = rewrite_link(href)
        if target is None:  # shown as text: drop the link
            token.attrs.pop("href", None)
            token.tag = "span"
            return '<span class="source-path">'
        token.attrSet("href", target)
        return renderer.renderToken(tokens, idx, options, env)  # md.renderer: rules are bound to it

    def link_close(renderer: object, tokens: list[Token], idx: int, options: object, env: object) -> str:
        opened = next((t for t in reversed(tokens[:idx]) if t.type == "link_open"), None)
        if opened is not None and opened.tag == "span":
            return "</span>"
        return "</a>"

    md.add_render_rule("link_open", link_open)
    md.add_render_rule("link_close", link_close)
    return md


_MD = _markdown()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render_guide(path: Path) -> Guide:
    """The guide at ``path`` as HTML, its headings with anchors (``#step-2-validate-it``)."""
    text = path.read_text(encoding="utf-8")
    tokens = _MD.parse(text)
    title = path.stem
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and i + 1 < len(tokens):
            heading = tokens[i + 1].content
            token.attrSet("id", _slug(heading))
            if token.tag == "h1" and title == path.stem:
                title = heading
    html = _MD.renderer.render(tokens, _MD.options, {})
    return Guide(path.stem, title, html)
