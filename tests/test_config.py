"""Configuration: one Settings model, read from IOPGRAPH_* variables, every setting shown by `serve --help`."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from iopgraph.cli import app
from iopgraph.config import Settings, settings_reference

REQUIRED = ["IOPGRAPH_STORE_PATH", "IOPGRAPH_STORE_URL", "IOPGRAPH_STORE_UPDATE_URL", "IOPGRAPH_BASE_URL",
            "IOPGRAPH_QUERY_TIMEOUT", "IOPGRAPH_MAX_RESULTS", "IOPGRAPH_MAX_QUERY_BYTES",
            "IOPGRAPH_SERVICE_ALLOWLIST", "IOPGRAPH_WRITE_TOKEN", "IOPGRAPH_QUERY_WORKERS", "IOPGRAPH_SOURCES"]


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
