"""The reference endpoint: FastAPI + an in-memory pyoxigraph Store + pyoxigraph's own serialisers.

It stands for the engine's limit in benchmarks/sparql_bench.py (no checks, no cap, no timeout).

    python benchmarks/reference_endpoint.py DATA.nq PORT
"""

from __future__ import annotations

import sys

import pyoxigraph as ox
import uvicorn
from fastapi import FastAPI, Query, Response

store = ox.Store()
store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS)
app = FastAPI()
RESULTS = {"json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON)}
GRAPHS = {"turtle": ("text/turtle", ox.RdfFormat.TURTLE)}


@app.get("/sparql")
def sparql(query: str = Query(...)) -> Response:  # sync: FastAPI runs it in its thread pool
    result = store.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryTriples):
        media_type, rdf_format = GRAPHS["turtle"]
        return Response(result.serialize(format=rdf_format), media_type=media_type)
    media_type, results_format = RESULTS["json"]
    return Response(result.serialize(format=results_format), media_type=media_type)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
