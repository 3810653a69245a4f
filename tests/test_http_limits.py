"""The HTTP layer of a real `iopgraph serve`: limits, timeouts and answers that never reach the app.

Issue 9, item 11: over-long URLs and headers, requests that are not HTTP and slow
headers get problem+json (414 / 431 / 400 / 408) instead of uvicorn's plain text or
an open connection; no ``server`` header; a client hanging up mid-body logs no 500
and no traceback; invalid UTF-8 in ``?query=`` is a 400, never silently replaced;
``Location`` and ``Link`` never come from the request's ``Host`` header.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from iopgraph.http.server_protocol import HEADER_TIMEOUT, MAX_HEADER_BYTES, MAX_URL_BYTES
from support.paths import ROOT
from support.project import build_project
from support.reliability import TOKEN
from support.server import ServerProcess

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("http-limits")
    root = build_project(folder)
    env = {
        "IOPGRAPH_ROOT": str(root),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
    }
    with ServerProcess(folder, env) as running:
        yield running


def raw(server: ServerProcess, data: bytes, wait: float = 10.0, close_after: bool = False) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it (or ``wait`` passes)."""
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(data)
        if close_after:
            return b""
        s.settimeout(wait)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except TimeoutError:
            pass
        return out


def parse(response: bytes) -> tuple[int, dict[str, str], dict[str, object]]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body)


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (
            b"GET /sparql?query=" + b"a" * (MAX_URL_BYTES + 10) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            414,
            "uri-too-long",
        ),
        (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (MAX_HEADER_BYTES + 10) + b"\r\n\r\n",
            431,
            "header-too-large",
        ),
        (b"NOT HTTP AT ALL\r\n\r\n", 400, "bad-request"),
    ],
    ids=["long-url", "large-headers", "not-http"],
)
def test_what_never_reaches_the_app_is_problem_json(
    server: ServerProcess, request_bytes: bytes, status: int, code: str
) -> None:
    got, headers, body = parse(raw(server, request_bytes))
    assert got == status and body["code"] == code and body["status"] == status
    assert headers["content-type"] == "application/problem+json"
    assert "server" not in headers
    assert httpx.get(server.url + "/healthz").status_code == 200


def test_a_long_query_fits_in_a_post(server: ServerProcess) -> None:
    query = "ASK {}" + " " * (MAX_URL_BYTES + 100)
    assert httpx.post(server.url + "/sparql", data={"query": query}).status_code == 200


def test_slow_headers_are_cut_off_with_408(server: ServerProcess) -> None:
    started = time.monotonic()
    got, headers, body = parse(raw(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", wait=HEADER_TIMEOUT * 4))
    assert got == 408 and body["code"] == "request-timeout" and headers["connection"] == "close"
    assert time.monotonic() - started >= HEADER_TIMEOUT * 0.9


def test_no_server_header(server: ServerProcess) -> None:
    for path in ["/healthz", "/sparql?query=ASK%7B%7D", "/no/such/page"]:
        assert "server" not in httpx.get(server.url + path).headers, path


def test_invalid_utf8_in_the_query_parameter_is_a_400(server: ServerProcess) -> None:
    r = httpx.get(server.url + "/sparql?query=ASK%20%7B%7D%20%23%FF%FE")
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert "not valid UTF-8" in r.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [
        ("POST", "/api/validate", "text/turtle"),
        ("POST", "/sparql", "application/sparql-query"),
        ("PUT", "/store?graph=https://example.org/g", "text/turtle"),
    ],
)
def test_a_client_hanging_up_mid_body_logs_no_500(
    server: ServerProcess, method: str, path: str, content_type: str
) -> None:
    before = server.log()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Length: 100000\r\n\r\n"
    ).encode()
    raw(server, head + b"<http://example.org/a> <http://example.org/b> ", close_after=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "client-disconnected" not in server.log()[len(before) :]:
        time.sleep(0.2)
    new = server.log()[len(before) :]
    assert "client-disconnected" in new, new[-2000:]
    assert "Traceback" not in new and '"status": 500' not in new, new[-3000:]
    assert httpx.get(server.url + "/healthz").status_code == 200


def test_location_and_link_never_come_from_the_host_header(server: ServerProcess) -> None:
    forged = {"Host": "attacker.example"}
    graph = "https://example.org/graph/host-check"
    r = httpx.put(
        server.url + "/store",
        params={"graph": graph},
        headers={**AUTH, **forged, "Content-Type": "text/turtle"},
        content=b"<https://example.org/s> <https://example.org/p> 1 .",
    )
    assert r.status_code == 201, r.text
    assert r.headers["location"].startswith(server.url + "/store?graph="), r.headers["location"]
    page = httpx.get(server.url + "/api/queries/challenge-tree", params={"per_page": 1}, headers=forged)
    assert page.status_code == 200
    assert "attacker.example" not in page.headers["link"] and page.headers["link"].startswith(
        "<" + server.url
    )


def test_the_limits_are_documented() -> None:
    text = (ROOT / "docs" / "security.md").read_text()
    for figure in (
        f"{MAX_URL_BYTES // 1024} KiB",
        f"{MAX_HEADER_BYTES // 1024} KiB",
        f"{HEADER_TIMEOUT:g} s",
    ):
        assert figure in text, figure
