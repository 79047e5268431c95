"""A search result as JSON: the one shape `/api/search` answers and `catalogue search
--json` prints, so a script can switch between the two."""

from __future__ import annotations

from typing import Any

from ..formats.citation import record_url
from ..search import FacetValue, SearchResult


def result_json(result: SearchResult, base_url: str) -> dict[str, Any]:
    """Hits (with their snippet's escaped HTML and their page's URL under `base_url`, a
    relative URL when it is empty), facets, total, pages, suggestion, notice, how the
    query was relaxed (``relaxed``: null, "variants", "typos" or "some_words"), the area
    searched (`bbox`) and how many of the records have a geometry (`mapped`)."""
    return {
        "query": result.query,
        "total": result.total,
        "page": result.page,
        "page_size": result.page_size,
        "pages": result.pages,
        "sort": result.sort,
        "filters": result.filters,
        "bbox": result.area.text() if result.area else None,
        "mapped": result.mapped,
        "suggestion": result.suggestion,
        "notice": result.notice,
        "relaxed": result.relaxed,
        "hits": [
            {"id": h.id, "title": h.title, "score": h.score, "snippet": str(h.snippet),
             "url": record_url(base_url, h.id), "record": h.record}
            for h in result.hits
        ],
        "facets": {name: [_facet_value(v) for v in values] for name, values in result.facets.items()},
    }


def _facet_value(value: FacetValue) -> dict[str, Any]:
    """A facet value as JSON: value and count, and (places) its labels by language when it has any."""
    out: dict[str, Any] = {"value": value.value, "count": value.count}
    if value.labels:
        out["labels"] = value.labels
    return out
