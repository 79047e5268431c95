"""Bulk exports over HTTP: `/export/records.jsonl`, `.csv` and `.geojson`, streamed, with the
search page's arguments (`q`, the facet filters type, status, century, place and source,
`bbox` and `sort`), so that a researcher downloads exactly the result set they see, in a file named
after that search (``catalogue-tomb-destroyed-2026-11-30.csv``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any, NoReturn

from flask import Blueprint, Response, abort, request, stream_with_context

from .. import centuries
from ..formats.exports import FORMATS, MEDIA_TYPES, stream
from ..records import slugify
from ..schema import vocabulary
from ..search import FACETS, SearchResult
from ..service import Catalogue
from . import get_catalogue
from .search import BadSearch, SearchArgs, read_args

bp = Blueprint("export", __name__)

#: Hits fetched per search page when an export needs the index.
SEARCH_BATCH = 500
#: Filters the store answers alone (in id order); any other filter or a query asks the index.
STORE_FILTERS = frozenset({"type", "status"})
#: Longest part of a download's name that comes from the search.
NAME_LENGTH = 60


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
                                facets=False, highlight=False, area=args.bbox)

    def pages(result: SearchResult) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            yield from (hit.record for hit in result.hits)
            if page >= result.pages or not result.hits:
                return
            page += 1
            result = fetch(page)

    return pages(fetch(1))


def matching_records(catalogue: Catalogue, args: SearchArgs) -> Iterator[dict[str, Any]]:
    """Every live public record the search arguments select: from the store alone when they
    filter by type and status only (in id order), else from the index (in the search's order)."""
    if args.q or args.bbox or set(args.filters) - STORE_FILTERS:
        return _searched(catalogue, args)
    return catalogue.live_records(types=args.filters.get("type", []), statuses=args.filters.get("status", []))


def download_name(args: SearchArgs, fmt: str, day: date | None = None) -> str:
    """``catalogue-<query and filter values>-<day>.<fmt>``: a download named after the search
    it holds, in ASCII letters, digits and dashes (safe in any header and file system)."""
    words = [args.q, *(value for facet in FACETS for value in args.filters.get(facet, []))]
    about = slugify(" ".join(w for w in words if w), limit=NAME_LENGTH)
    day = day or datetime.now(UTC).date()
    return "-".join(part for part in ("catalogue", about, day.isoformat()) if part) + f".{fmt}"


@bp.route("/export/records.<fmt>")
def records(fmt: str) -> Response:
    """The live records matching the search arguments, streamed in the chosen format."""
    if fmt not in FORMATS:
        abort(404)
    args = _arguments()
    items = matching_records(get_catalogue(), args)
    response = Response(stream_with_context(stream(fmt, items)), content_type=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{download_name(args, fmt)}"'
    return response
