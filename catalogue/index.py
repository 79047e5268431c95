"""Where search indexes written before `catalogue.search` existed find their analysers.

Whoosh pickles the schema into every index, and indexes built by version 0.1.0 and earlier
name ``catalogue.index.FoldFilter`` and ``catalogue.index.PhoneticFilter`` there. Without
this module an existing data directory's index could not be opened after an upgrade (every
search and every write's index update would fail until a `catalogue reindex`). Nothing in
the code imports it; unpickling an old index does (`tests/test_index.py` checks).
"""

from __future__ import annotations

from .search.analysis import FoldFilter, PhoneticFilter

__all__ = ["FoldFilter", "PhoneticFilter"]
