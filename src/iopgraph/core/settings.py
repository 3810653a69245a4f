"""Configuration: one typed Settings object, read from IOPGRAPH_* environment variables.

    settings = Settings()                      # from the environment
    settings = Settings(store_path=tmp_path)   # in tests: explicit, no os.environ

A ``.env`` file in the working folder may add to the environment. Nothing else
reads the environment; everything receives a Settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from iopgraph.core.sources import find_root


class Settings(BaseSettings):
    """Every setting of iopgraph, with its default. Env var = IOPGRAPH_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="IOPGRAPH_", env_file=".env", extra="ignore")

    root: Path = Field(
        default_factory=find_root, description="Project folder with ontology/, shapes/, data/, queries/."
    )
    store_path: Path | None = Field(
        default=None, description="Folder of the embedded Oxigraph store (default: <root>/var/store)."
    )
    store_url: str | None = Field(
        default=None,
        description="SPARQL 1.1 query endpoint of a remote store; when set, the embedded store is not used.",
    )
    store_update_url: str | None = Field(
        default=None, description="SPARQL 1.1 update endpoint of the remote store."
    )
    build_dir: Path | None = Field(
        default=None, description="Folder for dumps and releases (default: <root>/var/build)."
    )
    base_url: str = Field(
        default="",
        description="Public base URL of this service; it prefixes every machine link (JSON-LD @context, Hydra, "
        "catalogue, LDES), never a request's Host header. Default: the address served, "
        "http://<host>:<port> (a wildcard host such as 0.0.0.0 gives 127.0.0.1).",
    )
    host: str = Field(default="127.0.0.1", description="Interface `iopgraph serve` listens on.")
    port: int = Field(default=8000, description="Port `iopgraph serve` listens on.")
    query_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a SPARQL query may run before it is stopped."
    )
    max_results: int = Field(
        default=10000, gt=0, description="Most result rows a query returns; more are cut and flagged."
    )
    max_query_bytes: int = Field(
        default=1_000_000, gt=0, description="Largest query or request body accepted, in bytes."
    )
    service_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts a SPARQL SERVICE clause may call, comma-separated (none by default).",
    )
    query_workers: int = Field(
        default=2, ge=1, description="Query worker processes (each holds an in-memory copy of the graph)."
    )
    cache_entries: int = Field(
        default=1024, ge=0, description="Query results kept in the in-memory cache (0: off)."
    )
    cache_bytes: int = Field(default=128_000_000, ge=0, description="Most bytes of results the cache keeps.")
    page_cache_bytes: int = Field(
        default=64_000_000,
        ge=0,
        description="Most bytes of rendered pages, collections and dumps kept in memory until the next "
        "write (0: off).",
    )
    read_copy_max_quads: int = Field(
        default=250_000,
        ge=0,
        description="The service's own reads (views, dumps) run on an in-memory copy of the graph when it "
        "has at most this many quads (0: always read the on-disk store).",
    )
    sources: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="RDF files or folders to serve instead of ontology/ + data/ (`iopgraph serve FILE...`), comma-separated.",
    )
    write_token: str | None = Field(
        default=None, description="Bearer token for writes; writes are off when unset."
    )
    write_token_file: Path | None = Field(
        default=None,
        description="File holding write tokens: one `TOKEN` or `AGENT-NAME TOKEN` per line (# comments allowed).",
    )
    write_agent: str = Field(
        default="steward",
        description="Agent name recorded in provenance for writes made with IOPGRAPH_WRITE_TOKEN.",
    )
    write_validation: str = Field(
        default="neighbourhood",
        pattern="^(neighbourhood|full)$",
        description="How writes are SHACL-checked: `neighbourhood` (shape-aware, fast) or `full` (whole graph).",
    )
    ldes_page_size: int = Field(
        default=250, ge=1, le=10000, description="Members per LDES fragment; a full fragment is immutable."
    )
    cache_max_age: int = Field(
        default=60,
        ge=0,
        description="max-age (seconds) of linked-data pages, collections and dumps (all carry ETags).",
    )
    max_upload_bytes: int = Field(
        default=20_000_000,
        gt=0,
        description="Largest RDF body accepted by /api/validate, /store and /update, in bytes.",
    )
    max_body_bytes: int | None = Field(
        default=None,
        gt=0,
        description="Hard cap on any request body, in bytes (default: the larger of the upload and query limits + 64 KiB).",
    )
    access_log: bool = Field(
        default=True, description="Write one JSON line per request to the `iopgraph.access` log."
    )
    shutdown_timeout: float = Field(
        default=30.0,
        ge=0,
        description="Seconds `iopgraph serve` lets in-flight requests finish after SIGTERM/SIGINT.",
    )
    session_lifetime: int = Field(
        default=1800,
        ge=60,
        le=86400,
        description="Seconds a workbench sign-in (browser session cookie) lasts; then the steward signs in again.",
    )

    worker_memory_mb: int = Field(
        default=4096,
        ge=0,
        description="Address-space limit of each worker process, in MiB (0: none); a worker over it dies, not the server.",
    )
    worker_copy_budget_mb: int = Field(
        default=0,
        ge=0,
        description="Most MiB of graph pages the query workers may hold as their own copies together (a scan "
        "copies the pages it walks), also while queries run; past it the largest is replaced by a fresh fork "
        "(0: four fifths of the in-memory graph).",
    )
    max_result_bytes: int = Field(
        default=50_000_000,
        gt=0,
        description="Most bytes of a serialised query result; more are cut at a row and flagged (Iopgraph-Truncated).",
    )
    query_workers_per_client: int = Field(
        default=0,
        ge=0,
        description="Most query workers one client (remote address) may hold at once (0: all but one).",
    )
    max_query_operators: int = Field(
        default=256,
        gt=0,
        description="Most UNION, OPTIONAL or MINUS keywords, or operators (path steps, + - * / | & ! = < >), "
        "of each kind in one query; flat chains longer than this are refused (400).",
    )
    validation_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds an upload's parse and SHACL validation (/api/validate) may take in its isolated worker "
        "before it is stopped (503).",
    )
    write_timeout: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a write's parse, planning and SHACL check (/store, /update) may take in its isolated "
        "worker, and a write may wait for the one before it, before it is stopped (503); nothing is written.",
    )
    max_upload_quads: int = Field(
        default=200_000,
        gt=0,
        description="Most triples/quads one upload to /api/validate or /store may hold; more are refused (413).",
    )
    max_rdf_depth: int = Field(
        default=64,
        gt=0,
        description="Deepest nesting of a JSON-LD document (objects and arrays) or an RDF/XML document (elements) "
        "accepted; deeper ones are refused (400) before any parser runs.",
    )
    shapes: Path | None = Field(
        default=None,
        description="SHACL shapes (file or folder) that writes and /api/validate check against when serving files "
        "(`iopgraph serve FILE --shapes PATH`); without it served files are not checked.",
    )

    @field_validator("service_allowlist", "sources", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    _base_url_given: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _derive_base_url(self) -> Settings:
        """Unless IOPGRAPH_BASE_URL is set, the base URL is the address actually served (never a request's Host)."""
        self._base_url_given = bool(self.base_url)
        self.base_url = self.base_url.rstrip("/") if self.base_url else listening_url(self.host, self.port)
        return self

    @property
    def base_url_given(self) -> bool:
        """True when IOPGRAPH_BASE_URL (or ``base_url=``) was set; False when it is derived from host and port."""
        return self._base_url_given

    def serving(self, host: str | None = None, port: int | None = None) -> Settings:
        """These settings listening on ``host``/``port`` (``iopgraph serve --host/--port``); the derived base URL follows."""
        update: dict[str, object] = {}
        if host:
            update["host"] = host
        if port:
            update["port"] = port
        if not update:
            return self
        data = self.model_dump()
        data.update(update)
        if not self._base_url_given:
            data["base_url"] = ""
        return Settings(**data)  # explicit values win over the environment

    def base_url_mismatch(self) -> str | None:
        """A warning when IOPGRAPH_BASE_URL is set and is not the address served, else None."""
        served = listening_url(self.host, self.port)
        if self._base_url_given and self.base_url != served:
            return (
                f"IOPGRAPH_BASE_URL is {self.base_url} but the server listens on {served}: every machine link "
                f"(JSON-LD @context, Hydra, /catalog, /ldes) points at {self.base_url}; that is right only "
                "behind a proxy forwarding it here (unset IOPGRAPH_BASE_URL to use the address served)"
            )
        return None

    @property
    def resolved_store_path(self) -> Path:
        return self.store_path or self.root / "var" / "store"

    @property
    def resolved_build_dir(self) -> Path:
        return self.build_dir or self.root / "var" / "build"

    @property
    def resolved_max_body_bytes(self) -> int:
        return self.max_body_bytes or max(self.max_upload_bytes, self.max_query_bytes) + 65_536


def listening_url(host: str, port: int) -> str:
    """The URL of ``host:port`` as clients reach it: a wildcard address becomes loopback, IPv6 gets brackets.

    >>> listening_url("127.0.0.1", 18803)
    'http://127.0.0.1:18803'
    >>> listening_url("0.0.0.0", 80)
    'http://127.0.0.1:80'
    >>> listening_url("::1", 8000)
    'http://[::1]:8000'
    """
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def settings_reference() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting, in declaration order."""
    rows = []
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            default = "[]" if field.default_factory is list else "(computed)"
        else:
            default = "unset" if field.default in (None, "") else str(field.default)
        rows.append((f"IOPGRAPH_{name.upper()}", default, field.description or ""))
    return rows
