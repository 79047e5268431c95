"""The OAI-PMH 2.0 protocol as both sides speak it: namespaces, granularities, the OAI
identifier of a record, a record as a response carries it, and the error conditions
(protocol section 3.6), one class per code. The provider raises them and answers each as
an HTTP 200 OAI response; the harvester raises the one a provider's ``<error>`` names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import CatalogueError

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
#: Prefix -> namespace, for lxml's find() in responses.
NS = {"oai": OAI_NS}
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_IDENTIFIER_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
DAY_GRANULARITY = "YYYY-MM-DD"
SECOND_GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"


def oai_identifier(repository_id: str, record_id: str) -> str:
    """The OAI identifier of a record: ``oai:<repository id>:<record id>``."""
    return f"oai:{repository_id}:{record_id}"


def local_id(identifier: str, repository_id: str) -> str | None:
    """The record id an OAI identifier of this repository names; None for another's."""
    prefix = oai_identifier(repository_id, "")
    return identifier[len(prefix):] if identifier.startswith(prefix) else None


@dataclass
class OAIRecord:
    """One record of a list: header fields, the metadata element, and per-record problems."""

    identifier: str
    datestamp: str
    deleted: bool
    set_specs: list[str]
    metadata: Any  # the lxml element inside <metadata>, None for a deleted record
    problems: list[str] = field(default_factory=list)


# -- errors ----------------------------------------------------------------------------------


class OAIError(CatalogueError):
    """An OAI-PMH error: `code` is the protocol's error code and `message` the text sent
    with it (`text` adds a default for the provider); str(error) is the line a harvest
    log shows, ``OAI-PMH error <code>: <message>``."""

    code: str = "unknown"
    default: ClassVar[str] = ""
    #: Whether the response's <request> element may echo the arguments (3.2: not for
    #: badVerb and badArgument).
    echo: ClassVar[bool] = True

    def __init__(self, message: str = ""):
        self.message = message.strip()
        super().__init__(self._line())

    def _line(self) -> str:
        return f"OAI-PMH error {self.code}" + (f": {self.message}" if self.message else "")

    @property
    def text(self) -> str:
        """The text of the ``<error>`` element: the message, or the code's default."""
        return self.message or self.default


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


def oai_error(code: str, message: str) -> OAIError:
    """The exception for an error code a provider sent; an unknown code keeps its name."""
    cls = ERRORS.get(code)
    if cls is not None:
        return cls(message)
    error = OAIError(message)
    error.code = code or "unknown"
    error.args = (error._line(),)
    return error
