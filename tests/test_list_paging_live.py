"""The HTML lists are paged on a real `iopgraph serve` whose graph outgrew one page (issue 13).

On the synthetic 1M graph a list of every member was 8.6 MB of HTML and 7-15 s of the event loop.
Now a list shows ``LIST_PAGE_SIZE`` cards a page, in the order of its ``/api/`` collection, with
links to the other pages; the shipped lists (87 mitigations at most) still fit on one page, without
a pager. The graph here is the shipped one plus 230 generated mitigations: 317, four pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from iopgraph.views.pages import LIST_PAGE_SIZE
from support.paths import ROOT
from support.project import build_project
from support.server import ServerProcess

GENERATED = 230
SHIPPED_MITIGATIONS = 87  # mitigations and good practices of the shipped graph
TOTAL = SHIPPED_MITIGATIONS + GENERATED
LAST = -(-TOTAL // LIST_PAGE_SIZE)
_CARD = re.compile(r'<h2 id="card-\d+"><a href="([^"]+)">')


def _generated(path: Path) -> Path:
    lines = [
        "@prefix iop: <https://w3id.org/iopgraph/ontology#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
    ]
    lines += [
        f"<https://w3id.org/iopgraph/id/mitigation/generated-{i:03d}> a iop:Mitigation ; "
        f'rdfs:label "Generated mitigation {i:03d}"@en .'
        for i in range(GENERATED)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("list-paging")
    data = [*sorted((ROOT / "data").glob("*.ttl")), _generated(folder / "zz-generated.ttl")]
    env = {
        "IOPGRAPH_ROOT": str(build_project(folder, data=data)),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        "IOPGRAPH_ACCESS_LOG": "false",
    }
    with ServerProcess(folder, env) as process:
        process.wait_until("/readyz", 120)
        yield process.url


def cards(html: str) -> list[str]:
    return _CARD.findall(html)


def test_the_first_page_holds_one_page_of_cards_and_links_to_the_others(server: str) -> None:
    response = httpx.get(server + "/mitigations", timeout=60)
    assert response.status_code == 200
    assert len(cards(response.text)) == LIST_PAGE_SIZE
    assert f"Page 1 of {LAST} ({TOTAL} in all)" in response.text
    assert '<a href="?page=2" rel="next">' in response.text
    assert f'<a href="?page={LAST}" rel="last">' in response.text
    assert 'rel="prev"' not in response.text


def test_the_pages_together_are_the_collection_in_its_order(server: str) -> None:
    shown: list[str] = []
    for number in range(1, LAST + 1):
        response = httpx.get(server + "/mitigations", params={"page": number}, timeout=60)
        assert response.status_code == 200, (number, response.text[:300])
        shown += cards(response.text)
    api: list[str] = []
    for number in (1, 2):
        page = httpx.get(
            server + "/api/mitigations",
            params={"limit": 200, "page": number},
            headers={"Accept": "application/ld+json"},
            timeout=60,
        ).json()
        api += [member["@id"] for member in page["member"]]
    assert len(api) == TOTAL
    assert [href.removeprefix(server) for href in shown] == [
        iri.removeprefix("https://w3id.org/iopgraph") for iri in api
    ]


def test_the_last_page_links_back_and_not_on(server: str) -> None:
    response = httpx.get(server + "/mitigations", params={"page": LAST}, timeout=60)
    assert len(cards(response.text)) == TOTAL - (LAST - 1) * LIST_PAGE_SIZE
    assert f'<a href="?page={LAST - 1}" rel="prev">' in response.text
    assert 'rel="next"' not in response.text


def test_a_page_past_the_last_is_a_404_that_says_which_is_last(server: str) -> None:
    response = httpx.get(server + "/mitigations", params={"page": LAST + 1}, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert f"the last page is {LAST}" in response.text


@pytest.mark.parametrize("page", ["0", "two", "-1"])
def test_a_page_that_is_not_a_page_number_is_a_400(server: str, page: str) -> None:
    response = httpx.get(server + "/mitigations", params={"page": page}, headers={"Accept": "text/html"})
    assert response.status_code == 400


def test_a_list_that_fits_on_one_page_has_no_pager(server: str) -> None:
    response = httpx.get(server + "/organisations", timeout=60)
    assert response.status_code == 200
    assert 0 < len(cards(response.text)) <= LIST_PAGE_SIZE
    assert 'class="pager"' not in response.text


def test_each_page_has_its_own_etag(server: str) -> None:
    first = httpx.get(server + "/mitigations", params={"page": 1}, timeout=60)
    second = httpx.get(server + "/mitigations", params={"page": 2}, timeout=60)
    assert first.headers["etag"] != second.headers["etag"]
    again = httpx.get(
        server + "/mitigations", params={"page": 2}, headers={"If-None-Match": second.headers["etag"]}
    )
    assert again.status_code == 304
