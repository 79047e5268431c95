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
    backend = store.backend
    each, is_object = backend.json_objects("r.data", "sources", "s")
    citation, url = backend.json_text("s.value", "citation"), backend.json_text("s.value", "url")
    rows = store.conn.execute(  # the engine's own SQL fragments only, no value from outside
        f"SELECT MIN(r.id), {backend.first_of('r.title', 'r.id')}, {backend.first_of('s.value', 'r.id')},"  # noqa: S608
        f" COUNT(DISTINCT r.id) FROM records r, {each} WHERE r.deleted = 0 AND r.withheld = 0 AND {is_object}"
        f" GROUP BY {citation}, COALESCE({url}, '')")
    for record_id, title, value, count in rows:  # title and value of the MIN(id) row
        yield record_id, title or record_id, json.loads(value), count
