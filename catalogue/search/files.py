"""Index files that many threads read at once through one shared searcher.

Whoosh reads a file by seeking, then reading: two threads sharing one reader would move each
other's position. Here each open file reads with `os.pread` (no shared file position) and
keeps its position per thread, and so does each part of a compound segment file
(`SharedStructFile.subset`), so the segment readers of one searcher serve every thread of a
process without a lock. Files are read with plain reads, never memory-mapped (a file
truncated under a mapping kills the process with SIGBUS; a plain read raises an error).
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

from ._whoosh import StructFile

#: Bytes read at a time when looking for the end of a line (pickles read lines).
LINE_CHUNK = 4096
#: Bytes read ahead for a small read: Whoosh reads a term's information, a posting block's
#: header and the like a few bytes at a time, each read one system call without a buffer.
READ_AHEAD = 1024


class _Position(threading.local):
    """A read position of each thread (0 until the thread seeks), and the bytes it read
    ahead (`ahead`, from offset `ahead_at` of the span)."""

    at = 0
    ahead_at = 0
    ahead = b""


class _Reader:
    """Positioned reads of one span of a file, the position kept per thread."""

    def __init__(self, fd: int, offset: int, length: int | None):
        self._fd, self._offset, self._length = fd, offset, length
        self._pos = _Position()
        self.closed = False

    def _size(self) -> int:
        return self._length if self._length is not None else os.fstat(self._fd).st_size - self._offset

    def read(self, size: int | None = -1) -> bytes:
        state = self._pos
        pos = state.at
        if size is not None and size >= 0 and state.ahead_at <= pos and pos + size <= state.ahead_at + len(state.ahead):
            start = pos - state.ahead_at  # within what this thread read ahead: no system call
            state.at = pos + size
            return state.ahead[start:start + size]
        left = self._size() - pos
        size = left if size is None or size < 0 else min(size, left)
        if size <= 0:
            return b""
        if size < READ_AHEAD:
            ahead = os.pread(self._fd, min(READ_AHEAD, left), self._offset + pos)
            state.ahead_at, state.ahead = pos, ahead
            data = ahead[:size]
        else:
            data = os.pread(self._fd, size, self._offset + pos)
        state.at = pos + len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        start, parts = self._pos.at, []
        while chunk := self.read(LINE_CHUNK):
            end = chunk.find(b"\n")
            if end != -1:
                parts.append(chunk[:end + 1])
                break
            parts.append(chunk)
        line = b"".join(parts)
        if size is not None and size >= 0:
            line = line[:size]
        self._pos.at = start + len(line)
        return line

    def seek(self, where: int, whence: int = 0) -> int:
        if whence == 1:
            where += self._pos.at
        elif whence == 2:
            where += self._size()
        self._pos.at = where
        return where

    def tell(self) -> int:
        return self._pos.at

    def close(self) -> None:
        self.closed = True


class _File(_Reader):
    """A whole file, open read-only; its descriptor is closed with it."""

    def __init__(self, path: str):
        super().__init__(os.open(path, os.O_RDONLY), 0, None)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self._fd)

    def __del__(self) -> None:  # a reader dropped without being closed leaks no descriptor
        with contextlib.suppress(Exception):  # (at interpreter exit `os` may be gone)
            self.close()


class SharedStructFile(StructFile):
    """Whoosh's StructFile over a file (or a part of one) that threads read at once."""

    def subset(self, offset: int, length: int, name: str | None = None) -> SharedStructFile:
        """A part of this file (one file of a compound segment), read positioned too."""
        parent = self.file
        part = _Reader(parent._fd, parent._offset + offset, length)
        part.parent = parent  # the descriptor stays open while a part is in use
        return SharedStructFile(part, name=name or self._name)


def open_shared(path: str, name: str, **kwargs: Any) -> SharedStructFile:
    """A file of an index, for reading by many threads."""
    return SharedStructFile(_File(path), name=name, **kwargs)
