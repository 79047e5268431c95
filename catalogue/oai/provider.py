"""The OAI-PMH 2.0 repository: one handler per verb over what the catalogue publishes
(`Catalogue.published`), answering every request with a complete XML document (errors
included), independent of Flask."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..formats import dc, native
from ..formats.citation import record_url
from ..formats.oaipmh import (
    SECOND_GRANULARITY,
    XSI,
    BadResumptionToken,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoMetadataFormats,
    NoRecordsMatch,
    NoSetHierarchy,
    OAIError,
    local_id,
    oai_identifier,
)
from ..service.published import Item, PublishedRecords, Window
from ..timestamps import utcnow
from . import args, responses, sets, tokens

XSI_SCHEMA_LOCATION = f"{{{XSI}}}schemaLocation"


@dataclass(frozen=True)
class Settings:
    """What the provider publishes and how it pages (from the app config)."""

    repository_name: str
    repository_id: str
    admin_emails: tuple[str, ...]
    #: The endpoint URL (Identify baseURL, the text of <request>).
    base_url: str
    #: The site's root URL without a trailing slash, for record links and the native XSD.
    site_url: str
    page_size: int
    token_ttl: int
    secret: str | bytes


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str
    #: The metadata of a record (given its URL) as XML text.
    build: Callable[[dict[str, Any], str], str]


class Provider:
    """Answers OAI-PMH requests for one catalogue's published records."""

    def __init__(self, published: PublishedRecords, settings: Settings):
        self.published = published
        self.settings = settings
        native_schema = f"{settings.site_url}/schemas/{native.XSD_NAME}"
        location = f"{native.NAMESPACE} {native_schema}"
        self.formats = {
            dc.PREFIX: MetadataFormat(dc.PREFIX, dc.SCHEMA, dc.NAMESPACE, dc.record_to_dc),
            native.PREFIX: MetadataFormat(native.PREFIX, native_schema, native.NAMESPACE,
                                          lambda record, _url: native.record_to_text(record, location)),
        }

    def respond(self, arguments: Mapping[str, Sequence[str]]) -> bytes:
        """The response document to a request (argument name -> every value given)."""
        try:
            request = args.parse(arguments)
        except OAIError as problem:
            return responses.error(self.settings.base_url, {}, [problem])
        handler = getattr(self, f"_{request.verb}")
        try:
            return handler(request)
        except OAIError as problem:
            return responses.error(self.settings.base_url, request.echo(), [problem])

    # -- helpers -------------------------------------------------------------------------

    def identifier(self, record_id: str) -> str:
        """The OAI identifier of a record: ``oai:<repository id>:<record id>``."""
        return oai_identifier(self.settings.repository_id, record_id)

    def _item(self, identifier: str) -> Item:
        record_id = local_id(identifier, self.settings.repository_id)
        item = self.published.item(record_id) if record_id is not None else None
        if item is None:
            raise IdDoesNotExist(f"No item has the identifier {identifier!r} in this repository.")
        return item

    def _format(self, prefix: str) -> MetadataFormat:
        fmt = self.formats.get(prefix)
        if fmt is None:
            raise CannotDisseminateFormat(
                f"The metadataPrefix {prefix!r} is not offered; use one of {', '.join(self.formats)}.")
        return fmt

    def _document(self, request: args.OAIRequest, content: str) -> bytes:
        """The response to `request`: `content` in the element named after its verb."""
        return responses.document(self.settings.base_url, request.echo(), responses.wrap(request.verb, content))

    def _record(self, item: Item, fmt: MetadataFormat | None) -> str:
        """An item's <record>, or only its <header> when `fmt` is None (ListIdentifiers)."""
        specs = sets.memberships(item.data)
        identifier = self.identifier(item.id)
        if fmt is None:
            return responses.header(identifier, item.datestamp, item.deleted, specs)
        metadata = None
        if not item.deleted:
            metadata = fmt.build(item.data, record_url(self.settings.site_url, item.id))
        return responses.record(identifier, item.datestamp, item.deleted, specs, metadata)

    # -- the six verbs -------------------------------------------------------------------

    def _Identify(self, request: args.OAIRequest) -> bytes:
        s, element = self.settings, responses.element
        parts = [element("repositoryName", s.repository_name), element("baseURL", s.base_url),
                 element("protocolVersion", "2.0"), *(element("adminEmail", email) for email in s.admin_emails),
                 element("earliestDatestamp", self.published.earliest_datestamp() or utcnow()),
                 element("deletedRecord", "persistent"), element("granularity", SECOND_GRANULARITY),
                 element("compression", "gzip")]  # the /oai view gzips for clients that accept it
        if sets.DOMAIN.fullmatch(s.repository_id):
            sample = self.identifier("khojaly-schools")
            parts.append(responses.wrap("description", responses.oai_identifier_description(s.repository_id, sample)))
        return self._document(request, "".join(parts))

    def _ListMetadataFormats(self, request: args.OAIRequest) -> bytes:
        if "identifier" in request.args and self._item(request.args["identifier"]).deleted:
            raise NoMetadataFormats()
        element = responses.element
        return self._document(request, "".join(
            responses.wrap("metadataFormat", element("metadataPrefix", fmt.prefix) + element("schema", fmt.schema)
                           + element("metadataNamespace", fmt.namespace))
            for fmt in self.formats.values()))

    def _ListSets(self, request: args.OAIRequest) -> bytes:
        if "resumptionToken" in request.args:
            raise BadResumptionToken("This repository lists all sets at once and issues no ListSets tokens.")
        values = self.published.set_values()
        if not any(values.values()):
            raise NoSetHierarchy()
        element, parts = responses.element, []
        for kind, title in sets.KINDS.items():
            if not values[kind]:
                continue
            parts.append(responses.wrap("set", element("setSpec", kind) + element("setName", title)))
            parts += [responses.wrap("set", element("setSpec", sets.spec(kind, value))
                                     + element("setName", sets.name(kind, value))) for value in values[kind]]
        return self._document(request, "".join(parts))

    def _GetRecord(self, request: args.OAIRequest) -> bytes:
        fmt = self._format(request.args["metadataPrefix"])
        item = self._item(request.args["identifier"])
        return self._document(request, self._record(item, fmt))

    def _ListIdentifiers(self, request: args.OAIRequest) -> bytes:
        return self._list(request, with_metadata=False)

    def _ListRecords(self, request: args.OAIRequest) -> bytes:
        return self._list(request, with_metadata=True)

    # -- paged lists ---------------------------------------------------------------------

    def _first_state(self, request: args.OAIRequest) -> tuple[tokens.ListState, Window]:
        """Check a fresh list request and take the snapshot it will be listed at."""
        self._format(request.args["metadataPrefix"])
        set_spec = request.args.get("set")
        kind = value = None
        if set_spec is not None:
            parsed = sets.parse(set_spec)
            if parsed is None:
                raise NoRecordsMatch(f"This repository has no set {set_spec!r}; see ListSets.")
            kind, value = parsed
        window = Window(request.start, request.end, kind, value)
        snapshot = self.published.snapshot()
        state = tokens.ListState(request.verb, request.args["metadataPrefix"], request.start, request.end,
                                 set_spec, ("", ""), snapshot, 0, self.published.count(window, snapshot))
        return state, window

    def _resumed_state(self, request: args.OAIRequest) -> tuple[tokens.ListState, Window]:
        s = self.settings
        state = tokens.load(request.args["resumptionToken"], s.secret, verb=request.verb, max_age=s.token_ttl)
        parsed = sets.parse(state.set_spec) if state.set_spec else (None, None)
        if parsed is None or state.prefix not in self.formats:
            raise BadResumptionToken()
        return state, Window(state.start, state.end, *parsed)

    def _list(self, request: args.OAIRequest, *, with_metadata: bool) -> bytes:
        resumed = "resumptionToken" in request.args
        size = self.settings.page_size
        with self.published.snapshot_read():
            state, window = self._resumed_state(request) if resumed else self._first_state(request)
            after = state.after if resumed else None
            items = self.published.page(window, after=after, snapshot=state.snapshot, limit=size + 1)
        if not items:
            raise NoRecordsMatch()
        fmt = self.formats[state.prefix] if with_metadata else None
        parts = [self._record(item, fmt) for item in items[:size]]
        if len(items) > size:
            last = items[size - 1]
            following = replace(state, after=(last.datestamp, last.id), cursor=state.cursor + size)
            expires = datetime.now(UTC) + timedelta(seconds=self.settings.token_ttl)
            token = tokens.dump(following, self.settings.secret)
            parts.append(responses.resumption_token(token, cursor=state.cursor, total=state.total, expires=expires))
        elif resumed:
            parts.append(responses.resumption_token(None, cursor=state.cursor, total=state.total, expires=None))
        return self._document(request, "".join(parts))
