"""A new user's first hour, through the installed `catalogue` command (issue 11, "First
contact"): a plain install validates, a closed pipe ends quietly, a busy port fails before
anything is announced, and in production only serving needs the web secret."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.installed import CATALOGUE, extras_only_modules, plain_env, run_catalogue

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"id": "first-good", "type": "school", "title": "A school",
        "sources": [{"id": "s1", "citation": "A source for the test."}]}


def no_traceback(done: subprocess.CompletedProcess[str]) -> bool:
    return "Traceback" not in done.stdout + done.stderr


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a data directory holding the demo collection."""
    folder = tmp_path_factory.mktemp("demo")
    env = plain_env(folder, CATALOGUE_DATA=str(folder / "data"), CATALOGUE_ENV="development")
    done = run_catalogue(env, "init", "--demo", cwd=folder)
    assert done.returncode == 0, done.stderr
    return env


@pytest.mark.slow
def test_validate_works_without_test_extras(tmp_path: Path) -> None:
    assert "rfc3339_validator" in extras_only_modules()  # what jsonschema's date-time check needs
    env = plain_env(tmp_path, CATALOGUE_DATA=str(tmp_path / "data"), CATALOGUE_ENV="development")
    lines = tmp_path / "records.jsonl"
    bad_time = {"origin": "import", "harvested_at": "yesterday"}
    lines.write_text("\n".join(json.dumps(r) for r in (
        GOOD, dict(GOOD, id="bad-time", provenance=bad_time), dict(GOOD, id="bad-type", type="spaceport"),
        dict(GOOD, id="kept-by-store", created="yesterday"),  # the store sets `created` itself
    )) + "\n", encoding="utf-8")
    checked = run_catalogue(env, "validate", str(lines), cwd=tmp_path)
    assert checked.returncode == 1 and no_traceback(checked), checked.stderr
    assert "records.jsonl:2: provenance.harvested_at: 'yesterday' is not a 'date-time'" in checked.stderr
    assert "records.jsonl:3: type: 'spaceport' is not one of" in checked.stderr
    assert checked.stdout.strip() == "2 valid, 2 invalid"
    imported = run_catalogue(env, "import", str(lines), cwd=tmp_path)
    assert imported.returncode == 1 and no_traceback(imported), imported.stderr
    assert imported.stdout.strip() == "2 created, 0 updated, 0 unchanged, 2 failed"
    assert imported.stderr.splitlines() == checked.stderr.splitlines()


@pytest.mark.slow
def test_every_door_takes_bad_input_without_test_extras(tmp_path: Path) -> None:
    """The plain-install smoke script of `.ci/run`, with the test extras hidden."""
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "smoke_plain_install.py")],
                          env=plain_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "FAIL" not in done.stdout and "every check held" in done.stdout


CLOSED_PIPE_COMMANDS = [
    ("stats",), ("stats", "--json"), ("export",), ("export", "--format", "csv"), ("search", "school"),
    ("search", "school", "--json"), ("show", "khojaly-schools"), ("history", "khojaly-schools"),
    ("harvest-log",), ("source", "list"), ("check",), ("--help",), ("--version",),
]


@pytest.mark.parametrize("args", CLOSED_PIPE_COMMANDS, ids=" ".join)
def test_stats_into_closed_pipe_is_quiet(demo_env: dict[str, str], tmp_path: Path, args: tuple[str, ...]) -> None:
    """`catalogue stats | head -1`: the reader has gone; the command ends without a word."""
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first write: every write fails with EPIPE
    try:
        done = subprocess.run([CATALOGUE, *args], env=demo_env, cwd=tmp_path, stdout=write,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)
    assert done.stderr == "" and done.returncode == 1


def test_serve_busy_port_fails_before_announcing(tmp_path: Path) -> None:
    env = plain_env(tmp_path, CATALOGUE_DATA=str(tmp_path / "data"), CATALOGUE_ENV="development")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_catalogue(env, "serve", "--port", str(port), cwd=tmp_path)
    assert done.returncode == 1 and no_traceback(done)
    assert done.stdout == ""  # not "Serving on", and no demo loaded into the empty data directory
    assert done.stderr.strip() == (f"Error: cannot listen on 127.0.0.1:{port}: Address already in use; "
                                   "another program uses it (choose another --port)")
    unknown = run_catalogue(env, "serve", "--host", "no-such-host.invalid", cwd=tmp_path)
    assert unknown.returncode == 1 and unknown.stdout == "" and len(unknown.stderr.splitlines()) == 1


def test_serve_announces_the_port_it_got(tmp_path: Path) -> None:
    """`--port 0` takes any free port, and the announcement names the real one."""
    env = plain_env(tmp_path, CATALOGUE_DATA=str(tmp_path / "data"), CATALOGUE_DEMO_ON_EMPTY="false",
                    CATALOGUE_SECRET_KEY="test-secret")
    server = subprocess.Popen([CATALOGUE, "serve", "--port", "0"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
    finally:
        server.terminate()
        server.communicate(timeout=30)
    match = re.fullmatch(r"Serving on http://127\.0\.0\.1:(\d+)/ \(Ctrl\+C to stop\)\n", line)
    assert match and int(match.group(1)) > 0, line


#: The commands the issue names, run as subprocesses of the installed command.
NO_SERVING = [("init",), ("import", "{tmp}/records.jsonl"), ("stats",), ("export",), ("backup", "{tmp}/backup.sqlite3")]
#: Every other command that serves nothing, run in process (faster; same entry point, same environment).
NO_SERVING_EITHER = [
    ("validate", "{tmp}/records.jsonl"), ("search", "school"), ("show", "first-good"), ("history", "first-good"),
    ("check",), ("reindex",), ("user", "list"), ("token", "list"), ("source", "list"), ("harvest-log",),
    ("pending", "reject", "1"),
]


@pytest.mark.slow
def test_production_commands_without_secret(tmp_path: Path) -> None:
    """With CATALOGUE_ENV=production and no CATALOGUE_SECRET_KEY, every command that serves
    nothing runs; `serve` refuses with one line before it listens."""
    from click.testing import CliRunner

    from catalogue.cli import main

    env = plain_env(tmp_path, CATALOGUE_DATA=str(tmp_path / "data"), CATALOGUE_ENV="production")
    (tmp_path / "records.jsonl").write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    for args in NO_SERVING:
        done = run_catalogue(env, *(a.format(tmp=tmp_path) for a in args), cwd=tmp_path)
        assert done.returncode == 0 and no_traceback(done), (args, done.stderr)
    runner = CliRunner(env={key: None for key in os.environ if key.startswith("CATALOGUE_")}
                       | {k: v for k, v in env.items() if k.startswith("CATALOGUE_")})
    for args in NO_SERVING_EITHER:
        result = runner.invoke(main, [a.format(tmp=tmp_path) for a in args])
        assert "SECRET_KEY" not in result.output, args
        assert result.exit_code == (1 if args[0] == "pending" else 0), (args, result.output)  # no pending change 1
    assert not (tmp_path / "data" / "secret_key").exists()  # no development key made behind the operator's back
    refused = run_catalogue(env, "serve", "--port", "0", cwd=tmp_path)
    assert refused.returncode == 1 and refused.stdout == "" and no_traceback(refused)
    assert refused.stderr.startswith("Error: SECRET_KEY is not set") and len(refused.stderr.splitlines()) == 1
