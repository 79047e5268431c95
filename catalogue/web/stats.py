"""The statistics page: the collection counted by type, condition, century and place, as
bar charts drawn on the server (SVG), readable without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext

from ..centuries import label as century_value
from . import get_catalogue
from .site import century_label, label

bp = Blueprint("stats", __name__)


def _bars(counts: dict[str, int], facet: str, names: Callable[[str], str]) -> dict[str, Any]:
    """One chart: rows of (label, count, search filter value) and the largest count for scaling."""
    rows = [{"label": names(key), "count": count, "value": key} for key, count in counts.items()]
    return {"facet": facet, "rows": rows, "max": max((r["count"] for r in rows), default=0)}


def _vocabulary(vocab: str) -> Callable[[str], str]:
    return lambda key: label(vocab, key)


@bp.get("/stats")
def stats() -> str:
    """Counts by type, items by type, condition, century and place, each linking to a search."""
    figures = get_catalogue().statistics()
    counts = figures.counts
    centuries = {century_value(c): n for c, n in figures.by_century.items()}
    charts = [
        (gettext("Records by type"), _bars(counts["by_type"], "type", _vocabulary("type"))),
        (gettext("Items stated by group records, by type"),
         _bars(figures.items_by_type, "type", _vocabulary("type"))),
        (gettext("Records by current condition"), _bars(counts["by_status"], "status", _vocabulary("status"))),
        (gettext("Records by century"), _bars(centuries, "century", century_label)),
        (gettext("Records by place"), _bars(figures.by_place, "place", str)),
    ]
    return render_template("stats.html", counts=counts, charts=charts, undated=figures.undated)
