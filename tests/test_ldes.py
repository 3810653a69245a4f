"""The LDES feed: TREE structure and caching headers, and a replication by the real npm ``ldes-client``."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from iopgraph.core.settings import Settings
from support.ldviews import make_settings, parse_body, store_triples
from support.paths import ROOT
from support.server import serving

CLIENT = ROOT / "web" / "node_modules" / "ldes-client" / "dist" / "bin" / "cli.js"
TREE = "https://w3id.org/tree#"
LDES = "https://w3id.org/ldes#"
PROV_TIME = "http://www.w3.org/ns/prov#generatedAtTime"
VERSION_OF = "http://purl.org/dc/terms/isVersionOf"
PAGE = 40


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """The app on a real port (the npm client needs HTTP), with small fragments."""
    folder = tmp_path_factory.mktemp("ldes")
    made: list[Settings] = []

    def settings_for(base: str) -> Settings:
        made.append(make_settings(folder, ldes_page_size=PAGE, base_url=base))
        return made[0]

    with serving(settings_for) as base:
        yield base, made[0]


def _get(url: str, **headers: str) -> httpx.Response:
    return httpx.get(url, headers={"accept": "text/turtle", **headers}, timeout=30)


def _graph_store(settings) -> ox.Store:
    store = ox.Store()
    for path in sorted(settings.root.rglob("*.ttl")):
        store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(path=str(path)))
    return store


def test_stream_has_view_and_paths(server) -> None:
    base, _ = server
    r = _get(base + "/ldes")
    assert r.status_code == 200 and r.headers["vary"] == "Accept"
    triples = parse_body(r.content, "text/turtle")
    stream = ox.NamedNode(base + "/ldes")
    assert (
        ox.Triple(
            stream,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode(LDES + "EventStream"),
        )
        in triples
    )
    assert ox.Triple(stream, ox.NamedNode(TREE + "view"), ox.NamedNode(base + "/ldes/fragment/0")) in triples
    assert ox.Triple(stream, ox.NamedNode(LDES + "timestampPath"), ox.NamedNode(PROV_TIME)) in triples
    assert ox.Triple(stream, ox.NamedNode(LDES + "versionOfPath"), ox.NamedNode(VERSION_OF)) in triples


def test_fragments_chain_with_time_relations_and_only_closed_ones_are_immutable(server) -> None:
    base, settings = server
    store = _graph_store(settings)
    resources = {
        q.subject for q in store.quads_for_pattern(None, None, None) if isinstance(q.subject, ox.NamedNode)
    }
    expected_pages = -(-len(resources) // PAGE)
    assert expected_pages >= 3
    members, previous_last = 0, ""
    for index in range(expected_pages):
        url = f"{base}/ldes/fragment/{index}"
        r = _get(url)
        assert r.status_code == 200
        triples = parse_body(r.content, "text/turtle")
        last = index == expected_pages - 1
        assert ("immutable" in r.headers["cache-control"]) == (not last)
        times = sorted(t.object.value for t in triples if t.predicate.value == PROV_TIME)
        assert times[0] >= previous_last  # time-ordered across fragments
        previous_last = times[-1]
        members += sum(1 for t in triples if t.predicate.value == TREE + "member")
        relations = [
            t.object
            for t in triples
            if t.subject == ox.NamedNode(url) and t.predicate.value == TREE + "relation"
        ]
        if last:
            assert relations == []
        else:
            (relation,) = relations
            props = {t.predicate.value: t.object for t in triples if t.subject == relation}
            assert props[TREE + "node"] == ox.NamedNode(f"{base}/ldes/fragment/{index + 1}")
            assert props[TREE + "path"] == ox.NamedNode(PROV_TIME)
            assert props["http://www.w3.org/1999/02/22-rdf-syntax-ns#type"] == ox.NamedNode(
                TREE + "GreaterThanOrEqualToRelation"
            )
        assert _get(url, **{"if-none-match": r.headers["etag"]}).status_code == 304
    assert members == len(resources)
    assert _get(f"{base}/ldes/fragment/{expected_pages}").status_code == 404


@pytest.mark.skipif(
    shutil.which("node") is None or not CLIENT.exists(),
    reason="needs node and the npm ldes-client (make web installs it)",
)
def test_the_npm_ldes_client_replicates_every_resource(server, tmp_path: Path) -> None:
    """Following the feed from the start with the real client reproduces every resource of the graph."""
    base, settings = server
    done = subprocess.run(
        ["node", str(CLIENT), base + "/ldes", "--materialize"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT / "web",
        env={**os.environ, "TMPDIR": str(tmp_path)},  # the client keeps its state there (ldes-client-<id>)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    quads = list(ox.parse(done.stdout.encode(), ox.RdfFormat.TRIG))
    replicated: dict[ox.NamedNode, set[ox.Triple]] = defaultdict(set)
    for q in quads:
        if q.predicate.value != PROV_TIME:  # the version's timestamp stays on the materialised member
            replicated[q.subject].add(ox.Triple(q.subject, q.predicate, q.object))  # type: ignore[index]
    store = _graph_store(settings)
    expected: dict[ox.NamedNode, set[ox.Triple]] = defaultdict(set)
    for t in store_triples(store):
        if isinstance(t.subject, ox.NamedNode):
            expected[t.subject].add(t)
    assert set(replicated) == set(expected)
    for resource, triples in expected.items():
        assert replicated[resource] == triples, resource


@pytest.mark.parametrize(
    ("versions", "closed"), [(3, [True, False]), (4, [True, False]), (5, [True, True, False])]
)
def test_a_full_newest_fragment_stays_mutable_until_the_next_one_exists(
    tmp_path, versions: int, closed: list[bool]
) -> None:
    """The newest fragment gains a tree:relation when the next one is created, so full is not closed."""
    from iopgraph.views.ldes import EventLog, Version, fragment_count, is_closed

    log = EventLog(tmp_path / "log.jsonl", page_size=2)
    log.versions = [Version(i, f"urn:r{i}", f"2026-01-01T00:00:0{i}Z", "d", "") for i in range(versions)]
    assert [is_closed(log, i) for i in range(fragment_count(log))] == closed[: fragment_count(log)]
