"""The search index on its own: query parsing, hostile text, ranking rules, updates, reuse at start (issue 14).

Unit tests over the shipped graph in memory (the live service is tested in
tests/test_search_live.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pyoxigraph as ox
import pytest

from iopgraph.core.errors import InvalidParameter
from iopgraph.search.index import CLOSE, OPEN, SearchIndex
from iopgraph.search.query import MAX_QUERY_CHARS, MAX_TERMS, parse
from iopgraph.search.records import read_records
from iopgraph.search.service import SearchService
from iopgraph.search.views import marked_html
from iopgraph.store.backend import LocalBackend

HOSTILE = [
    '"',
    '""',
    '"unbalanced',
    "trust OR",
    "OR",
    "NOT trust",
    "trust AND",
    "NEAR(trust data)",
    "label: trust",
    "{label alt}: trust",
    "^trust",
    "trust*",
    "*",
    "**",
    "-trust",
    "+",
    "(",
    ")",
    "trust)",
    "'; DROP TABLE doc; --",
    "\\",
    "\x00",
    "😀",
    "trust\x02x\x03",
    "ünïcödé",
    "数据",
    "a" * MAX_QUERY_CHARS,
    "- - -",
    "\u2029",
]


@pytest.fixture(scope="module")
def backend(shipped_store: ox.Store) -> LocalBackend:
    return LocalBackend(shipped_store)


@pytest.fixture(scope="module")
def index(backend: LocalBackend) -> SearchIndex:
    built = SearchIndex(None)
    built.rebuild(asyncio.run(read_records(backend)), "digest")
    return built


def test_no_user_text_reaches_fts5_syntax(index: SearchIndex) -> None:
    for text in HOSTILE:
        for prefix in (False, True):
            query = parse(text, prefix_last=prefix)
            try:
                index.search(query, {}, 0, 10)
                index.suggest(query, 8)
            except sqlite3.Error as exc:  # pragma: no cover - the failure this test exists for
                pytest.fail(f"{text!r} reached SQLite as syntax: {exc}")


def test_operators_are_words_and_symbols_match_nothing(index: SearchIndex) -> None:
    assert parse("trust OR data").match == '"trust" "OR" "data"'
    upper = {h.iri for h in index.search(parse("trust NOT"), {}, 0, 100).hits}
    lower = {h.iri for h in index.search(parse("trust not"), {}, 0, 100).hits}
    trust = {h.iri for h in index.search(parse("trust"), {}, 0, 100).hits}
    assert upper == lower and 0 < len(upper) < len(
        trust
    )  # "NOT" is a word that must occur too, not an operator
    symbols = index.search(parse("*** -- ✕"), {}, 0, 10)
    assert symbols.total == 0 and symbols.hits == []
    everything = index.search(parse(""), {}, 0, 10)
    assert everything.total == index.count() > 900  # no words, no filter: browse everything by label


def test_query_bounds() -> None:
    with pytest.raises(InvalidParameter, match=f"at most {MAX_QUERY_CHARS} characters"):
        parse("a" * (MAX_QUERY_CHARS + 1))
    with pytest.raises(InvalidParameter, match=f"at most {MAX_TERMS} words"):
        parse(" ".join(["w"] * (MAX_TERMS + 1)))


def test_stemming_phrases_and_prefixes(index: SearchIndex) -> None:
    plural = {h.iri for h in index.search(parse("sandboxes"), {}, 0, 50).hits}
    singular = {h.iri for h in index.search(parse("sandbox"), {}, 0, 50).hits}
    assert plural and plural == singular
    phrase = index.search(parse('"lack of trust"'), {}, 0, 100)
    words = index.search(parse("lack of trust"), {}, 0, 100)
    assert 0 < phrase.total < words.total
    assert index.search(parse("interop"), {}, 0, 10).total == 0
    assert index.search(parse("interop*"), {}, 0, 10).total > 10


def test_exact_label_first_and_snippets_mark_the_match(index: SearchIndex) -> None:
    page = index.search(parse("Lack of trust"), {}, 0, 10)
    assert page.hits[0].exact and page.hits[0].label.replace(OPEN, "").replace(CLOSE, "") == "Lack of trust"
    quoted = index.search(parse('"power dynamics"'), {}, 0, 10).hits
    assert quoted and quoted[0].field in ("definition", "quote")
    assert f"{OPEN}power dynamics{CLOSE}" in quoted[0].snippet  # a phrase is marked as one span
    assert str(marked_html(f"<b>{OPEN}x{CLOSE}</b>")) == "&lt;b&gt;<mark>x</mark>&lt;/b&gt;"


def test_facets_count_and_filter(index: SearchIndex) -> None:
    page = index.search(parse("trust"), {}, 0, 100)
    types = {v.value: v.count for v in page.facets["type"]}
    assert types["Mitigation"] > 0
    only = index.search(parse("trust"), {"type": ["Mitigation"]}, 0, 100)
    assert only.total == types["Mitigation"]
    assert all("https://w3id.org/iopgraph/ontology#Mitigation" in h.types for h in only.hits)
    both = index.search(
        parse("trust"), {"type": ["Mitigation"], "family": ["cultural-interoperability"]}, 0, 100
    )
    assert 0 < both.total <= only.total
    nothing = index.search(parse("trust"), {"type": ["NoSuchClass"]}, 0, 100)
    assert nothing.total == 0


def test_suggest_prefers_labels_starting_with_the_text(index: SearchIndex) -> None:
    found = index.suggest(parse("lack of tru", prefix_last=True), 8)
    assert found and found[0].label.lower().startswith("lack of tru")


def test_update_adds_and_removes_resources(index: SearchIndex) -> None:
    store = ox.Store()
    backend = LocalBackend(store)
    iri = "https://w3id.org/iopgraph/id/initiative/zyxwv-test"
    store.add(
        ox.Quad(
            ox.NamedNode(iri),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal("Zyxwv harbour twin", language="en"),
        )
    )
    fresh = SearchIndex(None)
    fresh.update([iri], asyncio.run(read_records(backend, [iri])))
    assert [h.iri for h in fresh.search(parse("zyxwv"), {}, 0, 10).hits] == [iri]
    store.clear()
    fresh.update([iri], asyncio.run(read_records(backend, [iri])))
    assert fresh.search(parse("zyxwv"), {}, 0, 10).total == 0


def test_the_index_is_reused_only_for_the_same_records(tmp_path: Path, backend: LocalBackend) -> None:
    path = tmp_path / "store.search.sqlite"
    first = SearchService(SearchIndex(path), backend)
    asyncio.run(first.build())
    assert first.rebuilt and path.exists()
    first.close()
    again = SearchService(SearchIndex(path), backend)
    asyncio.run(again.build())
    assert not again.rebuilt and again.index.count() > 900
    asyncio.run(again.refresh(["https://w3id.org/iopgraph/concept/challenge/lack-of-trust"]))
    again.close()
    after_write = SearchService(SearchIndex(path), backend)
    asyncio.run(after_write.build())
    assert after_write.rebuilt  # a write since the build: the digest no longer holds
    after_write.close()


def test_the_start_up_check_runs_in_the_background_and_an_earlier_index_answers_meanwhile(
    tmp_path: Path, backend: LocalBackend
) -> None:
    from iopgraph.core.settings import Settings
    from iopgraph.search.service import index_path, open_search

    settings = Settings(root=tmp_path, store_path=tmp_path / "store")
    path = index_path(settings)
    assert path is not None
    built = SearchService(SearchIndex(path), backend)
    asyncio.run(built.build())
    built.close()

    async def scenario() -> tuple[bool, bool, bool, int]:
        service = await open_search(settings, backend)
        try:
            # open_search returned before the check ran: the earlier index already answers
            checking = service._startup is not None and not service._startup.done()
            answers = not service.stale
            hits = service.index.search(parse("Lack of trust"), {}, 0, 1).total
            await service.ready()
            return checking, answers, service.rebuilt, hits
        finally:
            service.close()

    checking, answers, rebuilt, hits = asyncio.run(scenario())
    assert checking and answers and hits > 0
    assert not rebuilt  # same records: the check reused the file

    async def first_start() -> tuple[bool, int]:
        settings_new = Settings(root=tmp_path / "new", store_path=tmp_path / "new" / "store")
        (tmp_path / "new").mkdir()
        service = await open_search(settings_new, backend)
        try:
            stale_before = service.stale  # no index file: nothing to answer from yet
            page = await service.search(parse("Lack of trust"), {}, 0, 1)  # waits for the build
            return stale_before, page.total
        finally:
            service.close()

    stale_before, total = asyncio.run(first_start())
    assert stale_before and total > 0


def test_a_damaged_index_file_is_replaced_at_start(tmp_path: Path, backend: LocalBackend) -> None:
    from iopgraph.core.settings import Settings
    from iopgraph.search.service import index_path, open_search

    settings = Settings(root=tmp_path, store_path=tmp_path / "store")
    path = index_path(settings)
    assert path == tmp_path / "store.search.sqlite"
    path.write_bytes(b"this is not an SQLite database, just bytes" * 100)

    async def opened() -> SearchService:
        service = await open_search(settings, backend)
        await service.ready()
        return service

    service = asyncio.run(opened())
    try:
        assert service.rebuilt and not service.stale
        assert service.index.search(parse("Lack of trust"), {}, 0, 1).hits[0].exact
    finally:
        service.close()
