"""Browsing the pages of a real `iopgraph serve` (issue 14, items 2 and 4), checked against the store.

* a challenge page rolls up the mitigations, use cases, recommendations and statistics of every
  narrower challenge, grouped by that challenge ("Lack of trust" shows the practices of its
  sub-challenges);
* every challenge page has breadcrumbs up its ``skos:broader`` chain;
* "cited in": the boxes that mention an organisation, the practices that cite a recommendation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import httpx
import pyoxigraph as ox
import pytest

from iopgraph.views.links import local_href
from support.clients import http_client
from support.server import serve

IOP = "https://w3id.org/iopgraph/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    folder = tmp_path_factory.mktemp("browse")
    with (
        serve(
            [], {"IOPGRAPH_STORE_PATH": str(folder / "store"), "IOPGRAPH_QUERY_WORKERS": "1"}, timeout=120
        ) as base,
        http_client(base, headers=HTML) as c,
    ):
        yield c


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in result]  # type: ignore[union-attr]


def hrefs(fragment: str) -> set[str]:
    return {unescape(h) for h in re.findall(r'<a href="([^"]+)"', fragment)}


def test_challenge_pages_roll_up_their_narrower_challenges(
    client: httpx.Client, shipped_store: ox.Store
) -> None:
    parents = select(
        shipped_store, f"SELECT DISTINCT ?c WHERE {{ ?n <{SKOS}broader> ?c . ?m <{IOP}addresses> ?n }}"
    )
    assert any(p["c"].endswith("/lack-of-trust") for p in parents)
    for row in parents:
        challenge = row["c"]
        expected = {
            local_href(r["m"])
            for r in select(
                shipped_store,
                f"SELECT DISTINCT ?m WHERE {{ ?n <{SKOS}broader>+ <{challenge}> . ?m <{IOP}addresses> ?n }}",
            )
        }
        page = client.get(local_href(challenge)).text
        assert 'class="rollup"' in page, challenge
        rolled = page[page.index('class="rollup"') :]
        rolled = rolled[: rolled.index("</article>")]
        mitigations = set()
        for block in re.findall(r"<h4>Mitigations and good practices.*?</ul>", rolled, re.S):
            mitigations |= hrefs(block)
        assert mitigations == expected, challenge
    trust = client.get("/concept/challenge/lack-of-trust").text
    assert (
        "/id/mitigation/promoting-trust-and-knowledge-sharing-among-partners" in trust
    )  # on a sub-challenge only


def test_breadcrumbs_follow_the_broader_chain(client: httpx.Client, shipped_store: ox.Store) -> None:
    rows = select(shipped_store, f"SELECT ?c ?b WHERE {{ ?c <{SKOS}broader> ?b }}")
    broader = {r["c"]: r["b"] for r in rows if "/concept/challenge/" in r["c"]}
    assert len(broader) > 40
    for challenge in sorted(broader):
        chain, node = [], challenge
        while node in broader:
            node = broader[node]
            chain.insert(0, local_href(node))
        page = client.get(local_href(challenge)).text
        nav = re.search(r'<nav aria-label="Breadcrumb" class="breadcrumbs">(.*?)</nav>', page, re.S)
        assert nav, challenge
        links = re.findall(r'<a href="([^"]+)"', nav.group(1))
        assert links == ["/challenges", *chain], challenge
        assert 'aria-current="page"' in nav.group(1)


def test_cited_in_lists_boxes_and_citing_practices(client: httpx.Client, shipped_store: ox.Store) -> None:
    boxes = select(
        shipped_store,
        f"SELECT ?o ?b WHERE {{ ?o a <http://www.w3.org/ns/org#Organization> ; "
        f"<{IOP}section> ?b . ?b a <{IOP}Box> }}",
    )
    assert boxes
    organisation = boxes[0]["o"]
    page = client.get(local_href(organisation)).text
    cited = page[page.index('class="cited-in"') :]
    cited = cited[: cited.index("</section>")]
    assert {local_href(r["b"]) for r in boxes if r["o"] == organisation} <= hrefs(cited)
    backing = select(shipped_store, f"SELECT ?r ?m WHERE {{ ?m <{IOP}backedBy> ?r }}")
    recommendation = backing[0]["r"]
    page = client.get(local_href(recommendation)).text
    cited = page[page.index('class="cited-in"') :]
    cited = cited[: cited.index("</section>")]
    assert {local_href(r["m"]) for r in backing if r["r"] == recommendation} == hrefs(cited)
