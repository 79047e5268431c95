"""The sources that public records cite, read for the record form's "reuse a source from
another record": one row per distinct source (citation and URL), with how many records cite
it. The matching by words is the caller's: it folds case and accents in every script, which
SQLite's LIKE does for ASCII only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from . import Store


def cited_sources(store: Store) -> Iterator[tuple[str, str, dict[str, Any], int]]:
    """(first record id, its title, the source as it cites it, how many records cite it) of
    every distinct source of the public records."""
    rows = store.conn.execute(
        "SELECT MIN(r.id), r.title, s.value, COUNT(DISTINCT r.id) FROM records r, json_each(r.data, '$.sources') s"
        " WHERE r.deleted = 0 AND r.withheld = 0 AND s.type = 'object'"
        " GROUP BY json_extract(s.value, '$.citation'), COALESCE(json_extract(s.value, '$.url'), '')")
    for record_id, title, value, count in rows:  # SQLite takes title and value from the MIN(id) row
        yield record_id, title or record_id, json.loads(value), count
