"""Keeping the search index up to date with the store, without ever failing or holding up a write.

A write commits to the store and returns; the index follows. In a serving process a follower
thread does all index work: a write wakes it and waits for it at most `wait_ms` (search is
then as fresh as the write), and it also picks up what other processes stored (polling every
`POLL` seconds) and rebuilds a missing or damaged index in the background, while searches
answer `SearchUnavailable`. Elsewhere (the command line, the Python API) the writing thread
catches the index up itself, and a search repairs the index before it reads. Either way an
index failure after the store committed is logged, never raised: the change is in the store,
and the next catch-up applies it.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from ..errors import IndexBusy, SearchUnavailable
from . import feeding
from .generations import Unreadable
from .index import SearchIndex
from .results import SearchResult
from .writing import LOCK_TIMEOUT

log = logging.getLogger(__name__)

#: Seconds between the follower's looks at the store for changes made by other processes.
POLL = 1.0
#: Seconds between a following keeper's looks, at a search, for changes other processes stored
#: (the follower's poll finds them too, later).
LOOK = 0.1
#: Longest pause of a follower whose catch-up keeps failing (a full disk), in seconds.
MAX_BACKOFF = 30.0
#: Seconds between a merging follower's looks for another process's changes in the store.
LOOK_WHILE_MERGING = 0.02
#: Seconds a client is asked to wait while search is rebuilt (HTTP Retry-After).
RETRY_AFTER = 10


class IndexKeeper:
    """Keeps `index` following `store`: in this thread (`written`, `search`), or, once
    `follow` was called, in a follower thread."""

    def __init__(self, index: SearchIndex, store: Any, *, wait_ms: int = 200):
        self.index, self.store = index, store
        #: How long a write waits for search to catch up before it returns anyway.
        self.wait = wait_ms / 1000
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._progress = threading.Condition()
        self._start_lock = threading.Lock()
        self._next_look = 0.0
        #: Why the last catch-up failed (None when it succeeded), for logs and status.
        self.failure: str | None = None

    @property
    def following(self) -> bool:
        return self._thread is not None

    def follow(self) -> None:
        """Do the index work in a follower thread from now on (a serving process). The thread
        ends with `stop`, when the keeper is dropped, or when the data directory is gone."""
        with self._start_lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=_follow,
                                                args=(weakref.ref(self), self._wake, self._stop, self.store),
                                                name="search-index-follower", daemon=True)
                self._wake.set()  # a first catch-up at once
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """End the follower thread (it finishes the commit it is in)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # -- after a write -------------------------------------------------------------------

    def written(self, *, bulk: bool = False) -> None:
        """The store committed a change: bring search up to date. Following, wake the
        follower and wait for it at most `wait`; else catch up here (waiting for another
        writer's lock that long, or, after a `bulk` change such as an import, as long as a
        writer may hold it). Never raises: a failure is logged and healed by a later catch-up."""
        if self.following:
            self._wait_for(self.store.last_seq(), self.wait)
            return
        self._catch_up(LOCK_TIMEOUT if bulk else self.wait)

    def feed(self) -> feeding.Feed | None:
        """What indexes a bulk write while it goes on (`feeding.Feed`: `step` after each of its
        commits, `close` at its end); None in a following keeper, whose follower catches up as
        the write commits."""
        return None if self.following else feeding.Feed(self.index, self.store)

    def _wait_for(self, seq: int, seconds: float) -> None:
        self._wake.set()
        deadline = time.monotonic() + seconds
        with self._progress:
            while self.index.last_seq() < seq and (left := deadline - time.monotonic()) > 0:
                self._progress.wait(left)

    def _catch_up(self, wait: float) -> None:
        try:
            self.index.sync(self.store, wait=wait)
        except Exception as error:  # the store has the change: a later catch-up applies it
            log.warning("the search index could not catch up with the store (%s: %s); the next write, "
                        "search or `catalogue check` applies what it missed", type(error).__name__, error,
                        exc_info=not isinstance(error, (IndexBusy, OSError)))

    # -- searching -----------------------------------------------------------------------

    def search(self, query: str, **options: Any) -> SearchResult:
        """`SearchIndex.search` on an index kept up to date: here, caught up first; following,
        the follower is woken when the store holds changes the index lacks (looked for at
        most every `LOOK` seconds: a write in this process wakes it itself). When the index
        cannot be read: here, it is rebuilt at once; following, the follower rebuilds it and
        SearchUnavailable says so (at once when the store is empty: there is nothing to wait for)."""
        if self.following:
            now = time.monotonic()
            if now >= self._next_look:  # (a look costs two reads; a busy server searches far more often)
                self._next_look = now + LOOK
                if self.store.last_seq() > self.index.last_seq():
                    self._wake.set()
        else:
            self._catch_up(self.wait)
        try:
            return self.index.search(query, **options)
        except Unreadable as why:
            if self.following and self.store.last_seq() > 0:
                self._wake.set()
                raise SearchUnavailable(why.reason, RETRY_AFTER) from why
            self.index.sync(self.store)
        return self.index.search(query, **options)

    # -- the follower --------------------------------------------------------------------

    def _applied(self) -> int | None:
        """The last store change the index holds; None when it cannot be read."""
        try:
            return self.index.last_seq()
        except Exception:  # a damaged index: the next step finds out and heals it
            return None

    def _step(self, pause: float) -> float | None:
        """One catch-up of the follower; how long to pause before the next look (None: stop,
        the data directory is gone)."""
        if not self.store.exists():
            return None
        try:
            self.index.sync(self.store, verify=True)
        except IndexBusy as error:  # another process rebuilds or writes for long: look again soon
            log.info("search index busy: %s", error)
            return POLL
        except Exception as error:  # e.g. a full disk: search goes on from what the index has
            if self.failure is None:
                log.warning("the search index could not catch up with the store (%s: %s); retrying",
                            type(error).__name__, error, exc_info=not isinstance(error, OSError))
            self.failure = f"{type(error).__name__}: {error}"
            return min(MAX_BACKOFF, max(1.0, pause * 2))
        finally:
            with self._progress:
                self._progress.notify_all()
        if self.failure is not None:
            log.warning("the search index caught up with the store again")
            self.failure = None
        if not self._wake.is_set():  # (no change waiting: those applied are searchable already)
            self._merge()
        return POLL

    def _merge(self) -> None:
        """Merge the small segments edits left, once the changes of a step are searchable (their
        writers have their answer): the time until the next edit is the merge's. A change
        that comes meanwhile (an edit here wakes the follower; another process's is seen in
        the store) stops the merge, which leaves nothing and is made again after the next
        step: an edit waits for no merge (at 1,000,000 records one took 0.1-0.5 s). Under a
        stream of changes too close for any merge the segments pile up to `MAX_SEGMENTS`,
        and a commit merges them. An index another writer holds is merged by a later step."""
        try:
            self.index.merge_small(give_way=self._change_waiting(self._applied()))
        except Exception as error:  # the next write or check finds what is wrong
            log.info("search index segments not merged: %s: %s", type(error).__name__, error)

    def _change_waiting(self, applied: int | None) -> Callable[[], bool]:
        """Whether the follower was woken or the store holds a change past `applied` (looked
        for at most every `LOOK_WHILE_MERGING` seconds: the merge asks often)."""
        next_look = time.monotonic() + LOOK_WHILE_MERGING

        def waiting() -> bool:
            nonlocal next_look
            if self._wake.is_set():
                return True
            now = time.monotonic()
            if applied is None or now < next_look:
                return False
            next_look = now + LOOK_WHILE_MERGING
            try:
                changed = self.store.last_seq() > applied
            except Exception:  # the store unreachable for now: the merge goes on
                return False
            if changed:
                self._wake.set()  # (the follower catches up at once rather than after its pause)
            return changed

        return waiting


def _follow(ref: weakref.ref[IndexKeeper], wake: threading.Event, stop: threading.Event, store: Any) -> None:
    """The follower thread: a catch-up whenever woken, and every `POLL` seconds. On a store
    that announces its changes (PostgreSQL's NOTIFY), a change committed by any process or
    node wakes it too, so another web node's edit is searchable here within a moment. It
    holds its keeper only while it works, so a keeper no one uses any more is dropped and the
    thread ends."""
    pause: float | None = POLL
    seen: int | None = None
    while pause is not None:
        _pause(store, wake, seen, pause)
        wake.clear()
        keeper = ref()
        if keeper is None:
            return
        try:
            pause = None if stop.is_set() else keeper._step(pause)
            seen = keeper._applied() if pause == POLL else None
        finally:
            if pause is None or stop.is_set():
                pause = None
                # only this thread's store connection: the searcher is shared with the serving
                # threads (one may still be reading it) and closed with the catalogue
                keeper.store.close_thread()
            del keeper


def _pause(store: Any, wake: threading.Event, seen: int | None, pause: float) -> None:
    """Wait `pause` seconds, or less: until woken, or (a store that announces changes, with
    the index at change `seen`) until a newer change is committed."""
    if seen is None or not getattr(store, "announces_changes", False):
        wake.wait(pause)
        return
    try:
        store.wait_for_change(seen, pause, interrupt=wake)
    except Exception as error:  # the store is unreachable for now: the catch-up says so, then backs off
        log.info("could not wait for store changes: %s", error)
        wake.wait(pause)
