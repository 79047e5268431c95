"""The `search`, `reindex` and `check` commands."""

from __future__ import annotations

import json

from flask import Flask

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
    assert result.exit_code == 0 and "Reindexed 8 records" in result.output
    result = runner.invoke(args=["check", "--no-repair"])
    assert result.exit_code == 0 and "index and store agree" in result.output
    assert runner.invoke(args=["search", "Khojaly"]).output.startswith("8 records\n")
    assert runner.invoke(args=["search", "qqqzzzx"]).output.startswith("0 records\n")
