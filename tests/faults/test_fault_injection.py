"""The fault suite of issue 12: damage of every kind to the index's files, kills at random
points of imports, rebuilds and harvests, concurrent readers and writers, a lock held for a
dead holder. After each fault: nothing stored is lost, search answers as an index built
afresh from the store does, and no process or lock is left behind. (A full disk is in
`test_findings.py`, finding 8.)"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalogue.search import generations, writing
from catalogue.service import Catalogue
from tests.conftest import make_app
from tests.faults.faultkit import (
    ROOT,
    alive,
    assert_nothing_left,
    assert_search_equals_fresh_rebuild,
    children,
    finish,
    fresh_snapshot,
    held_locks,
    live_generation,
    make_data,
    segment_files,
    start,
    stored_count,
    tiny_records,
    truncate_half,
    wait_until,
    write_jsonl,
)
from tests.oai_provider import LOOPBACK, Provider

#: These tests read and damage the SQLite file of a data directory themselves (tests/faults/faultkit.py).
pytestmark = pytest.mark.own_store


def _garble(path: Path) -> None:
    """Overwrite bytes in the middle of a file (its size stays)."""
    with open(path, "r+b") as handle:
        handle.seek(path.stat().st_size // 3)
        handle.write(b"\xff" * 64)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "segment truncated to half": lambda data: truncate_half(segment_files(data)[0]),
    "segment truncated to 10 bytes": lambda data: os.truncate(segment_files(data)[0], 10),
    "segment deleted": lambda data: segment_files(data)[0].unlink(),
    "segment garbled inside": lambda data: _garble(segment_files(data)[0]),
    "table of contents deleted": lambda data: next(live_generation(data).glob("_MAIN_*.toc")).unlink(),
    "table of contents truncated": lambda data: truncate_half(next(live_generation(data).glob("_MAIN_*.toc"))),
    "common words garbled": lambda data: (live_generation(data) / "common.json").write_text("{"),
    "CURRENT deleted": lambda data: (data / "index" / "CURRENT").unlink(),
    "live generation deleted": lambda data: shutil.rmtree(live_generation(data)),
    "index folder deleted": lambda data: shutil.rmtree(data / "index"),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[int, list[str]]]]:
    """A data directory to copy (the demo and 520 small records: enough for its generation to
    have common words) and what a fresh index of it answers."""
    folder = tmp_path_factory.mktemp("template")
    data = make_data(folder / "data", tiny=520)
    return data, fresh_snapshot(data, folder / "fresh")


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damaged_index_files_are_found_set_aside_and_rebuilt(tmp_path: Path, kind: str, template: Any) -> None:
    """`check --no-repair` finds the damage without writing; a search (or, for damage only a
    checksum shows, `check`) sets the damaged generation aside and rebuilds it from the store;
    search then equals a fresh rebuild."""
    data = tmp_path / "data"
    shutil.copytree(template[0], data)
    DAMAGE[kind](data)
    with Catalogue(data) as cat:
        report = cat.check_index(repair=False)
        assert report.damage is not None and not report.agrees, kind
        assert report.rebuilt is None and not (data / "index" / "set-aside").exists()
        assert cat.search("Khojaly").total == 8  # (garbled bytes a search does not read go unnoticed by it)
        cat.check_index()  # which compares checksums: a garbled segment is rebuilt now
    if kind.startswith(("segment", "table", "common")):
        [aside] = (data / "index" / "set-aside").iterdir()
        assert (aside / "SET-ASIDE.txt").read_text().strip()
    assert_search_equals_fresh_rebuild(data, tmp_path / "fresh", template[1])


def test_a_look_for_damage_lists_the_folder_once_and_parses_only_files_the_manifest_lacks(
        tmp_path: Path, template: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A serving process looks for damage before each catch-up, and a commit records its files:
    one listing of the generation however many segments it has (a listing per segment cost
    some 10 ms an edit at 60 segments), and a compound file's directory parsed only when the
    manifest recorded no size for it (a garbled file of the same size is `check`'s, by its
    checksum). A segment the manifest lacks, its directory overrunning it, is still found."""
    data = tmp_path / "data"
    shutil.copytree(template[0], data)
    with Catalogue(data) as cat:
        for n in range(3):  # more segments: each write commits one
            cat.create(tiny_records(1, prefix=f"more{n}")[0])
    folder = live_generation(data)
    assert len(generations.toc_segments(folder)) >= 4
    listed, parsed = [], []
    real_iterdir, real_parse = Path.iterdir, generations._compound_damage
    monkeypatch.setattr(Path, "iterdir", lambda self: listed.append(self) or real_iterdir(self))
    monkeypatch.setattr(generations, "_compound_damage", lambda path: parsed.append(path) or real_parse(path))
    assert generations.damage(folder) is None
    generations.record_files(folder, generations.toc_segments(folder))
    assert listed == [folder, folder] and parsed == []
    (folder / generations.MANIFEST).unlink()
    with open(segment_files(data)[0], "r+b") as handle:  # its header: a directory past its end
        handle.write(b"\x00\x00\x00\x00\x7f\xff\xff\xff")
    why = generations.damage(folder)
    assert parsed and why is not None and "should be" in why, why


def test_a_serving_process_rebuilds_in_the_background_and_says_503_meanwhile(tmp_path: Path) -> None:
    """In a serving process the rebuild runs in the follower thread: search answers 503 with
    Retry-After (page and API) until it is done, other pages answer at once."""
    data = make_data(tmp_path / "data", tiny=1500)
    app = make_app(data)
    client = app.test_client()
    assert client.get("/api/search?q=Khojaly").status_code == 200
    truncate_half(segment_files(data)[0])
    aside, answers = data / "index" / "set-aside", []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the follower finds the damage within a second or so
        response = client.get("/api/search?q=Khojaly")
        answers.append(response.status_code)
        if response.status_code == 200:
            if aside.exists() and 503 in answers:
                break
            time.sleep(0.02)
            continue
        assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
        assert response.json["title"] == "Search is being rebuilt"
        page = client.get("/search?q=Khojaly")
        assert page.status_code in (200, 503)
        if page.status_code == 503:
            assert "Search is being rebuilt" in page.text and page.headers["Retry-After"]
        for path in ("/", "/records/khojaly-schools", "/oai?verb=Identify", "/export/records.csv?type=school"):
            assert client.get(path).status_code == 200, path
        time.sleep(0.05)
    assert answers[-1] == 200 and 503 in answers, answers
    assert len(client.get("/api/search?q=Khojaly").json["hits"]) == 8
    app.extensions["catalogue"].close()
    assert_search_equals_fresh_rebuild(data, tmp_path / "fresh")


def _kill_at_random(process: subprocess.Popen[str], rng: random.Random, seconds: float) -> list[int]:
    """SIGKILL `process` at a random moment within `seconds` (unless it ended); the children
    it had then (a killed parent's children are what must not live on)."""
    deadline = time.monotonic() + rng.uniform(0.2, seconds)
    seen: set[int] = set()
    while time.monotonic() < deadline and process.poll() is None:
        seen.update(children(process.pid))
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    for pipe in (process.stdout, process.stderr):
        pipe.close()
    return sorted(seen)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_an_import_or_reindex_killed_at_a_random_point_loses_nothing(tmp_path: Path, seed: int) -> None:
    """`import` then `reindex` killed at random moments: no process or lock stays, the store
    keeps every committed batch (importing again completes it), and search equals a fresh rebuild."""
    rng = random.Random(seed)
    data = make_data(tmp_path / "data")
    bulk = write_jsonl(tmp_path / "bulk.jsonl", tiny_records(800, f"k{seed}"))
    left = _kill_at_random(start(data, "import", str(bulk)), rng, 6.0)
    assert_nothing_left(data, left)
    left = _kill_at_random(start(data, "reindex"), rng, 3.0)
    assert_nothing_left(data, left)
    code, out, err = finish(start(data, "import", str(bulk)))
    assert code == 0 and "0 failed" in out, err
    assert stored_count(data) == 8 + 800
    code, out, err = finish(start(data, "check"))
    assert code == 0 and out.splitlines()[-1] == "index and store agree", out + err
    assert_search_equals_fresh_rebuild(data, tmp_path / "fresh")


@pytest.mark.slow
def test_a_harvest_killed_at_random_points_loses_nothing(tmp_path: Path) -> None:
    """A harvest killed twice at random moments, then run to the end: every record stored
    once, the index agrees, search equals a fresh rebuild, nothing left behind."""
    rng = random.Random(12)
    data = make_data(tmp_path / "data", demo=False, tiny=2)
    settings = {"HARVEST_ALLOW_NETWORKS": LOOPBACK}
    with Provider(page_size=100) as provider:
        for n in range(600):
            provider.put(f"oai:test:{n:04d}", f"Harvested tomb {n}", type="monument", datestamp="2024-01-01T00:00:00Z")
        assert finish(start(data, "source", "add", "remote", provider.url, **settings))[0] == 0
        for _ in range(2):
            left = _kill_at_random(start(data, "harvest", "remote", "--quiet", **settings), rng, 4.0)
            assert_nothing_left(data, left)
        code, out, err = finish(start(data, "harvest", "remote", "--quiet", **settings))
        assert code == 0, out + err
    assert stored_count(data) == 2 + 600
    with Catalogue(data) as cat:
        assert cat.search("harvested", page_size=1).total == 600
    assert_search_equals_fresh_rebuild(data, tmp_path / "fresh")


WRITER = """
import sys
from catalogue.service import Catalogue
with Catalogue(sys.argv[1]) as catalogue:
    for i in range(int(sys.argv[3])):
        catalogue.create({"id": f"{sys.argv[2]}-{i}", "type": "tomb", "title": f"Concurrent tomb {sys.argv[2]} {i}",
                          "sources": [{"id": "s", "citation": "Test."}]})
"""


@pytest.mark.slow
def test_concurrent_readers_and_writers_never_see_an_error(tmp_path: Path) -> None:
    """Three writer processes and eight reader threads of a serving app at once: every search
    answers 200 (no race with a commit), every write is searchable at the end."""
    data = make_data(tmp_path / "data")
    app = make_app(data)
    stop, statuses = threading.Event(), []

    def read(n: int) -> None:
        client = app.test_client()
        while not stop.is_set():
            statuses.append(client.get(f"/api/search?q={['tomb', 'concurrent', 'Khojaly'][n % 3]}").status_code)

    readers = [threading.Thread(target=read, args=(n,)) for n in range(8)]
    for thread in readers:
        thread.start()
    try:
        writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(data), name, "25"], cwd=ROOT)
                   for name in ("a", "b", "c")]
        assert [w.wait(timeout=300) for w in writers] == [0, 0, 0]
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert statuses and set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    client = app.test_client()
    assert wait_until(lambda: client.get("/api/search?q=concurrent").json["total"] == 75, timeout=30)
    app.extensions["catalogue"].close()
    assert_nothing_left(data, [])
    assert_search_equals_fresh_rebuild(data, tmp_path / "fresh")


HOLDER = """
import json, os, subprocess, sys
from catalogue.search.locks import FileLock

lock = FileLock(sys.argv[1])
assert lock.acquire(0)
# an orphan that inherits the locked file (as writer processes of older releases did) and lives on
orphan = subprocess.Popen(["sleep", "60"], pass_fds=[lock._fd], start_new_session=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(json.dumps([os.getpid(), orphan.pid]), flush=True)
os._exit(0)
"""


def test_a_lock_whose_holder_died_does_not_count(tmp_path: Path) -> None:
    """A generation's write lock still held by an orphan of a dead writer: the next write
    takes it at once (its recorded holder is dead) and the index follows."""
    data = make_data(tmp_path / "data")
    lock_file = live_generation(data) / generations.WRITE_LOCK
    done = subprocess.run([sys.executable, "-c", HOLDER, str(lock_file)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    holder, orphan = json.loads(done.stdout)
    try:
        assert wait_until(lambda: not alive(holder), timeout=10) and alive(orphan)
        assert held_locks(data) == [lock_file]
        with Catalogue(data) as cat:
            started = time.monotonic()
            cat.create({"id": "after", "type": "tomb", "title": "After the orphan",
                        "sources": [{"id": "s", "citation": "T."}]})
            assert time.monotonic() - started < 5
            assert cat.index.last_seq() == cat.store.last_seq()
            assert cat.search("orphan").total == 1
    finally:
        os.kill(orphan, signal.SIGKILL)


def test_a_look_that_races_a_commit_finds_no_damage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A searching process checks the live generation without the write lock: when another
    process commits meanwhile and merges segments away, the files of the table of contents
    it read are gone. That is no damage (the newer table of contents is whole), and a search
    that set the live index aside for it would leave every reader without search."""
    data = make_data(tmp_path / "data")
    folder = live_generation(data)
    before = generations.read_toc(generations.open_index(folder))
    first = {s.segment_id() for s in before.segments}
    with Catalogue(data) as cat:
        for name in range(20 * writing.MAX_SEGMENTS):  # single edits, merged when their segments pile up
            cat.create({"id": f"race-{name}", "type": "tomb", "title": f"Race {name}",
                        "sources": [{"id": "s", "citation": "Test."}]})
            if first - {s.segment_id() for s in generations.toc_segments(folder)}:
                break
    assert live_generation(data) == folder
    now = generations.read_toc(generations.open_index(folder))
    assert first - {s.segment_id() for s in now.segments}, "the commits merged no segment away: the race is not staged"
    real, calls = generations.read_toc, []

    def stale_first(ix: Any) -> Any:  # the look read its table of contents just before the commits
        calls.append(1)
        return before if len(calls) == 1 else real(ix)

    monkeypatch.setattr(generations, "read_toc", stale_first)
    assert generations.damage(folder, deep=True) is None
    assert len(calls) >= 2
    monkeypatch.undo()
    for path in segment_files(data)[:1]:  # real damage is still found
        truncate_half(path)
    assert generations.damage(folder) is not None


def test_opening_as_a_commit_replaces_the_table_of_contents_finds_no_damage(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening a generation reads the table of contents the folder listing names; a commit in
    another process may delete it in between (it wrote a newer one). Opening looks again
    instead of calling the live index damaged."""
    data = make_data(tmp_path / "data")
    folder = live_generation(data)
    real, calls = generations.TOC.read, []

    def replaced_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise FileNotFoundError(2, "No such file or directory", str(folder / "_MAIN_1.toc"))
        return real(*args, **kwargs)

    monkeypatch.setattr(generations.TOC, "read", replaced_once)
    assert generations.damage(folder) is None
    with Catalogue(data) as cat:
        assert cat.search("Khojaly", page_size=1).total > 0
    assert len(calls) >= 2 and live_generation(data) == folder
