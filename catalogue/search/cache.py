"""The search caches' store: a thread-safe LRU capped in bytes (decoded postings and lengths,
segments' word lists), shared by every thread of a process."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class PostingCache:
    """A thread-safe LRU of decoded postings and length columns, capped in bytes."""

    def __init__(self, capacity: int = 256 * 2**20):
        self.capacity = capacity
        self.size = 0
        self.hits = self.misses = 0
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self.hits += 1
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Any, value: Any, nbytes: int) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._items[key] = (value, nbytes)
            self.size += nbytes
            while self.size > self.capacity and len(self._items) > 1:
                _, (_, n) = self._items.popitem(last=False)
                self.size -= n

    def stats(self) -> dict[str, int]:
        """Entries, bytes held, byte cap, hits and misses."""
        with self._lock:
            return {"entries": len(self._items), "bytes": self.size, "capacity": self.capacity,
                    "hits": self.hits, "misses": self.misses}
