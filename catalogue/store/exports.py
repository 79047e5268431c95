"""The query of bulk exports: live records filtered by type and status, streamed in id
order in batches so that an export of any size runs in bounded memory."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from . import Store


def live_records(store: Store, *, types: Sequence[str] = (), statuses: Sequence[str] = (),
                 batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every live record whose type is one of `types` and status one of `statuses`
    (an empty list: any), in id order; none whose current revision is withheld."""
    where, params = ["deleted = 0", "withheld = 0", "id > ?"], []
    for column, values in (("type", types), ("status", statuses)):
        if values:
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    sql = f"SELECT id, data FROM records WHERE {' AND '.join(where)} ORDER BY id LIMIT ?"  # noqa: S608
    last = ""
    while True:
        rows = store.conn.execute(sql, (last, *params, batch)).fetchall()
        if not rows:
            return
        for row in rows:
            yield json.loads(row[1])
        last = rows[-1][0]
