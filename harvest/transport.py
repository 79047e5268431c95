"""The harvester's HTTP transport: a requests session that reaches only what a
`NetworkPolicy` allows, and a watchdog that keeps every transfer within the run's limits.

Each connection resolves its host, checks every address and dials the checked address
itself, so a DNS answer that changes between a check and the connection (rebinding) cannot
lead inward; every request, redirects included, has its URL checked first. The watchdog
(`Watch`) cuts a response whose headers take longer than the read timeout, whose body
arrives slower than a minimum rate, or that outlives the run's deadline, whatever its
framing (Content-Length, chunked, gzip): it shuts the socket down from another thread,
since a server trickling a byte at a time never lets a read time out.
"""

from __future__ import annotations

import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .addresses import NetworkPolicy
from .errors import DeadlineExceeded, HarvestError, TransferTooSlow

#: Redirects one request may follow (each is checked like the first URL).
MAX_REDIRECTS = 10

_current: ContextVar[Watch | None] = ContextVar("harvest_watch", default=None)


class Watch:
    """Limits of the transfer going on in this thread: the run's deadline, `header_timeout`
    for the whole of the response headers, and `min_rate` bytes/s over `window` seconds for
    the body. When one is broken, `stopped` holds the error and the socket is shut down."""

    def __init__(self, clock: Callable[[], float], deadline_at: float, deadline: float, header_timeout: float,
                 min_rate: float, window: float):
        self.clock, self.deadline_at, self.deadline = clock, deadline_at, deadline
        self.header_timeout, self.min_rate, self.window = header_timeout, min_rate, window
        self.stopped: HarvestError | None = None
        self._sock: socket.socket | None = None
        self._waiting_since: float | None = None
        self._counter: Callable[[], int] | None = None
        self._samples: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()
        self._done = threading.Event()

    def attach(self, sock: socket.socket | None) -> None:
        """The socket a response is now awaited on (called by the connection)."""
        with self._lock:
            if self.stopped is not None:
                raise self.stopped
            self._sock, self._waiting_since = sock, self.clock()

    def reading(self, counter: Callable[[], int]) -> None:
        """The headers are in: from now on the body's bytes (`counter`) are measured."""
        with self._lock:
            self._counter = counter
            self._samples.append((self.clock(), counter()))

    def check(self) -> None:
        """Raise the error that stopped the transfer, if any."""
        if self.stopped is not None:
            raise self.stopped

    def _verdict(self) -> HarvestError | None:
        now = self.clock()
        if now > self.deadline_at:
            return DeadlineExceeded(f"the harvest ran into its deadline of {self.deadline:g} s")
        if self._counter is None:
            if self._waiting_since is not None and now - self._waiting_since > self.header_timeout:
                return TransferTooSlow(f"the server took more than {self.header_timeout:g} s to send the headers "
                                       "of its response")
            return None
        self._samples.append((now, self._counter()))
        while len(self._samples) > 1 and self._samples[1][0] <= now - self.window:
            self._samples.popleft()
        since, count = self._samples[0]
        if self.min_rate > 0 and self.window > 0 and since <= now - self.window:
            received = self._samples[-1][1] - count
            if received < self.min_rate * (now - since):
                return TransferTooSlow(f"the server sent {received} bytes in {now - since:.0f} s, slower than the "
                                       f"minimum rate of {self.min_rate:g} bytes/s (setting min_rate)")
        return None

    def _run(self) -> None:
        tick = max(0.01, min(0.25, self.window / 4, self.header_timeout / 4))
        while not self._done.wait(tick):
            with self._lock:
                verdict = self._verdict()
                if verdict is None:
                    continue
                self.stopped, sock = verdict, self._sock
            if sock is not None:
                with suppress(OSError):  # closed already
                    sock.shutdown(socket.SHUT_RDWR)
            return

    @contextmanager
    def active(self) -> Iterator[Watch]:
        """Watch the transfers made inside the block (in this thread)."""
        token = _current.set(self)
        thread = threading.Thread(target=self._run, name="harvest-watch", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._done.set()
            thread.join()
            _current.reset(token)


class _Guarded:
    """Mixin of the connection classes: dial only checked addresses; report the socket a
    response is awaited on to the current Watch."""

    policy: NetworkPolicy
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        host = self._dns_host
        try:
            addresses = self.policy.resolve(host, self.port)  # type: ignore[attr-defined]
        except socket.gaierror as error:
            raise urllib3.exceptions.NameResolutionError(host, self, error) from error  # type: ignore[arg-type]
        failure: Exception | None = None
        for address in addresses:  # dial the address that was checked, never a second lookup
            self._dns_host = address
            try:
                return super()._new_conn()  # type: ignore[misc]
            except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError) as error:
                failure = error
            finally:
                self._dns_host = host
        assert failure is not None
        raise failure

    def getresponse(self) -> Any:
        watch = _current.get()
        if watch is not None:
            watch.attach(self.sock)  # type: ignore[attr-defined]
        return super().getresponse()  # type: ignore[misc]


def _pool_classes(policy: NetworkPolicy) -> dict[str, type[HTTPConnectionPool]]:
    """Connection pool classes whose connections follow `policy`."""
    http = type("GuardedHTTPConnection", (_Guarded, HTTPConnection), {"policy": policy})
    https = type("GuardedHTTPSConnection", (_Guarded, HTTPSConnection), {"policy": policy})
    return {"http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https})}


class GuardedAdapter(HTTPAdapter):
    """A requests transport adapter whose connections (and HTTP proxies') follow a policy."""

    def __init__(self, policy: NetworkPolicy, **kwargs: Any):
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _pool_classes(self.policy)
        return manager


class GuardedSession(requests.Session):
    """A session that checks the URL of every request it sends, redirects included."""

    def __init__(self, policy: NetworkPolicy):
        super().__init__()
        self.policy = policy
        self.max_redirects = MAX_REDIRECTS
        adapter = GuardedAdapter(policy)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.policy.check_url(request.url or "")
        return super().send(request, **kwargs)


def read_body(response: requests.Response, watch: Watch, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """The decoded body of a streamed response, a read at a time (each returns what has
    arrived), under `watch`; urllib3's errors become requests' as in `iter_content`."""
    raw = response.raw
    watch.reading(raw.tell)
    while True:
        try:
            data = raw.read1(chunk, decode_content=True)
        except urllib3.exceptions.ProtocolError as error:
            raise requests.exceptions.ChunkedEncodingError(error) from error
        except urllib3.exceptions.DecodeError as error:
            raise requests.exceptions.ContentDecodingError(error) from error
        except urllib3.exceptions.ReadTimeoutError as error:
            raise requests.exceptions.ConnectionError(error) from error
        except urllib3.exceptions.SSLError as error:
            raise requests.exceptions.SSLError(error) from error
        watch.check()
        if not data:
            return
        yield data
