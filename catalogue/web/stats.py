"""The statistics page: the collection, or the results of a search (the search page's ``q``
and filters), counted by type, condition, century and place, as bar charts drawn on the
server (SVG), readable without JavaScript. A list cut short says so."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, render_template, request, url_for

from ..centuries import label as century_value
from ..search import FACETS, FacetValue
from ..service import PLACES_LISTED
from . import get_catalogue
from .export import matching_records
from .i18n import gettext
from .search import BadSearch, SearchArgs, read_args
from .site import century_label, label, place_name

bp = Blueprint("stats", __name__)

#: Places charted (the most frequent first), as for the whole collection; the chart says how many there are.
TOP_PLACES = PLACES_LISTED
#: Most results of a search whose records are read one by one for what the index does not
#: count (items stated by group records, records with no period): ~0.13 ms a record.
SCAN_LIMIT = 1000


@dataclass
class Chart:
    """One bar chart: rows of (label, count, URL of the search for that value), and how many
    values there are in all when only the first are shown."""

    title: str
    facet: str
    rows: list[dict[str, Any]]
    total: int = 0

    @property
    def max(self) -> int:
        return max((row["count"] for row in self.rows), default=0)

    @property
    def cut(self) -> bool:
        return self.total > len(self.rows)


@dataclass
class Figures:
    """What the page shows: the counts above the charts and the charts."""

    records: int
    charts: list[Chart] = field(default_factory=list)
    group_items: int | None = None
    deleted: int | None = None
    undated: int | None = None


def _names(facet: str) -> Callable[[str], str]:
    if facet == "century":
        return century_label
    if facet in ("type", "status"):
        return lambda key: label(facet, key)
    if facet == "place":
        return place_name  # a place authority by its name in the UI language
    return str


def _chart(title: str, facet: str, counts: Iterable[tuple[str, int]], args: SearchArgs,
           total: int | None = None, top: int | None = None) -> Chart:
    """A chart of `counts` whose bars link to the search narrowed to their value."""
    pairs = list(counts)
    names = _names(facet)
    if facet == "place":  # equal counts in the order of the names shown, not of the ids behind them
        pairs.sort(key=lambda pair: (-pair[1], names(pair[0]).casefold()))
    rows = [{"label": names(key), "count": count, "value": key, "url": _narrowed(args, facet, key)}
            for key, count in pairs[:top]]
    return Chart(title, facet, rows, total if total is not None else len(pairs))


def _narrowed(args: SearchArgs, facet: str, value: str) -> str:
    """The search page for `args` with the filter ``facet=value`` added."""
    filters = {name: list(values) for name, values in args.filters.items()}
    if value not in filters.setdefault(facet, []):
        filters[facet].append(value)
    return url_for("search.search", q=args.q or None, **filters)


def _titles() -> dict[str, str]:
    return {"type": gettext("Records by type"), "items": gettext("Items stated by group records, by type"),
            "status": gettext("Records by current condition"), "century": gettext("Records by century"),
            "place": gettext("Records by place")}


def _collection() -> Figures:
    """The whole collection, counted by the store."""
    figures, titles, args = get_catalogue().statistics(), _titles(), SearchArgs()
    counts = figures.counts
    centuries = ((century_value(c), n) for c, n in figures.by_century.items())
    return Figures(records=counts["records"], group_items=counts["group_items"], deleted=counts["deleted"],
                   undated=figures.undated, charts=[
                       _chart(titles["type"], "type", counts["by_type"].items(), args),
                       _chart(titles["items"], "type", figures.items_by_type.items(), args),
                       _chart(titles["status"], "status", counts["by_status"].items(), args),
                       _chart(titles["century"], "century", centuries, args),
                       _chart(titles["place"], "place", figures.by_place.items(), args, total=figures.places),
                   ])


def _values(facets: dict[str, list[FacetValue]], facet: str) -> list[tuple[str, int]]:
    return [(value.value, value.count) for value in facets.get(facet, []) if value.count]


def _scanned(args: SearchArgs) -> tuple[dict[str, int], int]:
    """Items stated by group records per type (most first) and records with no period,
    read from every record of the results."""
    items: Counter[str] = Counter()
    undated = 0
    for record in matching_records(get_catalogue(), args):
        if isinstance(record.get("quantity"), int):
            items[record.get("type") or "other"] += record["quantity"]
        period = record.get("period") or {}
        undated += period.get("start") is None and period.get("end") is None
    return dict(sorted(items.items(), key=lambda item: (-item[1], item[0]))), undated


def _search(args: SearchArgs) -> Figures:
    """The results of a search, counted by the index's facets (every value of each)."""
    result = get_catalogue().search(args.q, filters=args.filters, page=1, page_size=1, facets=True,
                                    highlight=False, facet_limit=None)
    titles = _titles()
    figures = Figures(records=result.total)
    charts = {facet: _values(result.facets, facet) for facet in FACETS}
    figures.charts = [_chart(titles["type"], "type", charts["type"], args)]
    if result.total <= SCAN_LIMIT:
        items, figures.undated = _scanned(args)
        figures.group_items = sum(items.values())
        figures.charts.append(_chart(titles["items"], "type", items.items(), args))
    figures.charts += [
        _chart(titles["status"], "status", charts["status"], args),
        _chart(titles["century"], "century", charts["century"], args),
        _chart(titles["place"], "place", charts["place"], args, top=TOP_PLACES),
    ]
    return figures


@bp.get("/stats")
def stats() -> Any:
    """Counts by type, items by type, condition, century and place, each bar linking to a
    search; with a search's ``q`` and filters, the counts of its results."""
    try:
        args = read_args(request.args, page_size=1)
    except BadSearch as error:
        return render_template("stats.html", args=None, figures=None, error=str(error), error_lang=error.lang), 400
    searched = bool(args.q or args.filters)
    figures = _search(args) if searched else _collection()
    return render_template("stats.html", args=args, searched=searched, figures=figures, error=None,
                           scan_limit=SCAN_LIMIT)
