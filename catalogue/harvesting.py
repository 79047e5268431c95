"""Registered sources and harvest runs: what `harvest/` reads is applied here through the
catalogue's one write path, matched on (source, source identifier), page by page.

Each page is committed together with its checkpoint, so a run killed at any moment and run
again ends with the same catalogue. Unchanged data makes no revision; an upstream deletion
becomes a tombstone; an upstream change to a record edited here since its last harvest is
kept as a pending change for an archivist to accept or reject. A complete list from a
provider that keeps no deleted records also retires what it no longer holds. One run of a
source at a time: each holds the source's lease (`catalogue.leases`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from harvest.addresses import NetworkPolicy
from harvest.errors import EndlessList, ListRestartFailed, UnsafeURL

from . import leases, records
from .errors import AlreadyExists, CatalogueError, NotFound, ValidationError
from .leases import HarvestBusy
from .schema import vocabulary
from .service import Catalogue
from .store import harvest as db
from .store import utcnow
from .store.harvest import Harvested, PendingChange, Run, RunError, Source

PROTOCOLS = ("oai-pmh",)
USER = "harvest"
COUNT_KEYS = ("new", "updated", "unchanged", "deleted", "failed", "conflicts")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
#: Limits of the ListMetadataFormats request made when a source is registered (a form waits for it).
CHECK_SETTINGS = {"deadline": 30.0, "retries": 1}

__all__ = [
    "HarvestBusy", "HarvestNotRun", "PendingChange", "Run", "RunError", "Source", "accept_pending", "add_source",
    "get_source", "harvest_all", "list_pending", "list_runs", "list_sources", "mappable_prefixes", "networks",
    "reject_pending", "remove_source", "run_errors", "run_harvest", "running", "update_source",
]

log = logging.getLogger(__name__)


class HarvestNotRun(CatalogueError):
    """A source of `harvest_all` whose run could not even be logged (the error says why)."""

    def __init__(self, source: str, error: BaseException):
        self.source = source
        super().__init__(f"the harvest of {source} failed: {type(error).__name__}: {error}")


# -- sources ---------------------------------------------------------------------------


def parse_mapping(text: str | None) -> dict[str, Any]:
    """A source's TOML mapping: ``default_type`` and a ``[types]`` table (free text -> type)."""
    if not text:
        return {}
    try:
        mapping = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"the mapping is not valid TOML: {error}") from error
    allowed = set(vocabulary("type"))
    types = mapping.get("types", {})
    if not isinstance(types, dict):
        raise CatalogueError("the mapping's [types] must be a table of 'free text' = 'type'")
    for value, target in [*types.items(), ("default_type", mapping.get("default_type", "other"))]:
        if not isinstance(target, str) or target not in allowed:  # a table or number is no type either
            raise CatalogueError(f"the mapping maps {value!r} to {target!r}, which is not a type "
                                 f"(one of: {', '.join(sorted(allowed))})")
    return mapping


def networks(cat: Catalogue) -> NetworkPolicy:
    """The networks beyond the public Internet that this catalogue's harvests may reach."""
    return NetworkPolicy.from_setting(cat.harvest_networks)


def mappable_prefixes() -> tuple[str, ...]:
    """The metadataPrefixes this harvester maps: Dublin Core flavours and the native format."""
    from harvest import dc

    native = native_prefix()
    return (*dc.DC_PREFIXES, *([native] if native else []))


def _check_source(cat: Catalogue, name: str, url: str, protocol: str, mapping: str | None) -> None:
    if not _NAME.match(name or ""):
        raise CatalogueError(f"{name!r} is not a source name: use letters, digits, '.', '_' or '-'")
    if protocol not in PROTOCOLS:
        raise CatalogueError(f"unknown protocol {protocol!r} (known: {', '.join(PROTOCOLS)})")
    networks(cat).check_url(url)
    parse_mapping(mapping)


def _offered_formats(cat: Catalogue, url: str, settings: dict[str, Any] | None) -> list[str]:
    """The metadataPrefixes the provider at `url` offers (one quick ListMetadataFormats)."""
    from harvest.oai import OAIClient

    limits = _settings(settings)
    limits = replace(limits, **{k: min(getattr(limits, k), v) for k, v in CHECK_SETTINGS.items()})
    client = OAIClient(url, limits, networks=networks(cat))
    try:
        return [f.prefix for f in client.list_metadata_formats()]
    except UnsafeURL:
        raise
    except CatalogueError as error:
        raise CatalogueError(f"could not ask {url} which metadata formats it offers ({error}); if the provider is "
                             "offline for now, register the source without contacting it (--no-check, or \"Do "
                             "not contact the provider now\" in the form)") from error
    finally:
        client.close()


def _check_provider(cat: Catalogue, url: str, prefix: str, settings: dict[str, Any] | None, contact: bool) -> None:
    """Refuse a URL leading where harvests may not go, and a prefix this harvester cannot map
    or (with `contact`) the provider does not offer; the error names the prefixes that would do."""
    policy = networks(cat)
    policy.check_source(url, require_resolution=contact)
    mappable = mappable_prefixes()
    offered = _offered_formats(cat, url, settings) if contact else None
    hint = ""
    if offered is not None:
        usable = [p for p in offered if p in mappable]
        hint = (f"; the provider offers {', '.join(offered) or 'no formats'}, of which this harvester can map "
                f"{', '.join(usable) or 'none'}")
    if prefix not in mappable:
        raise CatalogueError(f"this harvester cannot map metadataPrefix {prefix!r} (it reads "
                             f"{', '.join(mappable)}){hint}")
    if offered is not None and prefix not in offered:
        raise CatalogueError(f"the provider does not offer metadataPrefix {prefix!r}{hint}")


def add_source(cat: Catalogue, name: str, url: str, protocol: str = "oai-pmh", prefix: str = "oai_dc",
               set_spec: str | None = None, mapping: str | None = None,
               settings: dict[str, Any] | None = None, *, check: bool = True) -> Source:
    """Register a source to harvest; `mapping` is the TOML text of its type mapping.

    The URL must lead only to addresses harvests may reach, and `prefix` be a format this
    harvester maps; with `check` the provider is also asked (ListMetadataFormats) whether it
    offers that format. Without it (a provider offline for now) only the local checks apply.
    """
    prefix = prefix or "oai_dc"
    _check_source(cat, name, url, protocol, mapping)
    _settings(settings)
    if db.get_source(cat.store, name) is not None:
        raise AlreadyExists(f"a source named {name!r} exists already")
    _check_provider(cat, url, prefix, settings, contact=check)
    return db.insert_source(cat.store, name, url, protocol, prefix, set_spec or None, mapping, settings)


def list_sources(cat: Catalogue) -> list[Source]:
    return db.list_sources(cat.store)


def get_source(cat: Catalogue, name: str) -> Source:
    """A registered source; NotFound when there is none of that name."""
    source = db.get_source(cat.store, name)
    if source is None:
        raise NotFound(f"no source named {name!r} (see `catalogue source list`)", "source", name=name)
    return source


def update_source(cat: Catalogue, name: str, *, check: bool = True, **fields: Any) -> Source:
    """Change url, protocol, prefix, set_spec, mapping or settings of a source; a new URL or
    prefix is checked as `add_source` checks them."""
    current = get_source(cat, name)
    unknown = set(fields) - set(db.SOURCE_FIELDS)
    if unknown:
        raise CatalogueError(f"cannot change {', '.join(sorted(unknown))} of a source")
    merged = {k: fields.get(k, getattr(current, k)) for k in ("url", "protocol", "mapping", "prefix", "settings")}
    merged["prefix"] = merged["prefix"] or "oai_dc"
    _check_source(cat, name, merged["url"], merged["protocol"], merged["mapping"])
    if "settings" in fields:
        _settings(fields["settings"])
    if (merged["url"], merged["prefix"]) != (current.url, current.prefix or "oai_dc"):
        _check_provider(cat, merged["url"], merged["prefix"], merged["settings"], contact=check)
    db.update_source(cat.store, name, fields)
    if {"prefix", "set_spec", "url"} & fields.keys():
        db.save_progress(cat.store, name, None)  # a token belongs to the old list
    return get_source(cat, name)


def remove_source(cat: Catalogue, name: str) -> None:
    """Forget a source; its records, runs and pending changes stay."""
    if not db.delete_source(cat.store, name):
        raise NotFound(f"no source named {name!r}", "source", name=name)


def _settings(values: dict[str, Any] | None) -> Any:
    from harvest.oai import Settings

    return Settings.from_mapping(values)


# -- runs ------------------------------------------------------------------------------


def list_runs(cat: Catalogue, name: str | None = None, limit: int = 50) -> list[Run]:
    """The newest runs first, of one source or of all; a run whose process died (it holds no
    live lease) is shown 'interrupted', not 'running' forever."""
    runs = db.list_runs(cat.store, name, limit)
    if leases.reap(cat.store, runs):
        runs = db.list_runs(cat.store, name, limit)
    return runs


def running(cat: Catalogue, name: str) -> str | None:
    """Why a harvest of source `name` cannot start now (another run holds it), or None."""
    lease = leases.holder(cat.store, name)
    return leases.describe(lease) if lease else None


def run_errors(cat: Catalogue, run_id: int) -> list[RunError]:
    return db.run_errors(cat.store, run_id)


class _Rollback(Exception):
    """Raised inside a dry run's page transaction to undo it."""


def harvest_id(source: str, identifier: str) -> str:
    """The id of a record created from (source, identifier): the same on every run."""
    digest = hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:12]
    return f"{records.slugify(source, 40) or 'source'}-{digest}"


def content_hash(data: dict[str, Any]) -> str:
    """Fingerprint of a record's content as harvested (id and store fields left out)."""
    content = {k: v for k, v in data.items() if k not in ("id", *records.SYSTEM_FIELDS)}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Finish:
    """What the last page of a list also does: the new checkpoint, and the list whose unseen
    records to retire (None: rely on deleted headers)."""

    checkpoint: str
    sweep: str | None = None


@dataclass
class Item:
    """One upstream record, protocol-neutral: identifier, datestamp, mapped data or deletion."""

    identifier: str
    datestamp: str | None
    deleted: bool = False
    data: dict[str, Any] | None = None
    problem: str = ""
    warnings: list[str] = field(default_factory=list)
    unmapped_types: list[str] = field(default_factory=list)
    #: The id the record has upstream (native format), kept here when it is free.
    upstream_id: str | None = None


class _Applier:
    """Applies pages of items of one source to the catalogue and keeps the run's counts."""

    def __init__(self, cat: Catalogue, source: Source, run_id: int, dry_run: bool, lease: leases.RunLease):
        self.cat, self.source, self.run_id, self.dry_run, self.lease = cat, source, run_id, dry_run, lease
        self.counts = dict.fromkeys(COUNT_KEYS, 0)
        self.unmapped: Counter[str] = Counter()
        self.notices: list[str] = []  # about the run as a whole, logged with its errors

    @property
    def store(self) -> Any:
        return self.cat.store

    def page(self, items: list[Item], state: dict[str, Any], finish: Finish | None = None) -> None:
        """Apply a page of list `state` and save its errors and where to resume, in one
        transaction, so a kill can lose neither (in a dry run the records are rolled back, the
        errors kept). The last page of a list also `finish`es it in that transaction."""
        errors: list[tuple[str | None, str]] = []
        try:
            with self.store.transaction():
                self.lease.renew()  # a run that lost its lease stores nothing more
                for item in items:
                    self.item(item, errors, state.get("list_id"))
                if self.dry_run:
                    raise _Rollback
                if finish is not None and finish.sweep:
                    self.sweep(finish.sweep)
                db.add_errors(self.store, self.run_id, errors)
                db.save_progress(self.store, self.source.name, state if state.get("token") else None,
                                 checkpoint=finish.checkpoint if finish else None,
                                 last_success=utcnow() if finish else None)
                db.update_run(self.store, self.run_id, self.counts)
        except _Rollback:
            db.add_errors(self.store, self.run_id, errors)

    def item(self, item: Item, errors: list[tuple[str | None, str]], list_id: str | None = None) -> None:
        if not item.identifier:
            self.counts["failed"] += 1
            errors.append((None, "a record without an identifier was skipped"))
            return
        if list_id:  # seen, even if it fails below: a complete list must not retire it
            db.mark_seen(self.store, self.source.name, item.identifier, list_id, self.source.set_spec)
        errors.extend((item.identifier, w) for w in item.warnings)
        self.unmapped.update(item.unmapped_types)
        try:
            if item.deleted:
                self._delete(item)
            elif item.data is None:
                raise CatalogueError(item.problem or "the record could not be mapped")
            else:
                self._upsert(item)
        except ValidationError as error:
            self.counts["failed"] += 1
            errors.append((item.identifier, "not valid after mapping: " + str(error)))
        except CatalogueError as error:
            self.counts["failed"] += 1
            errors.append((item.identifier, str(error)))

    def _lookup(self, identifier: str) -> tuple[Any, Harvested | None]:
        seen = db.get_harvested(self.store, self.source.name, identifier)
        existing = self.store.find_by_source(self.source.name, identifier)
        if existing is None and seen is not None:
            existing = self.store.get(seen.record_id)
        return existing, seen

    def _remember(self, item: Item, record_id: str, revision: int, digest: str) -> None:
        db.set_harvested(self.store, Harvested(self.source.name, item.identifier, record_id, revision, digest,
                                               item.datestamp))

    def _pending(self, item: Item, record_id: str, action: str, data: dict[str, Any] | None) -> None:
        db.add_pending(self.store, record_id, self.source.name, item.identifier, action, data, item.datestamp)
        self.counts["conflicts"] += 1

    def _upsert(self, item: Item) -> None:
        existing, seen = self._lookup(item.identifier)
        record_id = existing.id if existing else self._new_id(item)
        data = records.prepare(dict(item.data or {}, id=record_id))
        digest = content_hash(data)
        message = f"harvested from {self.source.name}"
        if existing is None:
            if self.store.get(record_id) is not None:
                raise AlreadyExists(f"the id {record_id!r} is taken by a record of another origin")
            stored = self.cat.create(data, user=USER, message=message, origin="harvest")
            self._remember(item, record_id, stored["revision"], digest)
            self.counts["new"] += 1
        elif seen is not None and seen.hash == digest:
            self.counts["unchanged"] += 1
        elif seen is None or existing.revision != seen.revision:
            # Edited (or deleted) here since the last harvest: local edits win, upstream waits.
            self._pending(item, existing.id, "update", data)
            self._remember(item, existing.id, seen.revision if seen else 0, digest)
        else:
            if existing.deleted:  # our tombstone of an upstream deletion: the record is back
                self.cat.restore(existing.id, user=USER, message=f"back in {self.source.name}")
                message = f"back in {self.source.name}"
            stored = self.cat.update(existing.id, data, base_revision=-1, user=USER, message=message,
                                     origin="harvest")
            self._remember(item, existing.id, stored["revision"], digest)
            self.counts["updated" if stored["revision"] != existing.revision else "unchanged"] += 1

    def _new_id(self, item: Item) -> str:
        """A mirrored catalogue keeps the upstream id when it is free; otherwise (and for
        Dublin Core) the id derives from (source, identifier), the same on every run."""
        upstream = item.upstream_id
        if upstream and records.is_valid_id(upstream) and self.store.get(upstream) is None:
            return upstream
        return harvest_id(self.source.name, item.identifier)

    def sweep(self, list_id: str) -> None:
        """Retire the records a complete list no longer holds (the provider keeps no deleted
        records): tombstones, or pending deletions where they were edited here."""
        for identifier in db.unseen(self.store, self.source.name, list_id, self.source.set_spec):
            existing, _ = self._lookup(identifier)
            if existing is None or existing.deleted:
                continue
            self._delete(Item(identifier, None, deleted=True),
                         reason=f"no longer in source {self.source.name}: missing from its complete list harvested"
                         f" in run {self.run_id} (record {identifier})")

    def _delete(self, item: Item, reason: str | None = None) -> None:
        existing, seen = self._lookup(item.identifier)
        if existing is None or existing.deleted:
            self.counts["unchanged"] += 1
            return
        if seen is None or existing.revision != seen.revision:
            if seen is not None and seen.hash == "deleted":
                self.counts["unchanged"] += 1
                return
            self._pending(item, existing.id, "delete", None)
            self._remember(item, existing.id, seen.revision if seen else 0, "deleted")
            return
        when = f" on {item.datestamp}" if item.datestamp else ""
        reason = reason or f"deleted upstream in source {self.source.name}{when} (record {item.identifier})"
        stored = self.cat.delete(existing.id, reason=reason, user=USER, origin="harvest")
        self._remember(item, existing.id, stored.revision, "deleted")
        self.counts["deleted"] += 1

    def unmapped_errors(self) -> list[tuple[str | None, str]]:
        return [(None, f"dc:type {value!r} is not mapped to a record type ({count} records; kept in their notes)")
                for value, count in self.unmapped.most_common()]


def _progress(quiet: bool) -> Any:
    """A tqdm bar on an interactive terminal; a do-nothing bar otherwise."""
    from tqdm import tqdm

    return tqdm(unit=" records", disable=quiet or not sys.stderr.isatty(), file=sys.stderr, leave=False)


def run_harvest(cat: Catalogue, name: str, *, full: bool = False, dry_run: bool = False,
                quiet: bool = True) -> Run:
    """Harvest a registered source (incrementally unless `full`) and return the logged run.

    Harvest failures (network, hostile responses, OAI errors) end the run with status
    'failed' and a message; what was committed before stays, and the next run resumes.
    HarvestBusy (nothing logged) when another run of the source is going on.
    """
    get_source(cat, name)  # NotFound before anything is logged
    lease = leases.RunLease(cat.store, name)
    run_id = lease.take(lambda: db.start_run(cat.store, name, full=full, dry_run=dry_run))
    try:
        source = get_source(cat, name)  # read under the lease: as the previous run left it
        applier = _Applier(cat, source, run_id, dry_run, lease)
        status, message = _run(applier, full, quiet)
        errors = ([(None, n) for n in applier.notices] + applier.unmapped_errors()
                  + ([(None, message)] if message else []))
        with cat.store.transaction():
            db.add_errors(cat.store, run_id, errors)
            db.update_run(cat.store, run_id, applier.counts, status=status, message=message)
    finally:
        lease.release()
    run = db.get_run(cat.store, run_id)
    assert run is not None
    return run


def _run(applier: _Applier, full: bool, quiet: bool) -> tuple[str, str | None]:
    """Harvest into `applier`; (status, message) of the run."""
    bar = _progress(quiet)
    try:
        with applier.cat.deferred_index():
            _harvest_oai(applier, full=full, bar=bar)
    except CatalogueError as error:
        if isinstance(error, EndlessList | ListRestartFailed) and not applier.dry_run:
            db.save_progress(applier.store, applier.source.name, None)  # never resume with a dead or looping token
        return "failed", str(error)
    except KeyboardInterrupt:
        db.update_run(applier.store, applier.run_id, applier.counts, status="interrupted",
                      message="interrupted by the user")
        raise
    except Exception as error:  # a fault not foreseen (a bug): this run fails, the next source still runs
        log.exception("the harvest of %s failed", applier.source.name)
        return "failed", f"unexpected error {type(error).__name__}: {error}"
    finally:
        bar.close()
    return "ok", None


def harvest_all(cat: Catalogue, *, full: bool = False, dry_run: bool = False,
                quiet: bool = True) -> list[Run | HarvestBusy | HarvestNotRun]:
    """Harvest every registered source in name order (for cron): for each its run, why it was
    not started (another run of it is going on), or what kept it from being logged at all;
    whatever happens to one source, the next one runs."""
    outcomes: list[Run | HarvestBusy | HarvestNotRun] = []
    for source in list_sources(cat):
        try:
            outcomes.append(run_harvest(cat, source.name, full=full, dry_run=dry_run, quiet=quiet))
        except HarvestBusy as busy:
            outcomes.append(busy)
        except Exception as error:  # e.g. removed meanwhile, or a store error: the others still run
            log.warning("the harvest of %s did not run: %s", source.name, error)
            outcomes.append(HarvestNotRun(source.name, error))
    return outcomes


# -- OAI-PMH ---------------------------------------------------------------------------


def _native_module() -> Any:
    """`catalogue.oai.native` (the provider's native format) when it is installed."""
    try:
        from .oai import native
    except ImportError:
        return None
    return native if hasattr(native, "xml_to_record") else None


def native_prefix() -> str | None:
    """The metadataPrefix of this catalogue's own format, harvested without loss."""
    native = _native_module()
    if native is None:
        return None
    return getattr(native, "PREFIX", None) or getattr(native, "METADATA_PREFIX", None)


def _mapper(source: Source, identify: Any) -> Callable[[Any], Item]:
    """The function turning one OAIRecord into an Item, by the source's metadataPrefix."""
    from harvest import dc

    provenance = {"origin": "harvest", "source_name": source.name}
    prefix = source.prefix or "oai_dc"
    if prefix == native_prefix():
        native = _native_module()

        def from_native(oai: Any) -> Item:
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

    def from_dc(oai: Any) -> Item:
        item = Item(oai.identifier, oai.datestamp, oai.deleted, warnings=list(oai.problems))
        if not oai.deleted:
            mapped = dc.dc_to_record(oai, context)
            item.data, item.problem, item.unmapped_types = mapped.record, mapped.problem, mapped.unmapped_types
        return item

    return from_dc


def _since(source: Source, full: bool, notices: list[str]) -> str | None:
    """The checkpoint an incremental list starts from; None for the whole list (`full`, no
    checkpoint yet, or one stored unreadable or in the future by an older version)."""
    from harvest.oai import stored_checkpoint

    if full or not source.checkpoint:
        return None
    since = stored_checkpoint(source.checkpoint)
    if since is None:
        notices.append(f"the stored checkpoint {source.checkpoint[:40]!r} is not a past date; "
                       "the whole list was asked for")
    return since


def _lists(client: Any, source: Source, identify: Any, full: bool, run_id: int,
           notices: list[str]) -> Iterator[tuple[Any, dict[str, Any]]]:
    """(page, resume state after it) of the list to harvest, ending with a page without token
    (an empty one for an empty list); restarts once on badResumptionToken, and stops with
    ListRestartFailed when the restarted list's token is refused too. The state names the
    list (`list_id`: the run that began it) so that a resumed list goes on marking the same one."""
    from harvest.errors import BadResumptionToken
    from harvest.oai import Page, checkpoint, overlap_from

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
    last: Any = None
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


def _finish(state: dict[str, Any], identify: Any) -> Finish:
    """The end of a list: its checkpoint (normalised again: a list resumed from an older
    version's state may carry a raw responseDate), and a sweep when it was complete (no
    `from`) and the provider keeps no deleted records (deletedRecord 'no' or 'transient')."""
    from harvest.oai import checkpoint
    complete = state.get("from") is None and bool(state.get("list_id"))
    sweep = state["list_id"] if complete and identify.deleted_record in ("no", "transient") else None
    return Finish(checkpoint=checkpoint(state.get("started") or identify.response_date), sweep=sweep)


def _harvest_oai(applier: _Applier, *, full: bool, bar: Any) -> None:
    from harvest.oai import OAIClient

    source = applier.source
    client = OAIClient(source.url, _settings(source.settings), networks=networks(applier.cat))
    try:
        identify = client.identify()
        to_item = _mapper(source, identify)
        for page, state in _lists(client, source, identify, full, applier.run_id, applier.notices):
            if page.complete_list_size and not bar.total:
                bar.total = page.complete_list_size
            finish = None if state.get("token") else _finish(state, identify)
            applier.page([to_item(r) for r in page.records], state, finish)
            bar.update(len(page.records))
    finally:
        client.close()


# -- pending changes -------------------------------------------------------------------


def list_pending(cat: Catalogue, record_id: str | None = None, status: str | None = "pending") -> list[PendingChange]:
    """Upstream changes kept for review (of one record; `status` None lists all)."""
    return db.list_pending(cat.store, record_id, status)


def _open_pending(cat: Catalogue, pending_id: int) -> PendingChange:
    pending = db.get_pending(cat.store, int(pending_id))
    if pending is None:
        raise NotFound(f"no pending change {pending_id}", "pending", id=pending_id)
    if pending.status != "pending":
        raise CatalogueError(f"pending change {pending_id} is {pending.status} already")
    return pending


def accept_pending(cat: Catalogue, pending_id: int, user: str) -> dict[str, Any] | None:
    """Apply an upstream change as a new revision by `user`; later upstream changes apply again."""
    pending = _open_pending(cat, pending_id)
    current = cat.store.get(pending.record_id)
    if current is None:
        raise NotFound.record(pending.record_id)
    message = f"accepted upstream change from {pending.source}"
    with cat.deferred_index(), cat.store.transaction():
        if pending.action == "delete":
            if not current.deleted:
                current = cat.delete(pending.record_id, reason=f"deleted upstream in source {pending.source};"
                                     f" {message}", user=user, origin="harvest")
            result, digest = None, "deleted"
        else:
            if current.deleted:
                cat.restore(pending.record_id, user=user, message=message)
            result = cat.update(pending.record_id, pending.data or {}, base_revision=-1, user=user,
                                message=message, origin="harvest")
            digest = content_hash(result)
        revision = result["revision"] if result else current.revision
        db.set_harvested(cat.store, Harvested(pending.source, pending.source_identifier, pending.record_id,
                                              revision, digest, pending.datestamp))
        db.decide_pending(cat.store, pending.id, "accepted", user)
    return result


def reject_pending(cat: Catalogue, pending_id: int, user: str) -> None:
    """Keep the local record as it is; the upstream change is marked rejected and the
    decision is recorded as a revision of the record (its content unchanged)."""
    pending = _open_pending(cat, pending_id)
    with cat.deferred_index(), cat.store.transaction():
        db.decide_pending(cat.store, pending.id, "rejected", user)
        current = cat.store.get(pending.record_id)
        if current is not None and not current.deleted:
            message = f"rejected the upstream {pending.action} from {pending.source} (pending change {pending.id})"
            cat.note(pending.record_id, user=user, origin="harvest", message=message)
