"""How `catalogue serve --workers N` shares connections: least connections first.

All workers poll the one listening socket the parent bound. Left alone, the first worker to
call accept takes each new connection, so a burst of them (a browser or harvester opening its
pool, a load test) can all land on one worker while another idles; sockets of their own
(SO_REUSEPORT) spread them by a hash instead, which with a few long-lived connections puts
three quarters or more of them on one worker about three times in ten (8 connections to 2
workers, six runs: 6/2 twice and 8/0 once, which took that run from about 350 to 203
requests/s).

So each worker writes how many connections it holds into a table shared by all (memory the
parent maps before forking), and a worker woken for a new connection leaves it to a worker
holding fewer (HAProxy's ``leastconn``, nginx's ``least_conn``). Every worker keeps polling the
socket, so a connection always has a worker ready for it; one that a less busy worker has
not taken within `PATIENCE` is taken anyway (that worker may be stuck in a long request).
A worker not yet ready, or ended, holds `ABSENT` and is never waited for.
"""

from __future__ import annotations

import time
from multiprocessing.sharedctypes import RawArray
from typing import Any

from waitress.server import BaseWSGIServer

#: The count of a worker that is not accepting (not started yet, or ended).
ABSENT = 2**62
#: A worker holding more connections than another waits this long (seconds) for the other to
#: take a new one before taking it itself.
PATIENCE = 0.05
#: Pause of a worker that leaves a connection to another (its poll would return at once).
PAUSE = 0.001


def _channels(server: Any) -> dict[int, Any]:
    """The socket map of a waitress server's loop: its listeners, trigger and connections."""
    return server.map if hasattr(server, "map") else server._map  # several sockets, or one


def listeners(server: Any) -> list[BaseWSGIServer]:
    """The listening dispatchers of a waitress server (one, or one per address of a host name
    that resolves to several)."""
    return [d for d in _channels(server).values() if isinstance(d, BaseWSGIServer)]


class LeastConnections:
    """The connection counts of `count` workers, shared across their processes (made before
    they are forked)."""

    def __init__(self, count: int):
        self.counts = RawArray("q", [ABSENT] * count)

    def leave(self, number: int) -> None:
        """Worker `number` (from 1) ended: never wait for it (its connections ended with it)."""
        self.counts[number - 1] = ABSENT

    def join(self, server: Any, number: int) -> None:
        """Make the listening sockets of worker `number`'s waitress `server` (not yet running)
        take a new connection only when no other worker holds fewer."""
        channels = _channels(server)
        slot, counts = number - 1, self.counts
        waiting = _Waiting()

        def held() -> int:  # (the listeners and waitress's trigger count too, the same in every worker)
            counts[slot] = len(channels)
            return counts[slot]

        for listener in listeners(server):
            def readable(readable: Any = listener.readable) -> bool:
                held()  # at each turn of the worker's loop: its connections that ended are counted out
                return bool(readable())

            def handle_accept(accept: Any = listener.handle_accept) -> None:
                if held() > min(counts) and waiting.longer():
                    time.sleep(PAUSE)
                    return
                accept()
                held()

            listener.readable, listener.handle_accept = readable, handle_accept
        held()


class _Waiting:
    """How long a worker has been leaving a new connection to the others."""

    def __init__(self) -> None:
        self.since = self.last = 0.0

    def longer(self) -> bool:
        """True to go on leaving it (a new wait starts when the last one was more than a few
        pauses ago); False once it has waited `PATIENCE`."""
        now = time.monotonic()
        if now - self.last > 10 * PAUSE:
            self.since = now
        self.last = now
        return now - self.since < PATIENCE
