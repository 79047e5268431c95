"""What the catalogue publishes to other archives over OAI-PMH: every record in (datestamp,
id) order, tombstones included, windowed by from/until and sets and listed as of a
snapshot of the change sequence (see `catalogue.store.published`). The provider
(`catalogue.oai`) reads it through `Catalogue.published`; the SQL stays in the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..store import Store
from ..store import published as queries
from ..store.published import Item, Window
from .memo import UntilChange

__all__ = ["Item", "PublishedRecords", "Window"]


class PublishedRecords:
    """The records of one store as OAI-PMH shows them; a record whose current revision is
    withheld from the public is shown as deleted, with no data."""

    def __init__(self, store: Store):
        self.store = store
        #: List sizes and set values, counted once for each change number.
        self._figures = UntilChange()

    @contextmanager
    def snapshot_read(self) -> Iterator[None]:
        """A read transaction: every read inside sees the same state of the catalogue."""
        with queries.read_snapshot(self.store):
            yield

    def snapshot(self) -> int:
        """The newest change number: a list is served as of this point."""
        return queries.snapshot(self.store)

    def page(self, window: Window, *, after: tuple[str, str] | None, snapshot: int, limit: int) -> list[Item]:
        """Up to `limit` records of the window after position `after` (datestamp, id), as
        they were at change number `snapshot`."""
        return queries.page(self.store, window, after=after, snapshot=snapshot, limit=limit)

    def count(self, window: Window, snapshot: int) -> int:
        """How many records the window holds at `snapshot`, taken in the same `snapshot_read`
        block; a size counted at it before is reused (`UntilChange`: at 1,000,000 records a
        count of the whole list took 60 ms)."""
        return self._figures.get(snapshot, window, lambda: queries.count(self.store, window))

    def item(self, record_id: str) -> Item | None:
        """The current state of one record, tombstone or not; None for an unknown id."""
        return queries.item(self.store, record_id)

    def earliest_datestamp(self) -> str | None:
        """The oldest datestamp of any record (tombstones included); None when empty."""
        return queries.earliest_datestamp(self.store)

    def set_values(self) -> dict[str, dict[str, int]]:
        """For each set kind, the values records (tombstones included) have and how many:
        counted once for each change number (0.5 s at 1,000,000 records); read-only."""
        return self._figures.get(self.snapshot(), "sets", lambda: queries.set_values(self.store))
