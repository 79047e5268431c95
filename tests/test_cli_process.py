"""The `catalogue` command as people run it: a real process, stdout and stderr apart.

A user's mistake is one line on stderr and exit code 1, with nothing on stdout and never a
traceback; reports go to stdout and each problem to stderr; `check --no-repair` tells cron
about drift; passwords are prompted twice without echo; every command explains itself.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from flask import Flask

from catalogue.cli import main
from catalogue.service import Catalogue
from tests.archivists import PASSWORD, login
from tests.clirun import cli_env, command
from tests.conftest import make_app, suite_url
from tests.recordsamples import make_record

Run = Callable[..., subprocess.CompletedProcess[str]]


def assert_user_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    """Exit code 1, nothing on stdout, one line on stderr naming the problem, no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and message in line, line


@pytest.fixture
def stored(catalogue: Catalogue, tmp_path: Path) -> Catalogue:
    """The `cli` data directory holding one record, and a file in the way of a backup."""
    catalogue.create(make_record(id="a"))
    (tmp_path / "taken.sqlite3").write_bytes(b"")
    return catalogue


@pytest.mark.parametrize(("args", "message"), [
    (("show", "nope"), "no record with id 'nope'"),
    (("history", "nope"), "no record with id 'nope'"),
    (("show", "a", "--revision", "9"), "revision 9"),
    (("import", "missing.jsonl"), "no such file"),
    (("validate", "missing.json"), "missing.json"),
    (("backup", "taken.sqlite3"), "exists already"),
    (("user", "disable", "ghost"), "no user named 'ghost'"),
    (("token", "revoke", "nothing"), "no live token"),
], ids=lambda v: " ".join(v) if isinstance(v, tuple) else None)
def test_user_error_is_one_line_on_stderr_and_exit_1(stored: Catalogue, cli: Run, args: tuple[str, ...],
                                                     message: str) -> None:
    assert_user_error(cli(*args), message)


def test_show_prints_the_record_on_stdout_only(stored: Catalogue, cli: Run) -> None:
    result = cli("show", "a", "--json")
    assert result.returncode == 0 and result.stderr == ""
    assert json.loads(result.stdout)["id"] == "a"


def test_import_reports_each_bad_line_on_stderr_and_the_counts_on_stdout(cli: Run, tmp_path: Path) -> None:
    lines = [json.dumps(make_record(id="good")), "{not json", json.dumps(make_record(id="bad", type="spaceport"))]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("import", "in.jsonl")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stdout == "1 created, 0 updated, 0 unchanged, 2 failed\n"
    problems = result.stderr.splitlines()
    assert len(problems) == 2
    assert problems[0].startswith("in.jsonl:2: not valid JSON")
    assert problems[1].startswith("in.jsonl:3: type: 'spaceport' is not one of")
    assert cli("show", "good").returncode == 0


@pytest.mark.parametrize("query", ["tombs\x01", "(tombs"], ids=repr)
def test_search_notice_goes_to_stderr_and_the_hits_to_stdout(catalogue: Catalogue, cli: Run, query: str) -> None:
    catalogue.create(make_record(id="tombs", type="tomb", title="Medieval tombs"))
    result = cli("search", query)
    assert result.returncode == 0
    assert result.stdout == "1 record\ntombs\tMedieval tombs\n"
    [notice] = result.stderr.splitlines()
    assert notice.startswith("The query could not be read as written (")


def test_search_refuses_a_query_over_the_web_s_length_limit(cli: Run) -> None:
    assert_user_error(cli("search", "tombs " * 200), "too long")


@pytest.mark.slow  # three runs of the command and two catalogues: about 3 to 4 s
def test_check_no_repair_exits_1_on_drift_and_check_repairs_it(cli: Run, tmp_path: Path) -> None:
    """An index copied from another catalogue at the same change number believes it is up
    to date: only a comparison with the store finds the drift."""
    data, other = tmp_path / "data", tmp_path / "other"
    with Catalogue(data, database_url=suite_url()) as here:
        here.create(make_record(id="here"))
    with Catalogue(other) as there:  # a store of its own
        there.create(make_record(id="there"))
    shutil.rmtree(data / "index")
    shutil.copytree(other / "index", data / "index")
    found = cli("check", "--no-repair")
    assert "Traceback" not in found.stderr
    assert found.returncode == 1
    assert "1 missing from the index: here" in found.stdout and "1 deleted but still indexed: there" in found.stdout
    [line] = found.stderr.splitlines()
    assert line == "Error: the index differs from the store in 2 records; run `catalogue check` to repair it"
    repaired = cli("check")
    assert repaired.returncode == 0 and repaired.stdout.endswith("repaired\n") and repaired.stderr == ""
    agreed = cli("check", "--no-repair")
    assert agreed.returncode == 0 and agreed.stdout.endswith("index and store agree\n")


def test_help_lists_every_command_on_stdout(cli: Run, app: Flask) -> None:
    result = cli("--help")
    assert result.returncode == 0 and result.stderr == ""
    listed = {line.split()[0] for line in result.stdout.split("Commands:", 1)[1].splitlines() if line.strip()}
    assert listed == set(app.cli.commands) - {"limiter"}


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command_ in sorted(group.commands.items()):
        if name != "limiter":
            found.append(((*path, name), command_))
            if isinstance(command_, click.Group):
                found += _commands(command_, (*path, name))
    return found


def test_every_command_and_option_has_help_text(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`catalogue COMMAND --help` for each command and subcommand (in this process: one
    process each would take half a minute): a summary, and a line for every option."""
    for key, value in cli_env(tmp_path / "data").items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    commands = _commands(app.cli)
    assert len(commands) > 25
    for path, command_ in commands:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        summary = (command_.help or "").split(".")[0].split()
        assert summary and " ".join(summary) in " ".join(result.output.split()), path
        for option in command_.params:
            if isinstance(option, click.Option):
                assert option.help, (path, option.name)


# -- passwords on a terminal ------------------------------------------------------------------


class Terminal:
    """A process on a pseudo-terminal: what it printed so far, and typing into it."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path):
        import pty

        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                                        close_fds=True)
        os.close(slave)
        self.transcript = ""

    def expect(self, text: str, count: int = 1, timeout: float = 30) -> None:
        """Read until `text` has appeared `count` times in the transcript."""
        deadline = time.monotonic() + timeout
        while self.transcript.count(text) < count:
            assert time.monotonic() < deadline, f"waited for {text!r}; got {self.transcript!r}"
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the process ended and closed the terminal
                    chunk = b""
                assert chunk or self.process.poll() is None, f"ended before {text!r}: {self.transcript!r}"
                self.transcript += chunk.decode("utf-8", "replace")

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def close(self) -> int:
        code = self.process.wait(timeout=30)
        os.close(self.master)
        return code


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_user_add_prompts_twice_without_echo_and_asks_again_on_a_mismatch(tmp_path: Path) -> None:
    data = tmp_path / "data"
    terminal = Terminal([*command(), "user", "add", "alice", "--role", "admin"], cli_env(data), tmp_path)
    try:
        terminal.expect("Password: ")
        terminal.type(PASSWORD)
        terminal.expect("Repeat for confirmation: ")
        terminal.type("a different password")
        terminal.expect("do not match")
        terminal.expect("Password: ", count=2)
        terminal.type(PASSWORD)
        terminal.expect("Repeat for confirmation: ", count=2)
        terminal.type(PASSWORD)
        terminal.expect("Created admin alice.")
    finally:
        code = terminal.close()
    assert code == 0, terminal.transcript
    assert PASSWORD not in terminal.transcript and "a different password" not in terminal.transcript
    login(make_app(data).test_client(), "alice", PASSWORD)  # the confirmed password is the one stored


# -- backup and reindex while another process writes ---------------------------------------

WRITER = """
import os, sys
from pathlib import Path
from catalogue.service import Catalogue

data, stop = sys.argv[1], Path(sys.argv[2])
written = 0
with Catalogue(data, database_url=os.environ.get("CATALOGUE_DATABASE_URL") or None) as catalogue:
    while not stop.exists() or written < 20:
        catalogue.create({"id": f"w-{written}", "type": "tomb", "title": f"Written tomb {written}",
                          "sources": [{"id": "s", "citation": "Test."}]}, user="writer")
        written += 1
        if written == 1:
            print("writing", flush=True)
print(written, flush=True)
"""


@pytest.mark.slow
def test_backup_and_reindex_while_another_process_writes_lose_nothing(cli: Run, tmp_path: Path) -> None:
    data, stop = tmp_path / "data", tmp_path / "stop"
    with Catalogue(data, database_url=suite_url()) as catalogue:
        catalogue.import_records((str(i), make_record(id=f"seed-{i}", title=f"Seed {i}")) for i in range(200))
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(data), str(stop)], env=cli_env(data),
                              cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "writing\n"
        backup = cli("backup", "copy.sqlite3")
        reindex = cli("reindex")
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    written = int(out.split()[-1])
    assert backup.returncode == 0 and backup.stderr == "", backup.stderr
    assert reindex.returncode == 0 and reindex.stderr == "", reindex.stderr
    # the store has every write, and the swapped-in index caught up with those made meanwhile
    with Catalogue(data, database_url=suite_url()) as catalogue:
        assert catalogue.store.counts()["records"] == 200 + written
        assert catalogue.search("written", page_size=1).total == written
    assert cli("check", "--no-repair").returncode == 0
    # the backup is a consistent catalogue of its own: intact, each record at its last revision
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        inconsistent = copy.execute(
            "SELECT COUNT(*) FROM records r WHERE r.revision != "
            "(SELECT MAX(v.revision) FROM revisions v WHERE v.record_id = r.id)").fetchone()[0]
        backed_up = copy.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    finally:
        copy.close()
    assert inconsistent == 0 and 200 < backed_up <= 200 + written
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(tmp_path / "copy.sqlite3", restored / "catalogue.sqlite3")
    with Catalogue(restored) as catalogue:
        assert catalogue.search("", page_size=1).total == backed_up
        assert catalogue.get("seed-0")["title"] == "Seed 0"
