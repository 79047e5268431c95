"""The rules every write shares, whichever door it comes through: how a new record is
checked (`prepare_new`, the one validation of `catalogue validate`, `import` and its dry
run, the record form and the API), which provenance the server sets, and when a withheld
record may be written over."""

from __future__ import annotations

from typing import Any

from .. import records
from ..errors import Withheld
from ..store import StoredRecord

#: Write origins whose `provenance` the server sets, whatever the writer sends: a record
#: created through the write API is `manual`, and an edit keeps the stored provenance, so
#: no token can pass a record off as harvested or take over a harvested record's
#: identifier. (Imports and harvests state where their records came from; the web form
#: has no provenance inputs.)
SERVER_PROVENANCE = ("api",)


def content(data: dict[str, Any]) -> dict[str, Any]:
    """A record without the fields the store maintains, for change detection."""
    return {k: v for k, v in data.items() if k not in records.SYSTEM_FIELDS}


def prepare_new(record: Any, *, origin: str = "manual") -> dict[str, Any]:
    """A new record as it would be stored, or ValidationError listing every problem: an id
    made from the title when it has none, the server's provenance for origins that may not
    state one, then normalised, derived fields set (fields the store maintains dropped) and
    validated by `records.prepare`."""
    if isinstance(record, dict) and not record.get("id"):
        record = dict(record, id=records.new_id(str(record.get("title") or "")))
    if isinstance(record, dict) and origin in SERVER_PROVENANCE:
        record = dict(record, provenance={"origin": "manual"})
    return records.prepare(record)


def check_not_withheld(current: StoredRecord, allowed: bool) -> None:
    """Refuse to write over a record whose current revision is withheld, unless allowed:
    the new revision would be public, so an admin decides."""
    if current.withheld and not allowed:
        raise Withheld(current.id, current.revision, True)
