"""The HTTP side of a harvest, built to survive flaky and hostile servers: a session that
reaches only allowed addresses (`harvest.transport`), a total deadline, retries with backoff
on 5xx and connection errors, 503 Retry-After within a cap, a byte limit that holds after
decompression, and a minimum transfer rate. Every hazard ends in a `harvest.errors` class.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn

import requests

from catalogue.errors import CatalogueError
from catalogue.version import __version__

from .addresses import NetworkPolicy
from .errors import DeadlineExceeded, HTTPStatusError, NetworkError, ResponseTooLarge, ServerBusy
from .transport import GuardedSession, Watch, read_body

USER_AGENT = f"heritage-catalogue/{__version__} (OAI-PMH harvester; python-requests)"


@dataclass
class Settings:
    """Network limits of one harvest; every value can be set per source (`settings`)."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    deadline: float = 6 * 3600.0
    retries: int = 5
    backoff: float = 2.0
    max_backoff: float = 120.0
    retry_after_cap: float = 600.0
    max_bytes: int = 64 * 1024 * 1024
    max_pages: int = 100_000
    overlap_seconds: int = 60
    #: A response body slower than this (bytes/s, measured over `rate_window` seconds) is cut.
    min_rate: float = 64.0
    rate_window: float = 60.0

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> Settings:
        """Settings from a dict of overrides; unknown names and non-numbers are user errors."""
        known = {f.name: f.type for f in fields(cls)}
        settings = cls()
        for name, value in (values or {}).items():
            if name not in known:
                raise CatalogueError(f"unknown harvest setting {name!r} (known: {', '.join(sorted(known))})")
            try:
                number = float(value)
            except (TypeError, ValueError) as error:
                raise CatalogueError(f"harvest setting {name!r} must be a number, not {value!r}") from error
            if number < 0:
                raise CatalogueError(f"harvest setting {name!r} must not be negative")
            setattr(settings, name, int(number) if known[name] == "int" else number)
        return settings


def _retry_after(value: str | None) -> float | None:
    """Seconds asked by a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


class HTTPClient:
    """A harvesting session against one URL, with its own total deadline; it reaches only
    public addresses and the networks `networks` allows (`harvest.addresses`)."""

    def __init__(self, url: str, settings: Settings | None = None, *, networks: NetworkPolicy | None = None,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        self.url = url
        self.settings = settings or Settings()
        self.networks = networks or NetworkPolicy()
        self.session = session or GuardedSession(self.networks)
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"})
        self._sleep, self._clock = sleep, clock
        self._deadline_at = clock() + self.settings.deadline

    def close(self) -> None:
        self.session.close()

    # -- transport ----------------------------------------------------------------------

    def _check_deadline(self, extra: float = 0.0) -> None:
        if self._clock() + extra > self._deadline_at:
            raise DeadlineExceeded(f"the harvest ran into its deadline of {self.settings.deadline:g} s")

    def _wait(self, seconds: float) -> None:
        self._check_deadline(seconds)
        self._sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        return min(self.settings.max_backoff, self.settings.backoff * (2**attempt))

    def _get(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """One GET, streamed so that the byte limit holds after decompression, and watched so
        that the deadline and the minimum rate hold whatever the server's pace."""
        limit = self.settings.max_bytes
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        # A silent server times out after read_timeout on the socket (and is retried); one that
        # trickles its headers is cut when they have taken twice as long.
        watch = Watch(self._clock, self._deadline_at, self.settings.deadline, 2 * self.settings.read_timeout,
                      self.settings.min_rate, self.settings.rate_window)
        with watch.active():
            try:
                with self.session.get(self.url, params=params, timeout=timeout, stream=True) as response:
                    if response.status_code == 503:
                        return response.status_code, dict(response.headers), b""
                    chunks, size = [], 0
                    for chunk in read_body(response, watch):
                        size += len(chunk)
                        if size > limit:
                            raise ResponseTooLarge(
                                f"the response to {params.get('verb', '?')} is larger than {limit} bytes"
                                " after decompression; refused (compression bomb?)"
                            )
                        chunks.append(chunk)
                    return response.status_code, dict(response.headers), b"".join(chunks)
            except Exception:
                watch.check()  # a connection the watch cut fails in one way or another: say why
                raise

    def fetch(self, params: dict[str, str]) -> bytes:
        """The body of a successful response, retrying 5xx and connection errors with backoff.

        A 503 with Retry-After waits as asked up to `retry_after_cap`; a 4xx response is
        handed to `refused`.
        """
        attempt = 0
        while True:
            self._check_deadline()
            try:
                status, headers, body = self._get(params)
            except (requests.ConnectionError, requests.Timeout) as error:
                problem = "timed out" if isinstance(error, requests.Timeout) or "timed out" in str(error) else (
                    "connection failed")
                if attempt >= self.settings.retries:
                    raise NetworkError(f"{self.url}: {problem} after {attempt + 1} attempts") from error
                self._wait(self._backoff(attempt))
                attempt += 1
                continue
            except requests.RequestException as error:
                raise NetworkError(f"{self.url}: {error}") from error
            if status >= 500:
                if attempt >= self.settings.retries:
                    raise HTTPStatusError(status, self.url)
                delay = _retry_after(headers.get("Retry-After")) if status == 503 else None
                if delay is not None and delay > self.settings.retry_after_cap:
                    raise ServerBusy(f"{self.url} asks to retry after {delay:g} s, more than the cap of "
                                     f"{self.settings.retry_after_cap:g} s; run the harvest again later")
                self._wait(delay if delay is not None else self._backoff(attempt))
                attempt += 1
                continue
            if status >= 400:
                self.refused(status, body)
            return body

    def refused(self, status: int, body: bytes) -> NoReturn:
        """Raise the error a 4xx response stands for (a protocol may read it from the body)."""
        raise HTTPStatusError(status, self.url)
