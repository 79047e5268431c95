"""The searcher every thread of a process shares, with its numpy posting reader.

Its files are read positioned, each thread keeping its own position (`catalogue.search.files`),
so Whoosh's segment readers serve all threads without a lock; the lock here guards only
opening and refreshing. After a commit the searcher is refreshed once for all threads, and
the one before is dropped, never closed, so a thread still reading it finishes (its files
close when it is collected).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

from . import generations, scoring
from ._whoosh import SegmentReader
from .generations import CURRENT, open_index
from .readers import refreshed

#: Nanoseconds since a file's last change after which its times vouch that it has not
#: changed since: file times tick coarsely (every few ms on Linux before 6.13), so a change
#: made within the same tick as a look could leave them as they were.
SETTLED_NS = 50_000_000
#: The same for a time in whole seconds, as file systems that keep only seconds (ext4 with
#: small inodes, HFS+) or two (FAT) give.
SETTLED_SECONDS_NS = 2_500_000_000

Stamp = tuple[int, int, int, int]


def stamp(path: Path) -> Stamp | None:
    """A file's or folder's (inode, size, change and modification times in ns); None when it
    is gone. A folder's times change whenever a file is added to it, renamed or removed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_ctime_ns, st.st_mtime_ns


def _settled(stamps: tuple[Stamp | None, ...], since_ns: int) -> bool:
    """Whether every stamp's times are old enough at `since_ns` to vouch that a later change
    would change them (`SETTLED_NS`, or `SETTLED_SECONDS_NS` for a time in whole seconds)."""
    return all(s is not None and all(since_ns - t >= (SETTLED_NS if t % 1_000_000_000 else SETTLED_SECONDS_NS)
                                     for t in s[2:]) for s in stamps)


class SharedSearcher:
    """The process's searcher on the live generation of the index in `path`, and its posting reader."""

    def __init__(self, path: Path, cache: scoring.PostingCache):
        self.path, self.cache = path, cache
        self._current: tuple[Any, Path] | None = None
        self._postings: scoring.Postings | None = None
        self._lock = threading.Lock()
        #: (searcher, its folder, stamps of CURRENT and of the folder taken before the look
        #: that found the searcher current).
        self._vouched: tuple[Any, Path, tuple[Stamp | None, ...]] | None = None

    def unchanged(self) -> tuple[Any, Path] | None:
        """The searcher and folder of the last look, when neither the index's CURRENT nor the
        generation folder changed since (two stat calls, where a full look reads CURRENT,
        checks the folder and lists its files: a search beside busy threads waits for the
        interpreter lock after each of them); None when a full look is needed."""
        vouched = self._vouched
        if vouched is None or (stamp(self.path / CURRENT), stamp(vouched[1])) != vouched[2]:
            return None
        return vouched[0], vouched[1]

    def before(self) -> tuple[int, Stamp | None]:
        """What a full look at the index notes before it reads CURRENT: the time, and
        CURRENT's stamp."""
        return time.time_ns(), stamp(self.path / CURRENT)

    def get(self, folder: Path, before: tuple[int, Stamp | None]) -> tuple[Any, str | None]:
        """(the searcher of the generation in `folder`, None): opened when first asked for (the
        generation is checked then), refreshed when the index changed; (None, why) when the
        generation is damaged. CURRENT's stamp noted `before` this look and the folder's,
        taken now, vouch for its searcher in `unchanged` once settled."""
        since_ns, current = before
        stamps = (current, stamp(folder))
        searcher, why = self._look(folder)
        if searcher is not None and _settled(stamps, since_ns):
            with self._lock:  # (not one that another thread dropped meanwhile)
                if self._current is not None and self._current[0] is searcher:
                    self._vouched = (searcher, folder, stamps)
        return searcher, why

    def _look(self, folder: Path) -> tuple[Any, str | None]:
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
                self._current = self._postings = self._vouched = None
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
            self._current = self._postings = self._vouched = None

    def close(self) -> None:
        """Drop the searcher and close its files."""
        with self._lock:
            current, self._current, self._postings, self._vouched = self._current, None, None, None
        if current is not None:
            with contextlib.suppress(Exception):  # (the files of a damaged index may fail this too)
                current[0].close()
