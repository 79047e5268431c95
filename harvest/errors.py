"""One exception class per way a harvest can fail, so callers (the run log, the CLI) can
say exactly what went wrong. The OAI-PMH error codes have their own classes, shared with
the provider, in `catalogue.formats.oaipmh`."""

from __future__ import annotations

from catalogue.errors import CatalogueError


class HarvestError(CatalogueError):
    """A harvest could not go on; str(error) is the message for the run log."""


class NetworkError(HarvestError):
    """The server could not be reached or kept failing after the retries."""


class HTTPStatusError(NetworkError):
    """The server answered with an HTTP error status and no OAI-PMH body."""

    def __init__(self, status: int, url: str):
        self.status = status
        super().__init__(f"HTTP {status} from {url}")


class UnsafeURL(HarvestError):
    """A URL or the address it leads to is refused: not http(s), credentials, odd notation, or
    an address that is not public (loopback, private, link-local ...) and not allowed."""


class DeadlineExceeded(HarvestError):
    """The run took longer than its total deadline."""


class TransferTooSlow(NetworkError):
    """A response came slower than the minimum rate (a trickling server holds the run)."""


class ServerBusy(HarvestError):
    """The server asked (503 Retry-After) to wait longer than we are willing to."""


class ResponseTooLarge(HarvestError):
    """A response (after decompression) was larger than the byte limit: a compression bomb or worse."""


class UnsafeXML(HarvestError):
    """The response carries a DOCTYPE or entity declarations; refused unread (XXE, billion laughs)."""


class BadXML(HarvestError):
    """The response is not a well-formed OAI-PMH document."""


class EndlessList(HarvestError):
    """The server repeated a resumption token or sent more pages than any list can have."""


class ListRestartFailed(HarvestError):
    """The provider refused a resumption token again after its list was restarted once."""
