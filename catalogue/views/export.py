"""Bulk exports over HTTP: `/export/records.jsonl`, `.csv` and `.geojson`, streamed, with
the search filters `q`, `type` and `status` (repeatable)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, request, stream_with_context

from ..exports import FORMATS, MEDIA_TYPES, stream
from ..schema import vocabulary
from ..service import Catalogue
from ..store.exports import live_records
from ..web import get_catalogue

bp = Blueprint("export", __name__)

MAX_QUERY = 1000
#: Hits fetched per search page when an export has a query.
SEARCH_BATCH = 500


def _filters() -> tuple[str, list[str], list[str]]:
    """q, types and statuses of the request; a 400 answer names a bad value."""
    q = request.args.get("q", "").strip()
    if len(q) > MAX_QUERY:
        abort(Response(f"The query is too long (at most {MAX_QUERY} characters).\n", 400, mimetype="text/plain"))
    chosen = {}
    for name in ("type", "status"):
        values = list(dict.fromkeys(v.strip() for v in request.args.getlist(name) if v.strip()))
        allowed = vocabulary(name)
        bad = [v for v in values if v not in allowed]
        if bad:
            message = f"{name}={bad[0][:100]!r} is not a {name}; use one of: {', '.join(allowed)}.\n"
            abort(Response(message, 400, mimetype="text/plain"))
        chosen[name] = values
    return q, chosen["type"], chosen["status"]


def _searched(catalogue: Catalogue, q: str, filters: dict[str, list[str]]) -> Iterator[dict[str, Any]]:
    """Every hit of a search, page by page, best first."""
    page = 1
    while True:
        result = catalogue.search(q, filters=filters, page=page, page_size=SEARCH_BATCH, facets=False,
                                  highlight=False)
        yield from (hit.record for hit in result.hits)
        if page >= result.pages or not result.hits:
            return
        page += 1


@bp.route("/export/records.<fmt>")
def records(fmt: str) -> Response:
    """The live records matching the filters, streamed in the chosen format."""
    if fmt not in FORMATS:
        abort(404)
    q, types, statuses = _filters()
    catalogue = get_catalogue()
    if q:
        filters = {k: v for k, v in (("type", types), ("status", statuses)) if v}
        items = _searched(catalogue, q, filters)
    else:
        items = live_records(catalogue.store, types=types, statuses=statuses)
    response = Response(stream_with_context(stream(fmt, items)), content_type=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="records.{fmt}"'
    return response
