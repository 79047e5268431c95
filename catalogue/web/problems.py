"""Errors of the API as RFC 9457 problem details (``application/problem+json``), for the
read API, the write API and the error pages under ``/api/`` alike."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from ..errors import Gone, Withheld

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


def gone_problem(error: Gone) -> Response:
    """410 for a deleted record, with its id, the reason and the revision that deleted it."""
    return problem(410, "Gone", str(error), id=error.record_id, reason=error.reason, revision=error.revision)


def withheld_problem(error: Withheld) -> Response:
    """410 for content an admin withheld from the public (`withheld: true`), so a client
    drops any copy it holds, as for a deleted record."""
    return problem(410, "Gone", str(error), id=error.record_id, revision=error.revision, withheld=True,
                   current=error.current)
