"""Project hygiene checked by the suite: ruff is clean, the README's Quick start test
command is the one CI runs, and every CLI command is documented in the README."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from catalogue import create_app
from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:sh|bash|console)?\n(.*?)\n```", section, flags=re.S)


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        unavailable("ruff is not installed")
    result = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_quick_start_has_two_commands_and_ci_runs_the_second() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    assert "catalogue serve" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1].strip() in ci


def test_every_command_is_documented() -> None:
    app = create_app({"TESTING": True, "DATA": str(ROOT / "build" / "unused-data")})
    names = set(app.cli.commands)
    undocumented = sorted(n for n in names if f"catalogue {n}" not in README)
    assert not undocumented, f"commands missing from the README: {undocumented}"


def test_ci_smoke_tests_the_plain_install() -> None:
    """CI also installs the README's way, without the test extras, and runs the smoke script there."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    plain = re.search(r'"\$plain/venv/bin/pip" install -q \.\n"\$plain/venv/bin/python" tests/smoke_plain_install\.py',
                      ci)
    assert plain, "the plain-install smoke is missing from .ci/run"
    assert (ROOT / "tests" / "smoke_plain_install.py").is_file()
