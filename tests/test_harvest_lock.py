"""One harvest of a source at a time: a second run (cron, the CLI, the web button) is refused
while one runs, and the lease of a run that died (SIGKILL, another host gone quiet) stops
counting, so later runs are not blocked."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

import harvest.runs
import harvest.sources
from catalogue.store import harvest as harvest_store
from catalogue.store import utcnow
from catalogue.store.harvest import Lease
from harvest import leases
from tests.archivists import csrf_token, signed_in
from tests.conftest import exited_cleanly
from tests.oai_provider import Provider

#: The store's semantics, on SQLite and on PostgreSQL; nothing here searches: writes skip
#: the search index (see tests/conftest.py).
pytestmark = [pytest.mark.both_stores, pytest.mark.without_index]

SETTINGS = {"connect_timeout": 1, "read_timeout": 10, "retries": 0}


@pytest.fixture
def provider():
    with Provider(page_size=2) as p:
        for n in range(5):
            p.put(f"oai:test:{n}", f"Record {n}", type="mosque")
        yield p


@pytest.fixture
def source(catalogue, provider):
    return harvest.sources.add_source(catalogue, "test", provider.url, settings=SETTINGS)


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


@contextmanager
def harvest_running(catalogue, provider: Provider, delay: float = 0.3) -> Iterator[list]:
    """A harvest of 'test' going on in another thread (slowed down by the provider); yields
    a list that holds its Run once it has finished."""
    provider.delay = delay
    outcome: list = []
    thread = threading.Thread(target=lambda: outcome.append(harvest.runs.run_harvest(catalogue, "test")))
    thread.start()
    try:
        wait_for(lambda: leases.running(catalogue, "test") is not None)
        yield outcome
    finally:
        thread.join(timeout=30)
        provider.delay = 0


def lease(run_id: int, *, host: str | None = None, pid: int | None = None, pid_start: str | None = None,
          expires_in: float = 600) -> Lease:
    pid = os.getpid() if pid is None else pid
    return Lease("test", run_id, "someone-else", host or leases.machine(), pid,
                 leases.process_start(pid) if pid_start is None else pid_start, utcnow(-60),
                 utcnow(expires_in))


def a_run_held_by(catalogue, held: Lease | None = None, **kwargs) -> int:
    """A run left 'running' with its lease, as a process that died mid-run leaves them."""
    run_id = harvest_store.start_run(catalogue.store, "test", full=False, dry_run=False)
    harvest_store.put_lease(catalogue.store, held or lease(run_id, **kwargs))
    return run_id


def test_a_second_run_is_refused_while_one_runs(catalogue, source, provider, runner):
    with harvest_running(catalogue, provider) as first:
        with pytest.raises(leases.HarvestBusy, match="a harvest of test is running already \\(run 1, process"):
            harvest.runs.run_harvest(catalogue, "test")
        result = runner.invoke(args=["harvest", "test", "--quiet"])
        assert result.exit_code == 75 and "Error: a harvest of test is running already" in result.output
        assert exited_cleanly(result)
        every = runner.invoke(args=["harvest", "--all", "--quiet"])
        assert every.exit_code == 75 and "running already" in every.output
        assert [run.status for run in harvest.runs.list_runs(catalogue, "test")] == ["running"]
    assert first[0].status == "ok" and first[0].counts["new"] == 5
    assert len(harvest.runs.list_runs(catalogue, "test")) == 1  # the refusals made no runs
    assert leases.running(catalogue, "test") is None
    assert harvest.runs.run_harvest(catalogue, "test").status == "ok"  # free again


def test_the_web_button_is_refused_while_cron_runs(app, catalogue, source, provider):
    archivist = signed_in(app, "alice")
    token = csrf_token(archivist, "/admin/sources")
    with harvest_running(catalogue, provider):
        response = archivist.post("/admin/sources/test/run", data={"csrf_token": token})
        assert response.status_code == 409
        assert "A harvest of test is running already" in response.get_data(as_text=True)
    assert len(harvest.runs.list_runs(catalogue, "test")) == 1


def test_runs_of_other_sources_go_on(catalogue, source, provider):
    with Provider() as other:
        other.put("oai:other:1", "Other", type="mosque")
        harvest.sources.add_source(catalogue, "other", other.url, settings=SETTINGS)
        with harvest_running(catalogue, provider):
            assert harvest.runs.run_harvest(catalogue, "other").status == "ok"


def test_a_dead_process_on_this_host_blocks_nothing(catalogue, source):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = a_run_held_by(catalogue, pid=dead.pid, pid_start="")
    assert leases.running(catalogue, "test") is None
    # the run log no longer says it is running, even before the next run
    assert harvest.runs.list_runs(catalogue, "test")[0].status == "interrupted"
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.status == "ok" and run.id != stale


def test_a_pid_taken_by_a_later_process_blocks_nothing(catalogue, source):
    a_run_held_by(catalogue, pid=os.getpid(), pid_start="1")  # our pid, but another process's start time
    assert harvest.runs.run_harvest(catalogue, "test").status == "ok"


def test_a_lease_of_another_host_holds_until_it_expires(catalogue, source, runner):
    held = a_run_held_by(catalogue, host="elsewhere.example", pid=1)
    with pytest.raises(leases.HarvestBusy, match=r"process 1 on elsewhere\.example"):
        harvest.runs.run_harvest(catalogue, "test")
    assert runner.invoke(args=["harvest", "test"]).exit_code == 75
    assert harvest.runs.list_runs(catalogue, "test")[0].status == "running"
    harvest_store.put_lease(catalogue.store, lease(held, host="elsewhere.example", pid=1, expires_in=-1))
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.status == "ok"
    statuses = {r.id: r.status for r in harvest.runs.list_runs(catalogue, "test")}
    assert statuses == {held: "interrupted", run.id: "ok"}


@pytest.mark.slow
def test_the_heartbeat_keeps_the_lease_of_a_run_waiting_on_a_slow_server(catalogue, source, provider, monkeypatch):
    monkeypatch.setattr(leases, "LEASE_SECONDS", 2.0)
    monkeypatch.setattr(leases, "HEARTBEAT_SECONDS", 0.1)
    provider.requests.clear()  # the ListMetadataFormats of the registration
    provider.fail(None)  # Identify
    provider.fail(None)  # first page
    provider.fail("stall", 3.5)  # the second page keeps the run waiting beyond the lease's 2 s
    outcome: list = []
    thread = threading.Thread(target=lambda: outcome.append(harvest.runs.run_harvest(catalogue, "test")))
    thread.start()
    try:
        wait_for(lambda: len(provider.requests) == 3)
        time.sleep(2.5)
        with pytest.raises(leases.HarvestBusy):
            harvest.runs.run_harvest(catalogue, "test")
    finally:
        thread.join(timeout=30)
    assert outcome[0].status == "ok" and outcome[0].counts["new"] == 5


def test_a_run_whose_lease_was_taken_over_stops_storing(catalogue, source, provider):
    with harvest_running(catalogue, provider) as first:
        wait_for(lambda: catalogue.store.find_by_source("test", "oai:test:0") is not None)
        harvest_store.put_lease(catalogue.store, lease(99, host="elsewhere.example"))
    run = first[0]
    assert run.status == "failed" and "lost its lease on test to run 99" in run.message
    assert catalogue.store.find_by_source("test", "oai:test:4") is None
