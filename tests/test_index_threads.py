"""One searcher serves every thread of a process (issue 18): its files keep a read position
per thread, so threads searching at once, while records are edited, get the answers one
thread alone gets, and no thread opens a searcher of its own."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from catalogue.search import files, generations, shared
from catalogue.search import index as index_module
from catalogue.service import Catalogue

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
from synthetic import generate

from tests.conftest import INDEX_WAIT_MS, UNHURRIED  # answers differ by sharing, not by timing

QUERIES = ["stone", "village stone", '"the village"', "vil*", "tomb~", "type:school", "", "century:XIV",
           "stone OR brick", "names:shusha"]


def in_threads(work: Any, count: int) -> None:
    """Run `work` in `count` threads at once and wait for them all."""
    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_each_thread_reads_a_shared_file_at_its_own_position(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(bytes(range(256)) * 4)
    whole = files.open_shared(str(path), "f")
    part = whole.subset(256, 512)
    seen: dict[str, Any] = {}
    barrier = threading.Barrier(2)

    def read(name: str, handle: Any, at: int) -> None:
        handle.seek(at)
        barrier.wait()  # both have sought before either reads
        seen[name] = (handle.read(4), handle.read_byte(), handle.tell())

    threads = [threading.Thread(target=read, args=("a", whole, 10)),
               threading.Thread(target=read, args=("b", whole, 300))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"a": (bytes([10, 11, 12, 13]), 14, 15), "b": (bytes([44, 45, 46, 47]), 48, 305)}
    part.seek(2)
    assert part.read(3) == bytes([2, 3, 4]) and part.read(1000) == (bytes(range(5, 256)) + bytes(range(256)))
    assert part.read(1) == b"" and whole.tell() == 0  # this thread never moved the whole file
    whole.seek(0)
    assert whole.file.readline() == bytes(range(11)) and whole.tell() == 11  # pickles read lines
    whole.close()


def test_small_reads_come_from_what_was_read_ahead_and_stay_exact(tmp_path: Path, monkeypatch: Any) -> None:
    """Whoosh reads a few bytes at a time: they are served from the bytes a thread read ahead,
    one system call for many reads, and are exactly the file's bytes wherever the reads jump,
    never past the end of a part of a compound file."""
    import os
    import random

    data = random.Random(3).randbytes(20_000)
    path = tmp_path / "f"
    path.write_bytes(data)
    calls = []
    pread = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, n, at: calls.append(n) or pread(fd, n, at))
    whole = files.open_shared(str(path), "f")
    part = whole.subset(5_000, 3_000)
    for n in range(200):  # sequential small reads: a few system calls
        assert whole.read(5) == data[n * 5:n * 5 + 5]
    assert len(calls) <= 1 + 1000 // files.READ_AHEAD
    rng = random.Random(5)
    for _ in range(2_000):  # jumps back and forth, inside and across what was read ahead
        at, size = rng.randrange(3_000), rng.choice([1, 2, 7, 100, 2_000])
        part.seek(at)
        assert part.read(size) == data[5_000 + at:5_000 + min(at + size, 3_000)]
        assert part.tell() == min(at + size, 3_000)
    part.seek(2_990)
    assert part.read(5) == data[7_990:7_995] and part.read(100) == data[7_995:8_000] and part.read(1) == b""
    whole.close()


def _answers(catalogue: Catalogue) -> dict[str, Any]:
    out = {}
    for query in QUERIES:
        result = catalogue.search(query, page_size=30, facets=True, highlight=True)
        out[query] = (result.total, [(h.id, round(h.score, 9), str(h.snippet)) for h in result.hits],
                      {name: [(v.value, v.count) for v in values] for name, values in result.facets.items()})
    return out


def test_threads_share_one_searcher_and_answer_as_one_thread_does(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path / "data", search_limits=UNHURRIED)
    records = list(generate(600, seed=11))
    assert catalogue.import_records(((f"s:{i}", r) for i, r in enumerate(records)), user="t").failed == 0
    expected = _answers(catalogue)
    searchers, errors, answers = set(), [], []

    def search() -> None:
        try:
            for _ in range(3):
                answers.append(_answers(catalogue))
                searchers.add(id(catalogue.index._searcher()))
        except Exception as error:
            errors.append(error)

    in_threads(search, 8)
    assert not errors and len(answers) == 24 and all(a == expected for a in answers)
    assert len(searchers) == 1, "every thread searched the one shared searcher"
    catalogue.close()


def test_threads_meeting_a_new_version_wait_for_one_thread_to_make_its_facet_sets(tmp_path: Path,
                                                                                   monkeypatch: Any) -> None:
    """After an edit, eight threads that search at once share the facet sets one of them makes
    (each making its own held eight copies at once: a server's peak memory after edits)."""
    catalogue = Catalogue(tmp_path / "data", search_limits=UNHURRIED)
    records = list(generate(300, seed=13))
    assert catalogue.import_records(((f"s:{i}", r) for i, r in enumerate(records)), user="t").failed == 0
    catalogue.search("stone")
    catalogue.update(records[0]["id"], {**records[0], "title": "Edited"}, base_revision=-1, user="t")
    made = []

    def slowly(*args: Any) -> Any:  # long enough for every thread to ask meanwhile
        made.append(threading.get_ident())
        time.sleep(0.3)
        return build(*args)

    build = index_module.build_facet_sets
    monkeypatch.setattr(index_module, "build_facet_sets", slowly)
    barrier, counts, errors = threading.Barrier(8), [], []

    def search() -> None:
        barrier.wait()
        try:
            counts.append({f: [(v.value, v.count) for v in vs] for f, vs in catalogue.search("stone").facets.items()})
        except Exception as error:
            errors.append(error)

    in_threads(search, 8)
    assert not errors and len(counts) == 8 and all(c == counts[0] for c in counts)
    assert len(made) == 1
    catalogue.close()


def test_threads_searching_while_records_are_edited_never_fail(tmp_path: Path) -> None:
    """Each edit is searchable when it returns (a write waits for search as long as it takes
    here: by default it waits 200 ms, then the index catches up in the background)."""
    catalogue = Catalogue(tmp_path / "data", index_wait_ms=120_000)
    records = list(generate(400, seed=12))
    assert catalogue.import_records(((f"s:{i}", r) for i, r in enumerate(records)), user="t").failed == 0
    stop, errors, totals = threading.Event(), [], []

    def search() -> None:
        while not stop.is_set():
            try:
                totals.append(catalogue.search("zqthreadmark", page_size=5).total)
                catalogue.search("stone village", page_size=20, highlight=True)
            except Exception as error:
                errors.append(error)

    threads = [threading.Thread(target=search) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        for n, record in enumerate(records[:30]):
            catalogue.update(record["id"], {**record, "title": f"{record['title']} zqthreadmark"},
                             base_revision=-1, user="t")
            assert catalogue.search("zqthreadmark", page_size=5).total == n + 1
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors, errors[:3]
    assert totals and max(totals) <= 30
    assert catalogue.search("zqthreadmark", page_size=50).total == 30
    catalogue.close()


def test_a_follower_that_ends_leaves_the_shared_searcher_to_the_threads_using_it(tmp_path: Path) -> None:
    """The follower stops when its store is gone (a data directory removed, a PostgreSQL
    schema dropped); the searcher it shares with the serving threads is the catalogue's, so
    the follower leaves it open for a search still reading it, and `close` closes it."""
    catalogue = Catalogue(tmp_path / "data")
    catalogue.create({"id": "a", "type": "school", "title": "Stone school", "sources": [{"id": "s1", "citation": "A"}]})
    keeper = catalogue._kept()
    keeper.follow()
    searcher = catalogue.index._searcher()
    readers = [reader for reader, _ in searcher.reader().leaf_readers()]
    catalogue.store.exists = lambda: False  # as when its data directory is removed
    keeper._wake.set()
    keeper._thread.join(60)
    assert not keeper._thread.is_alive(), "the follower of a store that is gone stops"
    assert not any(reader.is_closed for reader in readers)
    assert searcher.doc_count() == 1 and searcher.stored_fields(0)["id"] == "a"  # still readable
    catalogue.close()
    assert all(reader.is_closed for reader in readers)


def test_the_first_requests_of_a_new_app_at_once_open_one_catalogue(tmp_path: Path) -> None:
    """Eight threads of a new app asking at once share one catalogue: each opened its own
    before, each with a follower thread of its index that closing the app left running."""
    from tests.conftest import make_app

    Catalogue(tmp_path / "data").close()
    app = make_app(tmp_path / "data")
    followers = {t.ident for t in threading.enumerate() if t.name == "search-index-follower"}
    barrier, answers = threading.Barrier(8), []

    def ask() -> None:
        client = app.test_client()
        barrier.wait()
        answers.append(client.get("/api/search?q=school").status_code)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    new = [t for t in threading.enumerate() if t.name == "search-index-follower" and t.ident not in followers]
    assert answers == [200] * 8 and len(new) == 1
    app.extensions["catalogue"].close()
    new[0].join(10)
    assert not new[0].is_alive()


def test_a_rebuild_asked_while_another_thread_cleans_up_waits_for_the_clean(tmp_path: Path, monkeypatch: Any) -> None:
    # The first write of an index object cleans what failed writes left, holding the rebuild
    # lock a moment; a `reindex(wait=0)` asked meanwhile from another thread (the follower's
    # first sync and an archivist's rebuild) must wait for that clean, not report a rebuild running.
    catalogue = Catalogue(tmp_path / "data")
    catalogue.create(next(iter(generate(1, seed=13))))
    index = Catalogue(tmp_path / "data", with_index=False).index  # fresh object: not cleaned yet
    real, started = generations.clean, threading.Event()

    def slow_clean(path: Path) -> None:
        lock = generations.FileLock(path / generations.REBUILD_LOCK)
        if lock.acquire(0):  # hold it as a long clean does
            started.set()
            threading.Event().wait(0.5)
            lock.release()
        real(path)

    monkeypatch.setattr(generations, "clean", slow_clean)
    cleaning = threading.Thread(target=index.sync, args=(catalogue.store,))
    cleaning.start()
    assert started.wait(10)
    assert index.reindex(catalogue.store) == 1
    cleaning.join()
    catalogue.close()


def _school(record_id: str, title: str) -> dict[str, Any]:
    return {"id": record_id, "type": "school", "title": title, "sources": [{"id": "s1", "citation": "A"}]}


def _coarse(stamp: Any, tick_ns: int) -> Any:
    """`stamp` as on a file system whose clock ticks every `tick_ns`: Linux before 6.13 keeps
    file times to the kernel's tick (a few ms), some file systems to the second."""
    def coarse(path: Path) -> Any:
        found = stamp(path)
        return found and (*found[:2], found[2] // tick_ns * tick_ns, found[3] // tick_ns * tick_ns)
    return coarse


@pytest.mark.parametrize("tick_ms", [0, 10, 1000])
def test_a_search_sees_what_another_writer_committed_the_moment_before(tmp_path: Path, monkeypatch: Any,
                                                                        tick_ms: int) -> None:
    """A serving catalogue reuses its last look at the index while neither CURRENT nor the
    generation folder changed (two stat calls instead of reading and listing them); a commit
    by another writer, however soon after that look, even within one tick of a coarse file
    clock, is found by the very next search, without the follower's help."""
    if tick_ms:
        coarse = _coarse(shared.stamp, tick_ms * 1_000_000)
        monkeypatch.setattr(shared, "stamp", coarse)
    serving = Catalogue(tmp_path / "data")
    serving.create(_school("a", "Stone school"))
    serving._kept().follow()
    # another process's catalogue: it catches the index up itself (waiting for the lock as long as
    # the follower, woken by a search, holds it: a busy machine can take longer than 200 ms)
    writer = Catalogue(tmp_path / "data", index_wait_ms=INDEX_WAIT_MS)
    for n in range(25):
        assert serving.search("zqfreshmark").total == n
        writer.create(_school(f"r{n}", f"School {n} zqfreshmark"))
        if n % 5 == 4:
            time.sleep(0.06)  # now and then the look before has settled, and is reused
    assert serving.search("zqfreshmark").total == 25
    writer.reindex()  # a new generation made live by another process
    assert serving.search("zqfreshmark").total == 25
    writer.delete("r0", reason="test")
    assert serving.search("zqfreshmark").total == 24
    writer.close()
    serving.close()


def test_a_search_reuses_its_look_only_while_the_index_is_unchanged(tmp_path: Path, monkeypatch: Any) -> None:
    """The shortcut is taken (no CURRENT read) when the index has settled, and given up when
    CURRENT is rewritten in place, as a hand edit or a restore would."""
    monkeypatch.setattr(shared, "SETTLED_SECONDS_NS", shared.SETTLED_NS)  # (a time may fall on a whole second)
    catalogue = Catalogue(tmp_path / "data")
    catalogue.create(_school("a", "Stone school"))
    catalogue._kept().follow()
    index = catalogue.index
    time.sleep(0.06)
    assert catalogue.search("stone").total == 1  # a full look, vouched for once settled
    reads: list[int] = []
    live = index.live
    index.live = lambda: reads.append(1) or live()  # type: ignore[method-assign]
    assert catalogue.search("stone").total == 1
    assert reads == []
    current = index.path / generations.CURRENT
    current.write_text(current.read_text())  # same content, written in place: the file's times change
    assert catalogue.search("stone").total == 1
    assert reads == [1]
    catalogue.close()
