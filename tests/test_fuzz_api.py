"""API fuzzing with schemathesis against the service's own OpenAPI schema, on the real server process.

Every operation of ``/openapi.json`` gets generated requests (valid and
invalid parameters, bodies, headers); every response must not be a 5xx and
must conform to the schema: a documented status code, a documented content
type, a body matching its schema. Writes are tried without a token, so the
store must come out unchanged. The short run is in `make test`; `make soak`
runs many more examples per operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from support.paths import ROOT
from support.project import build_project
from support.reliability import TOKEN, record
from support.server import ServerProcess

#: Asserted: no 5xx; only documented status codes; JSON bodies and headers match their schemas.
REQUIRED = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
#: Reported (var/reliability/schema-gaps.txt), not asserted: the schema does not yet list the RDF and
#: HTML media types of content-negotiated routes, nor every value a router refuses (docs/reliability.md).
ADVISORY = [content_type_conformance, positive_data_acceptance, negative_data_rejection]
ADVISORY_FILE = ROOT / "var" / "reliability" / "schema-gaps.txt"
COUNT = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("fuzz")
    env = {
        "IOPGRAPH_ROOT": str(build_project(folder)),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_QUERY_WORKERS": "2",
        "IOPGRAPH_QUERY_TIMEOUT": "5",
        "IOPGRAPH_ACCESS_LOG": "false",
        "IOPGRAPH_BASE_URL": "http://127.0.0.1",
    }
    with ServerProcess(folder, env) as server:
        server.wait_until("/readyz", 120)
        before = httpx.get(server.url + "/sparql", params=COUNT, headers=JSON).json()
        yield server
        after = httpx.get(
            server.url + "/sparql", params={**COUNT, "query": COUNT["query"] + " #after"}, headers=JSON
        ).json()
        assert after["results"] == before["results"], "fuzzing without a token changed the store"
        assert "Traceback" not in server.log()


@pytest.fixture(scope="module")
def api_schema(fuzz_server: ServerProcess) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json")


def fuzz(api_schema: schemathesis.schemas.BaseSchema, examples: int, label: str) -> None:
    """Run every operation with ``examples`` generated cases (valid and invalid); collect every failure."""
    failures: list[str] = []
    advisory: set[str] = set()
    counts = {"operations": 0, "requests": 0}

    def runner(operation: Any, mode: GenerationMode) -> Callable[[], None]:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        def run(case: schemathesis.Case) -> None:
            counts["requests"] += 1
            response = case.call(timeout=60)
            try:
                case.validate_response(response, checks=ADVISORY)
            except (Exception, BaseExceptionGroup) as exc:  # counted, not asserted
                for line in str(exc).splitlines():
                    if line.startswith("- ST"):
                        advisory.add(f"{operation.label}: {line[2:]}")
            case.validate_response(response, checks=REQUIRED)

        return run

    for result in api_schema.get_all_operations():
        operation = result.ok()
        counts["operations"] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                runner(operation, mode)()
            except Unsatisfiable:
                continue  # e.g. no invalid request exists for an operation without parameters
            except (Exception, BaseExceptionGroup) as exc:  # hypothesis' shrunk failures, reported together
                failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")
    ADVISORY_FILE.parent.mkdir(parents=True, exist_ok=True)
    ADVISORY_FILE.write_text("\n".join(sorted(advisory)) + "\n")
    record(label, **counts, failures=len(failures), schema_gaps_reported=len(advisory))
    assert not failures, "\n\n".join(failures[:15])


def test_api_conforms_to_its_schema(api_schema: schemathesis.schemas.BaseSchema) -> None:
    fuzz(api_schema, examples=10, label="API fuzzing (schemathesis, make test)")


@pytest.mark.slow
def test_api_conforms_to_its_schema_long(api_schema: schemathesis.schemas.BaseSchema) -> None:
    fuzz(api_schema, examples=50, label="API fuzzing (schemathesis, make soak)")


def test_schema_is_served(fuzz_server: ServerProcess, tmp_path: Path) -> None:
    document = httpx.get(fuzz_server.url + "/openapi.json").json()
    assert document["info"]["title"] == "iopgraph"
    assert "/sparql" in document["paths"] and "/readyz" in document["paths"]
