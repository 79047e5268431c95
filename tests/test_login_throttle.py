"""Issue 11, finding 6: sign-in throttling is kept in the store, so every process (and
node) serving a data directory counts together: attempts per client address, and failed
sign-ins per account name with an exponential lock-out that a success (or an admin's new
password) clears. An unknown name is throttled exactly like a real one."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue.access import Throttle
from catalogue.errors import ConfigurationError
from tests.archivists import PASSWORD, add_user, csrf_token
from tests.conftest import ROOT, make_app

pytestmark = pytest.mark.both_stores  # the store's semantics, on SQLite and on PostgreSQL

#: Another process: fail to sign in as NAME, COUNT times, from ADDRESS.
_OTHER_PROCESS = """
import sys
from tests.archivists import csrf_token
from tests.conftest import make_app
data, name, count, address = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
app = make_app(data, LOGIN_LOCKOUT_AFTER=3, LOGIN_LOCKOUT_SECONDS=600)
client = app.test_client()
client.environ_base["REMOTE_ADDR"] = address
token = csrf_token(client)
for _ in range(count):
    status = client.post("/login", data={"name": name, "password": "not the password", "csrf_token": token})
    print(status.status_code)
app.extensions["catalogue"].close()
"""


def _fail_elsewhere(data: Path, name: str, count: int, address: str) -> list[int]:
    done = subprocess.run([sys.executable, "-c", _OTHER_PROCESS, str(data), name, str(count), address],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return [int(line) for line in done.stdout.split()]


def _client(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _sign_in(client: FlaskClient, name: str, password: str = PASSWORD) -> tuple[int, str]:
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_token(client)})
    return response.status_code, response.get_data(as_text=True)


def _message(page: str) -> str:
    found = re.search(r'id="login-error"[^>]*>([^<]*)<', page)
    return found.group(1) if found else ""


@pytest.mark.slow
def test_login_throttle_per_account_shared_between_processes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app = make_app(data, LOGIN_LOCKOUT_AFTER=3, LOGIN_LOCKOUT_SECONDS=600)
    add_user(app, "alice")
    # Three failures in another process, from another address each time: alice is locked here.
    assert _fail_elsewhere(data, "alice", 2, "10.0.0.1") + _fail_elsewhere(data, "alice", 1, "10.0.0.2") == [401] * 3
    status, page = _sign_in(_client(app, "10.0.0.3"), "alice")
    assert status == 429, "the right password is refused while the name is locked"
    locked = _message(page)
    assert "locked for 10 minutes" in locked
    # An unknown name earns the same lock-out and the same answer.
    assert _fail_elsewhere(data, "nobody", 3, "10.0.0.4") == [401] * 3
    status, page = _sign_in(_client(app, "10.0.0.5"), "nobody")
    assert (status, _message(page)) == (429, locked)
    # Other names are not affected.
    add_user(app, "bob")
    assert _sign_in(_client(app, "10.0.0.6"), "bob")[0] == 303
    # An admin's new password lifts the lock.
    result = app.test_cli_runner().invoke(args=["user", "passwd", "alice"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert _sign_in(_client(app, "10.0.0.7"), "alice")[0] == 303


class _Clock:
    """The wall clock the sign-in throttle reads, moved by hand so that lock-out lengths
    are checked exactly, however slow password hashing is on a busy machine."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


def test_login_lockout_grows_and_success_resets_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock()
    monkeypatch.setattr("catalogue.service.accounts.time", clock)
    app = make_app(tmp_path / "data", LOGIN_LOCKOUT_AFTER=2, LOGIN_LOCKOUT_SECONDS=60,
                   LOGIN_LOCKOUT_MAX_SECONDS=3600, LOGIN_RATE_LIMIT="100 per minute")
    add_user(app, "alice")
    client = _client(app, "10.0.0.1")
    assert [_sign_in(client, "alice", "wrong password")[0] for _ in range(3)] == [401, 401, 429]
    clock.now += 59
    assert _sign_in(client, "alice")[0] == 429, "the first lock-out lasts its 60 s"
    clock.now += 2
    assert _sign_in(client, "alice", "wrong password")[0] == 401  # the 3rd failure: locked for 120 s
    clock.now += 119
    assert _sign_in(client, "alice")[0] == 429, "the second lock-out is twice as long"
    clock.now += 2
    assert _sign_in(client, "alice")[0] == 303
    # The success cleared the failures: one more failure does not lock again.
    other = _client(app, "10.0.0.1")
    assert [_sign_in(other, "alice", "wrong password")[0] for _ in range(2)] == [401, 401]
    assert _sign_in(other, "alice", "wrong password")[0] == 429


def test_login_rate_per_address_shared_between_processes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app = make_app(data, LOGIN_RATE_LIMIT="3 per minute")
    add_user(app, "alice")
    assert _fail_elsewhere(data, "x1", 2, "10.9.9.9") == [401, 401]
    assert _sign_in(_client(app, "10.9.9.9"), "alice")[0] == 303  # the 3rd attempt of the minute
    status, page = _sign_in(_client(app, "10.9.9.9"), "alice")
    assert status == 429 and "Too many sign-in attempts from your address" in page
    assert _sign_in(_client(app, "10.9.9.8"), "alice")[0] == 303


@pytest.mark.parametrize("settings", [{"LOGIN_RATE_LIMIT": "lots"}, {"LOGIN_RATE_LIMIT": "0 per minute"},
                                      {"LOGIN_LOCKOUT_AFTER": 0}, {"LOGIN_LOCKOUT_SECONDS": "soon"},
                                      {"LOGIN_LOCKOUT_SECONDS": 600, "LOGIN_LOCKOUT_MAX_SECONDS": 60}])
def test_bad_throttle_settings_stop_the_app(tmp_path: Path, settings: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        make_app(tmp_path / "data", **settings)


def test_throttle_reads_rates() -> None:
    assert Throttle.from_config({"LOGIN_RATE_LIMIT": "100 per hour"}).window == 3600
    assert Throttle.from_config({"LOGIN_RATE_LIMIT": "5/2 minutes"}).window == 120
    throttle = Throttle(lock_after=3, lock_seconds=60, lock_max=600)
    assert [throttle.lock_for(n) for n in (1, 2, 3, 4, 5, 6, 1000)] == [0, 0, 60, 120, 240, 480, 600]
