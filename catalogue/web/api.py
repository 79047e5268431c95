"""The read API: search, records, revisions and history as JSON, errors as RFC 9457
problem details. The write API (`api_write.py`) reuses `problem`."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, jsonify, request

from ..errors import Gone, NotFound, Withheld
from ..search import SearchResult
from . import get_catalogue, search_limits
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
