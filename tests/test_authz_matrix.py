"""Every route and method of the archivist side against every kind of caller, with the
exact status: anonymous, archivist, admin, a forged CSRF token, and an ended session; and
every request that is not a successful write (refused, or a read) leaves the store as it was.

One app serves the whole matrix; each caller works on its own record, user and source
(``rec-<caller>``), so a successful write by one caller never changes another's outcome.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import harvest.sources
from catalogue.web import get_catalogue
from tests.archivists import add_user, csrf_token, login, session_cookie
from tests.conftest import make_app

CALLERS = ("anonymous", "archivist", "admin", "wrong_csrf", "expired")
LOGIN = "login"
GONE_SOURCE = {"connect_timeout": 0.5, "read_timeout": 0.5, "retries": 0, "backoff": 0.01, "max_backoff": 0.01}


def _record_form(who: str, title: str) -> dict[str, str]:
    return {"type": "mosque", "title": title, "sources[0].id": "s1", "sources[0].citation": "A report.",
            "message": f"edit by {who}"}


def _source_form(name: str) -> dict[str, str]:
    return {"name": name, "url": "http://127.0.0.1:9/oai", "protocol": "oai-pmh", "prefix": "oai_dc",
            "settings": json.dumps(GONE_SOURCE), "no_check": "1"}  # no provider listens there


MAPPING = '[record]\nid_column = "id"\n[columns]\n"t" = "title"\n'

# (method, path, form data, statuses for anonymous / archivist / admin); {who} is the caller.
# A forged CSRF token gets 400 on every form POST and the admin's status otherwise; an
# ended session gets the anonymous status. LOGIN means a redirect to /login?next=.
ROUTES: list[tuple[str, str, dict[str, str], tuple[Any, Any, Any]]] = [
    ("GET", "/login", {}, (200, 200, 200)),
    ("POST", "/login", {"name": "nobody", "password": "wrong password"}, (401, 401, 401)),
    ("GET", "/logout", {}, (405, 405, 405)),
    ("GET", "/records/new", {}, (LOGIN, 200, 200)),
    ("POST", "/records/new", {**_record_form("{who}", "New"), "id": "new-{who}"}, (LOGIN, 303, 303)),
    ("POST", "/records/new", {"title": "no message"}, (LOGIN, 422, 422)),
    ("POST", "/records/new", {"find_sources": "1", "source_query": "report"}, (LOGIN, 200, 200)),
    ("POST", "/records/new", {"reuse": "rec-{who} s1", "source_query": "report"}, (LOGIN, 200, 200)),
    ("GET", "/cited-sources?q=report", {}, (LOGIN, 200, 200)),
    ("GET", "/records/rec-{who}/edit", {}, (LOGIN, 200, 200)),
    ("GET", "/records/no-such/edit", {}, (LOGIN, 404, 404)),
    ("POST", "/records/rec-{who}/edit", {**_record_form("{who}", "Edited"), "base_revision": "1"},
     (LOGIN, 303, 303)),
    ("POST", "/records/rec-{who}/restore", {"revision": "1", "message": "matrix"}, (LOGIN, 303, 303)),
    ("GET", "/records/rec-{who}/restore", {}, (405, 405, 405)),
    ("POST", "/records/rec-{who}/delete", {"reason": "matrix"}, (LOGIN, 303, 303)),
    ("GET", "/records/rec-{who}/delete", {}, (405, 405, 405)),
    ("GET", "/pending", {}, (LOGIN, 200, 200)),
    ("GET", "/records/rec-{who}/pending", {}, (LOGIN, 200, 200)),
    ("POST", "/pending/999/accept", {}, (LOGIN, 404, 404)),
    ("POST", "/pending/999/reject", {}, (LOGIN, 404, 404)),
    ("GET", "/admin/", {}, (LOGIN, 200, 200)),
    ("GET", "/admin/users", {}, (LOGIN, 403, 200)),
    ("POST", "/admin/users", {"name": "u-{who}", "role": "archivist", "password": "long enough password",
                              "password2": "long enough password"}, (LOGIN, 403, 303)),
    ("POST", "/admin/users/target-{who}/role", {"role": "admin"}, (LOGIN, 403, 303)),
    ("POST", "/admin/users/target-{who}/password", {"password": "another password", "password2": "another password"},
     (LOGIN, 403, 303)),
    ("POST", "/admin/users/target-{who}/active", {"active": "0"}, (LOGIN, 403, 303)),
    ("POST", "/admin/users/ghost/active", {"active": "0"}, (LOGIN, 403, 404)),
    ("GET", "/admin/sources", {}, (LOGIN, 200, 200)),
    ("POST", "/admin/sources", _source_form("new-{who}"), (LOGIN, 403, 303)),
    ("GET", "/admin/sources/src-{who}/edit", {}, (LOGIN, 403, 200)),
    ("POST", "/admin/sources/src-{who}/edit", _source_form("src-{who}"), (LOGIN, 403, 303)),
    ("POST", "/admin/sources/src-{who}/run", {}, (LOGIN, 303, 303)),
    ("GET", "/admin/runs", {}, (LOGIN, 200, 200)),
    ("GET", "/admin/runs/999", {}, (LOGIN, 404, 404)),
    ("POST", "/admin/sources/src-{who}/remove", {}, (LOGIN, 403, 303)),
    ("POST", "/admin/sources/ghost/remove", {}, (LOGIN, 403, 404)),
    ("GET", "/imports/", {}, (LOGIN, 200, 200)),
    ("POST", "/imports/", {}, (LOGIN, 422, 422)),  # no file chosen
    ("GET", "/imports/mappings", {}, (LOGIN, 200, 200)),
    ("POST", "/imports/mappings", {"name": "map-{who}", "text": MAPPING}, (LOGIN, 403, 303)),
    ("POST", "/imports/mappings/ghost/remove", {}, (LOGIN, 403, 404)),
    ("GET", "/imports/no-such-upload", {}, (LOGIN, 404, 404)),
    ("POST", "/imports/no-such-upload/run", {}, (LOGIN, 404, 404)),
    ("GET", "/imports/runs/999", {}, (LOGIN, 404, 404)),
    ("GET", "/imports/runs/999.json", {}, (LOGIN, 404, 404)),
    ("POST", "/oai", {"verb": "Identify"}, (200, 200, 200)),  # OAI-PMH is exempt from CSRF
    ("POST", "/api/records", {}, (401, 401, 401)),  # the write API takes bearer tokens only
    ("PUT", "/api/records/rec-{who}", {}, (401, 401, 401)),
    ("PATCH", "/api/records/rec-{who}", {}, (401, 401, 401)),
    ("POST", "/logout", {}, (303, 303, 303)),  # last: it ends the sessions
]

CASES = [(row, who) for row in range(len(ROUTES)) for who in CALLERS]
#: The tables a write of the archivist side can change: records and their revisions (the
#: change sequence), accounts and sessions, API tokens, harvest sources, runs and pending changes.
WATCHED = ("records", "revisions", "users", "tokens", "sources", "harvest_runs", "pending_changes", "import_mappings",
           "import_uploads")


def _expected(row: int, who: str) -> Any:
    method, path, _, statuses = ROUTES[row]
    anonymous, archivist, admin = statuses
    if who == "wrong_csrf":
        form_post = method == "POST" and path != "/oai" and not path.startswith("/api/")
        return 400 if form_post else admin
    return {"anonymous": anonymous, "archivist": archivist, "admin": admin, "expired": anonymous}[who]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict[str, FlaskClient]]]:
    app = make_app(Path(tmp_path_factory.mktemp("matrix")) / "data", HARVEST_IN_BACKGROUND=False)
    with app.app_context():
        catalogue = get_catalogue()
        for who in CALLERS:
            catalogue.create({**{"id": f"rec-{who}", "type": "mosque", "title": "Original"},
                              "sources": [{"id": "s1", "citation": "A report."}]}, user="setup")
            harvest.sources.add_source(catalogue, f"src-{who}", "http://127.0.0.1:9/oai", settings=GONE_SOURCE,
                                  check=False)
    for name, role in (("alice", "archivist"), ("root", "admin"), ("gone", "archivist")):
        add_user(app, name, role)
    for who in CALLERS:
        add_user(app, f"target-{who}", "archivist")
    clients = {who: app.test_client() for who in CALLERS}
    login(clients["archivist"], "alice")
    login(clients["admin"], "root")
    clients["wrong_csrf"] = clients["admin"]
    expired = clients["expired"]
    login(expired, "gone")
    csrf_token(expired, "/records/new")
    old = session_cookie(expired)
    expired.post("/logout", data={"csrf_token": csrf_token(expired, "/records/new")})
    expired.set_cookie("session", old)  # a cookie of a session that has ended
    yield app, clients
    app.extensions["catalogue"].close()


@pytest.mark.parametrize(("row", "who"), CASES, ids=[f"{ROUTES[r][0]} {ROUTES[r][1]} {w}" for r, w in CASES])
def test_status(matrix: tuple[Flask, dict[str, FlaskClient]], row: int, who: str) -> None:
    app, clients = matrix
    client = clients[who]
    method, path, data, _ = ROUTES[row]
    path = path.replace("{who}", who)
    form = {k: v.replace("{who}", who) for k, v in data.items()}
    if method == "POST" and path != "/oai" and not path.startswith("/api/"):
        form["csrf_token"] = "forged" if who == "wrong_csrf" else _token(client)
    expected = _expected(row, who)
    before = _stored(app)
    response = client.open(path, method=method, data=form)
    if expected != 303:  # only a successful write may change what is stored
        assert _stored(app) == before, "a request that wrote nothing by its status changed the store"
    if expected == LOGIN:
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert response.headers["Location"].startswith("/login?next=/")
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:500]


def _stored(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the watched tables, read from a copy of the store (SQLite or PostgreSQL)
    by a connection of its own."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy.sqlite3"
        with app.app_context():
            get_catalogue().backup(copy)
        database = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        try:
            return {table: database.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() for table in WATCHED}
        finally:
            database.close()


def _token(client: FlaskClient) -> str:
    """A valid CSRF token of the client's session (taken from the login page, open to all)."""
    return csrf_token(client, "/login")
