"""Figures that hold while the catalogue is unchanged, computed once for each change number.

Every change to the records (a write, a deletion, a withhold or release) takes a new change
number, so a figure the store counted at one number holds for every request that finds the
same number. At 1,000,000 records the home page's counts took 0.5 s, the statistics page's
1.6-2.2 s, OAI-PMH's ListSets 0.5 s and a list's size up to 0.5 s, for every request.

A figure that is slow to count may also be answered from the change before while it is
counted again in the background (`stale_after`): a catalogue edited every second would
otherwise make most visitors of its home page wait for a count.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

log = logging.getLogger(__name__)

#: Most figures kept for one change number (an OAI-PMH list's size is one per from/until).
KEPT = 1000


class UntilChange:
    """Values computed at a change number, kept until a newer one is seen. A value is
    shared by every caller: treat it as read-only.

    With `stale_after` seconds, a value whose last count took longer is answered, once the
    catalogue changed, from the newest count there is while one thread counts it again
    (`after_refresh` then runs in that thread, e.g. to close its store connection); the
    value of a change number read after that count has finished is the new one."""

    def __init__(self, kept: int = KEPT, *, stale_after: float | None = None,
                 after_refresh: Callable[[], None] | None = None):
        self.kept, self.stale_after, self.after_refresh = kept, stale_after, after_refresh
        self._values: tuple[int, dict[Hashable, Any]] = (-1, {})
        self._lock = threading.Lock()
        #: The newest value of each key, with its change number and how long it took to count.
        self._latest: OrderedDict[Hashable, tuple[int, Any, float]] = OrderedDict()
        self._counting: set[Hashable] = set()
        #: Set in a thread while it computes a value: a value computed from another (the
        #: statistics from the counts) is made of fresh ones, never of those of the change before.
        self._computing = threading.local()

    def get(self, change: int, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value of `key` at change number `change`: kept, or computed now (with the
        store at `change` or newer: a newer state's figures are never wrong for an older
        reader, and they are kept under the older number only, which no later reader sees),
        or (`stale_after`) the newest value while it is counted again in the background."""
        at, values = self._values
        if at == change and key in values:
            return values[key]
        latest = self._latest.get(key)
        if self.stale_after is not None and latest is not None and latest[0] < change \
                and latest[2] > self.stale_after and not getattr(self._computing, "on", False):
            self._count_behind(change, key, compute)
            return latest[1]
        return self._count(change, key, compute)

    def _count(self, change: int, key: Hashable, compute: Callable[[], Any]) -> Any:
        started, outer = time.perf_counter(), getattr(self._computing, "on", False)
        self._computing.on = True
        try:
            value = compute()
        finally:
            self._computing.on = outer
        took = time.perf_counter() - started
        with self._lock:
            at, values = self._values
            if at < change or (at == change and len(values) >= self.kept):
                self._values = at, values = change, {}
            if at == change:
                values[key] = value
            if key not in self._latest or self._latest[key][0] <= change:
                self._latest[key] = (change, value, took)
                self._latest.move_to_end(key)
                while len(self._latest) > self.kept:
                    self._latest.popitem(last=False)
        return value

    def _count_behind(self, change: int, key: Hashable, compute: Callable[[], Any]) -> None:
        """Count `key` again in a thread of its own, unless one already does."""
        with self._lock:
            if key in self._counting:
                return
            self._counting.add(key)

        def count() -> None:
            try:
                self._count(change, key, compute)
            except Exception as error:  # (a store closed meanwhile): the next request counts again
                log.info("a figure could not be counted again: %s: %s", type(error).__name__, error)
            finally:
                with self._lock:
                    self._counting.discard(key)
                if self.after_refresh is not None:
                    with contextlib.suppress(Exception):  # (a store closed meanwhile)
                        self.after_refresh()

        threading.Thread(target=count, name="figures-recount", daemon=True).start()
