"""A PostgreSQL server for the tests, and a fresh schema of it per test.

The server is the one ``CATALOGUE_TEST_POSTGRES`` names (an admin URL; .ci/run starts the
machine's PostgreSQL 15 and sets it), else a throw-away cluster made here with ``initdb`` in
a temporary folder (run as the ``postgres`` account when the tests run as root), listening on
a Unix socket only and stopped when the tests end.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg

ENV = "CATALOGUE_TEST_POSTGRES"
BIN = Path("/usr/lib/postgresql/15/bin")


class Server:
    """A PostgreSQL server the tests may create schemas in."""

    def __init__(self, admin_url: str, folder: Path | None = None, owner: str | None = None):
        self.admin_url, self.folder, self.owner = admin_url, folder, owner

    def fresh_url(self) -> str:
        """The URL of a new, empty schema (the store's tables go there)."""
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        joiner = "&" if "?" in self.admin_url else "?"
        return f"{self.admin_url}{joiner}options={quote(f'-csearch_path={schema}', safe='')}"

    def drop(self, url: str) -> None:
        """Drop the schema of a URL `fresh_url` gave."""
        schema = url.rsplit("search_path%3D", 1)[1]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    def stop(self) -> None:
        if self.folder is not None:
            _run(self.owner, [str(BIN / "pg_ctl"), "-D", str(self.folder / "db"), "-m", "immediate", "stop"])
            shutil.rmtree(self.folder, ignore_errors=True)


def _run(owner: str | None, command: list[str]) -> subprocess.CompletedProcess[str]:
    if owner is not None:
        command = ["runuser", "-u", owner, "--", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def start() -> Server:
    """The server to test against; RuntimeError saying why there is none."""
    url = os.environ.get(ENV)
    if url:
        with psycopg.connect(url, connect_timeout=10):
            pass
        return Server(url)
    if not (BIN / "initdb").exists():
        raise RuntimeError(f"no PostgreSQL: set {ENV} or install PostgreSQL 15 ({BIN}/initdb)")
    owner = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="catalogue-pg-"))
    if owner is not None:
        account = pwd.getpwnam(owner)
        os.chown(folder, account.pw_uid, account.pw_gid)
    user = owner or pwd.getpwuid(os.geteuid()).pw_name
    done = _run(owner, [str(BIN / "initdb"), "-D", str(folder / "db"), "-A", "trust", "-U", user,
                        "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8"])
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {done.stderr.strip()}")
    options = f"-k {folder} -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=200"
    done = _run(owner, [str(BIN / "pg_ctl"), "-D", str(folder / "db"), "-o", options, "-l",
                        str(folder / "log"), "-w", "start"])
    if done.returncode != 0:
        log = (folder / "log").read_text(errors="replace") if (folder / "log").exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {done.stderr.strip()} {log[-500:]}")
    return Server(f"postgresql://{user}@/postgres?host={quote(str(folder), safe='')}", folder, owner)
