"""OAI-PMH 2.0 client (requests + lxml) that survives flaky and hostile servers.

Paging through resumption tokens is hidden in an iterator of pages; every network and
parsing hazard (timeouts, 5xx, 503 Retry-After, compression bombs, DOCTYPE/entity
tricks, repeated tokens, invalid characters) ends in one of the `harvest.errors` classes.
"""

from __future__ import annotations

import codecs
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from lxml import etree

from catalogue import __version__
from catalogue.errors import CatalogueError
from catalogue.formats.oaipmh import (
    DAY_GRANULARITY,
    NS,
    OAI_NS,
    SECOND_GRANULARITY,
    NoRecordsMatch,
    OAIRecord,
    oai_error,
)

from .addresses import NetworkPolicy
from .errors import (
    BadXML,
    DeadlineExceeded,
    EndlessList,
    HTTPStatusError,
    NetworkError,
    ResponseTooLarge,
    ServerBusy,
    UnsafeXML,
)
from .transport import GuardedSession, Watch, read_body

USER_AGENT = f"heritage-catalogue/{__version__} (OAI-PMH harvester; python-requests)"

#: Stands in for each invalid character while parsing, so the record holding it can be found.
MARK = "\U0010fffd"
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_REFS = re.compile(r"&#(?:x0*(?:[0-8bcef]|1[0-9a-f]|fff[ef])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|6553[45]));", re.I)
_DECLARATIONS = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    return MARK, error.end  # type: ignore[attr-defined]


codecs.register_error("harvest-mark", _mark_undecodable)


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


# -- dates ------------------------------------------------------------------------------


def parse_datestamp(text: str) -> datetime:
    """A UTC datetime from an OAI datestamp of either granularity."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as error:
        raise BadXML(f"{text!r} is not an OAI-PMH datestamp") from error


def format_datestamp(moment: datetime, granularity: str) -> str:
    """A datestamp at the repository's granularity (days or seconds, UTC with Z)."""
    if granularity == DAY_GRANULARITY:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


#: No checkpoint is earlier: a harvest date before it is a provider's clock gone wrong.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def read_moment(text: str | None) -> datetime | None:
    """A UTC datetime (whole seconds) from a date as providers send it, None when it is not one.

    Besides the protocol's forms this reads fractional seconds (``…:01.123Z``), offsets
    (``+02:00``), a missing zone (taken as UTC) and a bare date, all seen in responseDates.
    """
    text = (text or "").strip()
    if not text.isascii() or not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(microsecond=0)
    except (ValueError, OverflowError):
        return None


def checkpoint(response_date: str | None, now: datetime | None = None) -> str:
    """The checkpoint a list that began at the provider's `response_date` leaves: that moment in
    UTC seconds, clamped between 1970 and the present (our clock when it is not a date), so that a
    provider's bad clock can neither break the next run nor make it skip what changes later."""
    present = (now or datetime.now(UTC)).replace(microsecond=0)
    moment = read_moment(response_date) or present
    return format_datestamp(max(EPOCH, min(moment, present)), SECOND_GRANULARITY)


def stored_checkpoint(text: str | None, now: datetime | None = None) -> str | None:
    """A checkpoint as stored, normalised; None (harvest the whole list again) when it is not a
    date or lies in the future, as older versions could store a provider's bad responseDate."""
    moment = read_moment(text)
    if moment is None or moment > (now or datetime.now(UTC)):
        return None
    return format_datestamp(max(EPOCH, moment), SECOND_GRANULARITY)


def overlap_from(checkpoint: str, granularity: str, overlap_seconds: int) -> str:
    """The `from` of an incremental harvest: the checkpoint minus a safety overlap.

    The overlap is one day at day granularity and `overlap_seconds` (at least one) at
    second granularity, so records stamped around the checkpoint are not missed.
    """
    moment = max(EPOCH, parse_datestamp(checkpoint))
    step = timedelta(days=1) if granularity == DAY_GRANULARITY else timedelta(seconds=max(1, overlap_seconds))
    return format_datestamp(moment - step, granularity)


# -- safe XML ---------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def _sanitised(body: bytes) -> bytes | None:
    """The body with invalid characters replaced by MARK; None when it is not UTF-8 XML."""
    declared = _ENCODING.match(body)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return None
    text = body.decode("utf-8", errors="harvest-mark")
    text = _BAD_REFS.sub(MARK, _BAD_CHARS.sub(MARK, text))
    return text.encode("utf-8")


def parse_xml(body: bytes) -> tuple[Any, bool]:
    """Parse an untrusted response; return (root element, whether characters were replaced).

    A DOCTYPE or entity declaration is refused before parsing (XXE, billion laughs). A
    document that is not well-formed only because of control characters or bytes that
    are not UTF-8 is parsed with them marked, so they can be reported per record.
    """
    head = body[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    start = _FIRST_ELEMENT.search(head)
    if _DECLARATIONS.search(head[: start.start()] if start else head):
        raise UnsafeXML("the response declares a DOCTYPE or entities; refused unread")
    marked = False
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as first:
        cleaned = _sanitised(body)
        if cleaned is None or cleaned == body:
            raise BadXML(f"the response is not well-formed XML: {first}") from first
        try:
            root = etree.fromstring(cleaned, _parser())
        except etree.XMLSyntaxError as error:
            raise BadXML(f"the response is not well-formed XML: {first}") from error
        marked = True
    if root.getroottree().docinfo.doctype:
        raise UnsafeXML("the response declares a DOCTYPE; refused")
    return root, marked


def _strip_marks(element: Any) -> bool:
    """Remove every MARK from an element's text and attributes; True if there was one."""
    found = False
    for node in element.iter():
        for attr in ("text", "tail"):
            value = getattr(node, attr)
            if value and MARK in value:
                setattr(node, attr, value.replace(MARK, ""))
                found = True
        for key, value in node.attrib.items():
            if MARK in value:
                node.set(key, value.replace(MARK, ""))
                found = True
    return found


def _text(element: Any, path: str) -> str:
    found = element.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def parse_record(element: Any, marked: bool) -> OAIRecord:
    """An OAIRecord from a ``<record>`` element of ListRecords or GetRecord."""
    header = element.find("oai:header", NS)
    if header is None:
        raise BadXML("a record has no header")
    problems = []
    if marked and _strip_marks(element):
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


# -- the client -------------------------------------------------------------------------


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


class OAIClient:
    """A harvesting session against one OAI-PMH base URL, with its own total deadline; it
    reaches only public addresses and the networks `networks` allows (`harvest.addresses`)."""

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

        A 503 with Retry-After waits as asked up to `retry_after_cap`; a 4xx body is
        parsed anyway, because some providers send OAI errors with 422.
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
                self._raise_for_body(status, body)
            return body

    def _raise_for_body(self, status: int, body: bytes) -> None:
        """Raise the OAI error a 4xx body carries, or an HTTP error when it carries none."""
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

    # -- verbs --------------------------------------------------------------------------

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
