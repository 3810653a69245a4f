"""Search answers as data: the request's parameters checked, and the JSON-LD and page models of a result.

params = SearchParams.from_query(request.query_params.multi_items())
page = await search.search(params.query, params.filters, params.offset, params.limit)
doc = search_document(page, params, base_url, context_url)       # /api/search (Hydra)
model = page_model(page, params)                                  # /search (HTML)
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from urllib.parse import urlencode

from markupsafe import Markup

from iopgraph.core.errors import InvalidParameter
from iopgraph.core.namespaces import ONTOLOGY as IOP
from iopgraph.search.index import CLOSE, OPEN, FacetValue, Hit, SearchPage, Suggestion
from iopgraph.search.query import ParsedQuery, parse
from iopgraph.search.records import FACET_TITLES, FACETS
from iopgraph.views.jsonld import JsonObject, load_context
from iopgraph.views.links import local_href

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SUGGEST_LIMIT = 8
MAX_PAGE = 10_000
MAX_FILTER_VALUES = 20
RESERVED = ("q", "page", "limit", "format")

#: Terms of the search answers that the shared context does not define (added beside it).
SEARCH_NS = "https://w3id.org/iopgraph/ontology/search#"
SEARCH_CONTEXT: JsonObject = {
    "search": SEARCH_NS,
    "snippet": "search:snippet",
    "matchedIn": "search:matchedIn",
    "exactLabelMatch": {"@id": "search:exactLabelMatch", "@type": "xsd:boolean"},
    "facets": {"@id": "search:facet", "@container": "@set"},
    "facet": "search:facetName",
    "facetValue": "search:facetValue",
    "facetLabel": "search:facetLabel",
    "count": {"@id": "search:count", "@type": "xsd:integer"},
    "selected": {"@id": "search:selected", "@type": "xsd:boolean"},
    "filter": {"@id": "search:filter", "@type": "@id"},
    "query": "search:query",
    "facetCountsOver": {"@id": "search:facetCountsOver", "@type": "xsd:integer"},
}


@dataclass(frozen=True)
class SearchParams:
    """The validated parameters of a search request."""

    text: str
    query: ParsedQuery
    filters: dict[str, list[str]] = field(default_factory=dict)
    page: int = 1
    limit: int = DEFAULT_LIMIT

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    @classmethod
    def from_query(
        cls,
        items: list[tuple[str, str]],
        prefix_last: bool = False,
        max_limit: int = MAX_LIMIT,
        default_limit: int = DEFAULT_LIMIT,
    ) -> SearchParams:
        text, page, limit = "", 1, default_limit
        filters: dict[str, list[str]] = {}
        for name, value in items:
            if name == "q":
                text = value
            elif name == "page":
                page = _whole(name, value, 1, MAX_PAGE)
            elif name == "limit":
                limit = _whole(name, value, 1, max_limit)
            elif name == "format":
                continue
            elif name in FACETS:
                value = value.strip()
                if not value or len(value) > 300:
                    raise InvalidParameter(f"{name}: give a value of 1 to 300 characters")
                values = filters.setdefault(name, [])
                if value not in values:
                    values.append(value)
                if len(values) > MAX_FILTER_VALUES:
                    raise InvalidParameter(f"{name}: at most {MAX_FILTER_VALUES} values")
            else:
                allowed = ", ".join([*RESERVED[:3], *FACETS])
                raise InvalidParameter(f"unknown parameter {name!r}; allowed: {allowed}")
        return cls(" ".join(text.split()), parse(text, prefix_last), filters, page, limit)

    def url(self, path: str, page: int | None = None, toggle: tuple[str, str] | None = None) -> str:
        """This search's URL, on another page or with one filter value switched on or off."""
        params: list[tuple[str, str]] = [("q", self.text)] if self.text else []
        for name in FACETS:
            for value in self.filters.get(name, []):
                if toggle != (name, value):
                    params.append((name, value))
            if toggle and toggle[0] == name and toggle[1] not in self.filters.get(name, []):
                params.append(toggle)
        if self.limit != DEFAULT_LIMIT:
            params.append(("limit", str(self.limit)))
        if page is not None and page > 1:
            params.append(("page", str(page)))
        return path + ("?" + urlencode(params, safe=":") if params else "")


def _whole(name: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise InvalidParameter(f"{name}={value[:40]!r}: give a whole number") from None
    if not low <= number <= high:
        raise InvalidParameter(f"{name}={number}: must be between {low} and {high}")
    return number


def last_page(total: int, limit: int) -> int:
    return max(1, -(-total // limit))


def marked_html(text: str) -> Markup:
    """Text with highlight markers as HTML: escaped, matches in ``<mark>`` (FTS5 balances the markers)."""
    escaped = html.escape(text, quote=False)
    return Markup(escaped.replace(OPEN, "<mark>").replace(CLOSE, "</mark>"))


def plain(text: str) -> str:
    return text.replace(OPEN, "").replace(CLOSE, "")


def _member(hit: Hit) -> JsonObject:
    ctx = load_context()
    term = ctx.forward.get(hit.label_predicate)
    member: JsonObject = {
        "@id": hit.iri,
        "@type": [ctx.compact_type(t) for t in hit.types],
        (term.name if term else "label"): plain(hit.label),
    }
    if hit.sections:  # a section or box is part of its section; anything else cites them (iop:section)
        key = "isPartOf" if {IOP + "ReportSection", IOP + "Box"} & set(hit.types) else "section"
        member[key] = [{"@id": iri, "label": label} for iri, label in hit.sections]
    member["matchedIn"] = hit.field
    if hit.snippet:
        member["snippet"] = plain(hit.snippet)
    member["exactLabelMatch"] = hit.exact
    return member


def search_document(
    result: SearchPage, params: SearchParams, base_url: str, path: str, context_url: str
) -> JsonObject:
    """``/api/search`` as a Hydra collection: members, paging view, and facet counts with their filter URLs."""
    base = base_url.rstrip("/")
    last = last_page(result.total, params.limit)
    view: JsonObject = {
        "@id": base + params.url(path, params.page),
        "@type": ["PartialCollectionView"],
        "first": base + params.url(path, 1),
        "last": base + params.url(path, last),
    }
    if params.page > 1:
        view["previous"] = base + params.url(path, params.page - 1)
    if params.page < last:
        view["next"] = base + params.url(path, params.page + 1)
    facets = [
        {
            "facet": name,
            "facetValue": v.value,
            "facetLabel": v.label,
            "count": v.count,
            "selected": v.selected,
            "filter": base + params.url(path, toggle=(name, v.value)),
        }
        for name in FACETS
        for v in result.facets.get(name, [])
    ]
    return {
        "@context": [context_url, SEARCH_CONTEXT],
        "@id": base + params.url(path),
        "@type": ["Collection"],
        "title": f"Search results for “{params.text}”" if params.text else "Search results",
        "query": params.text,
        "totalItems": result.total,
        "member": [_member(h) for h in result.hits],
        "view": view,
        "facets": facets,
        "facetCountsOver": result.counted,
    }


def suggestions_document(items: list[Suggestion], text: str) -> JsonObject:
    return {
        "query": text,
        "suggestions": [
            {"@id": s.iri, "label": s.label, "kind": s.kind, "href": local_href(s.iri)} for s in items
        ],
    }


@dataclass(frozen=True)
class FacetGroup:
    name: str
    title: str
    values: list[tuple[FacetValue, str]]  # (value, URL toggling it)


#: The type filters of each list page of the site (the list's "find in this list" box searches these).
LIST_TYPES: dict[str, tuple[str, ...]] = {
    "challenges": ("Challenge", "ChallengeFamily", "ChallengeCluster", "SubChallenge", "ChallengeFactor"),
    "mitigations": ("Mitigation", "GoodPractice"),
    "initiatives": ("Initiative", "DataSpace", "LocalDigitalTwin"),
    "organisations": (
        "org:Organization",
        "org:OrganizationalUnit",
        "org:FormalOrganization",
        "org:OrganizationalCollaboration",
        "m8g:PublicOrganisation",
        "Network",
    ),
    "enablers": ("Enabler",),
    "recommendations": ("Recommendation",),
    "statistics": ("Statistic",),
    "publications": ("dcterms:BibliographicResource",),
    "footnotes": ("Footnote",),
    "report": ("ReportSection", "Box"),
}
#: Lists to browse A–Z from the search page.
BROWSE = (
    ("Challenges", "challenges"),
    ("Mitigations and good practices", "mitigations"),
    ("Initiatives", "initiatives"),
    ("Organisations", "organisations"),
    ("Enablers (standards, platforms, frameworks…)", "enablers"),
    ("Recommendations", "recommendations"),
    ("Statistics", "statistics"),
    ("Publications", "publications"),
    ("Footnotes", "footnotes"),
    ("Report sections and boxes", "report"),
)


def _anchor(letter: str) -> str:
    return letter if letter.isalnum() and letter.isascii() else f"u{ord(letter[:1] or ' '):x}"


def list_query(name: str) -> str:
    """The query string that browses list ``name`` A–Z (``type=Mitigation&type=GoodPractice``)."""
    return urlencode([("type", t) for t in LIST_TYPES[name]], safe=":")


def page_model(
    result: SearchPage, params: SearchParams, initials: list[tuple[str, int]] | None = None
) -> dict[str, object]:
    """What templates/search.html shows; ``initials`` (browsing without words) gives the A–Z index."""
    last = last_page(result.total, params.limit)
    az = [
        (letter, params.url("/search", before // params.limit + 1) + f"#letter-{_anchor(letter)}")
        for letter, before in initials or []
    ]
    firsts: set[int] = set()
    if initials is not None:  # browsing A–Z: the first hit of each letter on this page is an anchor
        seen: set[str] = set()
        for i, h in enumerate(result.hits):
            letter = " ".join(plain(h.label).casefold().split())[:1].upper()
            if letter not in seen:
                seen.add(letter)
                firsts.add(i)
    hits = [
        {
            "href": local_href(h.iri),
            "label": marked_html(h.label),
            "kind": h.kind,
            "field": h.field,
            "snippet": marked_html(h.snippet) if h.snippet else None,
            "exact": h.exact,
            "sections": [{"href": local_href(i), "label": label} for i, label in h.sections],
            "anchor": f"letter-{_anchor(' '.join(plain(h.label).casefold().split())[:1].upper())}"
            if n in firsts
            else None,
        }
        for n, h in enumerate(result.hits)
    ]
    groups = [
        FacetGroup(
            name,
            FACET_TITLES[name],
            [(v, params.url("/search", toggle=(name, v.value))) for v in result.facets.get(name, [])],
        )
        for name in FACETS
        if result.facets.get(name)
    ]
    shown = {(name, v.value): v.label for name in FACETS for v in result.facets.get(name, [])}
    selected = [
        (FACET_TITLES[name], shown.get((name, value), value), params.url("/search", toggle=(name, value)))
        for name in FACETS
        for value in params.filters.get(name, [])
    ]
    return {
        "q": params.text,
        "hits": hits,
        "total": result.total,
        "page": params.page,
        "last_page": last,
        "first_number": params.offset + 1,
        "previous": params.url("/search", params.page - 1) if params.page > 1 else None,
        "next": params.url("/search", params.page + 1) if params.page < last else None,
        "facet_groups": groups,
        "selected": selected,
        "hidden": [(name, value) for name in FACETS for value in params.filters.get(name, [])],
        "api": params.url("/api/search", params.page),
        "searched": bool(params.text or params.filters),
        "counted": result.counted,
        "az": az,
        "browse": [(title, f"/search?{list_query(name)}") for title, name in BROWSE],
    }
