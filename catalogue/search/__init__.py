"""Full-text search: the Whoosh index derived from the store, and what a search returns.

The only package that imports whoosh (through `catalogue.search._whoosh`). Callers use the
names below; the modules inside are split by job:

- `analysis` (token regex, analyser kinds, value separator) and `folding` (scripts, accents,
  name variants): how text becomes terms;
- `documents` (schema, a record's document and postings) and `pairs` (common-word pairs);
- `query` (what was typed, parsing, did-you-mean) and `bounds` (what a search may cost);
- `scoring` (BM25 and match sets with numpy), `facets` (bitsets), `pages` and `highlight`;
- `segments` (Whoosh's segment files, written fast) and `writing` (sync, reindex, writer
  processes, locks);
- `index` (`SearchIndex`), `limits` (`SearchLimits`) and `results` (`SearchResult`, `Hit`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .limits import SearchLimits, query_too_long
from .results import FACET_LIMIT, FACETS, SORTS, FacetValue, Hit, SearchResult

if TYPE_CHECKING:
    from .index import CheckReport, SearchIndex

__all__ = ["FACETS", "FACET_LIMIT", "SORTS", "CheckReport", "FacetValue", "Hit", "SearchIndex", "SearchLimits",
           "SearchResult", "query_too_long"]


def __getattr__(name: str) -> Any:
    """`SearchIndex` and `CheckReport`, imported on first use."""
    if name in ("SearchIndex", "CheckReport"):
        # whoosh and numpy take 0.2-0.3 s to load, which commands that never open the index
        # (validate, backup, users ...) and index-free catalogues need not pay.
        from . import index  # deferred: whoosh loads only when an index is opened

        return getattr(index, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
