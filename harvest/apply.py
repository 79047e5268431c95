"""Applying what a source yields to the catalogue through its one write path, matched on
(source, source identifier), page by page.

Each page is committed together with its checkpoint, so a run killed at any moment and run
again ends with the same catalogue. Unchanged data makes no revision; an upstream deletion
becomes a tombstone; an upstream change to a record edited here since its last harvest is
kept as a pending change for an archivist to accept or reject. A complete list from a
provider that keeps no deleted records also retires what it no longer holds.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from catalogue import records
from catalogue.errors import AlreadyExists, CatalogueError, ValidationError
from catalogue.plurals import counted
from catalogue.service import Catalogue
from catalogue.service.harvests import Harvested, IdCollision, Source
from catalogue.timestamps import utcnow

from .leases import RunLease
from .sources import id_collision

USER = "harvest"
COUNT_KEYS = ("new", "updated", "unchanged", "deleted", "failed", "conflicts")


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


class _Rollback(Exception):
    """Raised inside a dry run's page transaction to undo it."""


class Applier:
    """Applies pages of items of one source to the catalogue and keeps the run's counts."""

    def __init__(self, cat: Catalogue, source: Source, run_id: int, dry_run: bool, lease: RunLease):
        self.cat, self.source, self.run_id, self.dry_run, self.lease = cat, source, run_id, dry_run, lease
        self.ledger = cat.harvests
        self.counts = dict.fromkeys(COUNT_KEYS, 0)
        self.unmapped: Counter[str] = Counter()
        self.notices: list[str] = []  # about the run as a whole, logged with its errors

    def page(self, items: list[Item], state: dict[str, Any], finish: Finish | None = None) -> None:
        """Apply a page of list `state` and save its errors and where to resume, in one
        transaction, so a kill can lose neither (in a dry run the records are rolled back, the
        errors kept). The last page of a list also `finish`es it in that transaction."""
        errors: list[tuple[str | None, str]] = []
        try:
            with self.cat.transaction():
                self.lease.renew()  # a run that lost its lease stores nothing more
                for item in items:
                    self.item(item, errors, state.get("list_id"))
                if self.dry_run:
                    raise _Rollback
                if finish is not None and finish.sweep:
                    self.sweep(finish.sweep)
                self.ledger.add_errors(self.run_id, errors)
                self.ledger.save_progress(self.source.name, state if state.get("token") else None,
                                          checkpoint=finish.checkpoint if finish else None,
                                          last_success=utcnow() if finish else None)
                self.ledger.update_run(self.run_id, self.counts)
        except _Rollback:
            self.ledger.add_errors(self.run_id, errors)

    def item(self, item: Item, errors: list[tuple[str | None, str]], list_id: str | None = None) -> None:
        if not item.identifier:
            self.counts["failed"] += 1
            errors.append((None, "a record without an identifier was skipped"))
            return
        if list_id:  # seen, even if it fails below: a complete list must not retire it
            self.ledger.mark_seen(self.source.name, item.identifier, list_id, self.source.set_spec)
        errors.extend((item.identifier, w) for w in item.warnings)
        self.unmapped.update(item.unmapped_types)
        try:
            if item.deleted:
                self._delete(item)
            elif item.data is None:
                raise CatalogueError(item.problem or "the record could not be mapped")
            else:
                self._upsert(item, errors)
        except ValidationError as error:
            self.counts["failed"] += 1
            errors.append((item.identifier, "not valid after mapping: " + str(error)))
        except CatalogueError as error:
            self.counts["failed"] += 1
            errors.append((item.identifier, str(error)))

    def _lookup(self, identifier: str) -> tuple[Any, Harvested | None]:
        seen = self.ledger.harvested(self.source.name, identifier)
        existing = self.ledger.record_of(self.source.name, identifier)
        if existing is None and seen is not None:
            existing = self.cat.current(seen.record_id)
        return existing, seen

    def _remember(self, item: Item, record_id: str, revision: int, digest: str) -> None:
        self.ledger.set_harvested(Harvested(self.source.name, item.identifier, record_id, revision, digest,
                                            item.datestamp))

    def _pending(self, item: Item, record_id: str, action: str, data: dict[str, Any] | None) -> None:
        self.ledger.add_pending(record_id, self.source.name, item.identifier, action, data, item.datestamp)
        self.counts["conflicts"] += 1

    def _upsert(self, item: Item, errors: list[tuple[str | None, str]]) -> None:
        """Check the record once (the service's one check), then create, update, keep it
        pending or leave it: what is stored is what was checked; a new record whose upstream
        id is taken here follows the source's id_collision policy."""
        existing, seen = self._lookup(item.identifier)
        if existing is None and (linked := self._taken_id(item, errors)) is not None:
            existing = linked  # the link policy: the local record stands for the upstream one
        record_id = existing.id if existing else self._new_id(item)
        data = self.cat.check(dict(item.data or {}, id=record_id), origin="harvest")
        digest = content_hash(data)
        message = f"harvested from {self.source.name}"
        if existing is None:
            if self.cat.current(record_id) is not None:
                raise AlreadyExists(f"the id {record_id!r} is taken by a record of another origin")
            stored = self.cat.store_checked(data, user=USER, message=message, origin="harvest")
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
            stored = self.cat.store_checked(data, current=self.cat.live(existing.id), user=USER, message=message,
                                            origin="harvest")
            self._remember(item, existing.id, stored["revision"], digest)
            self.counts["updated" if stored["revision"] != existing.revision else "unchanged"] += 1

    def _taken_id(self, item: Item, log: list[tuple[str | None, str]]) -> Any:
        """A new upstream record whose upstream id another record holds here: what the
        source's policy (`harvest.sources.ID_COLLISION`) says. ``link``: that record, which
        stands for it from now on (its upstream content waits for review); ``refuse``: an
        error, nothing stored; ``rename``: None, the id derives from the source. Each is
        logged with the run and remembered for both records' pages."""
        upstream = item.upstream_id
        if not upstream or not records.is_valid_id(upstream):
            return None
        holder = self.cat.current(upstream)
        if holder is None:
            return None
        policy = id_collision(self.source.settings)
        kept = {"link": upstream, "rename": harvest_id(self.source.name, item.identifier), "refuse": None}[policy]
        self.ledger.set_collision(IdCollision(self.source.name, item.identifier, upstream, kept, policy,
                                              self.run_id, utcnow()))
        said = f"the upstream id {upstream!r} is taken here by another record (id_collision = {policy})"
        if policy == "refuse":
            raise CatalogueError(f"{said}: not harvested")
        log.append((item.identifier, f"{said}: linked to that record; its upstream content waits "
                                      "for review" if policy == "link" else f"{said}: stored as {kept!r}"))
        return holder if policy == "link" else None

    def _new_id(self, item: Item) -> str:
        """A mirrored catalogue keeps the upstream id when it is free; otherwise (and for
        Dublin Core) the id derives from (source, identifier), the same on every run."""
        upstream = item.upstream_id
        if upstream and records.is_valid_id(upstream) and self.cat.current(upstream) is None:
            return upstream
        return harvest_id(self.source.name, item.identifier)

    def sweep(self, list_id: str) -> None:
        """Retire the records a complete list no longer holds (the provider keeps no deleted
        records): tombstones, or pending deletions where they were edited here."""
        for identifier in self.ledger.unseen(self.source.name, list_id, self.source.set_spec):
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
        return [(None, f"dc:type {value!r} is not mapped to a record type "
                       f"({counted(count, 'record')}; kept in their notes)")
                for value, count in self.unmapped.most_common()]
