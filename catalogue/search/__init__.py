"""Full-text search: the Whoosh index derived from the store, and what a search returns.

The only package that imports whoosh (through `catalogue.search._whoosh`). Callers use the
names below; the modules inside are split by job:

- `analysis` (token regex, analyser kinds, value separator) and `folding` (scripts, accents,
  name variants): how text becomes terms;
- `documents` (schema, a record's document and postings) and `pairs` (common-word pairs);
- `query` (what was typed, parsing, did-you-mean), `words` (what each word searches, strictly
  then more loosely), `countries` (every name of every country), `cjk` (bigrams and
  readings) and `bounds` (what a search may cost);
- `scoring` (BM25 and match sets with numpy), `facets` (bitsets), `pages` and `highlight`;
- `readers` (searchers that follow commits, keeping unchanged segments open), `shared` (the
  one searcher of all threads of a process) and `files` (index files read positioned, each
  thread at its own position);
- `segments` (Whoosh's segment files, written fast) and `writing` (sync, reindex, writer
  processes);
- `generations` (the index's folders: checked, set aside when damaged, cleaned) and `locks`
  (file locks that name their holder);
- `index` (`SearchIndex`), `keeper` (`IndexKeeper`: catch up after writes, rebuild a broken
  index, in a follower thread when serving), `limits` (`SearchLimits`) and `results`
  (`SearchResult`, `Hit`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .folding import fold
from .limits import SearchLimits, query_too_long, whole_setting
from .results import FACET_LIMIT, FACETS, RELAXED_NOTICES, SORTS, FacetValue, Hit, SearchResult

if TYPE_CHECKING:
    from .index import CheckReport, SearchIndex
    from .keeper import IndexKeeper

__all__ = ["FACETS", "FACET_LIMIT", "RELAXED_NOTICES", "SORTS", "CheckReport", "FacetValue", "Hit", "IndexKeeper",
           "SearchIndex", "SearchLimits", "SearchResult", "fold", "query_too_long", "whole_setting"]


def __getattr__(name: str) -> Any:
    """`SearchIndex`, `CheckReport` and `IndexKeeper`, imported on first use."""
    if name == "IndexKeeper":
        from . import keeper  # deferred: whoosh loads only when an index is opened

        return keeper.IndexKeeper
    if name in ("SearchIndex", "CheckReport"):
        # whoosh and numpy take 0.2-0.3 s to load, which commands that never open the index
        # (validate, backup, users ...) and index-free catalogues need not pay.
        from . import index  # deferred: whoosh loads only when an index is opened

        return getattr(index, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
