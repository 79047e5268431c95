"""Which store a URL names, and its versioned schema migrations.

``CATALOGUE_DATABASE_URL`` unset (or ``sqlite:///…``) is one SQLite file; ``postgresql://…``
is a PostgreSQL database shared by several web nodes. Both number their migrations the same
way (SQLite in ``PRAGMA user_version``, PostgreSQL in a ``schema_version`` table), so a later
release upgrades either in place, and one process migrates while the others wait.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import CatalogueError
from .backend import Backend, Connection
from .sqlite import MIGRATIONS, SQLiteBackend

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate", "open_backend", "statements", "undo"]

log = logging.getLogger(__name__)

#: The schema version of this release (the same number on every backend).
SCHEMA_VERSION = len(MIGRATIONS)


def open_backend(url: str | Path) -> Backend:
    """The backend a store URL names: ``sqlite:///relative/file``, ``sqlite:////absolute/file``
    or a plain file path for SQLite; ``postgresql://user@host/db`` (or ``postgres://``) for
    PostgreSQL. CatalogueError for anything else, or when the PostgreSQL driver is missing."""
    text = str(url)
    if isinstance(url, Path) or "://" not in text:
        return SQLiteBackend(Path(text))
    scheme, _, rest = text.partition("://")
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise CatalogueError(f"a SQLite store URL names a file: sqlite:///relative/path or "
                                 f"sqlite:////absolute/path, not {text!r}")
        return SQLiteBackend(Path(rest[1:]))
    if scheme in ("postgresql", "postgres"):
        try:
            from .postgresql import PostgreSQLBackend  # optional: psycopg comes with the [postgresql] extra
        except ImportError as error:
            raise CatalogueError(
                "CATALOGUE_DATABASE_URL names a PostgreSQL store, but its driver is not installed "
                f"({error.name} is missing): pip install 'heritage-catalogue[postgresql]'") from None
        return PostgreSQLBackend(text)
    raise CatalogueError(f"unknown kind of store {scheme + '://'!r}: CATALOGUE_DATABASE_URL starts with "
                         "sqlite:/// or postgresql://")


def statements(script: str) -> list[str]:
    """The statements of a migration (no statement of ours holds a semicolon)."""
    return [part for part in script.split(";") if part.strip()]


def undo(conn: Connection, statement: str = "ROLLBACK") -> None:
    """Roll back after a failed write without hiding why it failed: the engine may have
    rolled the transaction back itself (SQLite does on a full disk), and then ROLLBACK fails too."""
    if not conn.in_transaction:
        return
    try:
        conn.execute(statement)
    except Exception as error:  # the first error is the one to report; this one is logged
        log.warning("could not roll back after a failed write: %s", error)


def migrate(backend: Backend, conn: Connection) -> int:
    """Apply the migrations this store lacks, each in its own write transaction (so a second
    process starting at the same time waits, then finds the work done)."""
    if len(backend.migrations) != SCHEMA_VERSION:
        raise RuntimeError(f"the {backend.name} migrations are out of step with the schema version")
    version = backend.schema_version(conn)
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"the store {backend.url} was written by a newer release "
                           f"(schema {version} > {SCHEMA_VERSION})")
    for number in range(version, SCHEMA_VERSION):
        backend.begin_write(conn)
        try:
            if backend.schema_version(conn) != number:
                conn.execute("ROLLBACK")  # another process migrated meanwhile
                continue
            for statement in statements(backend.migrations[number]):
                conn.execute(statement)
            backend.set_schema_version(conn, number + 1)
            conn.execute("COMMIT")
        except BaseException:
            undo(conn)
            raise
    return SCHEMA_VERSION
