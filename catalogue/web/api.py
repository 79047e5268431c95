"""The read API: search, records, revisions and history as JSON, errors as RFC 9457
problem details (`problems.py`), and its OpenAPI description; ``/api`` describes the API
for people (the OpenAPI document rendered as a page with an example for each operation)."""

from __future__ import annotations

import json
import shlex
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, jsonify, render_template, request

from ..errors import Gone, NotFound, Withheld
from ..service import result_json
from . import get_catalogue, search_limits
from .openapi import spec
from .problems import gone_problem, problem, withheld_problem
from .search import BadSearch, read_args, run
from .site import BadRevision, base_url, revision_arg

bp = Blueprint("api", __name__, url_prefix="/api")

@bp.get("/search")
def search() -> Any:
    """``/api/search?q=&type=&status=&century=&place=&source=&sort=&page=&page_size=``."""
    try:
        result = run(read_args(request.args))
    except BadSearch as error:
        return problem(400, "Bad search request", str(error))
    return jsonify(result_json(result, base_url()))


@bp.get("/records/<record_id>")
def record(record_id: str) -> Any:
    """A live record, or one revision of it with ``?revision=N`` (deleted or not)."""
    try:
        data = get_catalogue().get(record_id, revision_arg())
    except BadRevision as error:
        return problem(400, "Bad request", f"revision must be a whole number from 1, not {error.args[0]!r}")
    except Gone as error:
        return gone_problem(error)
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
    """The OpenAPI 3.1 description of the read and the write API."""
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
    document = spec(base_url(), search_limits())
    return render_template("api.html", info=document["info"], operations=operations(document),
                           record_fields=document["components"]["schemas"]["Record"].get("properties", {}))
