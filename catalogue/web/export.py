"""Bulk exports over HTTP: `/export/records.jsonl`, `.csv` and `.geojson`, streamed, with the
search page's arguments (`q`, the facet filters type, status, century, place and source, and
`sort`), so that a researcher downloads exactly the result set they see."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NoReturn

from flask import Blueprint, Response, abort, request, stream_with_context

from .. import centuries
from ..errors import QueryTooLong
from ..formats.exports import FORMATS, MEDIA_TYPES, stream
from ..schema import vocabulary
from ..search import SearchResult
from ..service import Catalogue
from . import get_catalogue
from .search import BadSearch, SearchArgs, read_args, too_long

bp = Blueprint("export", __name__)

#: Hits fetched per search page when an export needs the index.
SEARCH_BATCH = 500
#: Filters the store answers alone (in id order); any other filter or a query asks the index.
STORE_FILTERS = frozenset({"type", "status"})


def _bad_request(message: str) -> NoReturn:
    abort(Response(message.rstrip(".") + ".\n", 400, mimetype="text/plain"))


def _arguments() -> SearchArgs:
    """The search arguments of the request; a 400 answer names a bad value."""
    try:
        args = read_args(request.args, page_size=SEARCH_BATCH)
    except BadSearch as error:
        _bad_request(str(error))
    for name in ("type", "status"):
        allowed = vocabulary(name)
        bad = [v for v in args.filters.get(name, []) if v not in allowed]
        if bad:
            _bad_request(f"{name}={bad[0][:100]!r} is not a {name}; use one of: {', '.join(allowed)}")
    bad = [v for v in args.filters.get("century", []) if centuries.parse(v) is None]
    if bad:
        _bad_request(f"century={bad[0][:100]!r} is not a century; write e.g. XIV, 14 or II BCE")
    return args


def _searched(catalogue: Catalogue, args: SearchArgs) -> Iterator[dict[str, Any]]:
    """Every hit of a search, page by page, in the search's order. The first page is searched
    now, so that a search that cannot run fails before the download starts, not in its middle."""

    def fetch(page: int) -> SearchResult:
        return catalogue.search(args.q, filters=args.filters, sort=args.sort, page=page, page_size=SEARCH_BATCH,
                                facets=False, highlight=False)

    def pages(result: SearchResult) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            yield from (hit.record for hit in result.hits)
            if page >= result.pages or not result.hits:
                return
            page += 1
            result = fetch(page)

    return pages(fetch(1))


@bp.route("/export/records.<fmt>")
def records(fmt: str) -> Response:
    """The live records matching the search arguments, streamed in the chosen format."""
    if fmt not in FORMATS:
        abort(404)
    args = _arguments()
    catalogue = get_catalogue()
    if args.q or set(args.filters) - STORE_FILTERS:
        try:
            items = _searched(catalogue, args)
        except QueryTooLong as error:
            _bad_request(str(too_long(error)))
    else:
        items = catalogue.live_records(types=args.filters.get("type", []), statuses=args.filters.get("status", []))
    response = Response(stream_with_context(stream(fmt, items)), content_type=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="records.{fmt}"'
    return response
