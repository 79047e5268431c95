"""Work that goes first inside one process: while a thread answers a staff request, the
public's long work (a search, segment by segment) waits at its checkpoints.

Threads of one process take turns on Python's interpreter lock, so a request answered on a
thread kept for staff (`catalogue.cli.lanes`) beside a long search gets about half of the
process's time: at 1,000,000 records beside eight searching clients, an archivist's check
that a save is searchable took twice its own time. `give_way`, called between the steps of
a search, lets it run alone instead. What the public can lose is bounded twice: one request
waits at most `MOST` seconds in all, and work goes first for at most a `SHARE` of the
process's time (a script reading with its token all day gets no more), the rest of its work
taking turns as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: Longest one request waits in all at `give_way` for work that goes first (seconds).
MOST = 0.1
#: Share of a process's time that work going first may take, over a few seconds.
SHARE = 0.2
#: Time going first that may be saved up, so a burst is not cut (seconds).
BURST = 0.5


class _Thread(threading.local):
    first = False  # this thread's current work goes first
    waited = 0.0  # seconds its current request has waited


class Precedence:
    """The threads of a process whose work goes first now, and the time left for it."""

    def __init__(self, share: float = SHARE, burst: float = BURST):
        self.share, self.burst = share, burst
        self.first = 0  # threads going first now
        self.thread = _Thread()
        self._changed = threading.Condition()
        self._credit, self._stamp = burst, time.monotonic()

    def begin(self) -> None:
        """A thread starts answering a new request (its wait so far is forgotten)."""
        self.thread.waited = 0.0

    @contextmanager
    def going_first(self) -> Iterator[None]:
        """The calling thread's work within the block goes first, if the share allows it."""
        with self._changed:
            earned = self._earned()
            self.first += earned
        if not earned:
            yield
            return
        self.thread.first, began = True, time.monotonic()
        try:
            yield
        finally:
            self.thread.first = False
            with self._changed:
                self.first -= 1
                self._credit -= time.monotonic() - began
                if not self.first:
                    self._changed.notify_all()

    def _earned(self) -> bool:
        now = time.monotonic()
        self._credit = min(self.burst, self._credit + (now - self._stamp) * self.share)
        self._stamp = now
        return self._credit > 0

    def give_way(self) -> None:
        """Wait while another thread's work goes first (at most what is left of `MOST` for the
        current request); at once when none does, or when this thread's own work goes first."""
        if not self.first or self.thread.first or self.thread.waited >= MOST:
            return
        began = time.monotonic()
        with self._changed:
            self._changed.wait_for(lambda: not self.first, timeout=MOST - self.thread.waited)
        self.thread.waited += time.monotonic() - began


#: The process's precedence, which the server's staff threads take and searches give way to.
PROCESS = Precedence()
begin, going_first, give_way = PROCESS.begin, PROCESS.going_first, PROCESS.give_way
