"""One exception class per way a harvest can fail, so callers (the run log, the CLI) can
say exactly what went wrong; each OAI-PMH error code has its own class, as in Sickle."""

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


class OAIError(HarvestError):
    """An OAI-PMH error response (``<error code=...>``); `code` is the protocol's code."""

    code = "unknown"

    def __init__(self, message: str = ""):
        self.message = message.strip()
        super().__init__(f"OAI-PMH error {self.code}" + (f": {self.message}" if self.message else ""))


class BadArgument(OAIError):
    code = "badArgument"


class BadResumptionToken(OAIError):
    code = "badResumptionToken"


class BadVerb(OAIError):
    code = "badVerb"


class CannotDisseminateFormat(OAIError):
    code = "cannotDisseminateFormat"


class IdDoesNotExist(OAIError):
    code = "idDoesNotExist"


class NoMetadataFormats(OAIError):
    code = "noMetadataFormats"


class NoRecordsMatch(OAIError):
    code = "noRecordsMatch"


class NoSetHierarchy(OAIError):
    code = "noSetHierarchy"


OAI_ERRORS: dict[str, type[OAIError]] = {
    cls.code: cls
    for cls in (BadArgument, BadResumptionToken, BadVerb, CannotDisseminateFormat, IdDoesNotExist,
                NoMetadataFormats, NoRecordsMatch, NoSetHierarchy)
}


def oai_error(code: str, message: str) -> OAIError:
    """The exception for an OAI error code; an unknown code keeps its name in the message."""
    cls = OAI_ERRORS.get(code)
    if cls is not None:
        return cls(message)
    error = OAIError(message)
    error.code = code or "unknown"
    error.args = (f"OAI-PMH error {error.code}" + (f": {error.message}" if error.message else ""),)
    return error
