"""The search results as map features: ``/search/map.json`` takes the search page's arguments
(`q`, facet filters, `bbox`) and answers a GeoJSON FeatureCollection of the matching records
that have a geometry (title and page URL each), which the map beside the results draws."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for

from ..geo import BBox
from . import get_catalogue
from .problems import problem
from .search import BadSearch, read_args

bp = Blueprint("maps", __name__)

#: Most features one map draws (the map says when there are more; the list has them all).
MAP_LIMIT = 10_000
#: Records fetched per search page.
BATCH = 1000
#: The whole world: an area search over it selects exactly the records with a geometry.
WORLD = BBox(-180.0, -90.0, 180.0, 90.0)


@bp.get("/search/map.json")
def results() -> Any:
    """The mapped records of a search, at most `MAP_LIMIT` (``truncated`` says so)."""
    try:
        args = read_args(request.args, page_size=BATCH)
    except BadSearch as error:
        return problem(400, "Bad search request", str(error))
    catalogue = get_catalogue()
    features: list[dict[str, Any]] = []
    page, total = 1, 0
    while len(features) < MAP_LIMIT:
        result = catalogue.search(args.q, filters=args.filters, sort=args.sort, page=page, page_size=BATCH,
                                  facets=False, highlight=False, area=args.bbox or WORLD)
        total = result.total
        for hit in result.hits[: MAP_LIMIT - len(features)]:
            features.append({"type": "Feature", "id": hit.id, "geometry": hit.record["place"]["geometry"],
                             "properties": {"title": hit.title,
                                            "url": url_for("records.record", record_id=hit.id)}})
        if page >= result.pages or not result.hits:
            break
        page += 1
    return jsonify({"type": "FeatureCollection", "features": features, "total": total,
                    "truncated": total > len(features)})
