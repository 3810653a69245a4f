"""Configuration: one Settings model, read from IOPGRAPH_* variables, every setting shown by `serve --help`."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from iopgraph.cli import app
from iopgraph.core.settings import Settings, settings_reference

REQUIRED = [
    "IOPGRAPH_STORE_PATH",
    "IOPGRAPH_STORE_URL",
    "IOPGRAPH_STORE_UPDATE_URL",
    "IOPGRAPH_BASE_URL",
    "IOPGRAPH_QUERY_TIMEOUT",
    "IOPGRAPH_MAX_RESULTS",
    "IOPGRAPH_MAX_QUERY_BYTES",
    "IOPGRAPH_SERVICE_ALLOWLIST",
    "IOPGRAPH_WRITE_TOKEN",
    "IOPGRAPH_QUERY_WORKERS",
    "IOPGRAPH_SOURCES",
]


def test_the_issue_names_are_settings() -> None:
    names = [name for name, _, _ in settings_reference()]
    assert set(REQUIRED) <= set(names)


def test_serve_help_shows_every_setting_with_its_default() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "400", "TERMINAL_WIDTH": "400"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for name, default, _ in settings_reference():
        assert f"{name} (default: {default})" in text, name
    assert "--host" in text and "--port" in text


def test_environment_is_read_with_the_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IOPGRAPH_QUERY_TIMEOUT", "2.5")
    monkeypatch.setenv("IOPGRAPH_MAX_RESULTS", "7")
    monkeypatch.setenv("IOPGRAPH_SERVICE_ALLOWLIST", "query.wikidata.org, dbpedia.org")
    monkeypatch.setenv("IOPGRAPH_SOURCES", f"{tmp_path / 'a.ttl'},{tmp_path / 'b'}")
    monkeypatch.setenv("IOPGRAPH_STORE_URL", "http://127.0.0.1:7878/query")
    settings = Settings(root=tmp_path)
    assert settings.query_timeout == 2.5 and settings.max_results == 7
    assert settings.service_allowlist == ["query.wikidata.org", "dbpedia.org"]
    assert settings.sources == [tmp_path / "a.ttl", tmp_path / "b"]
    assert settings.store_url == "http://127.0.0.1:7878/query"


def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IOPGRAPH_QUERY_TIMEOUT", "soon")
    with pytest.raises(ValidationError, match="query_timeout"):
        Settings(root=tmp_path)
    monkeypatch.setenv("IOPGRAPH_QUERY_TIMEOUT", "-1")
    with pytest.raises(ValidationError, match="query_timeout"):
        Settings(root=tmp_path)


def test_defaults_are_safe(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert settings.service_allowlist == []  # no federation
    assert settings.write_token is None  # no writes
    assert settings.query_timeout == 30 and settings.max_query_bytes == 1_000_000
    assert settings.max_results == 10_000


def test_serve_refuses_missing_files() -> None:
    result = CliRunner().invoke(app, ["serve", "/no/such/file.ttl"])
    assert result.exit_code == 2
    assert "no such file" in result.output


# --- the base URL: IOPGRAPH_BASE_URL, or the address actually served (issue 10, item 1) --------------------


def test_base_url_defaults_to_the_address_served(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert settings.base_url == "http://127.0.0.1:8000" and not settings.base_url_given
    moved = settings.serving(port=18803)
    assert moved.port == 18803 and moved.base_url == "http://127.0.0.1:18803"
    assert Settings(root=tmp_path, port=9001, _env_file=None).base_url == "http://127.0.0.1:9001"  # type: ignore[call-arg]
    assert settings.serving(host="::1", port=81).base_url == "http://[::1]:81"
    assert settings.serving(host="0.0.0.0").base_url == "http://127.0.0.1:8000"


def test_a_given_base_url_is_kept_and_a_mismatch_is_named(tmp_path: Path) -> None:
    given = Settings(root=tmp_path, base_url="https://kg.example.org/", _env_file=None)  # type: ignore[call-arg]
    assert given.base_url == "https://kg.example.org" and given.base_url_given
    moved = given.serving(port=18803)
    assert moved.base_url == "https://kg.example.org"
    warning = moved.base_url_mismatch()
    assert warning and "https://kg.example.org" in warning and "http://127.0.0.1:18803" in warning
    same = Settings(root=tmp_path, base_url="http://127.0.0.1:8000", _env_file=None)  # type: ignore[call-arg]
    assert same.base_url_mismatch() is None


def _serve_with_env(tmp_path: Path, env: dict[str, str], args: list[str]) -> tuple[str, str, str]:
    """Start `iopgraph serve` with ``env``/``args`` (no --port unless given); return (base, context URL, log)."""
    import httpx

    from support.project import build_project
    from support.server import ServerProcess

    settings = {
        "IOPGRAPH_ROOT": str(build_project(tmp_path)),
        "IOPGRAPH_STORE_PATH": str(tmp_path / "store"),
        "IOPGRAPH_ACCESS_LOG": "false",
        **env,
    }
    server = ServerProcess(tmp_path, settings, args, listen_args=False)
    try:
        server.start(ready="/readyz")
        r = httpx.get(server.url + "/api/challenges", params={"limit": 1}, timeout=60)
        assert r.status_code == 200, r.text
        return server.url, r.json()["@context"], server.log()
    finally:
        server.stop()


def test_iopgraph_port_moves_every_link_with_it(tmp_path: Path) -> None:
    """IOPGRAPH_PORT alone (no --port, no IOPGRAPH_BASE_URL): the JSON-LD context is on the port served."""
    base, context, log = _serve_with_env(tmp_path, {"IOPGRAPH_PORT": "{port}"}, [])
    assert context == base + "/context/v1.jsonld"
    assert "warning" not in log


def test_serve_warns_when_the_base_url_is_not_the_address_served(tmp_path: Path) -> None:
    base, context, log = _serve_with_env(
        tmp_path, {"IOPGRAPH_BASE_URL": "http://127.0.0.1:9"}, ["--port", "{port}"]
    )
    assert context == "http://127.0.0.1:9/context/v1.jsonld"  # set on purpose: kept (e.g. behind a proxy)
    assert f"warning: IOPGRAPH_BASE_URL is http://127.0.0.1:9 but the server listens on {base}" in log
