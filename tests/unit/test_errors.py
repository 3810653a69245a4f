"""The one table of problem codes (``iopgraph.core.errors.ERRORS``): complete, one status per code,
documented in docs/errors.md, and every problem's ``type`` dereferences on a live server."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import iopgraph
from iopgraph.cli import EXIT_INPUT, EXIT_INVALID, EXIT_STORE, exit_code_for
from iopgraph.core import errors
from iopgraph.core.errors import ERRORS, IopgraphError, code_for_status, errors_markdown, problem_type
from support.server import serve

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "iopgraph"
CODE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def _all_error_classes() -> list[type[IopgraphError]]:
    for module in pkgutil.walk_packages(iopgraph.__path__, "iopgraph."):
        importlib.import_module(module.name)
    found: list[type[IopgraphError]] = []
    todo: list[type[IopgraphError]] = [IopgraphError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in found if c.__module__.startswith("iopgraph.")]


def _literal_codes() -> Iterator[tuple[str, int, str, int | None]]:
    """(file, line, code, status or None) for every problem code written as a literal in src/."""
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "code" for t in node.targets
            ):
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    yield where, node.lineno, node.value.value, None
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                args = node.args
                if name == "problem" and len(args) >= 3 and isinstance(args[2], ast.Constant):
                    status = args[0].value if isinstance(args[0], ast.Constant) else None
                    yield where, node.lineno, str(args[2].value), status if isinstance(status, int) else None
                elif name in ("problem_bytes", "_send_problem", "spec") and args:
                    if isinstance(args[0], ast.Constant):
                        yield where, node.lineno, str(args[0].value), None
            elif isinstance(node, ast.Assign) and any(_names_code(t) for t in node.targets):
                # server_protocol: `self._refusal = ("uri-too-long", ...)`, `code, detail = ... or ("bad-request", ...)`
                for tup in ast.walk(node.value):
                    if isinstance(tup, ast.Tuple) and tup.elts and isinstance(tup.elts[0], ast.Constant):
                        yield where, node.lineno, str(tup.elts[0].value), None


def _names_code(target: ast.expr) -> bool:
    if isinstance(target, ast.Attribute):
        return target.attr == "_refusal"
    return isinstance(target, ast.Tuple) and getattr(target.elts[0], "id", None) == "code"


# --- the table --------------------------------------------------------------------------------------------


def test_every_code_is_a_plain_name_with_one_status_and_a_title_and_a_meaning() -> None:
    for code, entry in ERRORS.items():
        assert CODE.match(code) and entry.code == code
        assert 400 <= entry.status <= 599, code
        assert entry.title and entry.meaning.endswith("."), code


def test_every_error_class_names_a_registered_code_and_takes_its_status() -> None:
    classes = _all_error_classes()
    assert len(classes) > 40  # every package was imported
    for cls in classes:
        assert cls.code in ERRORS, f"{cls.__module__}.{cls.__qualname__}: {cls.code}"
        assert cls.status == ERRORS[cls.code].status, f"{cls.__module__}.{cls.__qualname__}"


def test_a_class_with_an_unregistered_code_or_another_status_fails_at_definition() -> None:
    with pytest.raises(KeyError, match="not in iopgraph.core.errors.ERRORS"):
        type("Made", (IopgraphError,), {"code": "no-such-code"})
    with pytest.raises(TypeError, match="registered with 400"):
        type("Made", (IopgraphError,), {"code": "invalid-parameter", "status": 422})


def test_every_code_written_in_src_is_registered_with_the_status_it_is_sent_with() -> None:
    found = list(_literal_codes())
    assert {"bad-request", "uri-too-long", "header-too-large", "request-timeout", "not-ready"} <= {
        code for _, _, code, _ in found
    }, "the scan missed the codes of server_protocol, body_limit or /readyz"
    for where, line, code, status in found:
        assert code in ERRORS, f"{where}:{line}: {code!r} is not in the table"
        if status is not None:
            assert status == ERRORS[code].status, f"{where}:{line}: {code} sent with {status}"


def test_no_module_but_the_table_builds_type_uris() -> None:
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith("http")
            ):
                assert "errors#" not in node.value, f"{path}: a type URI of its own: {node.value}"


def test_docs_errors_md_is_generated_from_the_table() -> None:
    assert (ROOT / "docs" / "errors.md").read_text(encoding="utf-8") == errors_markdown(), (
        "docs/errors.md is out of date: python -m iopgraph.core.errors --markdown > docs/errors.md"
    )
    for code in ERRORS:
        assert f"\n## {code}\n" in errors_markdown()


def test_the_guides_cite_each_code_with_its_registered_status() -> None:
    cited = re.compile(r"\b([45]\d\d)\*{0,2} `([a-z][a-z0-9]*(?:-[a-z0-9]+)+)`")  # "400 `invalid-parameter`"
    seen = 0
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for match in cited.finditer(path.read_text(encoding="utf-8")):
            status, code = int(match.group(1)), match.group(2)
            seen += 1
            assert code in ERRORS and ERRORS[code].status == status, f"{path.name}: {status} {code}"
    assert seen > 30


def test_the_module_prints_the_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert errors.main(["--markdown"]) == 0
    assert capsys.readouterr().out == errors_markdown()
    assert errors.main([]) == 2


def test_problem_type_and_the_code_of_a_bare_http_status() -> None:
    assert problem_type("not-found", "https://example.org/") == "https://example.org/guides/errors#not-found"
    for status, code in errors.STATUS_CODES.items():
        assert ERRORS[code].status == status
    assert code_for_status(413) == "payload-too-large" and code_for_status(404) == "not-found"
    assert (code_for_status(418), code_for_status(502)) == ("bad-request", "internal-error")


def test_every_registered_code_is_answered_with_its_status_title_and_type() -> None:
    from types import SimpleNamespace

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from iopgraph.http.problems import install

    app = FastAPI()
    app.state.settings = SimpleNamespace(base_url="http://testserver")
    install(app)

    @app.get("/raise/{code}")
    async def raise_it(code: str) -> None:
        raise type("Raised", (IopgraphError,), {"code": code})(f"a {code} on purpose")

    with TestClient(app, raise_server_exceptions=False) as client:
        for code, entry in ERRORS.items():
            r = client.get(f"/raise/{code}", headers={"Accept": "application/problem+json"})
            assert r.status_code == entry.status, (code, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json() == {
                "type": f"http://testserver/guides/errors#{code}",
                "title": entry.title,
                "status": entry.status,
                "detail": f"a {code} on purpose",
                "code": code,
            }


# --- the CLI's exit codes ------------------------------------------------------------------------------------


def test_exit_code_for_each_kind_of_error() -> None:
    from iopgraph.core.errors import (
        Forbidden,
        InvalidParameter,
        PayloadTooLarge,
        RdfSyntaxError,
        StoreError,
        UnknownFormat,
        ValidationFailed,
    )
    from iopgraph.query.errors import JobFailed, QueryTimeout
    from iopgraph.stewardship.changes import ProtectedGraph
    from iopgraph.validation import InvalidShapes

    assert exit_code_for(ValidationFailed("does not conform", {"results": []})) == EXIT_INVALID == 1
    assert exit_code_for(StoreError("the store is locked")) == EXIT_STORE == 3
    for input_error in (
        RdfSyntaxError("bad", "a.ttl", 1, 2),
        UnknownFormat("a.txt: not RDF"),
        PayloadTooLarge("too big"),
        InvalidParameter("bad"),
        Forbidden("wrong token"),
        ProtectedGraph("the provenance graph is the service's own"),
    ):
        assert exit_code_for(input_error) == EXIT_INPUT == 2, input_error
    for failure in (InvalidShapes("shapes broken"), JobFailed("bug"), QueryTimeout("slow")):
        assert exit_code_for(failure) == EXIT_INVALID, failure


# --- on a live server: the type URIs dereference ---------------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("errors")
    data = folder / "data.ttl"
    data.write_text("<http://example.org/s> <http://www.w3.org/2000/01/rdf-schema#label> 'x' .\n")
    env = {"IOPGRAPH_STORE_PATH": str(folder / "store"), "IOPGRAPH_BUILD_DIR": str(folder / "build")}
    with serve([data], env, timeout=120) as base:
        yield base


def _dereference(problem: dict[str, object], base: str) -> None:
    url, _, anchor = str(problem["type"]).partition("#")
    assert url == base + "/guides/errors" and anchor == problem["code"], problem
    page = httpx.get(url, headers={"Accept": "text/html"}, timeout=60)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f'id="{anchor}"' in page.text, anchor


def test_a_problem_type_dereferences_to_its_anchor_on_the_served_errors_page(live: str) -> None:
    bad = httpx.get(live + "/api/challenges", params={"limit": "0"}, timeout=60)
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    problem = bad.json()
    assert problem["code"] == "invalid-parameter" and problem["title"] == ERRORS["invalid-parameter"].title
    _dereference(problem, live)
    missing = httpx.get(live + "/no/such/page", timeout=60).json()
    assert missing["code"] == "not-found"
    _dereference(missing, live)
    page = httpx.get(live + "/guides/errors", timeout=60).text
    assert all(f'id="{code}"' in page for code in ERRORS)


def test_a_problem_of_the_connection_layer_dereferences_too(live: str) -> None:
    too_long = httpx.get(live + "/sparql", params={"query": "x" * 40_000}, timeout=60)
    assert too_long.status_code == 414
    _dereference(too_long.json(), live)


def test_the_openapi_problem_schema_lists_the_registered_codes(live: str) -> None:
    schema = httpx.get(live + "/openapi.json", timeout=60).json()
    assert schema["components"]["schemas"]["Problem"]["properties"]["code"]["enum"] == sorted(ERRORS)
    for item in schema["paths"].values():
        for operation in item.values():
            assert (
                "422" not in operation.get("responses", {})
                or operation["responses"]["422"]["description"] != "Validation Error"
            )
