"""The `search`, `reindex` and `check` commands."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from flask import Flask

from catalogue.search.generations import REBUILD_LOCK
from catalogue.search.locks import FileLock
from tests.conftest import exited_cleanly


def test_search_prints_hits(demo_app: Flask) -> None:
    result = demo_app.test_cli_runner().invoke(args=["search", "Ходжалы tombs"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 record\n") and "khojaly-graves-domes-tombs-xiv-xv" in result.output


def test_search_json_with_facets_and_limit(demo_app: Flask) -> None:
    result = demo_app.test_cli_runner().invoke(args=["search", "Xocalı", "--json", "--limit", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 8 and len(data["hits"]) == 2 and data["pages"] == 4
    assert {f["value"] for f in data["facets"]["status"]} == {"destroyed"}
    assert all(isinstance(hit["snippet"], str) for hit in data["hits"])


def test_search_facets_and_notice(demo_app: Flask) -> None:
    result = demo_app.test_cli_runner().invoke(args=["search", "(tombs", "--facets"])
    assert result.exit_code == 0, result.output
    assert "parenthesis" in result.output and "century: XIV (1), XV (1)" in result.output


def test_search_suggestion_and_bad_limit(demo_app: Flask) -> None:
    runner = demo_app.test_cli_runner()
    assert "Did you mean: libraries" in runner.invoke(args=["search", "librares"]).output
    result = runner.invoke(args=["search", "x", "--limit", "0"])
    assert result.exit_code == 2 and exited_cleanly(result)


def test_reindex_and_check(demo_app: Flask) -> None:
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0 and "Reindexed 8 records" in result.output, result.output
    result = runner.invoke(args=["check", "--no-repair"])
    assert result.exit_code == 0 and "index and store agree" in result.output, result.output
    assert runner.invoke(args=["search", "Khojaly"]).output.startswith("8 records\n")
    assert runner.invoke(args=["search", "qqqzzzx"]).output.startswith("0 records\n")


def test_reindex_waits_for_a_rebuild_already_running(demo_app: Flask) -> None:
    """A rebuild someone else runs (a server healing its index) is waited for, then this one
    runs; past `--wait` the command gives up, naming who holds the index."""
    runner = demo_app.test_cli_runner()
    other = FileLock(Path(demo_app.config["DATA"]) / "index" / REBUILD_LOCK)
    assert other.acquire(10)  # (the app's first index write may hold it a moment to clean up)
    try:
        result = runner.invoke(args=["reindex", "--wait", "0.3"])
        assert result.exit_code == 1 and "another rebuild of the search index is running" in result.output
        assert f"process {os.getpid()}" in result.output and "Reindexed" not in result.output
    finally:
        threading.Timer(0.5, other.release).start()
    result = runner.invoke(args=["reindex", "--wait", "30"])
    assert result.exit_code == 0 and "Reindexed 8 records" in result.output, result.output
