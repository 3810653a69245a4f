"""The steward workbench in the browser: sign-in, shape-driven forms, live checks, proposals, history, revert.

    GET  /sign-in, POST /sign-in            token → session cookie (HttpOnly, SameSite=Strict)
    POST /sign-out                          destroys the session
    GET  /edit/new/<kind>, GET /edit?iri=   the form (needs a session; else 303 to /sign-in)
    POST /edit/check                        live validation: the gate as a dry run (JSON; X-CSRF-Token)
    GET  /edit/lookup?class=|scheme=&q=     pick-list suggestions (JSON)
    POST /edit                              submit the form as a proposal → 303 /proposals/<id>
    GET  /proposals, /proposals/<id>        list; review (diff, the gate's verdict, the provenance to record)
    POST /proposals/<id>/accept|reject      publisher only; accept = one gated, recorded write
    GET  /id/<path>/history                 public: versions, who, when, diff
    POST /id/<path>/history                 publisher: restore a version (a new gated write)

Every POST needs the session's CSRF token (403 ``csrf-failed`` otherwise, nothing changed).
Writes go through the gate's public interface (:class:`~iopgraph.stewardship.gate.WriteGate`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from iopgraph.core.errors import Forbidden, InputError, IopgraphError, ResourceNotFound, ValidationFailed
from iopgraph.core.iri import mint, slugify
from iopgraph.core.namespaces import ID, RDF_TYPE_IRI
from iopgraph.core.terms import object_of
from iopgraph.http import providers, render
from iopgraph.routers.resources import resource_iri
from iopgraph.stewardship.changes import is_file_graph, is_system_graph
from iopgraph.views.describe import labels_from, summaries
from iopgraph.views.ldes import sync
from iopgraph.workbench.diff import diff_lines, labels_for, triples_of
from iopgraph.workbench.formmodel import KINDS, Form, FormModels, steward_graph
from iopgraph.workbench.history import Entry, history, parse
from iopgraph.workbench.plans import resource_plan
from iopgraph.workbench.proposals import ACCEPTED, OPEN, REJECTED, Proposal
from iopgraph.workbench.sessions import (
    CSRF_FIELD,
    SIGNIN_COOKIE,
    Session,
    check_signin_token,
    is_https,
    new_signin_token,
)

router = APIRouter(tags=["workbench"])
STATIC = Path(__file__).resolve().parents[1] / "static"
STATIC_TYPES = {"workbench.js": "text/javascript; charset=utf-8", "workbench.css": "text/css; charset=utf-8"}
MAX_LOOKUP = 200
IMAGE = re.compile(r"^[a-z0-9][a-z0-9-]*\.png$")
NO_STORE = {"Cache-Control": "no-store"}


class SignInRequired(Forbidden):
    code = "sign-in-required"


class PublisherOnly(Forbidden):
    code = "publisher-only"


def _page(
    request: Request, template: str, context: dict[str, Any], session: Session | None, status_code: int = 200
) -> Response:
    context = {"session": session, "csrf": session.csrf if session else "", **context}
    return render.html(request, template, context, headers=NO_STORE, status_code=status_code)


def _local(target: str | None) -> str:
    """A redirect target on this site only (no scheme, no host, no ``//``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/proposals"
    return target


def _need_session(request: Request) -> Session | Response:
    """The session, or a redirect to the sign-in page that comes back here."""
    session = providers.context(request).sessions.find(request)
    if session is not None:
        return session
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/sign-in?" + urlencode({"next": back}), status_code=303, headers=NO_STORE)


async def _posting(request: Request, publisher: bool = False) -> tuple[Session, dict[str, list[str]]]:
    """The session and form fields of a POST: 403 without a session, with a bad CSRF token, or the wrong role."""
    store = providers.context(request).sessions
    session = store.find(request)
    if session is None:
        raise SignInRequired("sign in first (/sign-in): changing data needs a session")
    form = await request.form()
    fields = {k: [str(v) for v in form.getlist(k)] for k in form}
    token = fields.get(CSRF_FIELD, [None])[0]
    store.check_csrf(request, session, token)
    if publisher and not session.is_publisher:
        raise PublisherOnly(
            f"only a publisher may do this; you are signed in as {session.agent} ({session.role})"
        )
    return session, fields


# --- sign-in ------------------------------------------------------------------------------------


def _signin_page(request: Request, target: str, error: str | None = None, status_code: int = 200) -> Response:
    token = new_signin_token()
    response = _page(
        request,
        "workbench_signin.html",
        {"title": "Sign in", "next": target, "signin_token": token, "error": error},
        providers.context(request).sessions.find(request),
        status_code,
    )
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        max_age=900,
        path="/sign-in",
        httponly=True,
        samesite="strict",
        secure=is_https(request, providers.settings(request).base_url),
    )
    return response


@router.get("/sign-in", summary="Sign in to the workbench (exchange a token for a session)")
async def sign_in_form(request: Request, next: str | None = None) -> Response:
    return _signin_page(request, _local(next))


@router.post("/sign-in", summary="Exchange a write token for a session cookie", response_model=None)
async def sign_in(request: Request) -> Response:
    form = await request.form()
    check_signin_token(request, str(form.get("signin_token") or ""))
    target = _local(str(form.get("next") or ""))
    tokens = providers.stewardship(request).tokens
    if not tokens.enabled:
        return _signin_page(
            request, target, "Writes are disabled on this server (no token is configured).", 403
        )
    found = tokens.identify(str(form.get("token") or ""))
    if found is None:
        return _signin_page(request, target, "That token is not valid. Check it and try again.", 403)
    store = providers.context(request).sessions
    store.destroy(request.cookies.get("iopgraph_session"))  # never keep (or adopt) the id the browser brought
    session = store.create(*found)
    response = RedirectResponse(target, status_code=303, headers=NO_STORE)
    store.set_cookie(request, response, session)
    response.delete_cookie(SIGNIN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out", summary="End the workbench session", response_model=None)
async def sign_out(request: Request) -> Response:
    session, _ = await _posting(request)
    store = providers.context(request).sessions
    store.destroy(session.id)
    response = RedirectResponse("/", status_code=303, headers=NO_STORE)
    store.clear_cookie(request, response)
    return response


# --- forms --------------------------------------------------------------------------------------


async def _resource(request: Request, iri: str) -> list[ox.Triple]:
    backend = providers.backend(request)
    return list(
        await backend.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": ox.NamedNode(iri)})
    )


async def _value_labels(request: Request, values: dict[str, list[str]]) -> dict[str, str]:
    iris = [ox.NamedNode(v) for vs in values.values() for v in vs if v.startswith(("http://", "https://"))]
    return labels_from(await summaries(providers.backend(request), iris)) if iris else {}


def _kind(form_models_: FormModels, kind: str) -> Form:
    try:
        return form_models_.form(kind)
    except KeyError:
        raise ResourceNotFound(
            f"there is no form for “{kind}”; the workbench edits {', '.join(KINDS)}"
        ) from None


def _form_page(
    request: Request,
    session: Session,
    form: Form,
    iri: str | None,
    values: dict[str, list[str]],
    labels: dict[str, str],
    messages: dict[str, list[str]] | None = None,
    status_code: int = 200,
) -> Response:
    editing = iri is not None
    title = f"Edit {form.title.lower()}" if editing else f"New {form.title.lower()}"
    return _page(
        request,
        "workbench_form.html",
        {
            "title": title,
            "form": form,
            "iri": iri or "",
            "values": values,
            "labels": labels,
            "messages": messages or {},
            "kinds": list(KINDS),
        },
        session,
        status_code,
    )


@router.get(
    "/edit/new/{kind}",
    summary="The form for a new resource of a kind (generated from the shapes)",
    response_model=None,
)
async def new_form(request: Request, kind: str) -> Response:
    session = _need_session(request)
    if isinstance(session, Response):
        return session
    form = _kind(await providers.forms(request), kind)
    values: dict[str, list[str]] = {f.key: [] for f in form.fields}
    values["rdf.type"] = [form.class_iri]
    return _form_page(request, session, form, None, values, {})


@router.get(
    "/edit", summary="The form for an existing resource, pre-filled from the store", response_model=None
)
async def edit_form(request: Request, iri: str = "") -> Response:
    session = _need_session(request)
    if isinstance(session, Response):
        return session
    triples = await _resource(request, iri) if iri else []
    if not triples:
        raise ResourceNotFound(f"there is no resource <{iri}> in the graph to edit")
    types = {object_of(t).value for t in triples if t.predicate.value == RDF_TYPE_IRI}
    models = await providers.forms(request)
    kind = models.kind_of(types)
    if kind is None:
        raise ResourceNotFound(f"<{iri}> is not one of the kinds the workbench edits ({', '.join(KINDS)})")
    form = models.form(kind)
    values = form.values_of(iri, triples)
    return _form_page(request, session, form, iri, values, await _value_labels(request, values))


def _values(fields: dict[str, list[str]], form: Form) -> dict[str, list[str]]:
    return {f.key: [v for v in fields.get(f.key, []) if v.strip()] for f in form.fields}


async def _target(
    request: Request, form: Form, iri: str | None, values: dict[str, list[str]]
) -> tuple[str | None, str | None, dict[str, list[str]]]:
    """The resource's IRI and graph (minted from the label for a new one), and messages on the label field."""
    label_key = "rdfs.label"
    if iri:
        existing = await _resource(request, iri)
        if not existing:
            return None, None, {label_key: [f"<{iri}> is not in the graph any more"]}
        graph = await _graph_of(request, iri, form.kind)
        return iri, graph, {}
    label = (values.get(label_key) or [""])[0].strip()
    if not label:
        return None, None, {label_key: ["Give the resource an English name first: its IRI is made from it."]}
    try:
        minted = mint(form.kind, label)
    except ValueError:
        return (
            None,
            None,
            {label_key: ["The name needs at least one letter or digit: its IRI is made from it."]},
        )
    backend = providers.backend(request)
    if await backend.ask("ASK { ?s ?p ?o }", {"s": ox.NamedNode(minted)}):
        return (
            minted,
            None,
            {
                label_key: [
                    f"<{minted}> exists already: open it with /edit?iri=… to change it, "
                    "or choose another name."
                ]
            },
        )
    return minted, steward_graph(form.kind, slugify(label)), {}


async def _graph_of(request: Request, iri: str, kind: str) -> str:
    """The steward graph holding ``iri`` (the first, by name), else the graph a new resource of ``kind`` gets."""
    backend = providers.backend(request)
    rows = await backend.select(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {ox.NamedNode(iri)} ?p ?o }} }}")
    graphs = sorted(
        g.value
        for g in (r.get("g") for r in rows)
        if isinstance(g, ox.NamedNode) and not is_file_graph(g) and not is_system_graph(g)
    )
    return graphs[0] if graphs else steward_graph(kind, iri.rstrip("/").rsplit("/", 1)[-1])


def _sorted_messages(
    form: Form, iri: str | None, report: dict[str, Any]
) -> tuple[dict[str, list[str]], list[dict[str, str]]]:
    """Each result beside its field (by sh:resultPath, on this resource); the rest for the form's top."""
    fields: dict[str, list[str]] = {}
    general: list[dict[str, str]] = []
    for r in report.get("results", []):
        text = r["message"] if r["severity"] == "Violation" else f"{r['severity']}: {r['message']}"
        target = form.field_for(r.get("path")) if r.get("focus_node") == iri else None
        if target is not None:
            if text not in fields.setdefault(target.key, []):
                fields[target.key].append(text)
        else:
            general.append(
                {
                    "severity": r["severity"],
                    "message": r["message"],
                    "focus": r.get("focus_node") or "",
                    "path": r.get("path") or "",
                }
            )
    return fields, general


async def _dry_run(
    request: Request, iri: str, graph: str, triples: list[ox.Triple], paths: set[str] | None, agent: str
) -> tuple[Any, dict[str, Any], str | None]:
    """(outcome or None, report JSON, refusal) of the gate as a dry run."""
    gate = providers.stewardship(request).gate
    try:
        outcome = await gate.write(resource_plan(iri, graph, triples, paths), agent, dry_run=True)
    except ValidationFailed as exc:
        return None, exc.problem_extra.get("report") or {}, exc.message
    except IopgraphError as exc:
        return None, {"conforms": False, "results": []}, exc.message
    report = {"conforms": True, "results": []}
    if outcome.check is not None:
        report = outcome.check.report.to_json()
    return outcome, report, None


@router.post(
    "/edit/check", summary="Live validation of a form: the gate as a dry run (JSON)", response_model=None
)
async def check(request: Request) -> Response:
    store = providers.context(request).sessions
    session = store.find(request)
    if session is None:
        raise SignInRequired("sign in first (/sign-in)")
    store.check_csrf(request, session)
    try:
        body = json.loads(await request.body())
        kind, iri, raw = str(body["kind"]), body.get("iri") or None, body["values"]
        values = {str(k): [str(v) for v in (vs if isinstance(vs, list) else [vs])] for k, vs in raw.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InputError(
            'send JSON {"kind": "...", "iri": "..." or null, "values": {"field": ["value", ...]}}'
        ) from None
    form = _kind(await providers.forms(request), kind)
    values = _values(values, form)
    target, graph, problems = await _target(request, form, iri, values)
    triples, errors = form.to_triples(target or ID + "draft", values)
    for key, msgs in errors.items():
        problems.setdefault(key, []).extend(msgs)
    general: list[dict[str, str]] = []
    conforms = not problems
    if target and graph and not problems:
        _, report, refusal = await _dry_run(request, target, graph, triples, form.paths, session.agent)
        fields, general = _sorted_messages(form, target, report)
        problems.update(fields)
        conforms = bool(report.get("conforms")) and refusal is None
        if refusal and not report.get("results"):
            general.append({"severity": "Violation", "message": refusal, "focus": target, "path": ""})
    return JSONResponse(
        {"iri": target, "graph": graph, "conforms": conforms, "fields": problems, "general": general},
        headers=NO_STORE,
    )


LOOKUP_BY_CLASS = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?x ?label WHERE {
  ?x a ?type . ?type rdfs:subClassOf* CLASS .
  ?x rdfs:label|skos:prefLabel ?label . FILTER (lang(?label) = "en" || lang(?label) = "")
  FILTER (CONTAINS(LCASE(STR(?label)), LCASE(QUERY)) || CONTAINS(LCASE(STR(?x)), LCASE(QUERY)))
} ORDER BY STRLEN(STR(?label)) ?label LIMIT 20
"""
LOOKUP_BY_SCHEME = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?x ?label WHERE {
  ?x skos:inScheme SCHEME ; skos:prefLabel ?label . FILTER (lang(?label) = "en" || lang(?label) = "")
  FILTER (CONTAINS(LCASE(STR(?label)), LCASE(QUERY)) || CONTAINS(LCASE(STR(?x)), LCASE(QUERY)))
} ORDER BY STRLEN(STR(?label)) ?label LIMIT 20
"""


@router.get(
    "/edit/lookup", summary="Suggestions for a pick list: resources of a class or concepts of a scheme"
)
async def lookup(request: Request, q: str = "", scheme: str | None = None) -> Response:
    cls = request.query_params.get("class")
    if len(q) > MAX_LOOKUP:
        raise InputError(f"q is longer than {MAX_LOOKUP} characters")
    if bool(cls) == bool(scheme):
        raise InputError("give exactly one of class=<IRI> or scheme=<IRI>")
    try:
        node = ox.NamedNode(cls or scheme or "")
    except ValueError:
        raise InputError("class or scheme must be an absolute IRI") from None
    backend = providers.backend(request)
    # Terms printed by pyoxigraph are escaped: safe to put in the query text.
    query = (
        LOOKUP_BY_CLASS.replace("CLASS", str(node)) if cls else LOOKUP_BY_SCHEME.replace("SCHEME", str(node))
    )
    rows = await backend.select(query.replace("QUERY", str(ox.Literal(q))))
    return JSONResponse([{"iri": r["x"].value, "label": r["label"].value} for r in rows])


@router.post("/edit", summary="Submit the form as a proposal", response_model=None)
async def submit(request: Request) -> Response:
    session, fields = await _posting(request)
    kind = (fields.get("kind") or [""])[0]
    iri = (fields.get("iri") or [""])[0] or None
    form = _kind(await providers.forms(request), kind)
    values = _values(fields, form)
    target, graph, problems = await _target(request, form, iri, values)
    triples, errors = form.to_triples(target or ID + "draft", values)
    for key, msgs in errors.items():
        problems.setdefault(key, []).extend(msgs)
    if problems or target is None or graph is None:
        return _form_page(
            request, session, form, iri, values, await _value_labels(request, values), problems, 422
        )
    note = (fields.get("note") or [""])[0].strip()[:2000]
    proposal = providers.context(request).proposals.submit(
        kind, target, graph, triples, form.paths, session.agent, note
    )
    return RedirectResponse(f"/proposals/{proposal.id}", status_code=303, headers=NO_STORE)


# --- proposals ----------------------------------------------------------------------------------


@router.get("/proposals", summary="Proposals waiting for a publisher, and decided ones", response_model=None)
async def proposals(request: Request) -> Response:
    session = _need_session(request)
    if isinstance(session, Response):
        return session
    items = providers.context(request).proposals.all()
    return _page(
        request,
        "workbench_proposals.html",
        {
            "title": "Proposals",
            "open": [p for p in items if p.status == OPEN],
            "decided": [p for p in items if p.status != OPEN],
            "kinds": list(KINDS),
        },
        session,
    )


def _get(request: Request, pid: str) -> Proposal:
    found = providers.context(request).proposals.get(pid)
    if found is None:
        raise ResourceNotFound(f"there is no proposal {pid}")
    return found


async def _review(
    request: Request, session: Session, p: Proposal, error: str | None = None, status_code: int = 200
) -> Response:
    paths = None if p.paths is None else set(p.paths)
    report: dict[str, Any]
    outcome, report, refusal = (None, {}, None)
    if p.status == OPEN:
        outcome, report, refusal = await _dry_run(request, p.iri, p.graph, p.triples, paths, session.agent)
    if outcome is not None:
        added, removed = triples_of(outcome.change.add), triples_of(outcome.change.remove)
    else:  # refused or decided: the proposal against the resource as it is now
        current = [t for t in await _resource(request, p.iri) if paths is None or t.predicate.value in paths]
        proposed = set(p.triples)
        added = [t for t in proposed if t not in set(current)]
        removed = [t for t in current if t not in proposed]
    labels = await labels_for(providers.backend(request), [*added, *removed])
    form = (await providers.forms(request)).form(p.kind) if p.kind in KINDS else None
    return _page(
        request,
        "workbench_proposal.html",
        {
            "title": f"Proposal {p.id}",
            "p": p,
            "lines": diff_lines(added, removed, labels),
            "report": report,
            "refusal": refusal,
            "outcome": outcome,
            "error": error,
            "form_title": form.title if form else p.kind,
            "resource_path": _path_of(p.iri),
        },
        session,
        status_code,
    )


def _path_of(iri: str) -> str | None:
    return "/" + iri[len("https://w3id.org/iopgraph/") :] if iri.startswith(ID) else None


@router.get(
    "/proposals/{pid}",
    summary="Review one proposal: diff, the gate's verdict, the provenance",
    response_model=None,
)
async def proposal(request: Request, pid: str) -> Response:
    session = _need_session(request)
    if isinstance(session, Response):
        return session
    return await _review(request, session, _get(request, pid))


@router.post(
    "/proposals/{pid}/accept", summary="Publish a proposal: one gated, recorded write", response_model=None
)
async def accept(request: Request, pid: str) -> Response:
    session, _ = await _posting(request, publisher=True)
    box = providers.context(request).proposals
    async with providers.context(request).accept_lock:
        p = _get(request, pid)
        if p.status != OPEN:
            return await _review(request, session, p, f"This proposal was {p.status} already.", 409)
        gate = providers.stewardship(request).gate
        await sync(
            providers.backend(request), providers.event_log(request)
        )  # the feed holds the state before the write
        plan = resource_plan(p.iri, p.graph, p.triples, None if p.paths is None else set(p.paths))
        try:
            outcome = await gate.write(plan, session.agent)
        except ValidationFailed as exc:
            return await _review(request, session, p, f"The gate refused it: {exc.message}.", 422)
        except IopgraphError as exc:
            return await _review(request, session, p, exc.message, exc.status)
        box.decide(pid, ACCEPTED, session.agent, "", outcome.activity)
    return RedirectResponse(f"/proposals/{pid}", status_code=303, headers=NO_STORE)


@router.post("/proposals/{pid}/reject", summary="Reject a proposal with a comment", response_model=None)
async def reject(request: Request, pid: str) -> Response:
    session, fields = await _posting(request, publisher=True)
    comment = (fields.get("comment") or [""])[0].strip()[:2000]
    p = _get(request, pid)
    if not comment:
        return await _review(request, session, p, "Say why you reject it (the comment is required).", 422)
    if not providers.context(request).proposals.decide(pid, REJECTED, session.agent, comment):
        return await _review(request, session, p, f"This proposal was {p.status} already.", 409)
    return RedirectResponse(f"/proposals/{pid}", status_code=303, headers=NO_STORE)


# --- history and revert -------------------------------------------------------------------------


async def _history_page(
    request: Request, iri: str, error: str | None = None, status_code: int = 200
) -> Response:
    entries: list[Entry] = await history(providers.backend(request), providers.event_log(request), iri)
    if not entries:
        raise ResourceNotFound(f"the graph has no versions of <{iri}>")
    labels = await labels_for(
        providers.backend(request), [t for e in entries for t in (*e.added, *e.removed)]
    )
    rows = [{"entry": e, "lines": diff_lines(e.added, e.removed, labels)} for e in reversed(entries)]
    return _page(
        request,
        "workbench_history.html",
        {
            "title": f"History of {labels.get(iri, iri)}",
            "iri": iri,
            "rows": rows,
            "error": error,
            "path": request.url.path,
            "edit_href": "/edit?iri=" + quote(iri, safe=""),
        },
        providers.context(request).sessions.find(request),
        status_code,
    )


@router.get(
    "/id/{path:path}/history",
    summary="The versions of a resource: who, when, what changed",
    response_model=None,
)
async def resource_history(request: Request, path: str) -> Response:
    return await _history_page(request, resource_iri("id/" + path).value)


@router.post(
    "/id/{path:path}/history",
    summary="Restore a version of a resource (publisher; a gated write)",
    response_model=None,
)
async def revert(request: Request, path: str) -> Response:
    session, fields = await _posting(request, publisher=True)
    iri = resource_iri("id/" + path).value
    wanted = (fields.get("version") or [""])[0]
    entries = await history(providers.backend(request), providers.event_log(request), iri)
    if wanted == "none":
        snapshot: list[ox.Triple] = []
    else:
        match = next((e for e in entries if str(e.version.seq) == wanted), None)
        if match is None:
            raise InputError(f"<{iri}> has no version {wanted!r}")
        snapshot = parse(match.version.ntriples)
    kinds = await providers.forms(request)
    types = {
        object_of(t).value
        for t in [*snapshot, *(await _resource(request, iri))]
        if t.predicate.value == RDF_TYPE_IRI
    }
    graph = await _graph_of(request, iri, kinds.kind_of(types) or "initiative")
    operation = (
        "withdraw the resource in the workbench"
        if wanted == "none"
        else f"restore version {wanted} in the workbench"
    )
    plan = resource_plan(iri, graph, snapshot, None, operation)
    try:
        await sync(providers.backend(request), providers.event_log(request))
        await providers.stewardship(request).gate.write(plan, session.agent)
    except ValidationFailed as exc:
        return await _history_page(request, iri, f"The gate refused the restore: {exc.message}.", 422)
    except IopgraphError as exc:
        return await _history_page(request, iri, exc.message, exc.status)
    return RedirectResponse(request.url.path, status_code=303, headers=NO_STORE)


# --- static files -------------------------------------------------------------------------------


def _static(name: str) -> Response:
    body = (STATIC / name).read_bytes()
    return Response(body, media_type=STATIC_TYPES[name], headers={"Cache-Control": "public, max-age=300"})


@router.get("/static/workbench.js", include_in_schema=False)
async def script() -> Response:
    return _static("workbench.js")


@router.get("/guides/img/{name}", include_in_schema=False)
async def guide_image(request: Request, name: str) -> Response:
    """The screenshots of docs/stewards.md (docs/img/*.png), so the guide's page shows them too."""
    folder = providers.settings(request).root / "docs" / "img"
    if not IMAGE.match(name) or not (folder / name).is_file():
        raise ResourceNotFound(f"there is no guide image {name}")
    return Response(
        (folder / name).read_bytes(),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/static/workbench.css", include_in_schema=False)
async def stylesheet() -> Response:
    return _static("workbench.css")
