"""The read API: search, records, revisions and history as JSON, errors as RFC 9457
problem details (`problems.py`), and its OpenAPI description."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

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
