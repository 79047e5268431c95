"""Place authorities in the store: each place's current row and its full revision history,
and the records linked to a place (the `place_id` column of `records`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import jsontext
from ..errors import AlreadyExists, NotFound, StaleRevision
from ..timestamps import utcnow
from . import Store
from .backend import Row


@dataclass(frozen=True)
class PlaceRevision:
    """One stored revision of a place: who changed it, when and why."""

    place_id: str
    revision: int
    data: dict[str, Any]
    user: str
    message: str
    at: str

    @classmethod
    def from_row(cls, row: Row) -> PlaceRevision:
        return cls(row["place_id"], row["revision"], jsontext.loads(row["data"]), row["user"], row["message"],
                   row["at"])


class PlaceStore:
    """The SQL of place authorities, over the catalogue's store."""

    def __init__(self, store: Store):
        self.store = store

    def get(self, place_id: str) -> dict[str, Any] | None:
        """The current content of a place (with its revision and dates); None when unknown."""
        row = self.store.conn.execute("SELECT data FROM places WHERE id = ?", (place_id,)).fetchone()
        return jsontext.loads(row[0]) if row else None

    def all(self) -> list[dict[str, Any]]:
        """Every place, in id order (an authority list stays small: thousands, not millions)."""
        return [jsontext.loads(row[0]) for row in self.store.conn.execute("SELECT data FROM places ORDER BY id")]

    def history(self, place_id: str) -> list[PlaceRevision]:
        """Every revision of a place, oldest first."""
        rows = self.store.conn.execute("SELECT * FROM place_revisions WHERE place_id = ? ORDER BY revision",
                                       (place_id,)).fetchall()
        return [PlaceRevision.from_row(r) for r in rows]

    def write(self, data: dict[str, Any], *, base_revision: int | None, user: str, message: str) -> dict[str, Any]:
        """Store a new revision of a place (a new place when `base_revision` is None; -1
        skips the stale check) in one transaction; the stored content."""
        place_id = data["id"]
        with self.store.transaction() as conn:
            row = conn.execute("SELECT revision, created FROM places WHERE id = ?", (place_id,)).fetchone()
            now = utcnow()
            if base_revision is None:
                if row is not None:
                    raise AlreadyExists(f"place id {place_id!r} is taken")
                revision, created = 1, now
            else:
                if row is None:
                    raise NotFound(f"no place with id {place_id!r}", "place", id=place_id)
                if base_revision not in (-1, row["revision"]):
                    raise StaleRevision(place_id, base_revision, row["revision"])
                revision, created = row["revision"] + 1, row["created"]
            stored = dict(data, created=created, modified=now, revision=revision)
            text = jsontext.dumps(stored, sort_keys=True)
            conn.execute('INSERT INTO place_revisions (place_id, revision, data, "user", message, at)'
                         " VALUES (?, ?, ?, ?, ?, ?)", (place_id, revision, text, user, message, now))
            conn.execute("INSERT INTO places (id, revision, data, created, modified) VALUES (?, ?, ?, ?, ?)"
                         " ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, data = excluded.data,"
                         " modified = excluded.modified", (place_id, revision, text, created, now))
        return stored

    def linked(self, place_id: str) -> list[str]:
        """Ids of the live records (withheld ones too: edits reach them) linked to a place."""
        rows = self.store.conn.execute("SELECT id FROM records WHERE place_id = ? AND deleted = 0 ORDER BY id",
                                       (place_id,))
        return [row[0] for row in rows]

    def unlinked_names(self) -> list[tuple[str, str]]:
        """(record id, place name) of each live record whose place has a name but no place id."""
        rows = self.store.conn.execute(
            "SELECT id, place_name FROM records WHERE deleted = 0 AND place_id IS NULL AND place_name IS NOT NULL"
            " ORDER BY id")
        return [(row[0], row[1]) for row in rows]
