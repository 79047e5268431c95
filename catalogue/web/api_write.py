"""The write API for scripts: create and update records with a bearer token
(`catalogue token create NAME --role archivist`). Updates must name the revision they
were based on, so a script never overwrites an edit it has not seen."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for

from ..access import bearer_token
from ..errors import AlreadyExists, CatalogueError, Gone, NotFound, StaleRevision, ValidationError, Withheld
from ..records import SYSTEM_FIELDS, too_deep
from . import get_catalogue
from .problems import gone_problem, problem, withheld_problem
from .site import whole_number

bp = Blueprint("api_write", __name__, url_prefix="/api")

JSON_TYPES = ("application/json", "application/merge-patch+json")
ORIGIN = "api"


def _unauthorized(detail: str) -> Response:
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="catalogue"'
    return response


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let through requests with a live bearer token (archivist or admin); 401 otherwise."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = g.get("api_user")  # (`check_token` refused an unknown one)
        if user is None:
            return _unauthorized("Send 'Authorization: Bearer <token>'; "
                                 "create a token with: catalogue token create NAME --role archivist")
        if not user.can("archivist"):
            return _unauthorized("The token is unknown or revoked.")
        return view(*args, **kwargs)

    return wrapper


def check_token() -> Response | None:
    """Before each request, whatever its route: a bearer token sent must be live, or the
    answer is 401 (RFC 6750's invalid_token), so that a made-up one buys nothing, not even
    the threads `catalogue serve` keeps for staff. A live one's identity is `g.api_user`."""
    token = bearer_token(request.headers.get("Authorization", ""))
    if not token:
        return None
    user = get_catalogue().accounts.token_user(token)
    if user is None:
        return _unauthorized("The token is unknown or revoked.")
    g.api_user = user
    return None


def _body() -> dict[str, Any] | Response:
    if request.mimetype not in JSON_TYPES:
        return problem(415, "Unsupported Media Type", f"send the record as JSON ({' or '.join(JSON_TYPES)})")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested too deeply for the JSON parser
        data = None
    if not isinstance(data, dict):
        return problem(400, "Bad Request", "the body is not a JSON object")
    return data


def _seen_revision(body: dict[str, Any]) -> int | Response:
    """The revision the client based its change on: ``If-Match: "N"`` or ``revision`` in the body."""
    raw: Any = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if not raw:
        raw = body.get("revision")
    if raw is None or raw == "":
        return problem(428, "Precondition Required",
                       "name the revision your change is based on: If-Match: \"N\" or \"revision\": N in the body",
                       errors=[{"path": "revision", "message": "is required"}])
    if isinstance(raw, float) and raw.is_integer():  # JSON has one number type: 3.0 is 3
        raw = int(raw)
    number = None if isinstance(raw, bool) else whole_number(str(raw))
    if number is None:
        return problem(400, "Bad Request", f"the revision must be a whole number, not {str(raw)[:30]!r}",
                       errors=[{"path": "revision", "message": "must be a whole number"}])
    return number


def _message(default: str) -> str:
    return request.headers.get("X-Edit-Message", "").strip()[:1000] or default


def _saved(record: dict[str, Any], status: int) -> Response:
    response = jsonify(record)
    response.status_code = status
    response.headers["ETag"] = f'"{record["revision"]}"'
    response.headers["Location"] = url_for("api.record", record_id=record["id"])
    return response


def _failure(error: CatalogueError) -> Response:
    """The problem details of a failed write."""
    if isinstance(error, ValidationError):
        return problem(422, "Invalid record", str(error),
                       errors=[{"path": e.path, "message": e.message} for e in error.errors])
    if isinstance(error, StaleRevision):
        current = get_catalogue().current(error.record_id)
        shown = current is not None and (not current.withheld or g.api_user.can("admin"))
        return problem(409, "Conflict", str(error), current_revision=error.current,
                       current=current.data if shown else None)
    if isinstance(error, Withheld):
        if error.current and get_catalogue().current(error.record_id) is not None:
            return problem(403, "Forbidden", f"{error}; only an admin token may change the record (the new "
                           "revision will be public) or an admin releases it", id=error.record_id, withheld=True)
        return withheld_problem(error)
    if isinstance(error, Gone):
        return gone_problem(error)
    if isinstance(error, NotFound):
        return problem(404, "Not Found", str(error))
    if isinstance(error, AlreadyExists):
        return problem(409, "Conflict", str(error))
    return problem(400, "Bad Request", str(error))


@bp.post("/records")
@token_required
def create_record() -> Response:
    """Create a record (its id is made from the title when absent); 201 with the stored record."""
    body = _body()
    if isinstance(body, Response):
        return body
    try:
        record = get_catalogue().create(body, user=g.api_user.name, message=_message("created via the API"),
                                        origin=ORIGIN)
    except CatalogueError as error:
        return _failure(error)
    return _saved(record, 201)


def _write(record_id: str, merge: bool) -> Response:
    body = _body()
    if isinstance(body, Response):
        return body
    seen = _seen_revision(body)
    if isinstance(seen, Response):
        return seen
    catalogue = get_catalogue()
    admin = g.api_user.can("admin")
    try:
        if merge and not too_deep(body):  # a too deep patch goes on unmerged, for `prepare` to refuse
            stored = catalogue.get(record_id, include_withheld=admin)
            body = merge_patch({k: v for k, v in stored.items() if k not in SYSTEM_FIELDS}, body)
        record = catalogue.update(record_id, body, base_revision=seen, user=g.api_user.name,
                                  message=_message("updated via the API"), origin=ORIGIN, allow_withheld=admin)
    except CatalogueError as error:
        return _failure(error)
    return _saved(record, 200)


@bp.put("/records/<record_id>")
@token_required
def replace_record(record_id: str) -> Response:
    """Replace a record's content; the seen revision is required (409 when stale)."""
    return _write(record_id, merge=False)


@bp.patch("/records/<record_id>")
@token_required
def patch_record(record_id: str) -> Response:
    """Change some fields (JSON Merge Patch, RFC 7396); the seen revision is required."""
    return _write(record_id, merge=True)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge recursively, null removes a member, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key in SYSTEM_FIELDS:
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _operation(operation_id: str, summary: str, success: str, responses: dict[str, str],
               with_id: bool = False, patch: bool = False) -> dict[str, Any]:
    problem_ref = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    record_ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Record"}}}}
    body_schema = ({"type": "object", "description": "The fields to change; null removes one."} if patch
                   else {"$ref": "#/components/schemas/RecordInput"})
    body_example = {"notes": "Checked against the 2025 report."} if patch else _EXAMPLE_RECORD
    parameters: list[dict[str, Any]] = [
        {"name": "X-Edit-Message", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 1000},
         "description": "Why the change was made (kept in the record's history).",
         "example": "Added the 2025 report"},
    ]
    if with_id:
        parameters[:0] = [
            {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"},
             "example": "khojaly-schools"},
            {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
             "description": 'The revision the change is based on, e.g. "3" (or give "revision" in the body).',
             "example": '"1"'},
        ]
    saved_headers = {
        "ETag": {"description": 'The stored revision, e.g. "4".', "schema": {"type": "string"}},
        "Location": {"description": "The record's URL in the read API.", "schema": {"type": "string"}},
    }
    return {
        "operationId": operation_id,
        "summary": summary,
        "security": [{"bearerAuth": []}],
        "parameters": parameters,
        "requestBody": {"required": True, "content": {kind: {"schema": body_schema, "example": body_example}
                                                      for kind in JSON_TYPES}},
        "responses": {
            success.split(" ", 1)[0]: {"description": success.split(" ", 1)[1], "headers": saved_headers,
                                       **record_ref},
            **{code: {"description": text, **problem_ref} for code, text in responses.items()},
        },
    }


#: A record as a script would send it, for the examples of the description.
_EXAMPLE_RECORD = {"type": "mosque", "title": "Juma mosque",
                   "sources": [{"id": "report-2025", "citation": "A field report, 2025."}],
                   "conditions": [{"status": "damaged", "date": "2025", "sources": ["report-2025"]}]}

_COMMON = {"400": "The body is not a JSON object", "401": "No token, or an unknown or revoked one",
           "413": "The body is larger than the server accepts",
           "415": "The body is not JSON", "422": "The record is invalid; `errors` lists each field path and problem"}
_UPDATE = {**_COMMON, "404": "No such record", "410": "The record was deleted",
           "403": "The current revision is withheld from the public: only an admin token may change the record",
           "409": "Stale revision: `current_revision` and `current` hold the stored record",
           "428": "The seen revision is missing"}

#: The write API in OpenAPI 3.1 terms; merged into /api/openapi.json by `catalogue.openapi`.
OPENAPI_PATHS: dict[str, Any] = {
    "/api/records": {
        "post": _operation("createRecord", "Create a record (bearer token)", "201 The stored record",
                           {**_COMMON, "409": "The id is taken (ids are never reused)"}),
    },
    "/api/records/{record_id}": {
        "put": _operation("replaceRecord", "Replace a record (bearer token, seen revision required)",
                          "200 The stored record", _UPDATE, with_id=True),
        "patch": _operation("patchRecord", "Change fields of a record (JSON Merge Patch, RFC 7396; seen revision "
                            "required)", "200 The stored record", _UPDATE, with_id=True, patch=True),
    },
}

#: The security scheme the write operations name.
OPENAPI_COMPONENTS: dict[str, Any] = {
    "securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer",
                       "description": "A token made with: catalogue token create NAME --role archivist"},
    },
}
