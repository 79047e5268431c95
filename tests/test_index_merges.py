"""Merges off the edit's path: a commit of a few changes (an edit) adds its segment without
merging the small segments, which reads their postings term by term and made an edit wait
seconds on a large, busy index (issue 18: edit to searchable; issue 17: replica lag). A serving
process's follower merges them once no change is waiting, and stops a merge when a change
comes; a process without one merges when the segments reach `MAX_SEGMENTS`. Searches answer
the same throughout."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalogue.search import feeding, generations, writing
from catalogue.service import Catalogue, imports
from tests.conftest import INDEX_WAIT_MS

SOURCE = [{"id": "s1", "citation": "Test citation, 2024.", "publisher": "Test Press"}]


def record(n: int) -> dict[str, Any]:
    return {"id": f"rec-{n}", "type": "school", "title": f"School number {n}", "sources": copy.deepcopy(SOURCE),
            "description": f"Village school {n} with a library of stone."}


def segments(cat: Catalogue) -> int:
    folder = generations.live(cat.data_dir / "index")
    assert folder is not None
    return len(generations.toc_segments(folder))


def answers(cat: Catalogue) -> tuple[int, list[str]]:
    result = cat.search("school stone", page_size=100, facets=False, highlight=False)
    return result.total, sorted(h.id for h in result.hits)


@pytest.fixture()
def cat(tmp_path: Path) -> Iterator[Catalogue]:
    catalogue = Catalogue(tmp_path / "data", index_wait_ms=INDEX_WAIT_MS)  # writes wait for search, even under load
    catalogue.import_records((f"test:{n}", record(n)) for n in range(40))
    yield catalogue
    catalogue.close()


def test_an_edit_adds_a_segment_without_merging(cat: Catalogue) -> None:
    before = segments(cat)
    for n in range(6):  # Whoosh's policy would merge five small segments by now
        cat.create(record(100 + n))
        assert answers(cat)[0] == 41 + n
    assert segments(cat) == before + 6


def test_a_process_without_a_follower_keeps_the_segments_bounded(cat: Catalogue) -> None:
    for n in range(3 * writing.MAX_SEGMENTS):
        cat.create(record(100 + n))
        assert segments(cat) <= writing.MAX_SEGMENTS
    assert answers(cat)[0] == 40 + 3 * writing.MAX_SEGMENTS


def test_the_follower_merges_small_segments_once_no_change_is_waiting(cat: Catalogue) -> None:
    for n in range(8):
        cat.create(record(100 + n))
    piled, expected = segments(cat), answers(cat)
    assert piled >= 8
    cat.open_index()  # a serving process: the follower runs
    deadline = time.monotonic() + 60
    while segments(cat) >= piled and time.monotonic() < deadline:
        time.sleep(0.1)
    assert segments(cat) < piled and answers(cat) == expected
    cat.update("rec-3", {**record(3), "title": "School number three"}, base_revision=1)
    assert [h.id for h in cat.search("three").hits] == ["rec-3"]  # writes go on after a merge


def test_merges_never_join_a_full_builds_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full build's capped segments stay as they are: merges join only the small segments
    that edits leave. Whoosh's own policy weighs every segment, and with enough edits its test
    passes for the whole index: at 1,000,000 records a follower's merge after a few edits
    rewrote all million documents. Here five segments of 40 and four edits' segments: Whoosh's
    policy would join the four with one of the five."""
    monkeypatch.setattr(writing, "SEGMENT_DOCS", 40)
    catalogue = Catalogue(tmp_path / "data", index_wait_ms=INDEX_WAIT_MS)
    catalogue.import_records((f"test:{n}", record(n)) for n in range(200))
    assert catalogue.reindex() == 200
    folder = generations.live(catalogue.data_dir / "index")
    built = [s.segment_id() for s in generations.toc_segments(folder)]
    assert len(built) == 5
    for n in range(4):
        catalogue.create(record(300 + n))
    present = generations.toc_segments(folder)
    assert [s.doc_count_all() for s in present] == [40] * 5 + [1] * 4
    assert [s.doc_count_all() for s in _whoosh_merges(present)] == [1] * 4 + [40]
    assert not writing.would_merge(present) and not catalogue.index.merge_small()
    for n in range(4, 8):
        catalogue.create(record(300 + n))
    expected = answers(catalogue)
    assert catalogue.index.merge_small()  # the edits' eight small segments, only
    present = generations.toc_segments(generations.live(catalogue.data_dir / "index"))
    assert [s.segment_id() for s in present][:5] == built and len(present) < 13
    assert answers(catalogue) == expected and expected[0] == 208
    catalogue.close()


def test_merges_never_join_an_imports_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import's writer processes each write a segment of their share of a commit's changes
    (`PARALLEL_COMMIT_EVERY`): a large write's, left as written, and not counted towards
    `MAX_SEGMENTS`, so an edit after the import adds its segment without merging. Counted as
    small, the sixteen here made the edit's commit join fourteen of them with it."""
    for name, value in (("SEGMENT_DOCS", 400), ("PARALLEL_COMMIT_EVERY", 400), ("PARALLEL_MIN", 300),
                        ("BATCH", 50), ("_single_threaded", lambda: True)):
        monkeypatch.setattr(writing, name, value)
    monkeypatch.setattr(feeding, "START_AT", 300)
    monkeypatch.setattr(imports, "IMPORT_BATCH", 100)
    catalogue = Catalogue(tmp_path / "data", index_wait_ms=INDEX_WAIT_MS)
    catalogue.import_records((f"test:{n}", record(n)) for n in range(3200))
    folder = generations.live(catalogue.data_dir / "index")
    imported = [s.doc_count_all() for s in generations.toc_segments(folder)]
    assert sum(imported) == 3200 and max(imported) <= 200 and len(imported) >= writing.MAX_SEGMENTS, imported
    catalogue.create(record(5000))
    assert [s.doc_count_all() for s in generations.toc_segments(folder)] == [*imported, 1]
    assert answers(catalogue)[0] == 3201
    catalogue.close()


def _whoosh_merges(present: list[Any]) -> list[Any]:
    """The segments Whoosh 2.7.4's `MERGE_SMALL` would merge (its test, without merging)."""
    total, chosen = 0, []
    for i, segment in enumerate(sorted(present, key=lambda s: s.doc_count_all())):
        total += segment.doc_count_all()
        chosen.append(segment)
        if i > 3 and total < writing.whoosh_writing.fib(i + 5):
            return chosen
    return []


@pytest.mark.parametrize("within", ["add_postings_to_pool", "add_segment_postings", "write_postings"])
def test_a_merge_that_gives_way_leaves_the_index_as_it_was(cat: Catalogue, within: str) -> None:
    """A merge told to give way (a change is waiting) stops, before it starts, in its reading
    of the merged segments or in its writing of the new one, and leaves the generation's
    segments, files and answers as they were; made again later, it merges."""
    import inspect

    for n in range(8):
        cat.create(record(100 + n))
    folder = generations.live(cat.data_dir / "index")
    assert folder is not None
    piled, files, expected = generations.toc_segments(folder), sorted(p.name for p in folder.iterdir()), answers(cat)
    asked: list[str] = []

    def give_way() -> bool:
        asked.append(next(f.function for f in inspect.stack()[1:] if f.function != "_ask"))
        return asked[-1] == within

    assert cat.index.merge_small(give_way=give_way) is False
    assert asked[-1] == within and asked.count(within) == 1  # (it stopped at the first yes)
    assert [s.segment_id() for s in generations.toc_segments(folder)] == [s.segment_id() for s in piled]
    assert sorted(p.name for p in folder.iterdir()) == files and answers(cat) == expected
    assert cat.index.merge_small(give_way=lambda: False) is True
    assert len(generations.toc_segments(folder)) < len(piled) and answers(cat) == expected


def test_a_following_keeper_stops_its_merge_for_an_edit(cat: Catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit that comes while the follower merges is searchable without waiting for the
    merge: the merge gives way and is made again once no change waits. Here the merge would
    take a minute."""
    import threading

    from catalogue.search import segments as pool

    for n in range(8):
        cat.create(record(100 + n))
    piled = segments(cat)
    merging, slow = threading.Event(), [True]
    real = pool.add_segment_postings

    def slowly(*args: Any) -> bool:
        give_way = args[-1]
        merging.set()
        deadline = time.monotonic() + 60
        while slow[0] and time.monotonic() < deadline:
            if give_way is not None and give_way():
                raise pool.GaveWay
            time.sleep(0.01)
        return real(*args)

    monkeypatch.setattr(pool, "add_segment_postings", slowly)
    cat.open_index()  # a serving process: the follower runs, and merges
    assert merging.wait(30)
    started = time.monotonic()
    cat.update("rec-3", {**record(3), "title": "School number three"}, base_revision=1)
    assert [h.id for h in cat.search("three").hits] == ["rec-3"]
    assert time.monotonic() - started < 20 and segments(cat) == piled + 1  # (not merged meanwhile)
    slow[0] = False
    deadline = time.monotonic() + 60
    while segments(cat) > piled and time.monotonic() < deadline:
        time.sleep(0.1)
    assert segments(cat) < piled and [h.id for h in cat.search("three").hits] == ["rec-3"]


def test_a_merging_follower_sees_another_processs_change(cat: Catalogue) -> None:
    """A change another process stored (no wake-up here) stops a merge too, seen in the store."""
    from catalogue.search import keeper as keeping
    from catalogue.store import Store

    keeper = cat._kept()
    waiting = keeper._change_waiting(keeper._applied())
    time.sleep(keeping.LOOK_WHILE_MERGING * 2)
    assert not waiting()
    other = Store(cat.store.backend.url)  # (another connection, as another process has)
    other.write("rec-900", record(900), action="create", base_revision=None, user="t", message="", origin="test")
    other.close()
    time.sleep(keeping.LOOK_WHILE_MERGING * 2)
    assert waiting() and keeper._wake.is_set()
