"""The OAI-PMH error conditions (protocol section 3.6), one class per code, so that a
verb handler raises one and the endpoint answers it as an HTTP 200 OAI response."""

from __future__ import annotations

from typing import ClassVar


class OAIError(Exception):
    """An OAI-PMH error; `code` is the protocol's error code, str(error) the message."""

    code: ClassVar[str] = ""
    default: ClassVar[str] = ""
    #: Whether the response's <request> element may echo the arguments (3.2: not for
    #: badVerb and badArgument).
    echo: ClassVar[bool] = True

    def __init__(self, message: str = ""):
        super().__init__(message or self.default)


class BadArgument(OAIError):
    code = "badArgument"
    default = "The request includes illegal arguments, is missing required arguments, or repeats an argument."
    echo = False


class BadResumptionToken(OAIError):
    code = "badResumptionToken"
    default = "The resumptionToken is invalid or has expired; start the list again."


class BadVerb(OAIError):
    code = "badVerb"
    default = "The verb argument is missing, repeated or not an OAI-PMH verb."
    echo = False


class CannotDisseminateFormat(OAIError):
    code = "cannotDisseminateFormat"
    default = "This repository does not offer that metadataPrefix; see ListMetadataFormats."


class IdDoesNotExist(OAIError):
    code = "idDoesNotExist"
    default = "No item has that identifier in this repository."


class NoRecordsMatch(OAIError):
    code = "noRecordsMatch"
    default = "No record matches the combination of from, until and set."


class NoMetadataFormats(OAIError):
    code = "noMetadataFormats"
    default = "The item was deleted; no metadata formats are available for it."


class NoSetHierarchy(OAIError):
    code = "noSetHierarchy"
    default = "The repository holds no records yet, so it has no sets."


#: Every error class by its code.
ERRORS: dict[str, type[OAIError]] = {
    cls.code: cls
    for cls in (BadArgument, BadResumptionToken, BadVerb, CannotDisseminateFormat, IdDoesNotExist,
                NoRecordsMatch, NoMetadataFormats, NoSetHierarchy)
}
