"""How `catalogue serve --workers N` shares connections: least connections first.

All workers poll the one listening socket the parent bound. Left alone, the first worker to
call accept takes each new connection, so a burst of them (a browser or harvester opening its
pool, a load test) can all land on one worker while another idles; sockets of their own
(SO_REUSEPORT) spread them by a hash instead, which with a few long-lived connections puts
three quarters or more of them on one worker about three times in ten (8 connections to 2
workers, six runs: 6/2 twice and 8/0 once, which took that run from about 350 to 203
requests/s).

So each worker writes how many connections it holds, and how many requests it is answering,
into tables shared by all (memory the parent maps before forking), and a worker woken for a
new connection leaves it to a less loaded one (HAProxy's ``leastconn``, nginx's
``least_conn``): fewer requests in progress first, then fewer connections. Counting
connections alone, a worker of one thread busy with a long request (an export, a search at a
million records) took every new connection while the other held more idle kept-alive ones,
and each waited for that request. Every worker keeps polling the socket, so a connection
always has a worker ready for it; one that a less loaded worker has not taken within
`PATIENCE` is taken anyway (that worker may be stuck). A worker not yet ready, or ended,
holds `ABSENT` and is never waited for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.sharedctypes import RawArray
from typing import Any

from waitress.buffers import ReadOnlyFileBasedBuffer
from waitress.server import BaseWSGIServer

#: The count of a worker that is not accepting (not started yet, or ended).
ABSENT = 2**62
#: A worker holding more connections than another waits this long (seconds) for the other to
#: take a new one before taking it itself.
PATIENCE = 0.05
#: Pause of a worker that leaves a connection to another (its poll would return at once).
PAUSE = 0.001
#: What a request in progress weighs against connections: more than any worker holds.
BUSY = 2**32


def _channels(server: Any) -> dict[int, Any]:
    """The socket map of a waitress server's loop: its listeners, trigger and connections."""
    return server.map if hasattr(server, "map") else server._map  # several sockets, or one


def listeners(server: Any) -> list[BaseWSGIServer]:
    """The listening dispatchers of a waitress server (one, or one per address of a host name
    that resolves to several)."""
    return [d for d in _channels(server).values() if isinstance(d, BaseWSGIServer)]


class LeastConnections:
    """The load of `count` workers (connections held, requests in progress), shared across
    their processes (made before they are forked)."""

    def __init__(self, count: int):
        self.counts = RawArray("q", [ABSENT] * count)
        self.busy = RawArray("q", [0] * count)
        #: Connections each worker took (each writes its own): a wait for another worker to
        #: take one ends when any did.
        self.accepted = RawArray("q", [0] * count)

    def leave(self, number: int) -> None:
        """Worker `number` (from 1) ended: never wait for it (its connections ended with it)."""
        self.counts[number - 1] = ABSENT
        self.busy[number - 1] = 0

    def loads(self) -> list[int]:
        """Each worker's load: its requests in progress (weighing `BUSY` each), then its connections."""
        return [held + BUSY * busy for held, busy in zip(self.counts, self.busy, strict=True)]

    def join(self, server: Any, number: int) -> None:
        """Make the listening sockets of worker `number`'s waitress `server` (not yet running)
        take a new connection only when no other worker is less loaded, and count the
        requests its application answers."""
        channels = _channels(server)
        slot, counts, busy, accepted = number - 1, self.counts, self.busy, self.accepted
        waiting, lock = _Waiting(), threading.Lock()

        def add(n: int) -> None:  # (the worker's request threads share its slot)
            with lock:
                busy[slot] += n

        def held() -> int:  # (the listeners and waitress's trigger count too, the same in every worker)
            counts[slot] = len(channels)
            return counts[slot]

        for listener in listeners(server):
            def readable(readable: Any = listener.readable) -> bool:
                held()  # at each turn of the worker's loop: its connections that ended are counted out
                return bool(readable())

            def handle_accept(accept: Any = listener.handle_accept) -> None:
                before = held()
                loads = self.loads()
                if loads[slot] > min(loads) and waiting.longer(sum(accepted)):
                    time.sleep(PAUSE)
                    return
                accept()
                if held() > before:  # (another worker may have taken it first)
                    accepted[slot] += 1

            listener.readable, listener.handle_accept = readable, handle_accept
            listener.application = counted(listener.application, add)
        held()


def counted(app: Callable[..., Iterable[bytes]], add: Callable[[int], None]) -> Callable[..., Iterable[bytes]]:
    """`app` counting its requests in progress with `add`: from the call until its response's
    last piece is handed to the server to write, or the response is closed unfinished; a file
    handed to the server to send (a static file) ends the request's work at once."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        add(1)
        try:
            body = app(environ, start_response)
        except BaseException:
            add(-1)
            raise
        if isinstance(body, ReadOnlyFileBasedBuffer):  # (kept unwrapped: the server sends it as a file)
            add(-1)
            return body
        return _Answering(body, add)

    return application


class _Answering:
    """A response being written, its request counted out as its last piece goes to the server
    (a piece read ahead tells which is last), or at its close if it was not written to the end.

    Counted out at the close, which waitress calls after writing, a client could have the
    answer and connect again while the worker still counted the request: its next request
    found both workers busy and could wait for the other's long search. At 1,000,000
    records, one client searching and an archivist saving an edit a second (reading the
    record, saving it, searching for it, each on a new connection), 8 of 61 edits took 88-498
    ms so, instead of some 20."""

    def __init__(self, body: Iterable[bytes], add: Callable[[int], None]):
        self.body, self.add = body, add
        self.answering = True

    def __iter__(self) -> Iterator[bytes]:
        pieces = iter(self.body)
        for piece in pieces:
            for after in pieces:
                yield piece
                piece = after
            self._done()
            yield piece
        self._done()

    def _done(self) -> None:
        if self.answering:
            self.answering = False
            self.add(-1)

    def close(self) -> None:
        try:
            if (close := getattr(self.body, "close", None)) is not None:
                close()
        finally:
            self._done()


class _Waiting:
    """How long a worker has been leaving a new connection to the others."""

    def __init__(self) -> None:
        self.since = self.last = 0.0
        self.taken = -1

    def longer(self, taken: int) -> bool:
        """True to go on leaving it; False once it has waited `PATIENCE`. A new wait starts
        when another worker took a connection since the last look (`taken`: how many all
        took), or when that was more than a few pauses ago. Timed from the first of a stream
        of connections that the other worker took as they came (one every 1.5 ms), the busy
        worker took the 37th, which waited for its long request."""
        now = time.monotonic()
        if taken != self.taken or now - self.last > 10 * PAUSE:
            self.since, self.taken = now, taken
        self.last = now
        return now - self.since < PATIENCE
