"""The Whoosh full-text index, derived from the store and rebuildable from it.

PLACEHOLDER interface, to be replaced by the search work (issue 8). The only module that
imports whoosh. The index remembers the last store change (`seq`) it applied; `sync`
catches up from the store, so every write path just calls it after committing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .search import SearchResult


class SearchIndex:
    """A search index in a folder of the data directory."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._seq = 0

    def last_seq(self) -> int:
        """The last store change sequence applied to the index."""
        return self._seq

    def sync(self, store: Any) -> int:
        """Apply every store change after `last_seq`; return how many records changed."""
        changed = store.changed_since(self._seq, limit=10**9)
        if changed:
            self._seq = changed[-1].seq
        return len(changed)

    def search(self, query: str, *, filters: dict[str, list[str]], sort: str, page: int, page_size: int,
               facets: bool, highlight: bool) -> SearchResult:
        """Placeholder: no hits."""
        return SearchResult(query=query, total=0, page=page, page_size=page_size, sort=sort, filters=filters)

    def close(self) -> None:
        """Release searchers and file handles."""
