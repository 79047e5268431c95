"""The `catalogue` command line: every record command, and clean errors for user mistakes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

from tests.conftest import exited_cleanly
from tests.recordsamples import make_record

#: Nothing here searches: writes skip the search index (see tests/conftest.py).
pytestmark = pytest.mark.without_index


def write_jsonl(path: Path, lines: list[object]) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                    encoding="utf-8")
    return path


@pytest.mark.own_store  # reads the data directory's SQLite file
def test_init_creates_data_directory(runner: FlaskCliRunner, app) -> None:
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert (Path(app.config["DATA"]) / "catalogue.sqlite3").is_file()


def test_import_reports_bad_lines_and_keeps_good_ones(runner: FlaskCliRunner, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [
        make_record(id="good-1"),
        "{not json",
        make_record(id="bad-type", type="spaceport"),
        "",
        make_record(id="bad-cond", conditions=[{"status": "gone", "sources": ["s1"]}]),
        make_record(id="good-2", title="Second"),
    ])
    result = runner.invoke(args=["import", str(source)])
    assert result.exit_code == 1
    assert f"{source}:2: not valid JSON" in result.output
    assert f"{source}:3: type: 'spaceport' is not one of" in result.output
    assert f"{source}:5: conditions[0].status: 'gone' is not one of" in result.output
    assert "2 created, 0 updated, 0 unchanged, 3 failed" in result.output
    shown = runner.invoke(args=["show", "good-2", "--json"])
    assert json.loads(shown.output)["title"] == "Second"
    assert runner.invoke(args=["show", "bad-type"]).exit_code == 1


def test_import_twice_changes_nothing_and_dry_run_stores_nothing(runner: FlaskCliRunner, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [make_record(id="a"), make_record(id="b")])
    dry = runner.invoke(args=["import", "--dry-run", str(source)])
    assert "2 would be created" in dry.output and dry.exit_code == 0
    assert runner.invoke(args=["show", "a"]).exit_code == 1
    assert "2 created" in runner.invoke(args=["import", str(source)]).output
    again = runner.invoke(args=["import", str(source)])
    assert "0 created, 0 updated, 2 unchanged, 0 failed" in again.output
    changed = write_jsonl(tmp_path / "in2.jsonl", [make_record(id="a", title="Changed")])
    assert "1 updated" in runner.invoke(args=["import", str(changed)]).output
    history = runner.invoke(args=["history", "a"])
    assert history.output.count("\n") == 2 and "imported from in2.jsonl" in history.output


def test_import_rejects_non_utf8_line_by_line(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    good = json.dumps(make_record(id="ok")).encode()
    path.write_bytes(good + b"\n" + b'{"title": "Xocal\xfd"}\n')
    result = runner.invoke(args=["import", str(path)])
    assert "latin1.jsonl:2: not UTF-8 text" in result.output
    assert "1 created" in result.output


def test_missing_file_is_a_clean_error(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["import", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 1 and "no such file" in result.output
    assert exited_cleanly(result)


def test_show_and_history(runner: FlaskCliRunner, tmp_path: Path) -> None:
    runner.invoke(args=["import", str(write_jsonl(tmp_path / "a.jsonl", [make_record(id="a")]))])
    shown = runner.invoke(args=["show", "a"])
    assert "Test school  [a, revision 1]" in shown.output
    assert "condition: destroyed" in shown.output
    missing = runner.invoke(args=["show", "zzz"])
    assert missing.exit_code == 1 and "no record with id 'zzz'" in missing.output
    history = runner.invoke(args=["history", "zzz"])
    assert history.exit_code == 1 and exited_cleanly(history) and "no record with id 'zzz'" in history.output
    assert runner.invoke(args=["show", "a", "--revision", "9"]).exit_code == 1


@pytest.mark.parametrize("digits", ["\uff11", "\u0661", "\u00b9"])
def test_numbers_in_other_scripts_are_refused_not_read_as_another_number(cli, tmp_path: Path, digits: str) -> None:
    """Python's int() reads full-width and Arabic-Indic digits: `--revision １` would show
    revision 1. A revision or run id is written in 0-9, so anything else is a usage error."""
    assert cli("import", str(write_jsonl(tmp_path / "a.jsonl", [make_record(id="a")]))).returncode == 0
    assert cli("show", "a", "--revision", "1").returncode == 0
    for args in (["show", "a", "--revision", digits], ["harvest-log", "--run", digits], ["pending", "show", digits]):
        done = cli(*args)
        assert done.returncode == 2 and "digits 0-9" in done.stderr and "Traceback" not in done.stderr, args
        assert "revision 1]" not in done.stdout


def test_validate_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [make_record(id="a")])
    result = runner.invoke(args=["validate", str(good)])
    assert result.exit_code == 0 and "1 valid, 0 invalid" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([make_record(id="a"), make_record(id="b", conditions=[{"status": "x"}])]))
    result = runner.invoke(args=["validate", str(bad)])
    assert result.exit_code == 1
    assert "bad.json[1]: conditions[0].sources: is required" in result.output
    assert "1 valid, 1 invalid" in result.output


def test_export_jsonl_round_trips(runner: FlaskCliRunner, tmp_path: Path) -> None:
    runner.invoke(args=["import", str(write_jsonl(tmp_path / "a.jsonl", [make_record(id="a"), make_record(id="b")]))])
    out = tmp_path / "out.jsonl"
    assert runner.invoke(args=["export", "--format", "jsonl", "-o", str(out)]).exit_code == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in lines] == ["a", "b"]
    assert runner.invoke(args=["export", "--format", "xml"]).exit_code == 2


def test_backup_while_open(runner: FlaskCliRunner, tmp_path: Path) -> None:
    runner.invoke(args=["import", str(write_jsonl(tmp_path / "a.jsonl", [make_record(id="a")]))])
    target = tmp_path / "copy.sqlite3"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    assert sqlite3.connect(target).execute("SELECT COUNT(*) FROM records").fetchone()[0] == 1
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code == 1 and "exists already" in again.output


def test_stats(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["init", "--demo"])
    data = json.loads(runner.invoke(args=["stats", "--json"]).output)
    assert data["records"] == 8 and data["group_items"] == 14 + 21 + 29 + 3 + 1
    text = runner.invoke(args=["stats"]).output
    assert "records: 8" in text and "destroyed" in text


def test_help_documents_every_command(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["--help"])
    for command in ("init", "serve", "show", "history", "validate", "import", "export", "backup", "stats"):
        assert f"  {command} " in result.output
