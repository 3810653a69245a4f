"""Unit tests of the one Content-Type reader (:mod:`iopgraph.core.content_type`)."""

from __future__ import annotations

import pytest

from iopgraph.core.content_type import parse_content_type


@pytest.mark.parametrize(
    "header,media_type,parameters",
    [
        (None, "", {}),
        ("", "", {}),
        ("text/turtle", "text/turtle", {}),
        ("Text/Turtle ; Charset=UTF-8", "text/turtle", {"charset": "UTF-8"}),
        ('multipart/form-data; boundary="a;b=c"', "multipart/form-data", {"boundary": "a;b=c"}),
        (
            'text/plain; title="say \\"hi\\""; charset=utf-8',
            "text/plain",
            {"title": 'say "hi"', "charset": "utf-8"},
        ),
        (
            "application/sparql-update;charset=latin-1;charset=utf-8",
            "application/sparql-update",
            {"charset": "latin-1"},
        ),
        ("application/ld+json; profile", "application/ld+json", {}),
    ],
)
def test_media_type_and_parameters(header: str | None, media_type: str, parameters: dict[str, str]) -> None:
    parsed = parse_content_type(header)
    assert parsed.media_type == media_type
    assert parsed.parameters == parameters


def test_charset_is_lower_case_or_none() -> None:
    assert parse_content_type('text/turtle; charset="UTF-8"').charset == "utf-8"
    assert parse_content_type("text/turtle").charset is None
