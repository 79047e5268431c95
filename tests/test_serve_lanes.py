"""The request threads `catalogue serve` keeps for staff (`catalogue.cli.lanes`): while every
ordinary request thread is busy, a request with a live bearer token or a signed-in session is
answered at once and an anonymous one waits its turn; a made-up token is refused (401), so
it buys nothing; and which requests count as staff's, read from their raw headers."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from flask import Flask

from catalogue.cli.lanes import StaffLane, staff_requests
from catalogue.search.generations import WRITE_LOCK, live
from catalogue.search.locks import FileLock
from catalogue.service import Catalogue
from catalogue.web import get_catalogue
from tests.archivists import CSRF_TOKEN, PASSWORD, add_user, login, session_cookie
from tests.faults.faultkit import make_data, start, stop
from tests.recordsamples import make_record

#: How long a save waits for the index (held by the test), keeping an ordinary thread busy.
HELD_MS = 6000


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_data(tmp_path / "data", demo=True)


@pytest.fixture
def token(data: Path) -> str:
    with Catalogue(data, with_index=False) as cat:
        cat.accounts.add("alice", PASSWORD, "archivist")
        return cat.accounts.create_token("script", "archivist")


def serving(data: Path, staff: int) -> tuple[Any, str]:
    """`catalogue serve` with one request thread and `staff` kept for staff; process and URL."""
    process = start(data, "serve", "--port", "0", "--threads", "1", "--staff-threads", str(staff),
                    INDEX_WAIT_MS=str(HELD_MS))
    line = process.stdout.readline()
    assert line.startswith("Serving on "), line + process.stderr.read()
    return process, line.split()[2].rstrip("/")


def signed_in(base: str) -> requests.Session:
    """A browser session signed in as alice through the login form."""
    browser = requests.Session()
    form = browser.get(f"{base}/login", timeout=30).text
    found = CSRF_TOKEN.search(form)
    assert found
    answer = browser.post(f"{base}/login", timeout=30, allow_redirects=False,
                          data={"name": "alice", "password": PASSWORD, "csrf_token": found.group(1)})
    assert answer.status_code == 303, answer.text
    return browser


@pytest.fixture
def busy(data: Path, token: str, request: pytest.FixtureRequest) -> Iterator[tuple[str, requests.Session]]:
    """A server whose one request thread is busy with a save waiting for the index (the test
    holds its lock); its URL and a signed-in session (signed in before)."""
    process, base = serving(data, request.param)
    browser = signed_in(base)
    lock = FileLock(live(data / "index") / WRITE_LOCK)
    assert lock.acquire(5)
    saving = http.client.HTTPConnection(base.removeprefix("http://"), timeout=30)
    try:
        saving.request("POST", "/api/records", json.dumps(make_record(id="slow-save", title="The slow save")),
                       {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        time.sleep(0.5)  # (the save has reached the request thread and waits for the index)
        yield base, browser
        lock.release()
        assert saving.getresponse().status == 201
    finally:
        if lock.held:
            lock.release()
        saving.close()
        assert "Traceback" not in stop(process)


def timed(method: str, url: str, **kwargs: Any) -> tuple[int, float]:
    """Status and seconds of one request (`requests.request` arguments)."""
    began = time.monotonic()
    status = requests.request(method, url, timeout=30, **kwargs).status_code
    return status, time.monotonic() - began


@pytest.mark.slow
@pytest.mark.own_store
@pytest.mark.parametrize("busy", [1], indirect=True)
def test_staff_are_answered_while_the_request_threads_are_busy_and_the_public_waits(
        busy: tuple[str, requests.Session], token: str) -> None:
    base, browser = busy
    anonymous: list[tuple[int, float]] = []
    waiting = threading.Thread(target=lambda: anonymous.append(timed("GET", f"{base}/api/search?q=tomb")))
    waiting.start()
    assert timed("GET", f"{base}/api/search?q=tomb", headers={"Authorization": f"Bearer {token}"}) < (200, 2)
    began = time.monotonic()
    page = browser.get(f"{base}/records/new", timeout=30)  # the record form: archivists only
    assert page.status_code == 200 and "csrf_token" in page.text and time.monotonic() - began < 2
    assert timed("GET", f"{base}/api/search?q=tomb", headers={"Authorization": "Bearer made-up"})[0] == 401
    time.sleep(0.5)
    assert waiting.is_alive(), anonymous  # (still queued behind the save)
    waiting.join(30)
    assert anonymous[0][0] == 200 and anonymous[0][1] > 1.5


@pytest.mark.slow
@pytest.mark.own_store
@pytest.mark.parametrize("busy", [0], indirect=True)
def test_without_staff_threads_staff_wait_like_everyone(busy: tuple[str, requests.Session], token: str) -> None:
    """The control: with `--staff-threads 0` the same request waits for the busy thread."""
    base, _ = busy
    status, took = timed("GET", f"{base}/api/search?q=tomb", headers={"Authorization": f"Bearer {token}"})
    assert status == 200 and took > 1.5


def channel(**headers: str) -> SimpleNamespace:
    """A waitress channel stand-in: its next request's method and raw headers."""
    return SimpleNamespace(requests=[SimpleNamespace(command="GET", headers=headers)])


def test_staff_requests_are_those_with_a_bearer_token_or_a_signed_in_session(demo_app: Flask) -> None:
    add_user(demo_app, "bob")
    is_staff = staff_requests(demo_app)
    client = demo_app.test_client()
    client.get("/login")  # an anonymous session: a CSRF token, no user
    anonymous = session_cookie(client)
    login(client, "bob")
    signed = session_cookie(client)
    assert is_staff(channel(AUTHORIZATION="Bearer abc"))
    assert is_staff(channel(COOKIE=f"lang=az; session={signed}"))
    assert not is_staff(channel(COOKIE=f"session={anonymous}"))
    assert not is_staff(channel(COOKIE=f"session={signed[:-3]}xyz"))  # not signed by this app
    assert not is_staff(channel(COOKIE=f"other={signed}"))
    assert not is_staff(channel(AUTHORIZATION="Basic YTpi"))
    assert not is_staff(channel(AUTHORIZATION="Bearer "))
    assert not is_staff(channel())
    assert not is_staff(SimpleNamespace(requests=[]))


class Task:
    """A request for the dispatcher: `staff` or not; `hold` keeps its thread until set."""

    def __init__(self, staff: bool, hold: threading.Event | None = None):
        self.staff, self.hold, self.done = staff, hold, threading.Event()

    def service(self) -> None:
        if self.hold is not None:
            self.hold.wait(10)
        self.done.set()

    def cancel(self) -> None:
        pass


def test_the_staff_thread_is_left_free_while_a_request_thread_is() -> None:
    """A staff request that a free request thread can take goes to it, so a second one still
    finds the staff thread free while the first is answered; ordinary requests never reach
    the staff thread, and staff requests go before them."""
    lane = StaffLane(lambda task: task.staff)
    lane.start(1, 1)
    first, second = threading.Event(), threading.Event()
    try:
        long_staff = Task(True, first)
        lane.add_task(long_staff)  # the request thread takes it
        time.sleep(0.1)
        public, staff = Task(False), Task(True, second)
        lane.add_task(public)
        lane.add_task(staff)  # the staff thread takes it
        time.sleep(0.1)
        assert not public.done.is_set() and not staff.done.is_set()
        second.set()
        assert staff.done.wait(5) and not public.done.is_set()
        third = Task(True)
        lane.add_task(third)
        assert third.done.wait(5) and not public.done.is_set()
        first.set()
        assert public.done.wait(5) and long_staff.done.is_set()
    finally:
        first.set()
        second.set()
        assert lane.shutdown(timeout=5)


def test_made_up_bearer_tokens_are_refused_on_every_route_and_live_ones_read(demo_app: Flask) -> None:
    client = demo_app.test_client()
    with demo_app.app_context():
        token = get_catalogue().accounts.create_token("reader-script", "archivist")
    for path in ("/api/search?q=tomb", "/", "/oai?verb=Identify"):
        refused = client.get(path, headers={"Authorization": "Bearer made-up"})
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer"), path
        assert client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200, path
        assert client.get(path).status_code == 200, path
    assert client.get("/api/search?q=tomb", headers={"Authorization": "Basic YTpi"}).status_code == 200
    assert re.search("unknown or revoked", refused.get_data(as_text=True))
