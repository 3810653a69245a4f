"""Versioned releases: dumps, a changelog since the previous release, and a dcat:Dataset in the catalogue.

    info = make_release(store, build_dir / "releases", "1.0.0", base_url)

``<releases>/<version>/`` gets ``iopgraph-<version>.nq.gz`` (the dataset,
system graphs left out), ``iopgraph-<version>.ttl`` (the union graph),
``iopgraph-<version>.nt.gz`` (the union graph with canonical RDFC-1.0
blank-node labels: what changelogs compare), ``changes-added.nt`` /
``changes-removed.nt`` (triples added and removed since the previous release),
``CHANGELOG.md`` and ``release.json``. ``<releases>/index.json`` lists the
releases in order; ``<releases>/CHANGELOG.md`` gathers every release's summary.

The release is also recorded in the store (graph ``…/graph/releases``) as a
``dcat:Dataset`` that ``dcat:isVersionOf`` the catalogue's dataset, with
``dcat:version``, ``dcterms:issued``, ``dcat:previousVersion`` and one
``dcat:Distribution`` per file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from iopgraph.core.errors import InputError
from iopgraph.core.iri import mint
from iopgraph.core.media_types import N_QUADS, N_TRIPLES, TURTLE, iana_iri
from iopgraph.core.namespaces import BASE, PREFIXES, RDF_TYPE, RELEASES_GRAPH, XSD_DATETIME
from iopgraph.core.rdfio import serialize
from iopgraph.stewardship.backup import store_quads

VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$")
CATALOG_DATASET = BASE + "catalog#dataset"
DCAT, DCT = PREFIXES["dcat"], PREFIXES["dcterms"]
MEDIA = {".nq.gz": N_QUADS, ".ttl": TURTLE, ".nt.gz": N_TRIPLES}


@dataclass
class ReleaseInfo:
    version: str
    issued: str
    previous: str | None
    triples: int
    added: int
    removed: int
    files: dict[str, str] = field(default_factory=dict)  # name -> sha256
    iri: str = ""


def canonical_triples(store: ox.Store) -> list[ox.Triple]:
    """The union graph (system graphs left out) with canonical blank-node labels, sorted."""
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in store_quads(store, include_system=False)}
    dataset = ox.Dataset([ox.Quad(t.subject, t.predicate, t.object) for t in triples])
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted((ox.Triple(q.subject, q.predicate, q.object) for q in dataset), key=str)


def _nt(triples: list[ox.Triple]) -> bytes:
    return serialize(triples, N_TRIPLES)


def _read_nt_gz(path: Path) -> set[ox.Triple]:
    return {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(gzip.decompress(path.read_bytes()), ox.RdfFormat.N_TRIPLES)
    }


def _index(folder: Path) -> list[str]:
    index = folder / "index.json"
    return list(json.loads(index.read_text())["releases"]) if index.exists() else []


def changelog_markdown(
    info: ReleaseInfo, added: list[ox.Triple], removed: list[ox.Triple], notes: str
) -> str:
    since = f"since {info.previous}" if info.previous else "(first release)"
    lines = [f"## {info.version} — {info.issued[:10]}", ""]
    if notes:
        lines += [notes, ""]
    lines.append(f"{info.triples} triples; {info.added} added and {info.removed} removed {since}.")
    by_predicate = Counter(t.predicate.value for t in added)
    gone = Counter(t.predicate.value for t in removed)
    if by_predicate or gone:
        lines += ["", "| property | added | removed |", "|---|---:|---:|"]
        for p in sorted(set(by_predicate) | set(gone)):
            lines.append(f"| `{p}` | {by_predicate.get(p, 0)} | {gone.get(p, 0)} |")
    subjects = sorted({t.subject.value for t in added + removed if isinstance(t.subject, ox.NamedNode)})
    if subjects:
        lines += ["", f"Resources changed ({len(subjects)}):", ""]
        lines += [f"- <{s}>" for s in subjects[:200]]
        if len(subjects) > 200:
            lines.append(f"- … and {len(subjects) - 200} more (see changes-added.nt / changes-removed.nt)")
    return "\n".join(lines) + "\n"


def make_release(store: ox.Store, folder: Path, version: str, base_url: str, notes: str = "") -> ReleaseInfo:
    """Write release ``version`` into ``folder/<version>`` and record it in the store's catalogue graph."""
    if not VERSION_PATTERN.match(version):
        raise InputError(f"{version!r} is not a release version (letters, digits, '.', '-', '+'; e.g. 1.2.0)")
    target = folder / version
    releases = _index(folder)
    if version in releases or target.exists():
        raise InputError(f"release {version} exists already ({target}); releases are immutable")
    previous = releases[-1] if releases else None
    current = canonical_triples(store)
    if previous is not None:
        before = _read_nt_gz(folder / previous / f"iopgraph-{previous}.nt.gz")
        now = set(current)
        added = sorted(now - before, key=str)
        removed = sorted(before - now, key=str)
    else:
        added, removed = current, []
    issued = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    info = ReleaseInfo(version, issued, previous, len(current), len(added), len(removed))
    target.mkdir(parents=True)
    dataset = [q for q in store_quads(store, include_system=False)]
    files = {
        f"iopgraph-{version}.nq.gz": gzip.compress(serialize(dataset, "application/n-quads"), mtime=0),
        f"iopgraph-{version}.ttl": serialize(current, TURTLE),
        f"iopgraph-{version}.nt.gz": gzip.compress(_nt(current), mtime=0),
        "changes-added.nt": _nt(added),
        "changes-removed.nt": _nt(removed),
    }
    for name, data in files.items():
        (target / name).write_bytes(data)
        info.files[name] = hashlib.sha256(data).hexdigest()
    text = changelog_markdown(info, added, removed, notes)
    (target / "CHANGELOG.md").write_text(f"# iopgraph {version}\n\n" + text)
    info.iri = mint("release", version)
    (target / "release.json").write_text(json.dumps(asdict(info), indent=2))
    overall = folder / "CHANGELOG.md"
    old = overall.read_text().split("\n", 2)[2] if overall.exists() else ""
    overall.write_text("# iopgraph releases\n\n" + text + ("\n" + old if old else ""))
    (folder / "index.json").write_text(json.dumps({"releases": [*releases, version]}, indent=2))
    store.extend(catalogue_quads(info, base_url))
    store.flush()
    return info


def catalogue_quads(info: ReleaseInfo, base_url: str) -> list[ox.Quad]:
    """The release as a dcat:Dataset version of the catalogue's dataset, in the releases graph."""
    g = ox.NamedNode(RELEASES_GRAPH)
    release = ox.NamedNode(info.iri)
    dataset = ox.NamedNode(CATALOG_DATASET)

    def q(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> ox.Quad:
        return ox.Quad(s, ox.NamedNode(p), o, g)

    quads = [
        q(release, RDF_TYPE.value, ox.NamedNode(DCAT + "Dataset")),
        q(release, DCT + "title", ox.Literal(f"iopgraph {info.version}", language="en")),
        q(release, DCAT + "version", ox.Literal(info.version)),
        q(release, DCT + "issued", ox.Literal(info.issued, datatype=XSD_DATETIME)),
        q(release, DCAT + "isVersionOf", dataset),
        q(dataset, DCAT + "hasVersion", release),
        q(
            release,
            DCT + "description",
            ox.Literal(
                f"{info.triples} triples; {info.added} added, {info.removed} removed since "
                f"{info.previous or 'nothing (first release)'}.",
                language="en",
            ),
        ),
    ]
    if info.previous:
        quads.append(q(release, DCAT + "previousVersion", ox.NamedNode(mint("release", info.previous))))
    base = base_url.rstrip("/")
    for name in info.files:
        suffix = next((s for s in MEDIA if name.endswith(s)), None)
        if suffix is None or not name.startswith("iopgraph-"):
            continue
        dist = ox.NamedNode(mint("release", f"{info.version} {suffix.strip('.').replace('.', ' ')}"))
        url = ox.NamedNode(f"{base}/releases/{info.version}/{name}")
        quads += [
            q(release, DCAT + "distribution", dist),
            q(dist, RDF_TYPE.value, ox.NamedNode(DCAT + "Distribution")),
            q(dist, DCAT + "downloadURL", url),
            q(dist, DCAT + "accessURL", url),
            q(
                dist,
                DCAT + "mediaType",
                ox.NamedNode(iana_iri(MEDIA[suffix])),
            ),
        ]
    return quads
