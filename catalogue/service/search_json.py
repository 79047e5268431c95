"""A search result as JSON: the one shape `/api/search` answers and `catalogue search
--json` prints, so a script can switch between the two."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..formats.citation import record_url
from ..search import SearchResult


def result_json(result: SearchResult, base_url: str) -> dict[str, Any]:
    """Hits (with their snippet's escaped HTML and their page's URL under `base_url`, a
    relative URL when it is empty), facets, total, pages, suggestion and notice."""
    return {
        "query": result.query,
        "total": result.total,
        "page": result.page,
        "page_size": result.page_size,
        "pages": result.pages,
        "sort": result.sort,
        "filters": result.filters,
        "suggestion": result.suggestion,
        "notice": result.notice,
        "hits": [
            {"id": h.id, "title": h.title, "score": h.score, "snippet": str(h.snippet),
             "url": record_url(base_url, h.id), "record": h.record}
            for h in result.hits
        ],
        "facets": {name: [dataclasses.asdict(v) for v in values] for name, values in result.facets.items()},
    }
