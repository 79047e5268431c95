"""Aggregate queries for the statistics page: public records (live, their current revision
not withheld) counted by place and century, and the items group records state, by type."""

from __future__ import annotations

from collections import Counter

from ..centuries import century_of
from . import Store


def by_place(store: Store, limit: int = 20) -> dict[str, int]:
    """Public records per place name, most first."""
    rows = store.conn.execute(
        "SELECT place_name, COUNT(*) FROM records"
        " WHERE deleted = 0 AND withheld = 0 AND place_name IS NOT NULL GROUP BY place_name ORDER BY 2 DESC, 1 LIMIT ?",
        (limit,),
    )
    return {row[0]: row[1] for row in rows}


def by_century(store: Store) -> tuple[dict[int, int], int]:
    """Public records per century their period overlaps (in century order), and how many
    records have no period."""
    counts: Counter[int] = Counter()
    undated = 0
    rows = store.conn.execute(
        "SELECT period_start, period_end, COUNT(*) FROM records WHERE deleted = 0 AND withheld = 0 GROUP BY 1, 2"
    )
    for start, end, number in rows:
        if start is None and end is None:
            undated += number
            continue
        first = century_of(start if start is not None else end)
        last = century_of(end if end is not None else start)
        for century in range(first, last + 1):
            if century != 0:
                counts[century] += number
    return dict(sorted(counts.items())), undated


def items_by_type(store: Store) -> dict[str, int]:
    """Items stated by public group records, per type (records without a quantity count none,
    as in `Store.counts`)."""
    rows = store.conn.execute(
        "SELECT type, SUM(quantity) FROM records"
        " WHERE deleted = 0 AND withheld = 0 AND quantity IS NOT NULL GROUP BY type ORDER BY 2 DESC, 1"
    )
    return {row[0]: int(row[1]) for row in rows}  # PostgreSQL sums a BIGINT column as NUMERIC


def place_count(store: Store) -> int:
    """How many different place names public records have (the place chart shows the first)."""
    return store.conn.execute(
        "SELECT COUNT(DISTINCT place_name) FROM records WHERE deleted = 0 AND withheld = 0 AND place_name IS NOT NULL"
    ).fetchone()[0]
