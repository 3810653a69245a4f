"""The `iopgraph` command line.

Exit codes (all commands):
    0  success (for `validate`: the data conforms; warnings allowed)
    1  the data does not conform to the shapes (violations)
    2  unreadable input: a file that does not parse, an unknown format, a missing path
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from iopgraph.errors import InputError, IopgraphError
from iopgraph.validation import format_json, format_text, validate_files

app = typer.Typer(help="Build, validate and serve the iopgraph knowledge graph.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)

EXIT_OK, EXIT_INVALID, EXIT_INPUT = 0, 1, 2


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    turtle = "turtle"


def _fail(exc: IopgraphError) -> typer.Exit:
    typer.echo(f"error: {exc.message}", err=True)
    return typer.Exit(EXIT_INPUT if isinstance(exc, InputError) else EXIT_INVALID)


def _settings():  # noqa: ANN202 - imported lazily so `--help` stays fast
    from iopgraph.config import Settings

    return Settings()


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="RDF files or folders (default: ontology/ and data/).")] = None,
    output: Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format.")] = ReportFormat.text,
) -> None:
    """Validate RDF against the project's SHACL shapes; exit 0 if it conforms, 1 if not, 2 if unreadable."""
    settings = _settings()
    for p in paths or []:
        if not p.exists():
            typer.echo(f"error: {p}: no such file or folder", err=True)
            raise typer.Exit(EXIT_INPUT)
    try:
        report = validate_files(paths, settings.root)
    except IopgraphError as exc:
        raise _fail(exc) from None
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
    from iopgraph.dumps import write_dumps
    from iopgraph.sources import graph_sources
    from iopgraph.store import ensure_built, open_store

    settings = _settings()
    try:
        store = open_store(settings.resolved_store_path)
        outcome = ensure_built(store, settings.resolved_store_path, graph_sources(settings.root), force)
        dumps = write_dumps(store, settings.resolved_build_dir / "dumps")
    except IopgraphError as exc:
        raise _fail(exc) from None
    verb = "loaded" if outcome.rebuilt else "unchanged,"
    typer.echo(f"store {settings.resolved_store_path}: {verb} {outcome.quads} quads")
    for d in dumps:
        typer.echo(f"dump {d} ({d.stat().st_size} bytes)")


@app.command()
def serve(
    paths: Annotated[list[Path] | None, typer.Argument(help="Serve these RDF files instead of the shipped graph.")] = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on (IOPGRAPH_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (IOPGRAPH_PORT).")] = None,
) -> None:
    """Serve the graph over HTTP (SPARQL endpoint, linked-data views)."""
    import uvicorn

    from iopgraph.app import create_app

    settings = _settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    typer.echo(f"iopgraph serving on http://{settings.host}:{settings.port}/")
    from iopgraph.observability import log_config

    # On SIGTERM/SIGINT uvicorn stops accepting, lets in-flight requests finish (up to
    # IOPGRAPH_SHUTDOWN_TIMEOUT), then the app's lifespan stops the query workers and closes the store.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=log_config(),
                access_log=False, timeout_graceful_shutdown=settings.shutdown_timeout or None)  # type: ignore[arg-type]


def main() -> None:
    app()


if __name__ == "__main__":
    main()
