"""Unit tests of iopgraph.core.iri: names become slugs, slugs become the graph's IRIs."""

from __future__ import annotations

import doctest

import pytest

from iopgraph.core import iri
from iopgraph.core.iri import KINDS, concept, is_slug, mint, slugify
from iopgraph.core.namespaces import CONCEPT, ID


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Defining the problem to solve", "defining-the-problem-to-solve"),
        ("Café au lait", "cafe-au-lait"),  # accents dropped
        ("Ünïcödé 2024", "unicode-2024"),
        ("Citizens' needs", "citizens-needs"),  # apostrophes dropped, not turned into hyphens
        ("Citizens’ needs", "citizens-needs"),
        ("  --Hello,  World!--  ", "hello-world"),  # runs of other characters become one hyphen
        ("snake_case and CamelCase", "snake-case-and-camelcase"),
        ("already-a-slug", "already-a-slug"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert is_slug(slug)
    assert slugify(slug) == slug  # idempotent


@pytest.mark.parametrize("name", ["", "   ", "€€€", "—", "日本"])
def test_slugify_refuses_a_name_without_ascii_letters_or_digits(name: str) -> None:
    with pytest.raises(ValueError, match="no letters or digits"):
        slugify(name)


@pytest.mark.parametrize("text", ["Upper", "two--hyphens", "-leading", "trailing-", "with space", "a_b", ""])
def test_is_slug_refuses_malformed_slugs(text: str) -> None:
    assert not is_slug(text)


def test_mint_builds_instance_iris_under_the_id_namespace() -> None:
    assert mint("initiative", "Flanders Smart Data Space") == f"{ID}initiative/flanders-smart-data-space"
    assert all(mint(kind, "X").startswith(f"{ID}{kind}/") for kind in KINDS)


def test_mint_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown kind 'initiatives'"):
        mint("initiatives", "Flanders")


def test_concept_iris_of_schemes_and_their_concepts() -> None:
    assert concept("Challenge") == f"{CONCEPT}challenge"
    assert concept("challenge", "Lack of trust") == f"{CONCEPT}challenge/lack-of-trust"
    assert concept("Challenge", "Lack of trust").startswith(concept("challenge") + "/")


def test_the_docstring_examples_hold() -> None:
    assert doctest.testmod(iri).failed == 0
