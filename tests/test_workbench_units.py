"""Unit tests of the workbench's parts: the form model read from the shipped shapes, sessions, the proposal box."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from iopgraph.workbench.formmodel import FormModels
from iopgraph.workbench.proposals import ACCEPTED, OPEN, REJECTED, ProposalBox
from iopgraph.workbench.sessions import SessionStore
from support.paths import ROOT

IOP = "https://w3id.org/iopgraph/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def models() -> FormModels:
    return FormModels.from_root(ROOT)


def test_the_initiative_form_follows_its_shapes(models: FormModels) -> None:
    form = models.form("initiative")
    by_key = {f.key: f for f in form.fields}
    assert [f.key for f in form.fields[:3]] == ["rdf.type", "rdfs.label", "dcterms.description"]
    assert {c for c, _ in by_key["rdf.type"].choices} == {
        IOP + "Initiative",
        IOP + "DataSpace",
        IOP + "LocalDigitalTwin",
    }
    use_case = by_key["iop.isUseCase"]  # minCount 1, maxCount 1, xsd:boolean
    assert (use_case.required, use_case.repeatable, use_case.widget) == (True, False, "boolean")
    city = by_key["iop.city"]  # sh:class iop:Place, no maxCount
    assert (city.class_iri, city.widget, city.repeatable, city.required) == (
        IOP + "Place",
        "pick",
        True,
        False,
    )
    assert by_key["iop.startYear"].widget == "year" and not by_key["iop.startYear"].repeatable
    assert by_key["iop.domain"].scheme == "https://w3id.org/iopgraph/concept/domain"  # sh:node → scheme
    assert not by_key["dcterms.description"].required  # its minCount is a Warning, not a Violation
    assert by_key["iop.city"].label == "City or region"  # the ontology's rdfs:label


def test_the_statistic_and_participation_forms(models: FormModels) -> None:
    stat = {f.key: f for f in models.form("statistic").fields}
    assert stat["iop.value"].datatype == XSD + "decimal" and stat["iop.value"].required
    assert stat["iop.unit"].scheme == "https://w3id.org/iopgraph/concept/unit"
    part = {f.key: f for f in models.form("participation").fields}
    assert part["iop.role"].scheme == "https://w3id.org/iopgraph/concept/participation-role"
    assert part["iop.participant"].required and not part["iop.participant"].repeatable


def test_form_values_become_triples_and_back(models: FormModels) -> None:
    form = models.form("initiative")
    iri = "https://w3id.org/iopgraph/id/initiative/x"
    values = {
        "rdf.type": [IOP + "DataSpace"],
        "rdfs.label": ["X"],
        "iop.isUseCase": ["false"],
        "iop.startYear": ["2021"],
        "iop.city": ["https://w3id.org/iopgraph/id/place/ghent", " "],
    }
    triples, errors = form.to_triples(iri, values)
    assert errors == {}
    assert (
        ox.Triple(
            ox.NamedNode(iri),
            ox.NamedNode(IOP + "startYear"),
            ox.Literal("2021", datatype=ox.NamedNode(XSD + "gYear")),
        )
        in triples
    )
    assert (
        ox.Triple(
            ox.NamedNode(iri),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal("X", language="en"),
        )
        in triples
    )
    assert len(triples) == 5  # the blank second city is dropped
    back = form.values_of(iri, triples)
    assert back["iop.city"] == ["https://w3id.org/iopgraph/id/place/ghent"] and back["rdfs.label"] == ["X"]
    _, errors = form.to_triples(iri, {"iop.city": ["Ghent"]})
    assert "is not a link" in errors["iop.city"][0]


def test_the_kind_of_a_subclass(models: FormModels) -> None:
    assert models.kind_of({IOP + "LocalDigitalTwin"}) == "initiative"
    assert models.kind_of({IOP + "GoodPractice"}) == "mitigation"
    assert models.kind_of({IOP + "Place"}) is None


def test_sessions_are_random_expire_and_are_destroyed() -> None:
    store = SessionStore(lifetime=60)
    a, b = store.create("x", "proposer"), store.create("x", "proposer")
    assert a.id != b.id and a.csrf != b.csrf and len(a.id) >= 43
    assert store.get(a.id) is a and store.get("unknown") is None
    store.destroy(a.id)
    assert store.get(a.id) is None
    b.expires = 0
    assert store.get(b.id) is None


def test_the_proposal_box_decides_once(tmp_path: Path) -> None:
    box = ProposalBox(tmp_path / "p.sqlite3")
    t = ox.Triple(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("ü"))
    p = box.submit("initiative", "urn:s", "urn:g", [t], {"urn:p"}, "city", "a note")
    assert box.get(p.id) == p and p.status == OPEN and p.triples == [t] and p.paths == ("urn:p",)
    assert box.decide(p.id, ACCEPTED, "pub", "", "urn:activity")
    assert not box.decide(p.id, REJECTED, "pub", "late")
    again = ProposalBox(tmp_path / "p.sqlite3").get(p.id)  # kept on disk
    assert again is not None and (again.status, again.activity) == (ACCEPTED, "urn:activity")
