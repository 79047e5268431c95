"""An import is indexed while it is stored (`catalogue.search.feeding`): writer processes take
each committed batch, so both cores work, and the index they leave answers as one built afresh
from the store. The feed gives way to another writer and throws away what it wrote when it
fails; either way the catch-up after the import indexes every record."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from catalogue.search import feeding, writing
from catalogue.search.generations import WRITE_LOCK, live
from catalogue.search.locks import FileLock
from catalogue.service import Catalogue, imports
from catalogue.store import Store
from tests.faults.faultkit import (
    assert_search_equals_fresh_rebuild,
    held_locks,
    hits,
    index_seq,
    make_data,
    snapshot,
    tiny_records,
)

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sizes that make 1,200 records a large import, sent in many batches."""
    monkeypatch.setattr(writing, "PARALLEL_MIN", 300)
    monkeypatch.setattr(feeding, "START_AT", 300)
    monkeypatch.setattr(writing, "BATCH", 50)
    monkeypatch.setattr(imports, "IMPORT_BATCH", 100)
    # Earlier tests of the suite may leave daemon threads behind (loopback servers), which
    # would keep the writer processes from forking; this is about the forking path.
    monkeypatch.setattr(writing, "_single_threaded", lambda: True)


def _items() -> list[tuple[str, Any]]:
    """1,200 records, the 701st an update of the 11th (a record the feed already sent) and
    the 901st a new version of a record the index held before the import, if any."""
    records = tiny_records(1200, prefix="imp")
    records[700] = dict(records[10], title="Renamed zqfeed tomb")
    records[900] = {"id": "t-5", "type": "tomb", "title": "Rewritten zqold tomb",
                    "sources": [{"id": "s", "citation": "Test source."}]}
    return [(f"file:{n + 1}", record) for n, record in enumerate(records)]


def _import(data: Path, seen: list[int], items: list[tuple[str, Any]] | None = None) -> None:
    """Import `_items()` into `data`, noting after each batch how many writer processes run."""
    with Catalogue(data) as cat:
        report = cat.import_records(items or _items(), user="test",
                                    progress=lambda report: seen.append(len(multiprocessing.active_children())))
        assert report.failed == 0 and report.created + report.updated == 1200


@pytest.mark.parametrize("index", [False, True], ids=["new index", "index of 250 records"])
def test_an_import_is_indexed_while_stored_and_answers_as_a_fresh_build(tmp_path: Path, index: bool) -> None:
    data = make_data(tmp_path / "data", demo=False, tiny=250 if index else 0, index=index)
    before = live(data / "index")
    assert (before is not None) == index
    seen: list[int] = []
    _import(data, seen)
    assert max(seen) >= 2, f"no writer processes ran during the import: {seen}"
    assert seen[0] == 0, "writer processes started before enough changes waited"
    assert held_locks(data) == [] and not multiprocessing.active_children()
    if index:
        assert live(data / "index") == before, "the index was rebuilt instead of fed"
    with Catalogue(data) as cat:
        find = cat.search
        assert [h.id for h in find("zqfeed", facets=False).hits] == ["imp-10"]
        assert [h.id for h in find("zqold", facets=False).hits] == ["t-5"]
        total, found = hits(cat, "testville")
        assert total == len(found) == 1197 + (249 if index else 0)
        assert "imp-10" not in found and "t-5" not in found  # (their first titles are gone)
    assert_search_equals_fresh_rebuild(data, tmp_path / "fresh")


def test_the_feed_follows_either_store(tmp_path: Path, store_url: str | None) -> None:
    """On SQLite and on PostgreSQL the fed index answers as the one a reindex then builds."""
    seen: list[int] = []
    with Catalogue(tmp_path / "data", database_url=store_url) as cat:
        report = cat.import_records(_items(), user="test",
                                    progress=lambda report: seen.append(len(multiprocessing.active_children())))
        assert report.failed == 0
        fed = snapshot(cat)
        cat.reindex()
        assert snapshot(cat) == fed
    assert max(seen) >= 2, seen


def test_a_long_import_is_searchable_before_it_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The feed commits every `PARALLEL_COMMIT_EVERY` records and starts again: after its first
    commit it writes into the generation it made live, deleting what it committed before."""
    monkeypatch.setattr(writing, "PARALLEL_COMMIT_EVERY", 400)
    data = make_data(tmp_path / "data", demo=False, index=False)
    indexed: list[int] = []
    with Catalogue(data) as cat:
        cat.import_records(_items(), user="test", progress=lambda report: indexed.append(index_seq(data)))
    assert indexed[:3] == [0, 0, 0] and any(0 < seq < 1200 for seq in indexed), indexed
    assert len(set(indexed)) >= 3, f"fewer than two commits during the import: {indexed}"
    assert held_locks(data) == [] and not multiprocessing.active_children()
    with Catalogue(data) as cat:
        assert [h.id for h in cat.search("zqfeed", facets=False).hits] == ["imp-10"]
    assert_search_equals_fresh_rebuild(data, tmp_path / "fresh")


def test_the_feed_gives_way_to_another_writer_and_the_catch_up_indexes_all(tmp_path: Path) -> None:
    data = make_data(tmp_path / "data", demo=False, tiny=250)
    other = FileLock(live(data / "index") / WRITE_LOCK)
    seen: list[int] = []

    def progress(report: Any) -> None:
        seen.append(len(multiprocessing.active_children()))
        if report.done == 100:
            assert other.acquire(0)
        if report.done == 1100:
            other.release()

    with Catalogue(data) as cat:
        cat.import_records(_items(), user="test", progress=progress)
    assert max(seen) == 0, "the feed wrote while another writer held the index"
    assert_search_equals_fresh_rebuild(data, tmp_path / "fresh")


def test_a_feed_that_fails_leaves_nothing_and_the_catch_up_indexes_all(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_data(tmp_path / "data", demo=False, index=False)
    calls = []

    def failing(self: Any, seq: int, limit: int = 1000) -> Any:
        calls.append(seq)
        if len(calls) == 9:  # (the second look of the feed's second step)
            raise OSError("disk trouble")
        return original(self, seq, limit)

    original = Store.texts_changed_since
    monkeypatch.setattr(Store, "texts_changed_since", failing)
    seen: list[int] = []
    _import(data, seen)
    assert len(calls) == 9 and max(seen) >= 2
    assert not multiprocessing.active_children() and held_locks(data) == []
    assert [p.name for p in (data / "index").iterdir() if p.name.startswith("gen-")] == [live(data / "index").name]
    assert_search_equals_fresh_rebuild(data, tmp_path / "fresh")
