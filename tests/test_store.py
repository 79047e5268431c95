"""The store through the Python API, on both backends (SQLite and PostgreSQL, `store_url`):
revisions, optimistic concurrency, tombstones, restore, change sequence, backup, migrations,
and 4 processes on 2 nodes writing at once."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from catalogue.errors import AlreadyExists, CatalogueError, Gone, NotFound, StaleRevision, ValidationError
from catalogue.service import Catalogue
from catalogue.store.db import MIGRATIONS, SCHEMA_VERSION
from tests.recordsamples import make_record

pytestmark = pytest.mark.own_store  # each test runs on both stores (`store_url`) or on a SQLite file


@pytest.fixture
def cat(tmp_path: Path, store_url: str | None) -> Catalogue:
    with Catalogue(tmp_path / "data", database_url=store_url) as catalogue:
        yield catalogue


def test_create_sets_system_fields_and_first_revision(cat: Catalogue) -> None:
    record = cat.create(make_record(), user="ana", message="first entry")
    assert record["id"].startswith("test-school-")
    assert record["revision"] == 1 and record["created"] == record["modified"]
    assert record["created"].endswith("Z") and len(record["created"]) == 20
    [rev] = cat.history(record["id"])
    assert (rev.user, rev.message, rev.action, rev.origin) == ("ana", "first entry", "create", "manual")


def test_update_keeps_every_revision(cat: Catalogue) -> None:
    first = cat.create(make_record(id="r1"))
    second = cat.update("r1", dict(first, title="Renamed school"), base_revision=1, user="bo", message="typo")
    assert second["revision"] == 2 and second["created"] == first["created"]
    assert cat.get("r1", revision=1)["title"] == "Test school"
    assert cat.get("r1")["title"] == "Renamed school"
    assert [r.message for r in cat.history("r1")] == ["created", "typo"]


def test_stale_update_is_refused_and_loses_nothing(cat: Catalogue) -> None:
    base = cat.create(make_record(id="r1"))
    cat.update("r1", dict(base, title="First editor"), base_revision=1)
    with pytest.raises(StaleRevision) as info:
        cat.update("r1", dict(base, title="Second editor"), base_revision=1)
    assert info.value.current == 2 and "revision 2" in str(info.value)
    assert cat.get("r1")["title"] == "First editor"
    assert len(cat.history("r1")) == 2


@pytest.mark.parametrize("base", [2, 99])
def test_update_based_on_a_revision_that_never_existed_is_refused(cat: Catalogue, base: int) -> None:
    record = cat.create(make_record(id="r1"))
    with pytest.raises(StaleRevision) as info:
        cat.update("r1", dict(record, title="From the future"), base_revision=base)
    assert info.value.current == 1
    with pytest.raises(StaleRevision):
        cat.delete("r1", reason="from the future", base_revision=base)
    assert cat.get("r1")["title"] == "Test school" and len(cat.history("r1")) == 1


def test_unchanged_update_makes_no_revision(cat: Catalogue) -> None:
    base = cat.create(make_record(id="r1"))
    again = cat.update("r1", base, base_revision=1)
    assert again["revision"] == 1 and len(cat.history("r1")) == 1


def test_invalid_update_changes_nothing(cat: Catalogue) -> None:
    base = cat.create(make_record(id="r1"))
    with pytest.raises(ValidationError) as info:
        cat.update("r1", dict(base, type="spaceport"), base_revision=1)
    assert info.value.errors[0].path == "type"
    assert cat.get("r1")["type"] == "school"


def test_id_cannot_change_on_update(cat: Catalogue) -> None:
    base = cat.create(make_record(id="r1"))
    with pytest.raises(ValidationError, match="cannot change the id"):
        cat.update("r1", dict(base, id="r2"), base_revision=1)


def test_tombstone_keeps_id_history_and_reason(cat: Catalogue) -> None:
    cat.create(make_record(id="r1"))
    cat.delete("r1", reason="duplicate of r2", user="ana")
    with pytest.raises(Gone) as info:
        cat.get("r1")
    assert info.value.reason == "duplicate of r2"
    assert cat.get("r1", revision=1)["title"] == "Test school"
    assert [r.action for r in cat.history("r1")] == ["create", "delete"]
    with pytest.raises(AlreadyExists, match="never reused"):
        cat.create(make_record(id="r1"))
    with pytest.raises(Gone):
        cat.update("r1", make_record(), base_revision=2)
    assert cat.store.counts()["records"] == 0 and cat.store.counts()["deleted"] == 1


def test_delete_needs_a_reason(cat: Catalogue) -> None:
    cat.create(make_record(id="r1"))
    with pytest.raises(CatalogueError, match="reason"):
        cat.delete("r1", reason="  ")


def test_restore_deleted_record_and_old_revision(cat: Catalogue) -> None:
    base = cat.create(make_record(id="r1"))
    cat.update("r1", dict(base, title="Wrong title"), base_revision=1)
    cat.delete("r1", reason="mistake")
    restored = cat.restore("r1", user="ana")
    assert restored["revision"] == 4 and restored["title"] == "Wrong title"
    back = cat.restore("r1", revision=1, user="ana")
    assert back["title"] == "Test school" and back["revision"] == 5
    assert cat.history("r1")[-1].message == "restored revision 1"
    with pytest.raises(CatalogueError, match="not deleted"):
        cat.restore("r1")


def test_unknown_ids(cat: Catalogue) -> None:
    for call in (lambda: cat.get("nope"), lambda: cat.history("nope"), lambda: cat.get("nope", revision=1),
                 lambda: cat.delete("nope", reason="x"), lambda: cat.restore("nope")):
        with pytest.raises(NotFound):
            call()
    cat.create(make_record(id="r1"))
    with pytest.raises(NotFound, match="no revision 7"):
        cat.get("r1", revision=7)


def test_get_many_reads_the_rows_of_many_ids_at_once(cat: Catalogue) -> None:
    """A page of search hits reads its records in one query: tombstones and withheld rows
    come back (the caller decides what is public), unknown ids do not, and any number of ids
    can be asked for (more than SQLite's bound-variable limit of old)."""
    for record_id in ("a", "b.1", "c_2", "d"):
        cat.create(make_record(id=record_id))
    cat.delete("d", reason="duplicate")
    cat.withhold("a", 1, reason="a private owner's address")
    odd = ["b'); DROP TABLE records; --", "ç\"ü", "x\x00", "%s", ":id", "?"]
    asked = [f"unknown-{i}" for i in range(1200)] + odd + ["d", "c_2", "a", "a", "b.1"]
    found = cat.store.get_many(asked)
    assert set(found) == {"a", "b.1", "c_2", "d"}
    assert found["d"].deleted and found["a"].withheld and not found["c_2"].hidden
    assert found["c_2"] == cat.store.get("c_2")
    assert cat.store.get_many([]) == {} and cat.store.get_many(odd) == {}
    assert set(cat.public_records(asked)) == {"b.1", "c_2"}


def test_change_sequence_reports_what_changed(cat: Catalogue) -> None:
    cat.create(make_record(id="a"))
    cat.create(make_record(id="b"))
    mark = cat.store.last_seq()
    cat.delete("a", reason="test")
    changed = cat.store.changed_since(mark)
    assert [(r.id, r.deleted) for r in changed] == [("a", True)]
    assert cat.store.changed_since(cat.store.last_seq()) == []


def test_backup_is_a_consistent_sqlite_copy(cat: Catalogue, tmp_path: Path) -> None:
    cat.create(make_record(id="a"))
    target = tmp_path / "backup.sqlite3"
    cat.backup(target)
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT id, revision FROM records").fetchall() == [("a", 1)]
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()


def test_pragmas_and_schema_version(tmp_path: Path) -> None:
    with Catalogue(tmp_path / "data") as cat:
        conn = cat.store.conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_newer_store_is_refused(tmp_path: Path, store_url: str | None) -> None:
    with Catalogue(tmp_path / "d", database_url=store_url) as cat:
        assert cat.store.backend.schema_version(cat.store.conn) == SCHEMA_VERSION
        with cat.store.transaction() as conn:
            cat.store.backend.set_schema_version(conn, SCHEMA_VERSION + 1)
    with pytest.raises(RuntimeError, match="newer release"):
        Catalogue(tmp_path / "d", database_url=store_url)



def _columns(cat: Catalogue) -> dict[str, list[str]]:
    """Every table of a store with its columns, in order."""
    conn = cat.store.conn
    found = {}
    for table in sorted(cat.store.backend.tables(conn)):
        cursor = conn.execute(f"SELECT * FROM {table} LIMIT 0")
        found[table] = [column[0] for column in cursor.description]
        cursor.fetchall()
    return found


def test_both_stores_hold_the_same_tables_and_columns(tmp_path: Path, postgres) -> None:
    """Each PostgreSQL migration matches the SQLite one of its number: after all of them
    (import mappings and uploads of migration 8 included) the tables and columns agree."""
    url = postgres.fresh_url()
    try:
        with Catalogue(tmp_path / "lite") as lite, Catalogue(tmp_path / "pg", database_url=url) as pg:
            assert _columns(lite) == _columns(pg)
            assert {"import_mappings", "import_uploads"} <= set(_columns(pg))
    finally:
        postgres.drop(url)

WRITER = textwrap.dedent(
    """
    import sys
    from catalogue.errors import StaleRevision
    from catalogue.service import Catalogue
    from tests.recordsamples import make_record

    data_dir, url, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    cat = Catalogue(data_dir, database_url=url, with_index=False)
    for i in range(count):
        cat.create(make_record(id=f"{name}-{i}", title=f"{name} {i}"), user=name)
        while True:  # every process edits one shared record; a stale base is refused, then retried
            current = cat.get("shared")
            subjects = current.get("subjects", []) + [f"{name}-{i}"]
            try:
                cat.update("shared", dict(current, subjects=subjects), base_revision=current["revision"], user=name)
                break
            except StaleRevision:
                continue
    cat.close()
    """
)


def shared_url(tmp_path: Path, store_url: str | None) -> str:
    """The one store several nodes share: the PostgreSQL schema, or one SQLite file."""
    return store_url or f"sqlite:///{tmp_path / 'shared.sqlite3'}"


def test_four_processes_on_two_nodes_writing_at_once_lose_nothing(tmp_path: Path, store_url: str | None) -> None:
    """Two nodes (each its own data directory, one shared store), four writer processes each:
    every create and every accepted update of the shared record is kept, none is lost."""
    url = shared_url(tmp_path, store_url)
    with Catalogue(tmp_path / "node-a", database_url=url, with_index=False) as cat:
        cat.create(make_record(id="shared"))
        start = cat.last_change()
    count, writers = 12, [(node, f"{node}{n}") for node in ("a", "b") for n in range(4)]
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / f"node-{node}"), url, name, str(count)],
                         cwd=Path(__file__).resolve().parent.parent, stderr=subprocess.PIPE, text=True)
        for node, name in writers
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    expected = sorted(f"{name}-{i}" for _, name in writers for i in range(count))
    with Catalogue(tmp_path / "node-b", database_url=url, with_index=False) as cat:
        assert cat.store.counts()["records"] == len(expected) + 1
        shared = cat.get("shared")
        assert sorted(shared["subjects"]) == expected
        assert shared["revision"] == len(expected) + 1
        assert [r.revision for r in cat.history("shared")] == list(range(1, len(expected) + 2))
        changed = cat.store.changed_since(start, limit=10_000)  # every record once, in change order
        assert sorted(r.id for r in changed) == sorted([*expected, "shared"])
        assert [r.seq for r in changed] == sorted(r.seq for r in changed)
        assert cat.last_change() == start + 2 * len(expected)


def test_a_stale_update_from_another_node_is_refused(tmp_path: Path, store_url: str | None) -> None:
    url = shared_url(tmp_path, store_url)
    with Catalogue(tmp_path / "a", database_url=url) as a, Catalogue(tmp_path / "b", database_url=url) as b:
        record = a.create(make_record(id="r1"))
        seen_by_b = b.get("r1")
        a.update("r1", dict(record, title="Edited on node A"), base_revision=1)
        with pytest.raises(StaleRevision):
            b.update("r1", dict(seen_by_b, title="Edited on node B"), base_revision=seen_by_b["revision"])
        assert b.get("r1")["title"] == "Edited on node A"
        assert b.search("edited").total == 1  # node B's own index caught up with node A's edit


def test_old_data_directory_is_upgraded_in_place(tmp_path: Path) -> None:
    """A data directory of schema 1 (the first release) gains every later migration and keeps its records."""
    (tmp_path / "d").mkdir()
    conn = sqlite3.connect(tmp_path / "d" / "catalogue.sqlite3")
    conn.executescript(MIGRATIONS[0])
    record = json.dumps({**make_record(id="kept", quantity=3, quantity_sources=["s1"]), "revision": 1})
    conn.execute("INSERT INTO revisions (record_id, revision, action, data, user, origin, at)"
                 " VALUES ('kept', 1, 'create', ?, 'old', 'manual', '2025-01-01T00:00:00Z')", (record,))
    conn.execute("INSERT INTO records (id, revision, data, type, status, title, created, modified, seq)"
                 " VALUES ('kept', 1, ?, 'school', 'destroyed', 'Test school', '2025-01-01T00:00:00Z',"
                 " '2025-01-01T00:00:00Z', 1)", (record,))
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Catalogue(tmp_path / "d", with_index=False) as cat:
        assert cat.store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        names = {r[0] for r in cat.store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"records_type", "records_status", "records_source_name", "records_quantity"} <= names
        assert cat.get("kept")["title"] == "Test school"
        assert cat.store.counts()["group_items"] == 3
