"""The collection's figures for the home page, the statistics page and `catalogue stats`:
counted by the store once for each change number (`UntilChange`), so read-only; a count
that took longer than the catalogue's ``COUNT_WAIT_MS`` is answered from the change before
while it is counted again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..store import Store
from ..store import stats as store_stats
from .memo import UntilChange

#: Places the statistics list, the most frequent first.
PLACES_LISTED = 20


@dataclass(frozen=True)
class Statistics:
    """The collection counted for the statistics page: `counts` (see `Catalogue.counts`),
    public records per century their period overlaps and how many have no period, the
    items group records state per type, records per place (most first, the first
    `PLACES_LISTED`) and how many places there are in all."""

    counts: dict[str, Any]
    by_century: dict[int, int]
    undated: int
    items_by_type: dict[str, int]
    by_place: dict[str, int]
    places: int


class CollectionFigures:
    """The figures of one store's public records, kept until the next change."""

    def __init__(self, store: Store, wait: float):
        """`wait`: seconds a count may have taken for a request after a change to wait for it."""
        self.store = store
        self._kept = UntilChange(stale_after=wait, after_refresh=store.close_thread)

    def counts(self) -> dict[str, Any]:
        """Public and deleted records, the items group records state, public records by
        type and by status (see `Store.counts`)."""
        return self._kept.get(self.store.last_seq(), "counts", self.store.counts)

    def statistics(self) -> Statistics:
        """The figures of the statistics page, each over the public records."""
        return self._kept.get(self.store.last_seq(), "statistics", self._statistics)

    def _statistics(self) -> Statistics:
        by_century, undated = store_stats.by_century(self.store)
        return Statistics(self.counts(), by_century, undated, store_stats.items_by_type(self.store),
                          store_stats.by_place(self.store, PLACES_LISTED), store_stats.place_count(self.store))
