"""The read API: search, records, revisions and history as JSON, errors as RFC 9457
problem details; ``/api`` describes the API for people (the OpenAPI document rendered as a
page with an example for each operation). The write API (`api_write.py`) reuses `problem`."""

from __future__ import annotations

import dataclasses
import json
import shlex
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, jsonify, render_template, request

from ..errors import Gone, NotFound, Withheld
from ..search import SearchResult
from ..web import get_catalogue, search_limits
from .search import BadSearch, read_args, run
from .site import BadRevision, base_url, revision_arg

bp = Blueprint("api", __name__, url_prefix="/api")

PROBLEM_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str = "", **extra: Any) -> Response:
    """An RFC 9457 problem details response (``type`` defaults to about:blank)."""
    body: dict[str, Any] = {"type": extra.pop("type", "about:blank"), "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = extra.pop("instance", request.path)
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    return response


def _gone(error: Gone) -> Response:
    return problem(410, "Gone", str(error), id=error.record_id, reason=error.reason, revision=error.revision)


def withheld_problem(error: Withheld) -> Response:
    """410 for content an admin withheld from the public (`withheld: true`), so a client
    drops any copy it holds, as for a deleted record."""
    return problem(410, "Gone", str(error), id=error.record_id, revision=error.revision, withheld=True,
                   current=error.current)


def result_json(result: SearchResult) -> dict[str, Any]:
    """A search result as JSON: hits (with snippet HTML), facets, total, suggestion."""
    return {
        "query": result.query,
        "total": result.total,
        "page": result.page,
        "page_size": result.page_size,
        "pages": result.pages,
        "sort": result.sort,
        "filters": result.filters,
        "suggestion": result.suggestion,
        "notice": result.notice,
        "hits": [
            {"id": h.id, "title": h.title, "score": h.score, "snippet": str(h.snippet),
             "url": f"{base_url()}/records/{h.id}", "record": h.record}
            for h in result.hits
        ],
        "facets": {name: [dataclasses.asdict(v) for v in values] for name, values in result.facets.items()},
    }


@bp.get("/search")
def search() -> Any:
    """``/api/search?q=&type=&status=&century=&place=&source=&sort=&page=&page_size=``."""
    try:
        result = run(read_args(request.args))
    except BadSearch as error:
        return problem(400, "Bad search request", str(error))
    return jsonify(result_json(result))


@bp.get("/records/<record_id>")
def record(record_id: str) -> Any:
    """A live record, or one revision of it with ``?revision=N`` (deleted or not)."""
    try:
        data = get_catalogue().get(record_id, revision_arg())
    except BadRevision as error:
        return problem(400, "Bad request", f"revision must be a whole number from 1, not {error.args[0]!r}")
    except Gone as error:
        return _gone(error)
    except Withheld as error:
        return withheld_problem(error)
    except NotFound as error:
        return problem(404, "Not Found", str(error))
    return jsonify(data)


@bp.get("/records/<record_id>/history")
def history(record_id: str) -> Any:
    """Every revision of a record, oldest first: who, when, why, and the content (null,
    like the message, for a revision withheld from the public)."""
    try:
        revisions = get_catalogue().history(record_id)
    except NotFound as error:
        return problem(404, "Not Found", str(error))
    return jsonify({
        "id": record_id,
        "revisions": [
            {"revision": r.revision, "action": r.action, "deleted": r.deleted, "user": r.user,
             "message": None if r.withheld else r.message, "origin": r.origin, "at": r.at,
             "withheld": r.withheld, "record": None if r.withheld else r.data}
            for r in revisions
        ],
    })


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3.1 description of the read API (and the write API when present)."""
    from ..openapi import spec

    return jsonify(spec(base_url(), search_limits()))


def _example(server: str, path: str, method: str, operation: dict[str, Any]) -> str:
    """A shell command calling `operation` with the example values of its description."""
    parameters = operation.get("parameters", [])
    for parameter in parameters:
        if parameter["in"] == "path":
            path = path.replace(f"{{{parameter['name']}}}", quote(str(parameter.get("example", "ID")), safe=""))
    query = urlencode([(p["name"], value) for p in parameters if p["in"] == "query" and "example" in p
                       for value in (p["example"] if isinstance(p["example"], list) else [p["example"]])])
    url = server + path + (f"?{query}" if query else "")
    if method == "get":
        return f"curl {shlex.quote(url)}"
    command = ["curl", "-X", method.upper(), "-H", "Authorization: Bearer TOKEN"]
    for parameter in parameters:
        if parameter["in"] == "header" and "example" in parameter:
            command += ["-H", f"{parameter['name']}: {parameter['example']}"]
    content = operation.get("requestBody", {}).get("content", {})
    kind = "application/merge-patch+json" if method == "patch" and "application/merge-patch+json" in content \
        else next(iter(content), "")
    if kind:
        body = json.dumps(content[kind].get("example", {}), ensure_ascii=False)
        command += ["-H", f"Content-Type: {kind}", "--data", body]
    return " ".join(shlex.quote(part) for part in [*command, url])


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of an OpenAPI document as the API page lists it, in document order."""
    server = document["servers"][0]["url"]
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            found.append({
                "method": method.upper(), "path": path, "id": operation.get("operationId", ""),
                "summary": operation.get("summary", ""), "parameters": operation.get("parameters", []),
                "token": bool(operation.get("security")), "body": next(iter(operation.get("requestBody", {})
                                                                           .get("content", {})), ""),
                "responses": sorted((code, response.get("description", ""))
                                    for code, response in operation.get("responses", {}).items()),
                "example": _example(server, path, method, operation),
            })
    return found


@bp.get("")
def docs() -> str:
    """The API for people: what each operation does, its parameters and an example call;
    the machine-readable description stays at ``/api/openapi.json``."""
    from ..openapi import spec

    document = spec(base_url(), search_limits())
    return render_template("api.html", info=document["info"], operations=operations(document),
                           record_fields=document["components"]["schemas"]["Record"].get("properties", {}))
