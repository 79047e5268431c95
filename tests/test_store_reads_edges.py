"""The store's reads at their edges, through the Python API (`Catalogue` and its `store`): an
empty catalogue's figures, lists that start at the first possible id, defaults, the exact
refusals, and each thread's connection. Found untested by mutation testing
(tests/mutation/score.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalogue.errors import NotFound, StorageFull
from catalogue.service import Catalogue
from catalogue.service.published import Window
from tests.faults.faultkit import fill, small_disk
from tests.recordsamples import make_record


@pytest.fixture
def cat(tmp_path: Path) -> Iterator[Catalogue]:
    with Catalogue(tmp_path / "data", with_index=False) as catalogue:
        yield catalogue


def test_an_empty_catalogue_counts_nothing_rather_than_nothing_known(cat: Catalogue) -> None:
    assert cat.counts() == {"records": 0, "deleted": 0, "group_items": 0, "by_type": {}, "by_status": {}}


def test_a_list_of_every_record_starts_at_the_first_id_an_id_can_have(cat: Catalogue) -> None:
    """Ids may start with a digit ("0", "1915-school"), which sorts before any letter."""
    for record_id in ("school-b", "0", "1915-school", "a"):
        cat.create(make_record(id=record_id))
    assert [r["id"] for r in cat.live_records()] == ["0", "1915-school", "a", "school-b"]
    assert [r.id for r in cat.store.iter_records(include_deleted=True, batch=1)] == ["0", "1915-school", "a",
                                                                                       "school-b"]


def test_recent_changes_are_the_ten_latest_unless_asked_otherwise(cat: Catalogue) -> None:
    for n in range(12):
        cat.create(make_record(id=f"r{n:02}"))
    expected = [f"r{n:02}" for n in range(11, 1, -1)]
    assert [r.record_id for r in cat.recent_changes()] == expected
    assert [r.record_id for r in cat.store.recent_changes()] == expected


def test_an_unknown_revision_names_the_record_and_the_number_asked(cat: Catalogue) -> None:
    cat.create(make_record(id="r1"))
    with pytest.raises(NotFound) as missing:
        cat.get("r1", revision=7)
    assert str(missing.value) == "record 'r1' has no revision 7"
    with pytest.raises(NotFound) as missing:
        cat.revision("r1", 2)
    assert str(missing.value) == "record 'r1' has no revision 2"
    assert cat.revision("r1", 1).revision == 1


def test_a_store_opened_on_a_full_disk_reads_refuses_writes_and_writes_once_there_is_room(tmp_path: Path) -> None:
    """A full disk leaves no room for SQLite's WAL index: the store opens read-only, reads
    work, a write says the disk is full (after one more try to open it for writing), stores
    nothing, and once there is room the next write opens it again and is stored."""
    with small_disk(tmp_path / "disk", "4m") as disk:
        with Catalogue(disk / "data", with_index=False) as cat:
            cat.create(make_record(id="r1"))
        filler = fill(disk)  # not a byte left
        with Catalogue(disk / "data", with_index=False) as cat:
            assert cat.store.conn.readonly and cat.get("r1")["title"] == "Test school"
            with pytest.raises(StorageFull) as full:
                cat.create(make_record(id="r2"))
            assert str(full.value).endswith("nothing was stored; free some space and try again"
                                            " (the store could only be opened to read)")
            assert cat.current("r2") is None and cat.store.last_seq() == 1
            filler.unlink()
            assert cat.create(make_record(id="r2"))["revision"] == 1
            assert not cat.store.conn.readonly
            assert [r.id for r in cat.store.iter_records()] == ["r1", "r2"]


@pytest.mark.own_store  # on both stores (`store_url`)
def test_a_store_says_it_is_there_until_its_file_or_schema_goes(tmp_path: Path, store_url: str | None,
                                                                 request: pytest.FixtureRequest) -> None:
    """What a follower asks before it goes on: a removed SQLite file or a dropped PostgreSQL
    schema is a store that is gone."""
    with Catalogue(tmp_path / "data", database_url=store_url, with_index=False) as cat:
        cat.create(make_record(id="r1"))
        assert cat.store.exists()
        if store_url is None:
            (tmp_path / "data" / "catalogue.sqlite3").unlink()
        else:
            request.getfixturevalue("postgres").drop(store_url)
        assert not cat.store.exists()


@pytest.mark.own_store
@pytest.mark.parametrize("end", ["idle", "close_thread"])
def test_idle_threads_give_their_connections_back_so_more_threads_than_the_pool_holds_can_read(
        tmp_path: Path, store_url: str | None, monkeypatch: pytest.MonkeyPatch, end: str) -> None:
    """A web request ends with `idle`, a helper thread's work with `close_thread`: the thread's
    PostgreSQL connection goes back to the pool (of 10), so more threads than that, each alive
    after it, all read, and read again; a thread that never read may say so too. (`idle` leaves
    a SQLite connection with its thread, `close_thread` closes it.)"""
    monkeypatch.setattr("catalogue.store.postgresql.BUSY_TIMEOUT_MS", 3000)  # wait less for a connection
    with Catalogue(tmp_path / "data", database_url=store_url, with_index=False) as cat:
        cat.create(make_record(id="r1"))
        done, idle, results = threading.Event(), threading.Semaphore(0), []

        def read_then_idle(read: bool) -> None:
            try:
                for _ in range(2):  # two requests, each ended by `idle`
                    if read:
                        results.append(cat.current("r1").revision)
                    getattr(cat, end)()
            except Exception as error:  # reported by the assertion below
                results.append(error)
            idle.release()
            done.wait(60)  # alive, and idle

        threads = [threading.Thread(target=read_then_idle, args=(n != 3,)) for n in range(13)]
        for thread in threads:  # one after the other: each has read and is idle before the next starts
            thread.start()
            assert idle.acquire(timeout=60)
        done.set()
        for thread in threads:
            thread.join()
        assert results == [1] * 24


@pytest.mark.own_store
def test_every_field_of_a_record_a_revision_and_a_withholding_reads_back_as_written(
        tmp_path: Path, store_url: str | None) -> None:
    with Catalogue(tmp_path / "data", database_url=store_url, with_index=False) as cat:
        created = cat.create(make_record(id="r1"), user="ana", message="first entry")
        cat.update("r1", dict(created, title="Second title"), base_revision=1, user="ben", message="retitled",
                   origin="api")
        withheld = cat.withhold("r1", 2, reason="a private address", user="root")
        tombstone = cat.delete("r1", reason="a duplicate of r2", user="cem", base_revision=2)
        assert (tombstone.revision, tombstone.deleted, tombstone.withheld) == (3, True, True)
        current = cat.store.get("r1")
        assert current == tombstone and current == cat.store.get_many(["r1"])["r1"]
        assert list(cat.store.iter_records(include_deleted=True)) == [current]
        assert list(cat.store.iter_records()) == [] and cat.store.changed_since(0) == [current]
        assert (current.id, current.revision, current.deleted, current.reason, current.seq, current.withheld) == (
            "r1", 3, True, "a duplicate of r2", 4, True)
        assert (current.data["title"], current.created, current.modified) == (
            "Second title", created["created"], current.data["modified"])
        revisions = cat.store.history("r1")
        assert [(r.seq, r.record_id, r.revision, r.action, r.deleted, r.data["title"], r.user, r.message, r.origin,
                 r.at == r.data["modified"], r.withheld) for r in revisions] == [
            (1, "r1", 1, "create", False, "Test school", "ana", "first entry", "manual", True, False),
            (2, "r1", 2, "update", False, "Second title", "ben", "retitled", "api", True, True),
            (4, "r1", 3, "delete", True, "Second title", "cem", "a duplicate of r2", "manual", True, True)]
        assert cat.store.revision("r1", 2) == revisions[1]
        assert cat.store.recent_changes(1) == revisions[:1]  # the later ones are withheld
        assert cat.withholdings("r1") == cat.withholdings() == [withheld]
        assert (withheld.id, withheld.record_id, withheld.revision, withheld.action, withheld.reason, withheld.user,
                withheld.at) == (1, "r1", 2, "withhold", "a private address", "root", withheld.at)
        assert revisions[1].at <= withheld.at <= revisions[2].at


def test_what_changed_comes_a_thousand_records_at_a_time_unless_asked_otherwise(cat: Catalogue) -> None:
    with cat.transaction():
        for n in range(1001):
            cat.create(make_record(id=f"r{n:04}"))
    first = cat.store.changed_since(0)
    assert [r.id for r in first] == [f"r{n:04}" for n in range(1000)]
    assert [r.id for r in cat.store.changed_since(first[-1].seq)] == ["r1000"]
    assert cat.store.count_changed_since(0) == 1001 and cat.store.count_changed_since(first[-1].seq) == 1


@pytest.mark.own_store  # counts SQLite's own steps
def test_every_record_is_walked_in_id_order_without_sorting_the_rest_for_each_batch(tmp_path: Path) -> None:
    """A full reindex or export reads every record in batches after the last id. With an index
    on the filtered columns chosen instead of the primary key, each batch sorted every live
    record after it (2.6 s a batch at 1,000,000 records): the work grew with the square of the
    catalogue. Counted here in SQLite's virtual machine steps, in small batches against one."""
    with Catalogue(tmp_path / "data", with_index=False) as cat:
        with cat.transaction():
            for n in range(2000):
                cat.create(make_record(id=f"r{n:04}", type="tomb" if n % 2 else "school"))
        conn = cat.store.conn
        steps = [0]

        def step() -> int:
            steps[0] += 1
            return 0

        def walked(batch: int, **filters: list[str]) -> tuple[int, int]:
            steps[0] = 0
            conn.set_progress_handler(step, 10)
            try:
                count = sum(1 for _ in cat.store.iter_records(batch=batch, **filters))
            finally:
                conn.set_progress_handler(None, 0)
            return count, steps[0]

        for filters in ({}, {"types": ["tomb"]}):
            (whole, at_once), (small, in_batches) = walked(5000, **filters), walked(20, **filters)
            assert whole == small == (1000 if filters else 2000)
            assert in_batches < 2 * at_once, (filters, in_batches, at_once)


@pytest.mark.own_store
def test_the_many_row_reads_give_every_value_back_as_written_in_their_order(
        tmp_path: Path, store_url: str | None) -> None:
    """A page of search hits, a page of an OAI-PMH list and a batch of a walk read their rows at
    once (SQLite packs them as one JSON array: `Backend.rows`): text of any script, quotes,
    backslashes, line breaks and characters beyond the BMP, numbers, NULLs, tombstones and a
    withheld revision all come back as one-row reads give them, in (datestamp, id) and id order."""
    titles = ['Quote " and \\ backslash', "Line\nbreak\ttab", "Ходжалы 𝔘 🏛 (astral)", "خوجالی", "a'b",
              "\u2028 separator", "x" * 480]
    with Catalogue(tmp_path / "data", database_url=store_url, with_index=False) as cat:
        for n, title in enumerate(titles):
            cat.create(make_record(id=f"r{n}", title=title, quantity=n + 2, quantity_sources=["s1"],
                                   description=(title[::-1] + " ") * 20))
        cat.delete("r1", reason="a duplicate", user="ana", base_revision=1)
        cat.withhold("r2", 1, reason="private", user="root")
        one_by_one = {f"r{n}": cat.store.get(f"r{n}") for n in range(len(titles))}
        assert cat.store.get_many(list(reversed(one_by_one))) == one_by_one
        assert cat.store.get_many(["r3", "nope", "r3"]) == {"r3": one_by_one["r3"]}
        walked = list(cat.store.iter_records(include_deleted=True, batch=3))
        assert walked == sorted(one_by_one.values(), key=lambda r: r.id)
        assert one_by_one["r0"].data["title"] == titles[0] and one_by_one["r6"].data["quantity"] == 8
        listed = cat.published.page(Window(), after=None, snapshot=cat.store.last_seq(), limit=100)
        assert [(i.datestamp, i.id) for i in listed] == sorted((r.modified, r.id) for r in one_by_one.values())
        shown = {i.id: (i.deleted, i.data.get("title")) for i in listed}
        assert shown["r1"] == (True, titles[1]) and shown["r2"] == (True, None) and shown["r3"] == (False, titles[3])


@pytest.mark.own_store
@pytest.mark.parametrize("first_data", ["NULL", "'{\"a\": \"\\u001e\"}'"])
def test_rows_read_at_once_equal_rows_read_one_by_one_whatever_their_values(
        tmp_path: Path, store_url: str | None, first_data: str) -> None:
    """`Backend.rows` on its own: NULLs, numbers, text of any script, no rows at all, and a NULL
    `data` (which SQLite cannot join: it reads that query row by row instead)."""
    sql = (f"SELECT 1 AS n, {first_data} AS data, 'Xocalı\n\"q\"' AS t UNION ALL"
           " SELECT 2, '{\"b\": [1, 2.5]}', NULL UNION ALL SELECT 30000000000, '{}', '𝔘'")
    with Catalogue(tmp_path / "data", database_url=store_url, with_index=False) as cat:
        backend, conn = cat.store.backend, cat.store.conn
        by_one = [{key: row[key] for key in ("n", "data", "t")} for row in conn.execute(sql).fetchall()]
        at_once = [{key: row[key] for key in ("n", "data", "t")} for row in backend.rows(conn, sql)]
        assert sorted(at_once, key=lambda row: row["n"]) == by_one and len(by_one) == 3
        assert backend.rows(conn, f"SELECT * FROM ({sql}) AS q WHERE n < 0") == []
