"""A harvest reports its progress to a callback (the harvest layer draws nothing); the
`harvest` command turns the reports into a progress bar on a terminal, and only there."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
from pathlib import Path

import pytest

import harvest.runs
import harvest.sources
from harvest.runs import Progress
from tests.clirun import cli_env, command, run_cli
from tests.oai_provider import LOOPBACK, Provider

FAST = {"connect_timeout": 1, "read_timeout": 10, "retries": 1, "backoff": 0.01, "max_backoff": 0.02}


@pytest.fixture
def provider():
    with Provider(page_size=2, name="Test archive") as p:
        for n in range(1, 6):
            p.put(f"oai:test:{n}", f"Record {n}", type="school")
        yield p


def test_a_run_reports_its_start_each_page_and_its_end(catalogue, provider):
    harvest.sources.add_source(catalogue, "test", provider.url, settings=FAST)
    events: list[Progress] = []
    run = harvest.runs.run_harvest(catalogue, "test", progress=events.append)
    assert run.status == "ok" and run.counts["new"] == 5
    assert events == [Progress("test"), Progress("test", 2, 5), Progress("test", 4, 5), Progress("test", 5, 5),
                      Progress("test", 5, 5, finished=True)]


def test_a_failed_run_still_reports_its_end(catalogue, provider):
    harvest.sources.add_source(catalogue, "test", provider.url, settings=FAST)
    provider.fail("raw", (200, b"plain text"))
    events: list[Progress] = []
    run = harvest.runs.run_harvest(catalogue, "test", progress=events.append)
    assert run.status == "failed"
    assert events == [Progress("test"), Progress("test", finished=True)]


def test_harvest_all_reports_each_source_apart(catalogue, provider):
    for name in ("a", "b"):
        harvest.sources.add_source(catalogue, name, provider.url, settings=FAST)
    events: list[Progress] = []
    harvest.runs.harvest_all(catalogue, progress=events.append)
    assert [(e.source, e.done, e.finished) for e in events if e.finished] == [("a", 5, True), ("b", 5, True)]
    assert [e.source for e in events] == ["a"] * 5 + ["b"] * 5


def harvest_on_a_terminal(data: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """`catalogue harvest ARGS` with its stderr on a pseudo-terminal: (the process, what the
    terminal showed)."""
    main, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # rows, columns
    try:
        done = subprocess.run([*command(), "harvest", *args], cwd=data.parent,
                              env=cli_env(data, HARVEST_ALLOW_NETWORKS=LOOPBACK), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=terminal, text=True, timeout=120)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the terminal's other end is closed and everything is read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
    return done, shown.decode("utf-8", errors="replace")


@pytest.mark.slow
def test_the_command_draws_a_bar_on_a_terminal_and_nowhere_else(tmp_path, provider):
    data = tmp_path / "data"
    settings = {"HARVEST_ALLOW_NETWORKS": LOOPBACK}
    assert run_cli(data, "source", "add", "test", provider.url, *[f"--setting={k}={v}" for k, v in FAST.items()],
                   settings=settings).returncode == 0
    done, shown = harvest_on_a_terminal(data, "test", "--full")
    assert done.returncode == 0 and done.stdout.startswith("test: ok: 5 new")
    assert " records" in shown, shown
    quiet, shown = harvest_on_a_terminal(data, "test", "--full", "--quiet")
    assert quiet.returncode == 0 and quiet.stdout.startswith("test: ok: 0 new, 0 updated, 5 unchanged")
    assert " records" not in shown
    piped = run_cli(data, "harvest", "test", "--full", settings=settings)
    assert piped.returncode == 0 and " records" not in piped.stderr
