"""The change notification an index replica follows (`Catalogue.wait_for_change`), on both
stores: a waiter wakes when another process commits a change (PostgreSQL: LISTEN/NOTIFY;
SQLite: polling the change sequence), times out quietly otherwise, and keeps waking after
its listening connection is killed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psycopg
import pytest

from catalogue.service import Catalogue
from tests.recordsamples import make_record
from tests.test_store import shared_url

pytestmark = pytest.mark.own_store  # the tests choose their stores themselves

ROOT = Path(__file__).resolve().parent.parent
#: How late a waiter may wake after a commit by another process (the issue's replica lag is 1 s).
LATE = 0.6

WRITE_LATER = textwrap.dedent(
    """
    import sys, time
    from catalogue.service import Catalogue
    from tests.recordsamples import make_record

    data_dir, url, record_id = sys.argv[1], sys.argv[2], sys.argv[3]
    with Catalogue(data_dir, database_url=url, with_index=False) as cat:
        time.sleep(0.5)
        cat.create(make_record(id=record_id))
        print(time.time(), cat.last_change(), flush=True)
    """
)


def write_in_another_process(data_dir: Path, url: str, record_id: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITE_LATER, str(data_dir), url, record_id], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def committed(proc: subprocess.Popen[str]) -> tuple[float, int]:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    at, seq = out.split()
    return float(at), int(seq)


def test_a_wait_times_out_without_a_change(tmp_path: Path, store_url: str | None) -> None:
    with Catalogue(tmp_path / "a", database_url=store_url, with_index=False) as cat:
        cat.create(make_record(id="first"))
        mark = cat.last_change()
        started = time.monotonic()
        assert cat.wait_for_change(mark, timeout=0.4) == mark
        assert 0.35 <= time.monotonic() - started < 2
        assert cat.wait_for_change(mark - 1, timeout=5) == mark  # a change is there already: no wait


def test_a_waiter_wakes_when_another_node_commits(tmp_path: Path, store_url: str | None) -> None:
    url = shared_url(tmp_path, store_url)
    with Catalogue(tmp_path / "a", database_url=url, with_index=False) as cat:
        mark = cat.last_change()
        writer = write_in_another_process(tmp_path / "b", url, "from-b")
        seq = cat.wait_for_change(mark, timeout=30)
        woke = time.time()
        at, written = committed(writer)
        assert seq == written > mark
        assert woke - at < LATE
        assert cat.get("from-b")["id"] == "from-b"


def test_a_waiter_keeps_waking_after_its_listener_is_killed(tmp_path: Path, postgres) -> None:
    """PostgreSQL: the listening connection is terminated by the server; the waiter polls and
    listens again, and still sees the next commit in time."""
    url = postgres.fresh_url()
    try:
        with Catalogue(tmp_path / "a", database_url=url, with_index=False) as cat:
            mark = cat.last_change()
            assert cat.wait_for_change(mark, timeout=0.2) == mark  # the listener is open now
            with psycopg.connect(postgres.admin_url, autocommit=True) as admin:
                killed = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                       " WHERE query = 'LISTEN catalogue_changes'").fetchall()
            assert killed and all(row[0] for row in killed)
            writer = write_in_another_process(tmp_path / "b", url, "after-kill")
            seq = cat.wait_for_change(mark, timeout=30)
            woke = time.time()
            at, written = committed(writer)
            assert seq == written and woke - at < LATE + 1.0
    finally:
        postgres.drop(url)


def test_a_wait_ends_when_it_is_interrupted(tmp_path: Path, store_url: str | None) -> None:
    """A follower being stopped interrupts its wait at once, change or no change."""
    with Catalogue(tmp_path / "a", database_url=store_url, with_index=False) as cat:
        cat.create(make_record(id="first"))
        mark, stop = cat.last_change(), threading.Event()
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        assert cat.store.wait_for_change(mark, timeout=20, interrupt=stop) == mark
        assert time.monotonic() - started < 10
