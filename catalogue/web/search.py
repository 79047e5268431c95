"""The search page: results with combinable facets, highlighted snippets, sort, pages,
"did you mean" and clear messages for queries or page numbers that cannot be used."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, render_template, request
from werkzeug.datastructures import MultiDict

from ..errors import CatalogueError, QueryTooLong, SearchUnavailable
from ..geo import BadBox, BBox, parse_bbox
from ..search import FACET_LIMIT, FACETS, SORTS, SearchResult
from . import get_catalogue
from .i18n import gettext
from .site import whole_number

bp = Blueprint("search", __name__)

MAX_FILTERS = 20
#: Values a facet shows before "show all" (the rest follow on request, or in place with JavaScript).
FACET_TOP = 8
MAX_PAGE = 10_000
MAX_PAGE_SIZE = 100


class BadSearch(CatalogueError):
    """Search arguments that cannot be used; the message says which and why. `lang` is the
    language of the message when it is not the UI's (the search engine words its own in English)."""

    def __init__(self, message: str, lang: str | None = None):
        super().__init__(message)
        self.lang = lang


@dataclass
class SearchArgs:
    """Validated search arguments of a request."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    #: The area the search is limited to (`bbox=WEST,SOUTH,EAST,NORTH`), if any.
    bbox: BBox | None = None


def _integer(args: MultiDict[str, str], name: str, default: int, largest: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    number = whole_number(raw)
    if number is None or not 1 <= number <= largest:
        raise BadSearch(gettext("%(name)s must be a whole number from 1 to %(largest)s, not “%(raw)s”",
                                name=name, largest=largest, raw=raw[:50]))
    return number


def read_args(args: MultiDict[str, str], page_size: int | None = None) -> SearchArgs:
    """Read q, facet filters, sort, page (and page_size when not fixed) or raise BadSearch."""
    q = args.get("q", "").strip()
    try:
        get_catalogue().check_query(q)  # the service's one limit, reported before other mistakes
    except QueryTooLong as error:
        raise BadSearch(gettext("The query is too long (at most %(n)s characters).", n=error.limit)) from error
    filters = {}
    for facet in FACETS:
        values = list(dict.fromkeys(v.strip() for v in args.getlist(facet) if v.strip()))
        if values:
            filters[facet] = values
    if sum(len(v) for v in filters.values()) > MAX_FILTERS:
        raise BadSearch(gettext("Too many filters (at most %(n)s).", n=MAX_FILTERS))
    sort = args.get("sort", "").strip() or "relevance"
    if sort not in SORTS:
        raise BadSearch(gettext("Unknown sort order “%(sort)s”; use one of: %(sorts)s.",
                                sort=sort[:50], sorts=", ".join(SORTS)))
    page = _integer(args, "page", 1, MAX_PAGE)
    size = page_size or _integer(args, "page_size", current_app.config["PAGE_SIZE"], MAX_PAGE_SIZE)
    return SearchArgs(q, filters, sort, page, size, read_bbox(args))


def read_bbox(args: MultiDict[str, str]) -> BBox | None:
    """The `bbox` argument as an area (None when absent or empty); BadSearch saying what is
    wrong with it (in English, the words of `catalogue.geo`)."""
    raw = args.get("bbox", "").strip()
    if not raw:
        return None
    try:
        return parse_bbox(raw)
    except BadBox as error:
        raise BadSearch(str(error), lang="en") from error


def run(search: SearchArgs, facet_limit: int | None = FACET_LIMIT) -> SearchResult:
    """Search the catalogue (each facet with its `facet_limit` most frequent values, None:
    all); a page past the last one raises BadSearch. SearchUnavailable (a 503, see
    `error_pages.search_unavailable`) while the index is rebuilt."""
    try:
        result = get_catalogue().search(search.q, filters=search.filters, sort=search.sort, page=search.page,
                                        page_size=search.page_size, area=search.bbox, facet_limit=facet_limit)
    except SearchUnavailable:  # a 503, not a bad query
        raise
    except CatalogueError as error:  # the engine could not run this query at all
        raise BadSearch(str(error), lang="en") from error
    if search.page > result.pages:
        raise BadSearch(gettext("There is no page %(page)s: the results have %(pages)s page(s).",
                                page=search.page, pages=result.pages))
    return result


def has_geometry(result: SearchResult) -> bool:
    """Whether the results hold a record with a geometry (the index counts them exactly), so
    that their GeoJSON download has features and the page draws a map."""
    return result.mapped > 0


@bp.get("/search")
def search() -> Any:
    """Results page; bad arguments give the page with a message and status 400. ``more=FACET``
    lists every value of that facet (the others show their most frequent ones)."""
    more = request.args.get("more", "") in FACETS
    try:
        args = read_args(request.args, page_size=current_app.config["PAGE_SIZE"])
        result = run(args, None if more else FACET_LIMIT)
    except BadSearch as error:
        return render_template("search.html", args=None, result=None, error=str(error), error_lang=error.lang,
                               sorts=SORTS), 400
    return render_template("search.html", args=args, result=result, error=None, sorts=SORTS,
                           geometry=bool(result.total) and has_geometry(result),
                           show_map=has_geometry(result) or args.bbox is not None, facet_top=FACET_TOP,
                           facet_limit=FACET_LIMIT)
