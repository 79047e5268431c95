"""Full-text search: the Whoosh index derived from the store, and what a search returns.

The only package that imports whoosh (through `catalogue.search._whoosh`). Callers use the
names below; the modules inside are split by job.
"""

from __future__ import annotations

from .index import CheckReport, SearchIndex
from .results import FACETS, SORTS, FacetValue, Hit, SearchLimits, SearchResult, query_too_long

__all__ = ["FACETS", "SORTS", "CheckReport", "FacetValue", "Hit", "SearchIndex", "SearchLimits", "SearchResult",
           "query_too_long"]
