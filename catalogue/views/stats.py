"""The statistics page: the collection counted by type, condition, century and place, as
bar charts drawn on the server (SVG), readable without JavaScript."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext

from ..store import stats as store_stats
from ..web import get_catalogue
from .site import century_label, label

bp = Blueprint("stats", __name__)


def _bars(counts: dict[Any, int], name: str, names: Any) -> dict[str, Any]:
    """One chart: (label, count, search filter value) rows and the largest count for scaling."""
    rows = [{"label": names(key), "count": count, "value": str(key)} for key, count in counts.items()]
    return {"facet": name, "rows": rows, "max": max((r["count"] for r in rows), default=0)}


@bp.get("/stats")
def stats() -> str:
    store = get_catalogue().store
    counts = store.counts()
    centuries, undated = store_stats.by_century(store)
    charts = [
        (gettext("Records by type"), _bars(counts["by_type"], "type", lambda k: label("type", k))),
        (gettext("Items by type (group records count their items)"),
         _bars(store_stats.items_by_type(store), "type", lambda k: label("type", k))),
        (gettext("Records by current condition"), _bars(counts["by_status"], "status", lambda k: label("status", k))),
        (gettext("Records by century"), _bars(centuries, "century", lambda k: century_label(str(k)))),
        (gettext("Records by place"), _bars(store_stats.by_place(store), "place", str)),
    ]
    return render_template("stats.html", counts=counts, charts=charts, undated=undated)
