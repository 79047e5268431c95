"""OAI-PMH 2.0 client (lxml over `harvest.client`): the verbs a harvester asks, responses
parsed safely (`harvest.safexml`) and checked, and paging through resumption tokens hidden
in an iterator of pages that refuses endless lists. A provider's ``<error>`` becomes the
`catalogue.formats.oaipmh` class of its code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

from catalogue.formats.oaipmh import (
    DAY_GRANULARITY,
    NS,
    OAI_NS,
    SECOND_GRANULARITY,
    NoRecordsMatch,
    OAIRecord,
    oai_error,
)

from .client import HTTPClient
from .errors import BadXML, EndlessList, HTTPStatusError, UnsafeXML
from .safexml import parse_xml, strip_marks


@dataclass
class Identify:
    """What a repository says about itself (the parts a harvester needs)."""

    repository_name: str
    base_url: str
    granularity: str
    earliest_datestamp: str
    deleted_record: str
    response_date: str
    compression: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MetadataFormat:
    """A format a repository offers (ListMetadataFormats)."""

    prefix: str
    namespace: str
    schema: str = ""


@dataclass
class Page:
    """One response of a list request; `token` resumes after it (None on the last page)."""

    records: list[OAIRecord]
    token: str | None
    response_date: str
    complete_list_size: int | None = None


def _text(element: Any, path: str) -> str:
    found = element.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def parse_record(element: Any, marked: bool) -> OAIRecord:
    """An OAIRecord from a ``<record>`` element of ListRecords or GetRecord."""
    header = element.find("oai:header", NS)
    if header is None:
        raise BadXML("a record has no header")
    problems = []
    if marked and strip_marks(element):
        problems.append("invalid characters removed (XML control characters or bytes that are not UTF-8)")
    metadata = element.find("oai:metadata", NS)
    deleted = header.get("status") == "deleted"
    payload = None if deleted or metadata is None or len(metadata) == 0 else metadata[0]
    return OAIRecord(
        identifier=_text(header, "oai:identifier"),
        datestamp=_text(header, "oai:datestamp"),
        deleted=deleted,
        set_specs=[(s.text or "").strip() for s in header.findall("oai:setSpec", NS)],
        metadata=payload,
        problems=problems,
    )


class OAIClient(HTTPClient):
    """A harvesting session against one OAI-PMH base URL (limits: `harvest.client.Settings`)."""

    def refused(self, status: int, body: bytes) -> NoReturn:
        """Raise the OAI error a 4xx body carries (some providers send them with 422), or an
        HTTP error when it carries none."""
        try:
            root, _ = parse_xml(body)
        except (BadXML, UnsafeXML):
            raise HTTPStatusError(status, self.url) from None
        _raise_oai_error(root)
        raise HTTPStatusError(status, self.url)

    def request(self, params: dict[str, str]) -> tuple[Any, bool]:
        """Parsed and checked OAI-PMH response: (root, characters marked); OAI errors raised."""
        root, marked = parse_xml(self.fetch(params))
        if root.tag != f"{{{OAI_NS}}}OAI-PMH":
            raise BadXML(f"not an OAI-PMH response (root element {root.tag!r})")
        _raise_oai_error(root)
        return root, marked

    def identify(self) -> Identify:
        """The Identify response: granularity, earliest datestamp, deletion policy."""
        root, _ = self.request({"verb": "Identify"})
        element = root.find("oai:Identify", NS)
        if element is None:
            raise BadXML("the Identify response has no Identify element")
        granularity = _text(element, "oai:granularity") or DAY_GRANULARITY
        return Identify(
            repository_name=_text(element, "oai:repositoryName"),
            base_url=_text(element, "oai:baseURL") or self.url,
            granularity=SECOND_GRANULARITY if granularity == SECOND_GRANULARITY else DAY_GRANULARITY,
            earliest_datestamp=_text(element, "oai:earliestDatestamp"),
            deleted_record=_text(element, "oai:deletedRecord"),
            response_date=_text(root, "oai:responseDate"),
            compression=[(c.text or "").strip() for c in element.findall("oai:compression", NS)],
        )

    def list_metadata_formats(self) -> list[MetadataFormat]:
        """The metadata formats the repository offers (ListMetadataFormats)."""
        root, _ = self.request({"verb": "ListMetadataFormats"})
        listing = root.find("oai:ListMetadataFormats", NS)
        if listing is None:
            raise BadXML("the ListMetadataFormats response has no ListMetadataFormats element")
        return [MetadataFormat(_text(f, "oai:metadataPrefix"), _text(f, "oai:metadataNamespace"),
                               _text(f, "oai:schema"))
                for f in listing.findall("oai:metadataFormat", NS) if _text(f, "oai:metadataPrefix")]

    def list_records(self, prefix: str, *, set_spec: str | None = None, from_: str | None = None,
                     until: str | None = None, token: str | None = None) -> Iterator[Page]:
        """Every page of a ListRecords list, following resumption tokens.

        Starts from `token` when given (resuming an interrupted run). noRecordsMatch is an
        empty list. A repeated token or more than `max_pages` pages raise EndlessList.
        """
        if token:
            params = {"verb": "ListRecords", "resumptionToken": token}
        else:
            params = {"verb": "ListRecords", "metadataPrefix": prefix}
            for key, value in (("set", set_spec), ("from", from_), ("until", until)):
                if value:
                    params[key] = value
        seen = {token} if token else set()
        for number in range(1, self.settings.max_pages + 2):
            if number > self.settings.max_pages:
                raise EndlessList(f"the list has more than {self.settings.max_pages} pages; stopped")
            try:
                root, marked = self.request(params)
            except NoRecordsMatch:
                return
            page = _page(root, marked)
            if page.token and page.token in seen:
                raise EndlessList(f"the server sent the resumption token {page.token[:80]!r} twice; stopped")
            yield page
            if not page.token:
                return
            seen.add(page.token)
            params = {"verb": "ListRecords", "resumptionToken": page.token}

    def records(self, prefix: str, **kwargs: Any) -> Iterator[OAIRecord]:
        """Every record of a list, pages hidden."""
        for page in self.list_records(prefix, **kwargs):
            yield from page.records


def _raise_oai_error(root: Any) -> None:
    error = root.find("oai:error", NS)
    if error is not None:
        raise oai_error(error.get("code", ""), error.text or "")


def _page(root: Any, marked: bool) -> Page:
    listing = root.find("oai:ListRecords", NS)
    if listing is None:
        raise BadXML("the ListRecords response has no ListRecords element")
    token_element = listing.find("oai:resumptionToken", NS)
    token = (token_element.text or "").strip() if token_element is not None else ""
    size = token_element.get("completeListSize") if token_element is not None else None
    return Page(
        records=[parse_record(r, marked) for r in listing.findall("oai:record", NS)],
        token=token or None,
        response_date=_text(root, "oai:responseDate"),
        complete_list_size=int(size) if size and size.isdigit() else None,
    )
