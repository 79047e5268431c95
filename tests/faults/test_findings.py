"""Issue 12, "the index heals itself": one regression test per finding of the outside fault
test, each through the public surface (real `catalogue` processes, HTTP, the Python API) and
each failing on the code before the fix."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from catalogue.search import writing
from catalogue.search._whoosh import whoosh_index
from catalogue.service import Catalogue
from tests.conftest import make_app
from tests.faults.faultkit import (
    alive,
    assert_nothing_left,
    assert_search_equals_fresh_rebuild,
    children,
    fill,
    finish,
    get,
    held_locks,
    index_seq,
    make_data,
    segment_files,
    serve,
    small_disk,
    start,
    stop,
    store_seq,
    stored_count,
    tiny_records,
    truncate_half,
    wait_until,
    write_jsonl,
)
from tests.oai_provider import LOOPBACK, Provider

#: These tests read and damage the SQLite file of a data directory themselves (tests/faults/faultkit.py).
pytestmark = pytest.mark.own_store

PAGES = ["/", "/records/khojaly-schools", "/records/khojaly-schools/history", "/oai?verb=Identify",
         "/oai?verb=ListRecords&metadataPrefix=oai_dc", "/export/records.jsonl", "/stats", "/api/records/khojaly-clubs"]


def searchable(base: str, query: str, expected: set[str]) -> bool:
    """Whether the server's search for `query` answers 200 with exactly `expected` (never a 5xx
    other than the 503 of a rebuild)."""
    response = get(base, f"/api/search?q={query}&page_size=100")
    assert response.status_code in (200, 503), response.text
    return response.status_code == 200 and {h["id"] for h in response.json()["hits"]} == expected


@pytest.mark.slow
def test_finding_1_a_truncated_segment_never_takes_the_server_down(tmp_path: Path) -> None:
    """A segment file truncated to half under a running server: no SIGBUS, no 500; search
    answers 503 (Retry-After) while the index is set aside and rebuilt by itself, every other
    page keeps working, and a restarted server (with a change waiting) starts and heals too."""
    data = make_data(tmp_path / "data", tiny=30)
    server, base = serve(data)
    try:
        khojaly = {h["id"] for h in get(base, "/api/search?q=Khojaly&page_size=100").json()["hits"]}
        assert len(khojaly) == 8
        old = segment_files(data)[0]
        truncate_half(old)
        for query in ("Khojaly", "tomb", "library", "school", "testville", "stone", "mosque"):
            response = get(base, f"/search?q={query}&page=1")
            assert response.status_code in (200, 503), response.text
            if response.status_code == 503:
                assert response.headers["Retry-After"] and "being rebuilt" in response.text
            for path in PAGES:
                assert get(base, path).status_code == 200, path
        assert wait_until(lambda: searchable(base, "Khojaly", khojaly), timeout=60)
        assert server.poll() is None
        aside = data / "index" / "set-aside"
        assert [p.name.startswith(old.parent.name) for p in aside.iterdir()] == [True]
        assert "bytes long" in next(aside.iterdir()).joinpath("SET-ASIDE.txt").read_text()
    finally:
        log = stop(server)
    assert "Traceback" not in log

    truncate_half(segment_files(data)[0])
    with Catalogue(data, with_index=False) as offline:  # a change waiting to be indexed
        offline.create({"id": "waiting", "type": "tomb", "title": "Waiting caravanserai",
                        "sources": [{"id": "s", "citation": "Test."}]})
    server, base = serve(data)
    try:
        assert wait_until(lambda: searchable(base, "caravanserai", {"waiting"}), timeout=60)
        assert searchable(base, "Khojaly", khojaly)
    finally:
        log = stop(server)
    assert "Traceback" not in log
    assert_search_equals_fresh_rebuild(data, tmp_path / "fresh")


def test_finding_2_the_documented_repair_repairs_a_damaged_index_behind_the_store(tmp_path: Path) -> None:
    """With the store ahead of a damaged index, `check --no-repair` says so (exit 1, no
    traceback), `reindex` rebuilds it and `check` (the repair README documents) sets it
    aside and rebuilds it; nobody has to delete DATA/index by hand."""
    data = make_data(tmp_path / "data", tiny=20)

    def damage_and_store_ahead(n: int) -> None:
        truncate_half(segment_files(data)[0])
        with Catalogue(data, with_index=False) as offline:
            offline.create({"id": f"ahead-{n}", "type": "tomb", "title": f"Ahead caravanserai {n}",
                            "sources": [{"id": "s", "citation": "Test."}]})

    damage_and_store_ahead(1)
    code, out, err = finish(start(data, "check", "--no-repair"))
    assert code == 1 and "Traceback" not in err and "Aborted" not in err
    assert "cannot be read" in out and err.strip().startswith("Error: the index cannot be read")
    code, out, err = finish(start(data, "reindex"))
    assert (code, err) == (0, ""), err
    assert out.startswith(f"Reindexed {8 + 20 + 1} records")

    damage_and_store_ahead(2)
    code, out, err = finish(start(data, "check"))
    assert code == 0 and "Traceback" not in err, err
    assert "rebuilt it from the store: 30 records" in out
    assert "set aside" in err  # the log line saying why
    code, out, err = finish(start(data, "check", "--no-repair"))
    assert (code, out.splitlines()[-1]) == (0, "index and store agree")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "catalogue check" in readme and "set aside" in readme
    assert_search_equals_fresh_rebuild(data, tmp_path / "fresh")


@pytest.mark.slow
def test_finding_3_writer_processes_die_with_a_killed_reindex_and_hold_no_lock(tmp_path: Path) -> None:
    """A `reindex` killed with SIGKILL while its two writer processes run: they die with it,
    no lock stays held, and the next reindex runs at once."""
    data = make_data(tmp_path / "data", demo=False, tiny=writing.PARALLEL_MIN, index=False)
    reindex = start(data, "reindex", "--procs", "2")
    workers = wait_until(lambda: len(found := children(reindex.pid)) >= 2 and found, timeout=60)
    try:
        assert workers, "the reindex started no writer processes"
        reindex.send_signal(signal.SIGKILL)
        reindex.wait()  # (not communicate: writer processes that lived on would hold its pipes open)
        assert wait_until(lambda: not any(alive(p) for p in workers), timeout=5), "writer processes lived on"
        assert held_locks(data) == []
        # --wait 0: a lock the killed run left held would refuse this one at once (exit 1), so
        # it proves "at once" without a wall-clock bound that a loaded machine can break.
        code, out, err = finish(start(data, "reindex", "--procs", "2", "--wait", "0"))
        assert code == 0, err
        assert out.startswith(f"Reindexed {writing.PARALLEL_MIN} records")
        assert_nothing_left(data, workers)
    finally:
        for pid in workers or []:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        for pipe in (reindex.stdout, reindex.stderr):
            pipe.close()


def test_finding_4_check_works_and_reports_truthfully_from_any_state(tmp_path: Path) -> None:
    """`check` on an empty store; `check --no-repair` on a lagging index only reads and says
    how far behind it is (exit 1); plain `check` counts the changes it applied."""
    empty = tmp_path / "empty" / "data"
    code, out, err = finish(start(empty, "check"))
    assert (code, err) == (0, ""), err
    assert out.splitlines()[-1] == "index and store agree"
    code, out, err = finish(start(empty, "check", "--no-repair"))
    assert (code, err) == (0, ""), err

    data = make_data(tmp_path / "data")
    with Catalogue(data, with_index=False) as offline:
        offline.import_records(("test", r) for r in tiny_records(25))
    before = index_seq(data)
    code, out, err = finish(start(data, "check", "--no-repair"))
    assert code == 1 and "Traceback" not in err
    assert "the index lags 25 changed records behind the store" in out and "25 missing from the index" in out
    assert "(25 changed records not applied yet)" in err
    assert index_seq(data) == before, "--no-repair wrote to the index"
    code, out, err = finish(start(data, "check"))
    assert code == 0, err
    assert "caught up: 25 records written" in out and out.splitlines()[-1] == "index and store agree"
    assert index_seq(data) > before


def test_finding_5_a_search_that_races_a_commit_is_answered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that lists the index's table of contents just before a writer commits a newer
    one (and deletes the old) reads again instead of answering 500."""
    app = make_app(tmp_path / "data")
    client = app.test_client()
    writer = Catalogue(tmp_path / "data")
    writer.create({"id": "first", "type": "tomb", "title": "First caravanserai",
                   "sources": [{"id": "s", "citation": "T."}]})
    assert client.get("/api/search?q=caravanserai").status_code == 200
    writer.create({"id": "second", "type": "tomb", "title": "Second caravanserai",
                   "sources": [{"id": "s", "citation": "T."}]})
    real = whoosh_index.TOC.read.__func__
    reader_thread, raced = threading.current_thread(), []

    def racing(cls: Any, storage: Any, indexname: str, gen: int | None = None, schema: Any = None) -> Any:
        if threading.current_thread() is reader_thread and not raced:
            raced.append(gen := cls._latest_generation(storage, indexname))
            writer.create({"id": "third", "type": "tomb", "title": "Third caravanserai",  # commits, deletes gen
                           "sources": [{"id": "s", "citation": "T."}]})
        return real(cls, storage, indexname, gen=gen, schema=schema)

    monkeypatch.setattr(whoosh_index.TOC, "read", classmethod(racing))
    response = client.get("/api/search?q=caravanserai")
    assert raced, "the search did not read the table of contents"
    assert response.status_code == 200, response.text
    assert {h["id"] for h in response.json["hits"]} <= {"first", "second", "third"}
    monkeypatch.undo()
    assert {h["id"] for h in client.get("/api/search?q=caravanserai").json["hits"]} == {"first", "second", "third"}
    writer.close()
    app.extensions["catalogue"].close()


def test_finding_6_a_stored_write_is_never_reported_as_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    """The index update after a committed write fails: the client gets 201 (a retry would
    get 409), the failure is logged, and search heals once the fault is gone."""
    app = make_app(tmp_path / "data", INDEX_WAIT_MS=1000)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init", "--demo"]).exit_code == 0
    token = runner.invoke(args=["token", "create", "t", "--role", "archivist"]).stdout.strip()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/search?q=Khojaly").status_code == 200

    def full_disk(*args: Any, **kwargs: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writing, "apply", full_disk)
    body = {"id": "juma", "type": "mosque", "title": "Juma caravanserai", "sources": [{"id": "s", "citation": "T."}]}
    response = client.post("/api/records", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert client.post("/api/records", json=body, headers=headers).status_code == 409
    assert client.get("/api/records/juma").status_code == 200
    assert any("No space left on device" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    assert wait_until(lambda: client.get("/api/search?q=caravanserai").json["total"] == 1, timeout=60)
    app.extensions["catalogue"].close()


def _stop_while_indexing(process: subprocess.Popen[str], data: Path, records: int) -> None:
    """SIGSTOP `process` (an import) while its index catch-up holds the index's write lock."""
    assert wait_until(lambda: stored_count(data) >= records or process.poll() is not None, timeout=120)
    for _ in range(200):
        if wait_until(lambda: held_locks(data), timeout=5) is None or process.poll() is not None:
            break
        process.send_signal(signal.SIGSTOP)
        if held_locks(data):
            return
        process.send_signal(signal.SIGCONT)
    raise AssertionError("the import finished its index catch-up before it could be stopped")


@pytest.mark.slow
def test_finding_7_a_save_does_not_wait_for_a_bulk_import_or_for_readers(tmp_path: Path) -> None:
    """An API save while `catalogue import` holds the index (stopped mid catch-up) returns
    within the write bound; with readers hammering search, saves stay fast; all of it is
    searchable once the import goes on."""
    data = make_data(tmp_path / "data")
    bulk = 2000
    records = 8 + bulk
    app = make_app(data, INDEX_WAIT_MS=200)
    runner = app.test_cli_runner()
    token = runner.invoke(args=["token", "create", "t", "--role", "archivist"]).stdout.strip()
    client = app.test_client()
    assert client.get("/api/search?q=Khojaly").status_code == 200
    headers = {"Authorization": f"Bearer {token}"}

    def save(n: int, client: Any = client) -> float:
        body = {"id": f"saved-{n}", "type": "tomb", "title": f"Saved caravanserai {n}",
                "sources": [{"id": "s", "citation": "T."}]}
        started = time.monotonic()
        assert client.post("/api/records", json=body, headers=headers).status_code == 201
        return time.monotonic() - started

    importing = start(data, "import", str(write_jsonl(tmp_path / "bulk.jsonl", tiny_records(bulk, "bulk"))))
    try:
        _stop_while_indexing(importing, data, records)
        assert save(0) < 3.0, "a save waited for the import's index batch"
        stop_reading = threading.Event()

        def read() -> None:
            reader = app.test_client()
            while not stop_reading.is_set():
                assert reader.get("/api/search?q=tomb").status_code in (200, 503)

        readers = [threading.Thread(target=read) for _ in range(8)]
        for thread in readers:
            thread.start()
        try:
            times = sorted(save(n) for n in range(1, 11))
        finally:
            stop_reading.set()
            for thread in readers:
                thread.join()
        assert times[-2] < 3.0, f"saves under readers: {times}"
    finally:
        importing.send_signal(signal.SIGCONT)
        code, out, err = finish(importing)
    assert code == 0 and f"{bulk} created" in out, err
    saved = {f"saved-{n}" for n in range(11)}
    assert wait_until(lambda: {h["id"] for h in client.get("/api/search?q=caravanserai&page_size=50").json["hits"]}
                      == saved, timeout=60)
    app.extensions["catalogue"].close()
    assert_nothing_left(data, [])
    assert_search_equals_fresh_rebuild(data, tmp_path / "fresh")


@pytest.mark.slow
def test_finding_8_a_full_disk_gives_clear_errors_leaves_nothing_and_serve_still_reads(tmp_path: Path) -> None:
    """On a full disk: `token create` and `reindex` say the disk is full (no traceback, no
    `cannot rollback`), leave no empty generation or temporary file; `serve` starts and serves
    pages and search read-only; once there is room, writes work and search catches up."""
    with small_disk(tmp_path / "disk", "4m") as disk:
        data = make_data(disk / "data", tiny=20)
        generations_before = sorted(p.name for p in (data / "index").glob("gen-*"))
        filler = fill(disk, leave=40 * 1024)  # the WAL index fits, a transaction does not
        code, out, err = finish(start(data, "token", "create", "full", "--role", "archivist"))
        assert code == 1 and "Traceback" not in err and "cannot rollback" not in err
        assert "Error: the disk holding the catalogue is full: nothing was stored" in err
        code, out, err = finish(start(data, "reindex"))
        assert code == 1 and "Traceback" not in err, err
        assert "the index could not be rebuilt: No space left on device" in err
        assert sorted(p.name for p in (data / "index").glob("gen-*")) == generations_before
        leftovers = [p for p in (data / "index").rglob("*") if p.name.endswith((".ctmp", ".tmp"))]
        assert leftovers == []

        fill(disk)  # not a byte left
        server, base = serve(data)
        try:
            assert get(base, "/").status_code == 200
            assert get(base, "/records/khojaly-schools").status_code == 200
            assert len(get(base, "/api/search?q=Khojaly").json()["hits"]) == 8
            form = get(base, "/oai?verb=Identify")
            assert form.status_code == 200
            filler.unlink()
            code, out, err = finish(start(data, "token", "create", "roomy", "--role", "archivist"))
            assert code == 0, err
            token = out.strip().splitlines()[-1]
            body = {"id": "after", "type": "tomb", "title": "Roomy caravanserai",
                    "sources": [{"id": "s", "citation": "T."}]}
            response = requests.post(base + "/api/records", json=body, timeout=30,
                                     headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 201, response.text
            assert wait_until(lambda: get(base, "/api/search?q=caravanserai").json()["total"] == 1, timeout=60)
        finally:
            log = stop(server)
        assert "Traceback" not in log
        assert_search_equals_fresh_rebuild(data, tmp_path / "fresh")


@pytest.mark.slow
def test_finding_9_a_harvest_catch_up_killed_halfway_keeps_what_it_indexed(tmp_path: Path) -> None:
    """The index catch-up at the end of a large harvest commits as it goes: killed in the
    middle, the index keeps the records it had indexed (search is not empty meanwhile), and
    `check` completes it."""
    total = 1600  # more changes than one commit of the catch-up holds (writing.COMMIT_EVERY)
    data = make_data(tmp_path / "data", demo=False, tiny=3)
    with Provider(page_size=500) as provider:
        for n in range(total):
            provider.put(f"oai:test:{n:05d}", f"Harvested caravanserai {n}", type="monument",
                         datestamp="2024-01-01T00:00:00Z")
        settings = {"HARVEST_ALLOW_NETWORKS": LOOPBACK}
        code, out, err = finish(start(data, "source", "add", "remote", provider.url, "--setting", "read_timeout=30",
                                      **settings))
        assert code == 0, err
        start_seq = index_seq(data)
        harvest = start(data, "harvest", "remote", "--quiet", **settings)
        try:
            assert wait_until(lambda: stored_count(data) >= 3 + total or harvest.poll() is not None, timeout=300)
            last = store_seq(data)
            partial = wait_until(lambda: start_seq < (seq := index_seq(data)) < last and harvest.poll() is None and seq,
                                 timeout=120, interval=0.005)
            assert partial, "the catch-up committed nothing before it ended"
            harvest.send_signal(signal.SIGKILL)
            harvest.wait()
        finally:
            if harvest.poll() is None:
                harvest.kill()
            harvest.communicate()
    assert index_seq(data) >= partial
    with Catalogue(data) as cat:
        indexed = cat.index.search("caravanserai", filters={}, sort="relevance", page=1, page_size=1,
                                   facets=False, highlight=False).total
        assert 0 < indexed < total
    code, out, err = finish(start(data, "check"))
    assert code == 0 and out.splitlines()[-1] == "index and store agree", err
    assert_search_equals_fresh_rebuild(data, tmp_path / "fresh")
