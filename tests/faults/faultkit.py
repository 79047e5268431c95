"""Tools of the fault tests: data directories, real `catalogue` processes to stop and kill
(serve, import, reindex, check, harvest), damage to do to an index, a small full disk, and
the checks every fault test ends with: nothing lost, search equal to a fresh rebuild, no
process and no lock left behind."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

from catalogue.cli.records import demo_path
from catalogue.service import Catalogue
from harvest.jsonlfile import read_jsonl
from tests.clirun import cli_env, command
from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parent.parent.parent
#: Queries whose hits must equal a fresh rebuild's (words of the demo and of `tiny_records`).
QUERIES = ["", "Khojaly", "tomb", "school OR library", '"local history"', "type:tomb", "testville",
           "stone", "number*", "tombz~", "status:destroyed"]
WORDS = ["stone", "tomb", "village", "brick", "tower", "mosque", "old", "carved", "gate", "school"]


def tiny_records(count: int, prefix: str = "t", start: int = 0) -> list[dict[str, Any]]:
    """Small valid records (quick to index) with a few shared words."""
    return [{"id": f"{prefix}-{n}", "type": "tomb" if n % 3 else "school",
             "title": f"{WORDS[n % len(WORDS)]} {WORDS[(n * 7) % len(WORDS)]} number {n} of Testville",
             "sources": [{"id": "s", "citation": "Test source."}]}
            for n in range(start, start + count)]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def make_data(data: Path, *, demo: bool = True, tiny: int = 0, index: bool = True) -> Path:
    """A data directory with the demo collection and `tiny` small records; with its index built
    (`index`) or none at all."""
    with Catalogue(data, with_index=False) as cat:
        if demo:
            assert cat.import_records(read_jsonl(demo_path())).failed == 0
        if tiny:
            assert cat.import_records(("test", r) for r in tiny_records(tiny)).failed == 0
    if index:
        with Catalogue(data) as cat:
            cat.reindex()
    return data


def start(data: Path, *args: str, **settings: str) -> subprocess.Popen[str]:
    """`catalogue ARGS` over `data` as a real process (stdout and stderr piped)."""
    data.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([*command(), *args], cwd=data.parent, env=cli_env(data, **settings),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def serve(data: Path, **settings: str) -> tuple[subprocess.Popen[str], str]:
    """`catalogue serve --port 0` over `data`: the process and its base URL once it listens."""
    process = start(data, "serve", "--port", "0", "--threads", "4", **settings)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("Serving on "):
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"serve did not start: {line}{err}")
    return process, line.split()[2].rstrip("/")


def stop(process: subprocess.Popen[str]) -> str:
    """Stop a server with Ctrl+C and return what it logged (stderr)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return err


def get(base: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(base + path, timeout=30, **kwargs)


def children(pid: int) -> list[int]:
    """The live child processes of `pid`."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_until(predicate: Callable[[], Any], timeout: float = 30, interval: float = 0.02) -> Any:
    """Poll `predicate` until it is true (and return its value) or `timeout` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def live_generation(data: Path) -> Path:
    return data / "index" / (data / "index" / "CURRENT").read_text().strip()


def segment_files(data: Path) -> list[Path]:
    """The segment files of the live generation, largest first."""
    return sorted(live_generation(data).glob("MAIN_*.seg"), key=lambda p: -p.stat().st_size)


def truncate_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def held_locks(data: Path) -> list[Path]:
    """The lock files under DATA/index that some process holds now."""
    held = []
    for path in (data / "index").rglob("*"):
        if not path.is_file() or not ("LOCK" in path.name.upper() or path.name == "REINDEX"):
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.append(path)
        finally:
            os.close(fd)
    return held


def stored_count(data: Path) -> int:
    """Records in the store (read with plain SQLite, as another program would)."""
    conn = sqlite3.connect(data / "catalogue.sqlite3", timeout=30)
    try:
        return conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    finally:
        conn.close()


def store_seq(data: Path) -> int:
    """The store's last change (read with plain SQLite)."""
    conn = sqlite3.connect(data / "catalogue.sqlite3", timeout=30)
    try:
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'revisions'").fetchone()
        return row[0] if row else 0
    finally:
        conn.close()


def index_seq(data: Path) -> int:
    """The last store change the live generation holds (0 when there is none)."""
    try:
        return int((live_generation(data) / "seq.json").read_text() or 0)
    except (OSError, ValueError):
        return 0


def hits(cat: Catalogue, query: str) -> tuple[int, list[str]]:
    """The total and every hit (all pages) of a search."""
    found, page = [], 1
    while True:
        result = cat.search(query, page=page, page_size=1000, facets=False, highlight=False)
        found += [hit.id for hit in result.hits]
        if page >= result.pages:
            return result.total, sorted(found)
        page += 1


def snapshot(cat: Catalogue) -> dict[str, tuple[int, list[str]]]:
    return {query: hits(cat, query) for query in QUERIES}


def fresh_snapshot(data: Path, scratch: Path) -> dict[str, tuple[int, list[str]]]:
    """What search answers over an index built afresh from a copy of the store of `data`."""
    scratch.mkdir(parents=True, exist_ok=True)
    with Catalogue(data, with_index=False) as cat:
        cat.backup(scratch / "catalogue.sqlite3")
    with Catalogue(scratch) as fresh:
        fresh.reindex()
        return snapshot(fresh)


def assert_search_equals_fresh_rebuild(data: Path, scratch: Path,
                                       want: dict[str, tuple[int, list[str]]] | None = None) -> None:
    """Search over `data` (after it healed) answers every query of `QUERIES` as an index built
    afresh from a copy of its store does (`want`, when known already), and the index agrees
    with its store."""
    with Catalogue(data) as cat:
        got = snapshot(cat)
        report = cat.check_index(repair=False)
        assert report.agrees, report
    want = want or fresh_snapshot(data, scratch)
    differ = {q: (got[q][0], want[q][0], sorted(set(got[q][1]) ^ set(want[q][1]))[:10]) for q in QUERIES
              if got[q] != want[q]}
    assert not differ, f"(total, fresh total, ids in one only) by query: {differ}"


def assert_nothing_left(data: Path, pids: list[int]) -> None:
    """No process of `pids` lives on and no lock under DATA/index is held."""
    assert wait_until(lambda: not [p for p in pids if alive(p)], timeout=10), \
        f"processes left behind: {[p for p in pids if alive(p)]}"
    assert held_locks(data) == []


@contextlib.contextmanager
def small_disk(path: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` (root only; elsewhere the test gives up through
    `unavailable`, which fails under CI)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        unavailable(f"cannot mount a tmpfs to fill: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield path
    finally:
        for _ in range(50):
            if subprocess.run(["umount", str(path)], capture_output=True, check=False).returncode == 0:
                break
            time.sleep(0.1)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill the disk at `disk` up to `leave` free bytes (a file `filler`)."""
    filler = disk / "filler"
    with open(filler, "ab", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 4096)
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler
