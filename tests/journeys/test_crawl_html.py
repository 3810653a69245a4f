"""Journey: a crawler (or a reader clicking everything) on `iopgraph serve` with the shipped graph.

From ``/`` it follows every internal ``<a href>`` as a browser would (browser Accept header) and fails on
any 4xx/5xx, on any ``#anchor`` that the target page does not have (every "Type:" link lands on a term of
``/ontology``), and on generated labels garbled from IRIs or numbers in machine notation (issue 10, items
12, 13 and 15). The server runs on a random free port without ``IOPGRAPH_BASE_URL``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from iopgraph.core.namespaces import PREFIXES
from iopgraph.views.labels import VOCABULARY_LABELS
from support.clients import http_client
from support.server import serve

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
MAX_PAGES = 20_000

#: Labels made from IRIs or numbers not written for people (each seen on the site before the fix).
GARBLED = {
    "IRI segment split into letters": re.compile(r"\b(?:[A-Za-z] ){2,}[A-Za-z]\b"),
    "hex split into words": re.compile(r"\b\d+ [a-f]\d+ [a-f0-9]+\b"),
    "ontology#": re.compile(r"ontology#"),
    "exponent notation": re.compile(r"\b\d+(?:\.\d+)?e[+-]\d+\b"),
    "unit 'Count' after a number": re.compile(r"\d Count\b"),
    "US spelling beside the site's British 'organisation'": re.compile(r"\borganiz", re.I),
    "percent-encoding": re.compile(r"%[0-9A-F]{2}"),
}


PREFIXED_NAME = re.compile(r"\((?:[a-z]+):[\w.-]+\)")


class Page(HTMLParser):
    """Links, ids and the generated labels (``<dt>``, type links, table cells) of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        self.labels: list[str] = []
        self._href: str | None = None
        self._text: list[str] = []
        self._label_depth: int | None = None
        self._stack: list[str] = []
        self._label: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href") is not None:
            self._href, self._text = str(a["href"]), []
        if tag in ("dt", "td", "th") and self._label_depth is None:
            self._label_depth, self._label = len(self._stack), []
        if tag not in ("br", "img", "input", "meta", "link", "hr"):
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass
        if self._label_depth is not None and len(self._stack) <= self._label_depth:
            self.labels.append(" ".join("".join(self._label).split()))
            self._label_depth = None

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)
        if self._label_depth is not None:
            self._label.append(data)


@dataclass
class Crawl:
    base: str
    status: dict[str, int] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    referrer: dict[str, str] = field(default_factory=dict)
    fragments: list[tuple[str, str, str]] = field(default_factory=list)  # (page, target path, fragment)


def crawl(base: str) -> Crawl:
    result = Crawl(base)
    todo = ["/"]
    with http_client(base, headers={"Accept": BROWSER_ACCEPT}) as client:
        while todo:
            url = todo.pop()
            if url in result.status:
                continue
            assert len(result.status) < MAX_PAGES, "the crawl does not end: is a link generating new URLs?"
            response = client.get(url)
            result.status[url] = response.status_code
            if response.status_code >= 400 or "text/html" not in response.headers.get("content-type", ""):
                continue
            page = Page()
            page.feed(response.text)
            result.pages[url] = page
            for href, _ in page.links:
                target = urlsplit(urljoin(base + url, href))
                if f"{target.scheme}://{target.netloc}" != base:
                    continue
                path = target.path + ("?" + target.query if target.query else "")
                if target.fragment:
                    result.fragments.append((url, path, target.fragment))
                if path not in result.status:
                    result.referrer.setdefault(path, url)
                    todo.append(path)
    return result


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    folder = tmp_path_factory.mktemp("crawl")  # the store lives here, never in the checkout's var/
    env = {"IOPGRAPH_STORE_PATH": str(folder / "store"), "IOPGRAPH_BUILD_DIR": str(folder / "build")}
    with serve([], env, timeout=120) as base:
        yield crawl(base)


def test_every_internal_link_answers(site: Crawl) -> None:
    broken = {url: (code, site.referrer.get(url)) for url, code in site.status.items() if code >= 400}
    assert broken == {}, f"links that fail (status, linked from): {broken}"
    assert sum(url.startswith("/id/") for url in site.pages) > 500  # it reached the resource pages
    for entry in ("/ontology", "/catalog", "/ldes", "/validate", "/sparql", "/guides/add-an-initiative"):
        assert entry in site.pages, f"{entry} is not linked as a page from the site"


def test_every_anchor_exists(site: Crawl) -> None:
    missing = sorted(
        {
            (path, fragment, page)
            for page, path, fragment in site.fragments
            if path in site.pages and fragment not in site.pages[path].ids
        }
    )
    assert missing == [], f"anchors that land nowhere (target, #anchor, linked from): {missing[:20]}"
    ontology_links = [(p, f) for _, p, f in site.fragments if p == "/ontology"]
    assert len(ontology_links) > 100  # every "Type:" link of the site points into /ontology


def test_type_links_land_on_documented_terms(site: Crawl) -> None:
    ontology = site.pages["/ontology"]
    for term in ("DataSpace", "LocalDigitalTwin", "Statistic", "addresses", "value"):
        assert term in ontology.ids


def test_no_label_is_garbled(site: Crawl) -> None:
    found: dict[str, set[tuple[str, str]]] = {}
    for url, page in site.pages.items():
        if url.startswith("/guides"):
            continue  # the guides are authored text, not generated labels
        texts = page.labels + [text for href, text in page.links if text]
        for text in (
            PREFIXED_NAME.sub("", t) for t in texts
        ):  # "organisation (org:Organization)" names the term
            for name, pattern in GARBLED.items():
                if pattern.search(text) and not quoted_title(text):
                    found.setdefault(name, set()).add((text[:80], url))
    assert found == {}, {name: sorted(hits)[:5] for name, hits in found.items()}


def quoted_title(text: str) -> bool:
    """Titles of cited publications keep the publisher's spelling ("organizational challenges")."""
    return len(text.split()) >= 5 and not text.islower()


def test_statistics_read_as_numbers(site: Crawl) -> None:
    cells = site.pages["/statistics"].labels
    assert "EUR 7.5 billion" in cells
    assert "77%" in cells
    assert any(re.fullmatch(r"\d[\d,]*", c) for c in cells)  # counts have no unit word


def words_from_iri(iri: str) -> str:
    """What the old fallback made of an IRI: its last segment cut into words (``versionIRI`` → ``version i r i``)."""
    local = iri.rstrip("/#").replace("#", "/").rsplit("/", 1)[-1]
    spaced = re.sub(r"(?<!^)([A-Z])", r" \1", local).lower()
    return spaced.replace("-", " ").replace("_", " ")


def test_links_are_not_named_after_their_iri(site: Crawl) -> None:
    """A link to another site reads as that site's address or a label, never as words cut from its IRI."""
    found = set()
    for url, page in site.pages.items():
        for href, text in page.links:
            if href in VOCABULARY_LABELS or href.startswith(tuple(PREFIXES.values())):
                continue  # a vocabulary term's own label may read like its local name ("academic article")
            if href.startswith("http") and text and text.lower() == words_from_iri(href) and "/" not in text:
                if len(text.split()) > 1 or any(ch.isdigit() for ch in text):
                    found.add((text, href, url))
    assert sorted(found)[:10] == []
