"""The installed `catalogue` command run the way people run it: a separate process with
CATALOGUE_DATA naming the data directory, stdout and stderr captured apart, so what a user
sees on each stream, the exit code and any traceback are what the tests see."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import COUNT_WAIT_MS, SEARCH_TIME_BUDGET_MS

#: The key the processes sign with (a fixed one, so no key file is written into DATA).
SECRET = "test-secret-key-for-a-subprocess"


def command() -> list[str]:
    """The console script installed beside this Python (`pip install`), else `python -m catalogue`."""
    script = Path(sys.executable).with_name("catalogue")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "catalogue"]


def cli_env(data: Path, **settings: str) -> dict[str, str]:
    """This process's environment without CATALOGUE_* settings (but the test's store,
    CATALOGUE_DATABASE_URL), plus DATA, a secret key, the tests' search time budget and
    count wait (`tests.conftest.SEARCH_TIME_BUDGET_MS`, `COUNT_WAIT_MS`) and `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOGUE_") or k == "CATALOGUE_DATABASE_URL"}
    env.update(CATALOGUE_DATA=str(data), CATALOGUE_SECRET_KEY=SECRET, CATALOGUE_DEMO_ON_EMPTY="false",
               CATALOGUE_SEARCH_TIME_BUDGET_MS=str(SEARCH_TIME_BUDGET_MS), CATALOGUE_COUNT_WAIT_MS=str(COUNT_WAIT_MS))
    env.update({f"CATALOGUE_{name}": value for name, value in settings.items()})
    return env


def run_cli(data: Path, *args: str, input: str | None = None, timeout: float = 120,
            settings: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `catalogue ARGS...` over `data` (from its parent folder) and wait for it; standard
    input is `input`, or empty (never the terminal pytest runs in)."""
    Path(data).parent.mkdir(parents=True, exist_ok=True)
    stdin = {"input": input} if input is not None else {"stdin": subprocess.DEVNULL}
    return subprocess.run([*command(), *args], cwd=Path(data).parent, env=cli_env(Path(data), **(settings or {})),
                          capture_output=True, text=True, timeout=timeout, **stdin)
