"""SQL of imports in the web: saved mappings (`import_mappings`) and uploaded files kept
between their preview and their import (`import_uploads`). The same SQL on both stores (the
column `user` quoted: a keyword in PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass

from . import Store, utcnow
from .backend import Row


@dataclass(frozen=True)
class SavedMapping:
    """A mapping of spreadsheet columns an admin saved for everyone's imports."""

    name: str
    text: str
    user: str
    updated: str


@dataclass(frozen=True)
class Upload:
    """An uploaded file with what it is imported with: a mapping (its TOML text, and the
    name of the saved mapping it came from), a sheet and an encoding; `run_id` is its
    latest run in the harvest log."""

    id: int
    token: str
    filename: str
    content: bytes
    mapping: str | None
    mapping_name: str | None
    sheet: str | None
    encoding: str | None
    user: str
    created: str
    run_id: int | None

    @classmethod
    def from_row(cls, row: Row) -> Upload:
        return cls(row["id"], row["token"], row["filename"], bytes(row["content"]), row["mapping"],
                   row["mapping_name"], row["sheet"], row["encoding"], row["user"], row["created"], row["run_id"])


def list_mappings(store: Store) -> list[SavedMapping]:
    rows = store.conn.execute('SELECT name, text, "user", updated FROM import_mappings ORDER BY name')
    return [SavedMapping(*row) for row in rows]


def get_mapping(store: Store, name: str) -> SavedMapping | None:
    row = store.conn.execute('SELECT name, text, "user", updated FROM import_mappings WHERE name = ?',
                             (name,)).fetchone()
    return SavedMapping(*row) if row else None


def put_mapping(store: Store, name: str, text: str, user: str) -> None:
    """Save a mapping under `name`, replacing one of that name."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM import_mappings WHERE name = ?", (name,))
        conn.execute('INSERT INTO import_mappings (name, text, "user", updated) VALUES (?, ?, ?, ?)',
                     (name, text, user, utcnow()))


def delete_mapping(store: Store, name: str) -> bool:
    with store.transaction() as conn:
        return conn.execute("DELETE FROM import_mappings WHERE name = ?", (name,)).rowcount > 0


def add_upload(store: Store, token: str, filename: str, content: bytes, mapping: str | None,
               mapping_name: str | None, sheet: str | None, encoding: str | None, user: str) -> None:
    with store.transaction() as conn:
        conn.execute("INSERT INTO import_uploads (token, filename, content, mapping, mapping_name, sheet, encoding,"
                     ' "user", created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                     (token, filename, content, mapping, mapping_name, sheet, encoding, user, utcnow()))


def get_upload(store: Store, token: str) -> Upload | None:
    row = store.conn.execute("SELECT * FROM import_uploads WHERE token = ?", (token,)).fetchone()
    return Upload.from_row(row) if row else None


def set_upload_run(store: Store, token: str, run_id: int) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE import_uploads SET run_id = ? WHERE token = ?", (run_id, token))


def upload_of_run(store: Store, run_id: int) -> Upload | None:
    row = store.conn.execute("SELECT * FROM import_uploads WHERE run_id = ?", (run_id,)).fetchone()
    return Upload.from_row(row) if row else None


def delete_uploads_before(store: Store, moment: str) -> int:
    """Forget uploads made before `moment` (their runs stay in the harvest log)."""
    with store.transaction() as conn:
        return conn.execute("DELETE FROM import_uploads WHERE created < ?", (moment,)).rowcount
