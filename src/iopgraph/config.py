"""Configuration: one typed Settings object, read from IOPGRAPH_* environment variables.

    settings = Settings()                      # from the environment
    settings = Settings(store_path=tmp_path)   # in tests: explicit, no os.environ

A ``.env`` file in the working folder may add to the environment. Nothing else
reads the environment; everything receives a Settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from iopgraph.sources import find_root


class Settings(BaseSettings):
    """Every setting of iopgraph, with its default. Env var = IOPGRAPH_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="IOPGRAPH_", env_file=".env", extra="ignore")

    root: Path = Field(default_factory=find_root, description="Project folder with ontology/, shapes/, data/, queries/.")
    store_path: Path | None = Field(
        default=None, description="Folder of the embedded Oxigraph store (default: <root>/var/store)."
    )
    store_url: str | None = Field(
        default=None, description="SPARQL 1.1 query endpoint of a remote store; when set, the embedded store is not used."
    )
    store_update_url: str | None = Field(default=None, description="SPARQL 1.1 update endpoint of the remote store.")
    build_dir: Path | None = Field(default=None, description="Folder for dumps and releases (default: <root>/var/build).")
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public base URL of this service.")
    host: str = Field(default="127.0.0.1", description="Interface `iopgraph serve` listens on.")
    port: int = Field(default=8000, description="Port `iopgraph serve` listens on.")
    query_timeout: float = Field(default=30.0, gt=0, description="Seconds a SPARQL query may run before it is stopped.")
    max_results: int = Field(default=10000, gt=0, description="Most result rows a query returns; more are cut and flagged.")
    max_query_bytes: int = Field(default=1_000_000, gt=0, description="Largest query or request body accepted, in bytes.")
    service_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts a SPARQL SERVICE clause may call, comma-separated (none by default).",
    )
    query_workers: int = Field(
        default=2, ge=1, description="Query worker processes (each holds an in-memory copy of the graph)."
    )
    cache_entries: int = Field(default=1024, ge=0, description="Query results kept in the in-memory cache (0: off).")
    cache_bytes: int = Field(default=128_000_000, ge=0, description="Most bytes of results the cache keeps.")
    sources: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="RDF files or folders to serve instead of ontology/ + data/ (`iopgraph serve FILE...`), comma-separated.",
    )
    write_token: str | None = Field(default=None, description="Bearer token for writes; writes are off when unset.")
    write_token_file: Path | None = Field(
        default=None,
        description="File holding write tokens: one `TOKEN` or `AGENT-NAME TOKEN` per line (# comments allowed).",
    )
    write_agent: str = Field(
        default="steward", description="Agent name recorded in provenance for writes made with IOPGRAPH_WRITE_TOKEN."
    )
    write_validation: str = Field(
        default="neighbourhood", pattern="^(neighbourhood|full)$",
        description="How writes are SHACL-checked: `neighbourhood` (shape-aware, fast) or `full` (whole graph).",
    )
    ldes_page_size: int = Field(
        default=250, ge=1, le=10000, description="Members per LDES fragment; a full fragment is immutable."
    )
    cache_max_age: int = Field(
        default=60, ge=0, description="max-age (seconds) of linked-data pages, collections and dumps (all carry ETags)."
    )
    max_upload_bytes: int = Field(
        default=20_000_000, gt=0, description="Largest RDF body accepted by /api/validate, /store and /update, in bytes."
    )
    max_body_bytes: int | None = Field(
        default=None, gt=0,
        description="Hard cap on any request body, in bytes (default: the larger of the upload and query limits + 64 KiB).",
    )
    access_log: bool = Field(default=True, description="Write one JSON line per request to the `iopgraph.access` log.")
    shutdown_timeout: float = Field(
        default=30.0, ge=0, description="Seconds `iopgraph serve` lets in-flight requests finish after SIGTERM/SIGINT."
    )
    session_lifetime: int = Field(
        default=1800, ge=60, le=86400,
        description="Seconds a workbench sign-in (browser session cookie) lasts; then the steward signs in again.",
    )

    @field_validator("service_allowlist", "sources", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def resolved_store_path(self) -> Path:
        return self.store_path or self.root / "var" / "store"

    @property
    def resolved_build_dir(self) -> Path:
        return self.build_dir or self.root / "var" / "build"

    @property
    def resolved_max_body_bytes(self) -> int:
        return self.max_body_bytes or max(self.max_upload_bytes, self.max_query_bytes) + 65_536


def settings_reference() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting, in declaration order."""
    rows = []
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            default = "[]" if field.default_factory is list else "(computed)"
        else:
            default = "unset" if field.default is None else str(field.default)
        rows.append((f"IOPGRAPH_{name.upper()}", default, field.description or ""))
    return rows
