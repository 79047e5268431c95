"""One harvest of an OAI-PMH source: which list to ask for (resumed, incremental from the
checkpoint with a safety overlap, or whole), each record mapped by the source's format
(Dublin Core or the native format), pages handed to the `Applier`, a list restarted once
when the provider forgets its resumption token, and the checkpoint (and, for a complete
list from a provider that keeps no deletions, the sweep) that ends it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from catalogue import records
from catalogue.errors import CatalogueError
from catalogue.formats import dc, native
from catalogue.formats.oaipmh import BadResumptionToken, OAIRecord
from catalogue.service.harvests import Source

from .apply import Applier, Finish, Item
from .checkpoints import checkpoint, overlap_from, stored_checkpoint
from .errors import ListRestartFailed
from .oai import Identify, OAIClient, Page
from .sources import mappable_prefixes, networks, parse_mapping, settings


def mapper(source: Source, identify: Identify) -> Callable[[OAIRecord], Item]:
    """The function turning one OAIRecord into an Item, by the source's metadataPrefix."""
    provenance = {"origin": "harvest", "source_name": source.name}
    prefix = source.prefix or "oai_dc"
    if prefix == native.PREFIX:

        def from_native(oai: OAIRecord) -> Item:
            item = Item(oai.identifier, oai.datestamp, oai.deleted, warnings=list(oai.problems))
            if not oai.deleted:
                try:
                    data = dict(native.xml_to_record(oai.metadata))
                except (CatalogueError, ValueError, TypeError, KeyError) as error:
                    item.problem = f"not a record of the native format: {error}"
                    return item
                item.upstream_id = data.pop("id", None)
                for key in records.SYSTEM_FIELDS:
                    data.pop(key, None)
                item.data = dict(data, provenance=dict(provenance, source_identifier=oai.identifier))
            return item

        return from_native
    if prefix not in dc.DC_PREFIXES:
        raise CatalogueError(f"no mapping for metadataPrefix {prefix!r}: harvest one of "
                             f"{', '.join(mappable_prefixes())}")
    mapping = parse_mapping(source.mapping)
    context = dc.Context(source.name, identify.repository_name, identify.base_url,
                         types=dc.type_table(mapping.get("types")), default_type=mapping.get("default_type", "other"))

    def from_dc(oai: OAIRecord) -> Item:
        item = Item(oai.identifier, oai.datestamp, oai.deleted, warnings=list(oai.problems))
        if not oai.deleted:
            mapped = dc.dc_to_record(oai, context)
            item.data, item.problem, item.unmapped_types = mapped.record, mapped.problem, mapped.unmapped_types
        return item

    return from_dc


def _since(source: Source, full: bool, notices: list[str]) -> str | None:
    """The checkpoint an incremental list starts from; None for the whole list (`full`, no
    checkpoint yet, or one stored unreadable or in the future by an older version)."""
    if full or not source.checkpoint:
        return None
    since = stored_checkpoint(source.checkpoint)
    if since is None:
        notices.append(f"the stored checkpoint {source.checkpoint[:40]!r} is not a past date; "
                       "the whole list was asked for")
    return since


def _lists(client: OAIClient, source: Source, identify: Identify, full: bool, run_id: int,
           notices: list[str]) -> Iterator[tuple[Page, dict[str, Any]]]:
    """(page, resume state after it) of the list to harvest, ending with a page without token
    (an empty one for an empty list); restarts once on badResumptionToken, and stops with
    ListRestartFailed when the restarted list's token is refused too. The state names the
    list (`list_id`: the run that began it) so that a resumed list goes on marking the same one."""
    resume = None if full else source.resume
    if resume and resume.get("list") != [source.prefix, source.set_spec]:
        resume = None
    if resume:
        started, from_, token = resume["started"], resume.get("from"), resume["token"]
        list_id = resume.get("list_id")  # None for a list begun before lists were named
    else:
        started, token, list_id = checkpoint(identify.response_date), None, str(run_id)
        since = _since(source, full, notices)
        from_ = overlap_from(since, identify.granularity, client.settings.overlap_seconds) if since else None
    state = {"list": [source.prefix, source.set_spec], "started": started, "from": from_, "list_id": list_id}
    last: Page | None = None
    for attempt in range(2):
        try:
            for last in client.list_records(source.prefix or "oai_dc", set_spec=source.set_spec, from_=from_,
                                            token=token):
                yield last, dict(state, token=last.token)
            break
        except BadResumptionToken as error:
            if attempt:
                raise ListRestartFailed(f"the provider refused the resumption token of the restarted list too "
                                        f"({error}); stopped: the next run starts the list afresh") from error
            token = None  # expired: list again from the checkpoint; what is here already is unchanged
    if last is None:  # noRecordsMatch: an empty list, complete all the same
        yield Page([], None, identify.response_date), dict(state, token=None)


def _finish(state: dict[str, Any], identify: Identify) -> Finish:
    """The end of a list: its checkpoint (normalised again: a list resumed from an older
    version's state may carry a raw responseDate), and a sweep when it was complete (no
    `from`) and the provider keeps no deleted records (deletedRecord 'no' or 'transient')."""
    complete = state.get("from") is None and bool(state.get("list_id"))
    sweep = state["list_id"] if complete and identify.deleted_record in ("no", "transient") else None
    return Finish(checkpoint=checkpoint(state.get("started") or identify.response_date), sweep=sweep)


def harvest_oai(applier: Applier, *, full: bool, on_page: Callable[[int, int | None], None]) -> None:
    """Harvest the applier's source over OAI-PMH, page by page; `on_page` hears of each
    (records in it, and the list's completeListSize when the provider gives one)."""
    source = applier.source
    client = OAIClient(source.url, settings(source.settings), networks=networks(applier.cat))
    try:
        identify = client.identify()
        to_item = mapper(source, identify)
        for page, state in _lists(client, source, identify, full, applier.run_id, applier.notices):
            finish = None if state.get("token") else _finish(state, identify)
            applier.page([to_item(r) for r in page.records], state, finish)
            on_page(len(page.records), page.complete_list_size)
    finally:
        client.close()
