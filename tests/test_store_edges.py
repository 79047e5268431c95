"""The store's one write at its edges, through the Python API: what each kind of refusal says,
what a revision keeps, what the collection figures count and which records a filtered list
holds. Found untested by mutation testing (tests/mutation/score.py)."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalogue.errors import AlreadyExists, CatalogueError, Gone, NotFound, StaleRevision
from catalogue.service import Catalogue, imports
from catalogue.store import StoredRecord
from catalogue.store.db import MIGRATIONS, SCHEMA_VERSION, undo
from catalogue.store.sqlite import BULK_CACHE_KIB, SQLiteBackend
from tests.recordsamples import make_record


@pytest.fixture
def cat(tmp_path: Path) -> Iterator[Catalogue]:
    with Catalogue(tmp_path / "data") as catalogue:
        yield catalogue


def test_a_taken_id_is_refused_saying_so_and_a_deleted_one_saying_it_is_never_reused(cat: Catalogue) -> None:
    cat.create(make_record(id="r1"))
    with pytest.raises(AlreadyExists) as taken:
        cat.create(make_record(id="r1"))
    assert str(taken.value) == "id 'r1' is taken"
    cat.delete("r1", reason="duplicate")
    with pytest.raises(AlreadyExists) as reused:
        cat.create(make_record(id="r1"))
    assert str(reused.value) == "id 'r1' is taken by a deleted record (ids are never reused)"


def test_a_stale_write_names_both_revisions_and_an_update_of_a_deleted_record_its_reason(cat: Catalogue) -> None:
    first = cat.create(make_record(id="r1"))
    cat.update("r1", dict(first, title="Second"), base_revision=1)
    with pytest.raises(StaleRevision) as stale:
        cat.update("r1", dict(first, title="Third"), base_revision=1)
    assert (stale.value.current, cat.get("r1")["title"]) == (2, "Second")
    cat.delete("r1", reason="a duplicate of r2")
    with pytest.raises(Gone) as gone:
        cat.update("r1", dict(first, title="Back?"), base_revision=3)
    assert gone.value.reason == "a duplicate of r2"
    assert [r.revision for r in cat.history("r1")] == [1, 2, 3]


def test_a_tombstone_keeps_the_reason_and_a_restore_drops_it(cat: Catalogue) -> None:
    cat.create(make_record(id="r1"))
    deleted = cat.delete("r1", reason="destroyed record merged")
    assert (deleted.deleted, deleted.reason, deleted.revision) == (True, "destroyed record merged", 2)
    assert cat.current("r1").reason == "destroyed record merged"
    cat.restore("r1")
    current = cat.current("r1")
    assert (current.deleted, current.reason, current.revision) == (False, None, 3)


def test_each_revision_has_its_own_sequence_number_and_the_newest_is_the_catalogue_s(cat: Catalogue) -> None:
    assert cat.store.last_seq() == 0
    cat.create(make_record(id="a"))
    cat.create(make_record(id="b"))
    first = cat.current("a")
    cat.update("a", dict(cat.get("a"), title="A"), base_revision=1)
    assert cat.current("a").seq > cat.current("b").seq > first.seq
    assert cat.store.last_seq() == cat.current("a").seq == 3
    assert [r.id for r in cat.store.changed_since(0, limit=2)] == ["b", "a"]


def test_the_collection_figures_count_public_records_items_types_and_statuses(cat: Catalogue) -> None:
    cat.create(make_record(id="a", type="tomb", quantity=12, quantity_sources=["s1"]))
    cat.create(make_record(id="b", type="tomb", conditions=[{"status": "damaged", "sources": ["s1"]}]))
    cat.create(make_record(id="c", type="school", quantity=3, quantity_sources=["s1"]))
    cat.create(make_record(id="d", type="school", quantity=100, quantity_sources=["s1"]))
    cat.delete("d", reason="not heritage")
    counts = cat.counts()
    assert (counts["records"], counts["deleted"], counts["group_items"]) == (3, 1, 15)
    assert counts["by_type"] == {"tomb": 2, "school": 1}
    assert counts["by_status"] == {"destroyed": 2, "damaged": 1}
    assert list(counts["by_type"]) == ["tomb", "school"]  # the most common first


def test_filtered_lists_hold_the_public_records_of_the_types_and_statuses_asked(cat: Catalogue) -> None:
    for n, (kind, status) in enumerate([("tomb", "destroyed"), ("school", "damaged"), ("tomb", "damaged"),
                                         ("mosque", "destroyed")]):
        cat.create(make_record(id=f"r{n}", type=kind, conditions=[{"status": status, "sources": ["s1"]}]))
    cat.delete("r3", reason="gone")

    def ids(**filters: list[str]) -> list[str]:
        return [record["id"] for record in cat.live_records(**filters)]

    assert ids() == ["r0", "r1", "r2"]
    assert ids(types=["tomb"]) == ["r0", "r2"]
    assert ids(statuses=["damaged"]) == ["r1", "r2"]
    assert ids(types=["tomb", "school"], statuses=["damaged"]) == ["r1", "r2"]
    assert ids(types=["mosque"]) == []
    assert [r.id for r in cat.store.iter_records(include_deleted=True, batch=2)] == ["r0", "r1", "r2", "r3"]


def test_records_can_be_read_as_their_stored_json_text(cat: Catalogue) -> None:
    """`iter_texts` (what a full index build hands its writer processes) gives each public
    record's JSON as stored, with its revision, in the order and selection of `iter_records`."""
    for n in range(5):
        cat.create(make_record(id=f"r{n}", title=f"Школа № {n}"))
    cat.update("r1", {**cat.get("r1"), "title": "Changed"}, base_revision=1)
    cat.delete("r2", reason="duplicate")
    cat.withhold("r3", 1, reason="privacy")
    decoded = list(cat.store.iter_records(batch=2))
    texts = list(cat.store.iter_texts(batch=2))
    assert [json.loads(text) for text, _ in texts] == [row.data for row in decoded]
    assert [revision for _, revision in texts] == [row.revision for row in decoded] == [1, 2, 1]


def test_recent_changes_are_newest_first_and_as_many_as_asked(cat: Catalogue) -> None:
    for n in range(3):
        cat.create(make_record(id=f"r{n}"), user=f"user{n}")
    assert [(r.record_id, r.user) for r in cat.recent_changes(limit=2)] == [("r2", "user2"), ("r1", "user1")]


def test_one_upstream_record_maps_to_one_catalogue_record(cat: Catalogue) -> None:
    provenance = {"origin": "harvest", "source_name": "register", "source_identifier": "42"}
    cat.create(make_record(id="a", provenance=provenance))
    with pytest.raises(AlreadyExists) as info:
        cat.create(make_record(id="b", provenance=provenance))
    assert str(info.value) == "record 'a' already holds identifier '42' of source 'register'"
    assert cat.current("b") is None
    cat.update("a", dict(cat.get("a"), title="Same source, same record"), base_revision=1)
    assert cat.store.find_by_source("register", "42").id == "a"
    assert cat.store.find_by_source("register", "43") is None


def test_the_withholding_trail_of_one_record_holds_only_its_entries_and_the_whole_trail_all(cat: Catalogue) -> None:
    for record_id in ("a", "b"):
        cat.create(make_record(id=record_id))
        cat.update(record_id, dict(cat.get(record_id), title=f"{record_id} with an address"), base_revision=1)
    cat.withhold("a", 2, reason="the family asked", user="root")
    cat.withhold("b", 1, reason="a private address", user="root")
    cat.release("a", 2, reason="consent given", user="root")
    assert [(e.record_id, e.revision, e.action) for e in cat.withholdings("a")] == [
        ("a", 2, "withhold"), ("a", 2, "release")]
    assert [(e.record_id, e.action, e.reason) for e in cat.withholdings()] == [
        ("a", "withhold", "the family asked"), ("b", "withhold", "a private address"),
        ("a", "release", "consent given")]


def test_a_write_refused_half_way_leaves_nothing_and_the_next_write_reaches_other_readers(
        cat: Catalogue, tmp_path: Path) -> None:
    provenance = {"origin": "harvest", "source_name": "register", "source_identifier": "42"}
    cat.create(make_record(id="a", provenance=provenance))
    with pytest.raises(AlreadyExists):  # refused after its revision row was written
        cat.create(make_record(id="b", provenance=provenance))
    cat.create(make_record(id="c"))
    with Catalogue(tmp_path / "data", with_index=False) as other:  # another process's view
        assert [other.current(i) is not None for i in ("a", "b", "c")] == [True, False, True]
        assert other.store.history("b") == [] and other.last_change() == 2


def test_a_rollback_that_fails_is_logged_with_its_cause_and_raises_nothing(
        cat: Catalogue, caplog: pytest.LogCaptureFixture) -> None:
    conn = cat.store.conn
    conn.execute("BEGIN IMMEDIATE")
    with caplog.at_level(logging.WARNING, logger="catalogue.store.db"):
        undo(conn, "ROLLBACK TO nested")  # no such savepoint: the engine refuses
    assert caplog.messages == ["could not roll back after a failed write: no such savepoint: nested"]
    undo(conn)
    assert not conn.in_transaction


def test_withholding_a_revision_that_does_not_exist_names_the_record_and_the_revision(cat: Catalogue) -> None:
    cat.create(make_record(id="a"))
    with pytest.raises(NotFound) as missing:
        cat.withhold("a", 2, reason="a private address")
    assert str(missing.value) == "record 'a' has no revision 2"
    assert cat.withholdings() == []


def test_withholding_twice_or_releasing_what_is_public_says_which_it_is(cat: Catalogue) -> None:
    cat.create(make_record(id="a"))
    cat.withhold("a", 1, reason="a private address")
    with pytest.raises(CatalogueError) as twice:
        cat.withhold("a", 1, reason="again")
    assert str(twice.value) == "revision 1 of record 'a' is withheld already"
    cat.release("a", 1, reason="consent given")
    with pytest.raises(CatalogueError) as public:
        cat.release("a", 1, reason="again")
    assert str(public.value) == "revision 1 of record 'a' is not withheld"
    assert [e.action for e in cat.withholdings("a")] == ["withhold", "release"]


def test_deleting_an_unknown_or_a_deleted_record_names_it_and_the_tombstone_s_revision(cat: Catalogue) -> None:
    with pytest.raises(NotFound) as unknown:
        cat.delete("nope", reason="duplicate")
    assert str(unknown.value) == "no record with id 'nope'"
    cat.create(make_record(id="a"))
    cat.delete("a", reason="duplicate of b")
    with pytest.raises(Gone) as gone:
        cat.delete("a", reason="again")
    assert (gone.value.record_id, gone.value.reason, gone.value.revision) == ("a", "duplicate of b", 2)


def test_a_stale_or_future_base_revision_is_refused_naming_the_record_and_both_revisions(cat: Catalogue) -> None:
    first = cat.create(make_record(id="r1"))
    cat.update("r1", dict(first, title="Second"), base_revision=1)
    for seen in (1, 3):  # one the writer saw before another change, one that never existed
        with pytest.raises(StaleRevision) as stale:
            cat.update("r1", dict(first, title="Lost"), base_revision=seen)
        assert str(stale.value) == (f"record 'r1' is at revision 2, but the change was based on revision {seen};"
                                    " reload it and apply your change again")
        assert (stale.value.record_id, stale.value.seen, stale.value.current) == ("r1", seen, 2)
    cat.delete("r1", reason="a duplicate of r2", base_revision=2)
    with pytest.raises(Gone) as gone:
        cat.update("r1", dict(first, title="Back?"), base_revision=3)
    assert str(gone.value) == "record 'r1' was deleted: a duplicate of r2"
    assert (gone.value.record_id, gone.value.revision) == ("r1", 3)
    assert [r.data["title"] for r in cat.history("r1")] == ["Test school", "Second", "Second"]


def test_a_write_returns_what_the_store_now_holds_and_keeps_a_withheld_content_withheld(cat: Catalogue) -> None:
    created = cat.create(make_record(id="r1"))
    cat.update("r1", dict(created, title="Second"), base_revision=1)
    cat.withhold("r1", 2, reason="a private address")
    tombstone = cat.delete("r1", reason="a duplicate of r2")  # the same content: withheld still
    assert tombstone == cat.current("r1")
    assert (tombstone.revision, tombstone.deleted, tombstone.withheld, tombstone.seq) == (3, True, True, 4)
    assert (tombstone.created, tombstone.data["created"]) == (created["created"], created["created"])
    restored = cat.restore("r1", revision=1)  # other content: public again
    assert restored == cat.get("r1") and not cat.current("r1").withheld


@pytest.mark.own_store  # on both stores (`store_url`)
def test_a_note_on_a_record_another_process_deleted_meanwhile_is_refused_not_bringing_it_back(
        tmp_path: Path, store_url: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    cat = Catalogue(tmp_path / "data", database_url=store_url, with_index=False)
    cat.create(make_record(id="r1"))
    read = cat.store.get_live
    with cat, Catalogue(tmp_path / "data", database_url=store_url, with_index=False) as other:

        def read_then_lose_the_race(record_id: str) -> StoredRecord:
            row = read(record_id)  # live when read, deleted by the other process before the write
            other.delete(record_id, reason="a duplicate of r2")
            return row

        monkeypatch.setattr(cat.store, "get_live", read_then_lose_the_race)
        with pytest.raises(Gone) as gone:
            cat.note("r1", message="checked against the register")
        assert str(gone.value) == "record 'r1' was deleted: a duplicate of r2"
        assert (gone.value.record_id, gone.value.revision) == ("r1", 2)
        assert [(r.action, r.message) for r in cat.history("r1")] == [
            ("create", "created"), ("delete", "a duplicate of r2")]
        assert cat.current("r1").deleted


def test_a_cited_source_offered_for_reuse_names_the_current_title_of_the_record_citing_it(cat: Catalogue) -> None:
    cat.create(make_record(id="a", title="Old school"))
    (cited,) = cat.find_sources("test source")
    assert (cited.record_id, cited.record_title, cited.records) == ("a", "Old school", 1)
    cat.update("a", dict(cat.get("a"), title="Village school"), base_revision=1)
    assert [c.record_title for c in cat.find_sources("test source")] == ["Village school"]


def test_a_migration_that_fails_is_undone_and_reported_with_the_engine_s_own_error(tmp_path: Path) -> None:
    Catalogue(tmp_path / "data", with_index=False).close()
    path = tmp_path / "data" / "catalogue.sqlite3"
    conn = sqlite3.connect(path)  # claims to lack migration 6, whose column it already has
    conn.execute("PRAGMA user_version = 5")
    conn.close()
    with pytest.raises(sqlite3.OperationalError, match="duplicate column name: withheld"):
        Catalogue(tmp_path / "data", with_index=False)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 5
    conn.close()


@pytest.mark.parametrize("done_meanwhile", ["every migration", "one migration"])
def test_a_store_another_process_migrates_meanwhile_opens_without_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, done_meanwhile: str) -> None:
    (tmp_path / "data").mkdir()
    conn = sqlite3.connect(tmp_path / "data" / "catalogue.sqlite3")  # a store of the first release
    conn.executescript(MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    begin_write, raced = SQLiteBackend.begin_write, []

    def another_process_first(backend: SQLiteBackend, conn: sqlite3.Connection) -> None:
        if not raced:  # the other process takes the writer lock first
            raced.append(True)
            if done_meanwhile == "every migration":
                Catalogue(tmp_path / "data", with_index=False).close()
            else:  # the first of its migrations, between two of which this process gets the lock
                other = sqlite3.connect(tmp_path / "data" / "catalogue.sqlite3", isolation_level=None)
                other.executescript(f"BEGIN; {MIGRATIONS[1]}; PRAGMA user_version = 2; COMMIT;")
                other.close()
        begin_write(backend, conn)

    monkeypatch.setattr(SQLiteBackend, "begin_write", another_process_first)
    with Catalogue(tmp_path / "data", with_index=False) as cat:
        cat.create(make_record(id="r1"))
        assert raced and cat.store.backend.schema_version(cat.store.conn) == SCHEMA_VERSION


def _holds_a_record(path: Path) -> bool:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id FROM records").fetchall() == [("r1",)]
    finally:
        conn.close()


@pytest.mark.parametrize("url", ["sqlite:///rel/store.sqlite3", "sqlite:///{tmp}/abs.sqlite3", "{tmp}/plain.sqlite3",
                                 "plain/relative.sqlite3", "sqlite:///{tmp}/odd://name.sqlite3"])
def test_a_store_url_or_plain_path_names_the_sqlite_file_the_records_go_to(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """`sqlite:///relative`, `sqlite:////absolute` (README, Configuration) and a plain path; the
    scheme ends at the first `://`."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    url = url.format(tmp=tmp_path)
    with Catalogue(tmp_path / "data", database_url=url, with_index=False) as cat:
        cat.create(make_record(id="r1"))
    path = Path(url.removeprefix("sqlite:///"))
    assert _holds_a_record(path if path.is_absolute() else work / path)
    assert not (tmp_path / "data" / "catalogue.sqlite3").exists()


@pytest.mark.parametrize(("url", "message"), [
    ("sqlite://relative.sqlite3", "a SQLite store URL names a file: sqlite:///relative/path or "
                                  "sqlite:////absolute/path, not 'sqlite://relative.sqlite3'"),
    ("sqlite:///", "a SQLite store URL names a file: sqlite:///relative/path or sqlite:////absolute/path, "
                   "not 'sqlite:///'"),
    ("mysql://someone@db/catalogue", "unknown kind of store 'mysql://': CATALOGUE_DATABASE_URL starts with "
                                     "sqlite:/// or postgresql://"),
], ids=["two-slashes", "no-file", "another-engine"])
def test_a_store_url_of_no_known_kind_is_refused_saying_which_are(tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(CatalogueError) as refused:
        Catalogue(tmp_path / "data", database_url=url, with_index=False)
    assert str(refused.value) == message
    assert not (tmp_path / "data" / "catalogue.sqlite3").exists()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"], ids=["long", "short"])
def test_both_spellings_of_a_server_store_url_name_the_server_store(tmp_path: Path, scheme: str) -> None:
    with pytest.raises(CatalogueError, match=r"^cannot connect to the PostgreSQL store postgres(ql)?://"):
        Catalogue(tmp_path / "data", database_url=f"{scheme}://nobody@127.0.0.1:1/none", with_index=False)


def test_a_server_store_url_without_its_driver_says_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "catalogue.store.postgresql", raising=False)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the [postgresql] extra were not installed
    with pytest.raises(CatalogueError) as refused:
        Catalogue(tmp_path / "data", database_url="postgresql://someone@db.example.org/catalogue", with_index=False)
    assert str(refused.value) == ("CATALOGUE_DATABASE_URL names a PostgreSQL store, but its driver is not installed "
                                  "(psycopg is missing): pip install 'heritage-catalogue[postgresql]'")
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


@pytest.mark.own_store  # (SQLite's own setting; PostgreSQL has no statement journal to keep)
def test_an_import_keeps_its_savepoints_in_memory_and_still_undoes_a_record_refused_halfway(cat: Catalogue) -> None:
    # The second record's revision is written before its source identifier is found taken:
    # its savepoint, kept in memory during the import (SQLite's temp_store 2), undoes it.
    provenance = {"origin": "import", "source_name": "register", "source_identifier": "R-1"}
    records = [make_record(id="first", provenance=provenance), make_record(id="second", provenance=provenance),
               make_record(id="third")]
    seen: list[tuple[int, int]] = []
    pragmas = "SELECT * FROM pragma_temp_store, pragma_cache_size"
    before = cat.store.conn.execute(pragmas).fetchone()

    def note(_: object) -> None:
        seen.append(tuple(cat.store.conn.execute(pragmas).fetchone()))

    report = cat.import_records([(f"file:{n}", r) for n, r in enumerate(records, 1)], user="test", progress=note)
    assert (report.created, report.failed) == (2, 1)
    assert report.errors == [("file:2", "record 'first' already holds identifier 'R-1' of source 'register'")]
    assert seen == [(2, -BULK_CACHE_KIB)]  # (and a larger page cache meanwhile)
    assert tuple(before) == (0, -2000)
    assert tuple(cat.store.conn.execute(pragmas).fetchone()) == (0, -2000), "the connection was not set back"
    assert cat.store.get("second") is None
    assert cat.store.conn.execute("SELECT count(*) FROM revisions WHERE record_id = 'second'").fetchone()[0] == 0
    assert [r.revision for r in cat.history("first")] == [1]


def test_an_import_of_whole_batches_takes_the_write_lock_once_a_batch(cat: Catalogue,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # No empty transaction after a full last batch: it held the write lock for nothing, and a
    # save waiting for an import stopped there (SIGSTOP, tests/faults) found the store locked.
    monkeypatch.setattr(imports, "IMPORT_BATCH", 2)
    began: list[int] = []
    begin = cat.store.backend.begin_write
    monkeypatch.setattr(cat.store.backend, "begin_write", lambda conn: (began.append(1), begin(conn))[1])
    progress: list[int] = []
    report = cat.import_records([(f"f:{n}", make_record(id=f"batch-{n}")) for n in range(4)], user="test",
                                progress=lambda r: progress.append(r.created))
    assert report.created == 4 and progress == [2, 4] and len(began) == 2
    assert cat.import_records([], user="test").created == 0  # (an empty import still ends)
