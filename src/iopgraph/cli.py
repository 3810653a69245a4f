"""The `iopgraph` command line.

Exit codes (all commands; :func:`exit_code_for` maps an error to its code):
    0  success (for `validate`: the data conforms; warnings allowed)
    1  the data does not conform to the shapes (violations), or a failure that is not the input's
    2  unreadable input: a file that does not parse, an unknown format, a missing path (any 4xx error)
    3  the embedded store cannot be opened (in use by a running `iopgraph serve`)
"""

from __future__ import annotations

from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from iopgraph.core.errors import IopgraphError
from iopgraph.validation import format_json, format_text, validate_files

if TYPE_CHECKING:  # imported lazily at run time so `--help` stays fast
    from collections.abc import Callable

    import pyoxigraph as ox
    from rich.progress import Progress

    from iopgraph.core.settings import Settings

T = TypeVar("T")

app = typer.Typer(
    help="Build, validate and serve the iopgraph knowledge graph.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

EXIT_OK, EXIT_INVALID, EXIT_INPUT, EXIT_STORE = 0, 1, 2, 3


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    turtle = "turtle"


class Engine(StrEnum):
    pyshacl = "pyshacl"
    sparql = "sparql"


def exit_code_for(exc: IopgraphError) -> int:
    """The documented exit code of an error, by its registered status (docs/errors.md).

    1 the data does not conform (422 ``shacl-violation``), 3 the store cannot be opened or
    written (``store-unavailable``), 2 any other input a person must fix (4xx), 1 otherwise.
    """
    from iopgraph.core.errors import StoreError, ValidationFailed

    if isinstance(exc, ValidationFailed):
        return EXIT_INVALID
    if isinstance(exc, StoreError):
        return EXIT_STORE
    return EXIT_INPUT if 400 <= exc.status < 500 else EXIT_INVALID


def _fail(exc: IopgraphError) -> typer.Exit:
    """A readable message (with the SHACL results of a rejected write) and :func:`exit_code_for`."""
    from iopgraph.core.errors import ValidationFailed

    typer.echo(f"error: {exc.message}", err=True)
    if isinstance(exc, ValidationFailed):
        report = exc.problem_extra.get("report") or {}
        results = report.get("results")
        for r in results if isinstance(results, list) else []:
            typer.echo(f"[{r['severity'].upper()}] {r['focus_node']}", err=True)
            if r.get("path"):
                typer.echo(f"    path:    {r['path']}", err=True)
            if r.get("value") is not None:
                typer.echo(f"    value:   {r['value']}", err=True)
            typer.echo(f"    message: {r['message']}", err=True)
    code = exit_code_for(exc)
    if code == EXIT_STORE:
        typer.echo(
            "(is `iopgraph serve` running on this store? stop it, or write through the HTTP API)", err=True
        )
    return typer.Exit(code)


def _settings() -> Settings:  # imported lazily so `--help` stays fast
    from iopgraph.core.settings import Settings

    return Settings()


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="RDF files or folders (default: ontology/ and data/).")
    ] = None,
    output: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Report format.")
    ] = ReportFormat.text,
    engine: Annotated[
        Engine,
        typer.Option(help="pyshacl, or sparql: the shapes compiled to SPARQL on Oxigraph (fast at scale)."),
    ] = Engine.pyshacl,
) -> None:
    """Validate RDF against the project's SHACL shapes; exit 0 if it conforms, 1 if not, 2 if unreadable."""
    settings = _settings()
    for p in paths or []:
        if not p.exists():
            typer.echo(f"error: {p}: no such file or folder", err=True)
            raise typer.Exit(EXIT_INPUT)
    try:
        if engine is Engine.sparql:
            from iopgraph.shacl.files import validate_files as validate_compiled

            report = validate_compiled(paths, settings.root)
        else:
            report = validate_files(paths, settings.root)
    except IopgraphError as exc:
        raise _fail(exc) from None
    if output is ReportFormat.turtle and engine is Engine.sparql:
        typer.echo("error: --format turtle needs --engine pyshacl (the SHACL report graph)", err=True)
        raise typer.Exit(EXIT_INPUT)
    if output is ReportFormat.json:
        typer.echo(format_json(report))
    elif output is ReportFormat.turtle:
        typer.echo(report.report_graph.serialize(format="turtle"))
    else:
        typer.echo(format_text(report))
    raise typer.Exit(EXIT_OK if report.conforms else EXIT_INVALID)


@app.command()
def build(
    force: Annotated[bool, typer.Option(help="Reload even if the sources did not change.")] = False,
) -> None:
    """Load ontology/ and data/ into the embedded Oxigraph store and write dumps."""
    from iopgraph.core.sources import graph_sources
    from iopgraph.store.local import ensure_built, open_store
    from iopgraph.views.dumps import write_dumps

    settings = _settings()
    try:
        store = open_store(settings.resolved_store_path)
        outcome = ensure_built(store, settings.resolved_store_path, graph_sources(settings.root), force)
        # The same bytes GET /dumps/<name> serves (views.dumps writes both).
        quads = list(store.quads_for_pattern(None, None, None))
        dumps = write_dumps(quads, settings.resolved_build_dir / "dumps", settings.base_url)
    except IopgraphError as exc:
        raise _fail(exc) from None
    verb = "loaded" if outcome.rebuilt else "unchanged,"
    typer.echo(f"store {settings.resolved_store_path}: {verb} {outcome.quads} quads")
    for d in dumps:
        typer.echo(f"dump {d} ({d.stat().st_size} bytes)")


def _settings_help() -> str:
    """Every setting with its environment variable and default, for `iopgraph serve --help`."""
    from iopgraph.core.settings import settings_reference

    lines = ["Settings (environment variables; a .env file in the working folder may add to them):"]
    lines += [
        f"{name} (default: {default}): {description}" for name, default, description in settings_reference()
    ]
    return "\n\n".join(lines)


@app.command(epilog=_settings_help())
def serve(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Serve these RDF files or folders (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML) instead of the "
            "shipped graph; loaded into IOPGRAPH_STORE_PATH if set, else a temporary store."
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on (IOPGRAPH_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (IOPGRAPH_PORT).")] = None,
    shapes: Annotated[
        Path | None,
        typer.Option(
            help="SHACL shapes (file or folder) that writes to served files are "
            "checked against (IOPGRAPH_SHAPES); none when not given."
        ),
    ] = None,
) -> None:
    """Serve the graph over HTTP (SPARQL endpoint, linked-data views)."""
    from iopgraph.core.malloc import limit_arenas

    limit_arenas()  # before any thread starts
    import uvicorn

    from iopgraph.app import create_app
    from iopgraph.core.settings import listening_url

    # --host/--port change the address served, and with it the base URL unless IOPGRAPH_BASE_URL is set.
    settings = _settings().serving(host, port)
    if paths:
        missing = [p for p in paths if not p.exists()]
        if missing:
            typer.echo(f"error: {missing[0]}: no such file or folder", err=True)
            raise typer.Exit(EXIT_INPUT)
        settings.sources = [p.resolve() for p in paths]
    if shapes:
        if not shapes.exists():
            typer.echo(f"error: --shapes {shapes}: no such file or folder", err=True)
            raise typer.Exit(EXIT_INPUT)
        settings.shapes = shapes.resolve()
    typer.echo(
        f"iopgraph serving on {listening_url(settings.host, settings.port)}/ (links use {settings.base_url}/)"
    )
    mismatch = settings.base_url_mismatch()
    if mismatch:
        typer.echo(f"warning: {mismatch}", err=True)
    # On SIGTERM/SIGINT uvicorn stops accepting, lets in-flight requests finish (up to
    # IOPGRAPH_SHUTDOWN_TIMEOUT), then the app's lifespan stops the query workers and closes the store.
    # The HTTP layer: URL/header limits, a header read timeout, problem+json for what never reaches the app,
    # and no `server` header (src/iopgraph/http/server_protocol.py).
    from iopgraph.http.observability import log_config
    from iopgraph.http.server_protocol import protocol_class

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=log_config(),
        access_log=False,
        # uvicorn types it int | None; it waits with asyncio, a float (the setting) works as well.
        timeout_graceful_shutdown=settings.shutdown_timeout or None,  # type: ignore[arg-type]
        http=protocol_class(settings.base_url),
        server_header=False,
    )


# --- stewardship: load, dump, backup, restore, release (exit code 3: the store is in use) ----------------


def _progress() -> Progress:  # rich is imported lazily so `--help` stays fast
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def _on_store(work: Callable[[ox.Store], T]) -> T:
    """Run ``work`` on the embedded store (built if needed), then let the store close.

    Errors become readable messages and exit codes; the store's lock is released
    before the command returns (pyoxigraph frees it with the last reference).
    """
    import gc

    from iopgraph.core.sources import graph_sources
    from iopgraph.store.local import ensure_built, open_store

    settings = _settings()
    if settings.store_url:
        typer.echo(
            "error: IOPGRAPH_STORE_URL is set: these commands work on the embedded store only", err=True
        )
        raise typer.Exit(EXIT_INPUT)
    failure: typer.Exit | None = None
    store = None
    try:
        store = open_store(settings.resolved_store_path)
        ensure_built(store, settings.resolved_store_path, graph_sources(settings.root))
        return work(store)
    except IopgraphError as exc:
        failure = _fail(exc)
    except OSError as exc:
        typer.echo(f"error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
        failure = typer.Exit(EXIT_INPUT)
    finally:
        del store
        gc.collect()
    raise failure


@app.command()
def load(
    files: Annotated[
        list[Path], typer.Argument(help="RDF files to load (Turtle, N-Triples, JSON-LD, RDF/XML, TriG...).")
    ],
    graph: Annotated[
        str | None,
        typer.Option(
            help="Load every file into this graph IRI "
            "(default: one graph per file, .../graph/contrib/<file-name>)."
        ),
    ] = None,
    append: Annotated[bool, typer.Option(help="Add to the graph instead of replacing its content.")] = False,
    agent: Annotated[str, typer.Option(help="Agent name recorded in provenance.")] = "cli",
) -> None:
    """Validate FILES against the shapes with the current graph, then load them in one atomic write.

    Exit 0 loaded, 1 rejected by the shapes (nothing written), 2 unreadable input, 3 store in use.
    """
    from iopgraph.core.rdfio import parse_file
    from iopgraph.stewardship.checks import Checker
    from iopgraph.stewardship.gate import WriteOutcome
    from iopgraph.stewardship.loading import contrib_graph, load_files

    settings = _settings()
    for f in files:
        if not f.is_file():
            typer.echo(f"error: {f}: no such file", err=True)
            raise typer.Exit(EXIT_INPUT)
    if graph is not None and not graph.startswith(("http://", "https://", "urn:")):
        typer.echo(f"error: --graph {graph!r} is not an absolute IRI", err=True)
        raise typer.Exit(EXIT_INPUT)

    def work(store: ox.Store) -> tuple[list[str], WriteOutcome]:
        graphs: dict[str, list[ox.Quad]] = {}
        with _progress() as progress:
            for f in files:
                task = progress.add_task(f"reading {f.name}", total=f.stat().st_size)
                # The guards of every upload (UTF-8, no XML entities, nesting depth) apply here too.
                quads = parse_file(f, None, partial(progress.advance, task), settings.max_rdf_depth)
                graphs.setdefault(graph or contrib_graph(f), []).extend(quads)
            progress.add_task("validating and loading", total=None)
            outcome = load_files(
                store, Checker.from_root(settings.root), graphs, not append, agent, settings.write_validation
            )
        return list(graphs), outcome

    names, outcome = _on_store(work)
    for iri in names:
        typer.echo(f"graph <{iri}>")
    typer.echo(
        f"+{len(outcome.change.add)} -{len(outcome.change.remove)} triples"
        + (f"; provenance <{outcome.activity}>" if outcome.activity else " (nothing changed)")
    )


class DumpFormat(StrEnum):
    nquads = "n-quads"
    trig = "trig"


@app.command()
def dump(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout; .gz compresses).")
    ] = None,
    fmt: Annotated[
        DumpFormat, typer.Option("--format", "-f", help="Syntax of the dump.")
    ] = DumpFormat.nquads,
) -> None:
    """Write every quad of the store (all named graphs, provenance included) as N-Quads or TriG."""
    import gzip
    import sys

    from iopgraph.core.media_types import syntax_by_name
    from iopgraph.stewardship.backup import dump_store

    syntax = syntax_by_name(fmt.value)
    assert syntax is not None

    def work(store: ox.Store) -> int:
        with _progress() as progress:
            task = progress.add_task("dumping", total=len(store))
            if output is None:
                return dump_store(store, sys.stdout.buffer, syntax, lambda n: progress.advance(task, n))
            opener = gzip.open if output.suffix == ".gz" else open
            with opener(output, "wb") as out:
                return dump_store(store, out, syntax, lambda n: progress.advance(task, n))

    typer.echo(f"{_on_store(work)} quads", err=True)


@app.command()
def backup(
    dest: Annotated[Path, typer.Argument(help="Backup file to write (gzipped N-Quads, e.g. backup.nq.gz).")],
) -> None:
    """Back the whole store up into DEST (plus DEST.json, a manifest with the count and SHA-256)."""
    from iopgraph.stewardship.backup import BackupInfo, backup_store

    def work(store: ox.Store) -> BackupInfo:
        with _progress() as progress:
            task = progress.add_task("backing up", total=len(store))
            return backup_store(store, dest, lambda n: progress.advance(task, n))

    info = _on_store(work)
    typer.echo(f"backup {info.path}: {info.quads} quads, sha256 {info.sha256}")


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(help="A backup written by `iopgraph backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the store's content without asking.")] = False,
) -> None:
    """Replace the whole store by the backup SOURCE (the dataset comes back isomorphic)."""
    import json

    from iopgraph.core.sources import content_hash, graph_sources
    from iopgraph.stewardship.backup import restore_store
    from iopgraph.store.local import _meta_path

    settings = _settings()
    if not source.is_file():
        typer.echo(f"error: {source}: no such file", err=True)
        raise typer.Exit(EXIT_INPUT)
    if not yes and not typer.confirm(f"Replace everything in {settings.resolved_store_path} by {source}?"):
        raise typer.Exit(EXIT_INPUT)

    def work(store: ox.Store) -> int:
        with _progress() as progress:
            task = progress.add_task("restoring", total=source.stat().st_size)
            count = restore_store(store, source, lambda n: progress.advance(task, n))
        # The store now holds the backup: the next start must not rebuild it from the sources.
        _meta_path(settings.resolved_store_path).write_text(
            json.dumps({"source_hash": content_hash(graph_sources(settings.root)), "quads": count})
        )
        return count

    typer.echo(f"restored {_on_store(work)} quads from {source}")


@app.command()
def release(
    version: Annotated[str, typer.Argument(help="The release version, e.g. 1.0.0.")],
    notes: Annotated[str, typer.Option(help="A sentence for the changelog.")] = "",
) -> None:
    """Write release VERSION: dumps, a changelog since the previous release, and a dcat:Dataset version."""
    from iopgraph.stewardship.releases import ReleaseInfo, make_release

    settings = _settings()
    folder = settings.resolved_build_dir / "releases"

    def work(store: ox.Store) -> ReleaseInfo:
        with _progress() as progress:
            progress.add_task(f"releasing {version}", total=None)
            return make_release(store, folder, version, settings.base_url, notes)

    info = _on_store(work)
    typer.echo(
        f"release {info.version}: {info.triples} triples, +{info.added} -{info.removed} since "
        f"{info.previous or '(first release)'}"
    )
    typer.echo(f"files in {folder / info.version}; catalogue entry <{info.iri}>")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
