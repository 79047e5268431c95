"""The sources that public records cite, read for the record form's "reuse a source from
another record": one row per (record, source). The matching is the caller's: it folds case
and accents in every script, which SQLite's LIKE does for ASCII only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from . import Store


def cited_sources(store: Store) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(record id, record title, source) of every source of the public records, by record id."""
    rows = store.conn.execute(
        "SELECT r.id, r.title, s.value FROM records r, json_each(r.data, '$.sources') s"
        " WHERE r.deleted = 0 AND r.withheld = 0 ORDER BY r.id, s.key")
    for record_id, title, value in rows:
        source = json.loads(value)
        if isinstance(source, dict):
            yield record_id, title or record_id, source
