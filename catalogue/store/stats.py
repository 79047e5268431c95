"""Aggregate queries for the statistics page: live records counted by place and century,
and items (group quantities summed) by type."""

from __future__ import annotations

from collections import Counter

from . import Store


def century(year: int) -> int:
    """The century of a year: 1301 -> 14, 1300 -> 13, -50 -> -1 (1st century BCE)."""
    return (year - 1) // 100 + 1 if year > 0 else -((-year) // 100 + 1)


def by_place(store: Store, limit: int = 20) -> dict[str, int]:
    """Live records per place name, most first."""
    rows = store.conn.execute(
        "SELECT json_extract(data, '$.place.name') AS place, COUNT(*) FROM records"
        " WHERE deleted = 0 AND place IS NOT NULL GROUP BY place ORDER BY 2 DESC, 1 LIMIT ?",
        (limit,),
    )
    return {row[0]: row[1] for row in rows}


def by_century(store: Store) -> tuple[dict[int, int], int]:
    """Live records per century their period overlaps (in century order), and how many
    records have no period."""
    counts: Counter[int] = Counter()
    undated = 0
    rows = store.conn.execute(
        "SELECT json_extract(data, '$.period.start'), json_extract(data, '$.period.end') FROM records"
        " WHERE deleted = 0"
    )
    for start, end in rows:
        if start is None and end is None:
            undated += 1
            continue
        first, last = century(start if start is not None else end), century(end if end is not None else start)
        counts.update(c for c in range(first, last + 1) if c != 0)
    return dict(sorted(counts.items())), undated


def items_by_type(store: Store) -> dict[str, int]:
    """Items per type among live records (a group record counts its quantity)."""
    rows = store.conn.execute(
        "SELECT type, SUM(COALESCE(json_extract(data, '$.quantity'), 1)) FROM records"
        " WHERE deleted = 0 GROUP BY type ORDER BY 2 DESC, 1"
    )
    return {row[0]: row[1] for row in rows}
