"""The searcher every thread of a process shares, with its numpy posting reader.

Its files are read positioned, each thread keeping its own position (`catalogue.search.files`),
so Whoosh's segment readers serve all threads without a lock; the lock here guards only
opening and refreshing. After a commit the searcher is refreshed once for all threads, and
the one before is dropped, never closed, so a thread still reading it finishes (its files
close when it is collected).
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

from . import generations, scoring
from ._whoosh import SegmentReader
from .generations import open_index
from .readers import refreshed


class SharedSearcher:
    """The process's searcher on the live generation and its posting reader."""

    def __init__(self, cache: scoring.PostingCache):
        self.cache = cache
        self._current: tuple[Any, Path] | None = None
        self._postings: scoring.Postings | None = None
        self._lock = threading.Lock()

    def get(self, folder: Path) -> tuple[Any, str | None]:
        """(the searcher of the generation in `folder`, None): opened when first asked for (the
        generation is checked then), refreshed when the index changed; (None, why) when the
        generation is damaged."""
        current = self._current
        if current is not None and current[1] == folder and current[0].up_to_date():
            return current[0], None
        with self._lock:
            current = self._current
            if current is not None and current[1] == folder:
                if not current[0].up_to_date():
                    current = self._current = (refreshed(current[0]), folder)
                return current[0], None
            why = generations.damage(folder)
            if why is not None:
                self._current = self._postings = None
                return None, why
            self._current = (open_index(folder).searcher(), folder)
            return self._current[0], None

    def readers(self, folder: Path) -> dict[str, Any]:
        """The open segment readers of the generation in `folder`, by segment id (a writer
        finds a record's documents with them)."""
        current = self._current
        if current is None or current[1] != folder:
            return {}
        return {reader.segment().segment_id(): reader for reader, _ in current[0].reader().leaf_readers()
                if isinstance(reader, SegmentReader)}

    def postings(self, searcher: Any) -> scoring.Postings:
        """The numpy posting reader of `searcher`, kept while it is the shared one."""
        postings = self._postings
        if postings is None or postings.searcher is not searcher:
            postings = scoring.Postings(searcher, self.cache)
            current = self._current
            if current is not None and current[0] is searcher:
                self._postings = postings
        return postings

    def forget(self) -> None:
        """Drop the searcher (one that raced a commit): the next search opens it again."""
        with self._lock:
            self._current = self._postings = None

    def close(self) -> None:
        """Drop the searcher and close its files."""
        with self._lock:
            current, self._current, self._postings = self._current, None, None
        if current is not None:
            with contextlib.suppress(Exception):  # (the files of a damaged index may fail this too)
                current[0].close()
