"""A harvest killed with SIGKILL mid-run and started again ends with the same catalogue
as one clean run (pages are committed with their checkpoint)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.oai_provider import LOOPBACK

# Two data directories with a store each (a killed harvest against a clean one), read as files.
pytestmark = pytest.mark.own_store

ROOT = Path(__file__).resolve().parent.parent
RECORDS = 12


def catalogue_cli(data: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, CATALOGUE_DATA=str(data), CATALOGUE_DEMO_ON_EMPTY="false",
               CATALOGUE_SECRET_KEY="test-secret-key-for-a-subprocess",
               CATALOGUE_HARVEST_ALLOW_NETWORKS=LOOPBACK)
    return subprocess.Popen([sys.executable, "-c", "from catalogue.cli import main; main()", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def run(data: Path, *args: str) -> str:
    process = catalogue_cli(data, *args)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, out + err
    return out


def snapshot(data: Path) -> list[tuple]:
    """Every record with its revision and content (store timestamps left out)."""
    conn = sqlite3.connect(data / "catalogue.sqlite3")
    try:
        rows = conn.execute("SELECT id, revision, deleted, data FROM records ORDER BY id").fetchall()
    finally:
        conn.close()
    out = []
    for record_id, revision, deleted, text in rows:
        content = {k: v for k, v in json.loads(text).items() if k not in ("created", "modified")}
        out.append((record_id, revision, deleted, json.dumps(content, sort_keys=True)))
    return out


def stored(data: Path) -> int:
    try:
        conn = sqlite3.connect(data / "catalogue.sqlite3", timeout=5)
        try:
            return conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0


def serve_provider(delay: float):
    process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "oai_provider.py"), str(RECORDS), str(delay)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        yield process.stdout.readline().strip()
    finally:
        process.kill()
        process.communicate()


@pytest.fixture
def provider_url():
    yield from serve_provider(0.15)


@pytest.fixture
def slow_provider_url():
    # slow enough that the first harvest is still fetching when the second process has
    # started and been refused, even on a loaded machine (at 0.6 s a page the first one, 12
    # records in 7 s, once wrote its end in the instant between the test's check and its kill)
    yield from serve_provider(1.5)


@pytest.mark.slow
def test_sigkill_mid_harvest_then_rerun_equals_one_clean_run(tmp_path, provider_url):
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    for data in (clean, killed):
        run(data, "source", "add", "remote", provider_url, "--setting", "read_timeout=5")
    run(clean, "harvest", "remote", "--quiet")
    assert stored(clean) == RECORDS

    process = catalogue_cli(killed, "harvest", "remote", "--quiet")
    deadline = time.monotonic() + 30
    while stored(killed) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    assert process.poll() is None, "the harvest finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert 0 < stored(killed) < RECORDS

    output = run(killed, "harvest", "remote", "--quiet")
    assert "ok" in output
    assert snapshot(killed) == snapshot(clean)
    log = run(killed, "harvest-log", "remote")
    assert "interrupted" in log
    # and again: nothing changes
    run(killed, "harvest", "remote", "--quiet")
    assert snapshot(killed) == snapshot(clean)


@pytest.mark.slow
def test_a_second_process_is_refused_and_a_sigkilled_run_blocks_nothing(tmp_path, slow_provider_url):
    data = tmp_path / "data"
    run(data, "source", "add", "remote", slow_provider_url, "--setting", "read_timeout=5")
    first = catalogue_cli(data, "harvest", "remote", "--quiet")
    deadline = time.monotonic() + 30
    while stored(data) < 2 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.02)
    second = catalogue_cli(data, "harvest", "remote", "--quiet")
    out, err = second.communicate(timeout=60)
    assert second.returncode == 75, out + err
    assert "a harvest of remote is running already (run 1, process " in err and "Traceback" not in err
    assert first.poll() is None, "the first harvest finished before it could be killed"
    first.send_signal(signal.SIGKILL)
    first.communicate()
    assert "interrupted" in run(data, "harvest-log", "remote")  # not 'running' forever
    assert "ok" in run(data, "harvest", "remote", "--quiet")  # at once: no waiting for the lease to expire
    assert stored(data) == RECORDS
