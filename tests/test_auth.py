"""Accounts and sessions: password hashing, sign-in and out, server-side invalidation,
safe redirects, the login rate limit, cookie flags and the SECRET_KEY policy."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import itsdangerous
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from catalogue import access
from catalogue.errors import ConfigurationError
from catalogue.store import users as user_store
from catalogue.web import get_catalogue
from catalogue.web.auth import is_production
from tests.archivists import PASSWORD, add_user, csrf_token, login, session_cookie
from tests.conftest import TEST_SCRYPT, make_app

#: Nothing here searches: writes skip the search index (see tests/conftest.py).
pytestmark = pytest.mark.without_index

pytestmark = pytest.mark.both_stores  # the store's semantics, on SQLite and on PostgreSQL


@pytest.fixture
def alice(app: Flask) -> str:
    add_user(app, "alice")
    return "alice"


def _is_signed_in(client: FlaskClient) -> bool:
    return client.get("/records/new").status_code == 200


@pytest.mark.real_password_hashing
def test_password_is_stored_as_scrypt_hash(app: Flask, alice: str) -> None:
    with app.app_context():
        row = user_store.get_user(get_catalogue().store, alice)
    assert row.password_hash.startswith("scrypt:")
    assert not row.password_hash.startswith(TEST_SCRYPT + "$")  # the production cost, not the tests' one
    assert PASSWORD not in row.password_hash


def test_a_name_without_account_is_checked_at_the_cost_of_a_password() -> None:
    """The stand-in hash checked for an unknown name has the cost werkzeug gives a new one,
    so a login answers as slowly for a name that does not exist, and never matches."""
    method = generate_password_hash(PASSWORD, method="scrypt").split("$")[0]
    assert access._DUMMY_HASH.split("$")[0] == method
    assert not access.password_matches(None, PASSWORD) and not access.password_matches(None, "")


def test_login_with_the_right_password_signs_in(client: FlaskClient, alice: str) -> None:
    assert not _is_signed_in(client)
    login(client, alice)
    assert _is_signed_in(client)


@pytest.mark.parametrize(("name", "password"), [("alice", "wrong password!"), ("nobody", PASSWORD), ("", "")])
def test_wrong_credentials_are_refused_with_a_message(client: FlaskClient, alice: str, name: str,
                                                      password: str) -> None:
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_token(client)})
    assert response.status_code == 401
    assert "Wrong name or password" in response.get_data(as_text=True)
    assert not _is_signed_in(client)


def test_missing_login_redirects_to_login_with_next(client: FlaskClient) -> None:
    response = client.get("/records/khojaly-schools/edit?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/records/khojaly-schools/edit?x%3D1"


def test_login_follows_a_same_site_next(client: FlaskClient, alice: str) -> None:
    token = csrf_token(client)
    response = client.post("/login", data={"name": alice, "password": PASSWORD, "csrf_token": token,
                                           "next": "/records/new"})
    assert response.headers["Location"] == "/records/new"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example", "/%0d%0aSet-Cookie:x", "evil.example"])
def test_login_never_redirects_off_site(client: FlaskClient, alice: str, target: str) -> None:
    token = csrf_token(client)
    response = client.post("/login", data={"name": alice, "password": PASSWORD, "csrf_token": token, "next": target})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location.split("?")[0][:20]
    assert location in ("/", target)


def test_logout_ends_the_session_server_side(client: FlaskClient, app: Flask, alice: str) -> None:
    login(client, alice)
    old_cookie = session_cookie(client)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/records/new")})
    assert response.status_code == 303
    assert not _is_signed_in(client)
    client.set_cookie("session", old_cookie)  # replaying the old cookie must not work
    assert not _is_signed_in(client)


def test_logout_needs_post_and_csrf(client: FlaskClient, alice: str) -> None:
    login(client, alice)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert _is_signed_in(client)


def test_password_change_ends_sessions(client: FlaskClient, app: Flask, alice: str) -> None:
    login(client, alice)
    result = app.test_cli_runner().invoke(args=["user", "passwd", alice], input="another good password\n")
    assert result.exit_code == 0, result.output
    assert not _is_signed_in(client)
    response = client.post("/login", data={"name": alice, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 401
    login(client, alice, "another good password")


@pytest.mark.parametrize("commands", [
    pytest.param([["user", "role", "alice", "admin"]], id="role"),
    pytest.param([["user", "disable", "alice"], ["user", "enable", "alice"]], id="disable then enable"),
])
def test_role_change_or_disabling_ends_sessions_for_good(client: FlaskClient, app: Flask, alice: str,
                                                         commands: list[list[str]]) -> None:
    """The session cookie from before stays refused, even once the account is enabled again."""
    login(client, alice)
    old_cookie = session_cookie(client)
    for args in commands:
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output
    assert not _is_signed_in(client)
    client.set_cookie("session", old_cookie)
    assert not _is_signed_in(client)
    login(client, alice)  # a new sign-in works
    assert _is_signed_in(client)


def test_disabled_user_cannot_sign_in_and_is_signed_out(client: FlaskClient, app: Flask, alice: str) -> None:
    login(client, alice)
    assert app.test_cli_runner().invoke(args=["user", "disable", alice]).exit_code == 0
    assert not _is_signed_in(client)
    response = client.post("/login", data={"name": alice, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 401


def test_session_expires_after_its_lifetime(client: FlaskClient, app: Flask, alice: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    login(client, alice)
    lifetime = app.permanent_session_lifetime.total_seconds()
    later = int(time.time() + lifetime + 60)
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: later)
    assert not _is_signed_in(client)


def test_login_is_rate_limited_with_a_clear_message(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", LOGIN_RATE_LIMIT="3 per minute")
    add_user(app, "alice")
    client = app.test_client()
    token = csrf_token(client)
    statuses = [client.post("/login", data={"name": "alice", "password": "wrong password!", "csrf_token": token})
                .status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    response = client.post("/login", data={"name": "alice", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.get_data(as_text=True)
    assert not _is_signed_in(client)


def test_session_cookie_flags(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data")
    add_user(app, "alice")
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/login", data={"name": "alice", "password": PASSWORD, "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = make_app(tmp_path / "data2", SESSION_COOKIE_SECURE=True)
    add_user(secure, "bob")
    client = secure.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/login", data={"name": "bob", "password": PASSWORD, "csrf_token": token},
                           base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    assert "Secure" in response.headers["Set-Cookie"]


def test_production_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        make_app(tmp_path / "data", TESTING=False, SECRET_KEY=None, DEMO_ON_EMPTY=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        make_app(tmp_path / "data", SECRET_KEY=None, ENV="production")
    assert not (tmp_path / "data" / "secret_key").exists()


def test_development_key_is_generated_once_into_the_data_directory(tmp_path: Path) -> None:
    # the data directory's own store (a shared one refuses: see the test below)
    first = make_app(tmp_path / "data", TESTING=False, SECRET_KEY=None, DATABASE_URL="")  # DEMO_ON_EMPTY
    assert not is_production(first)
    key_file = tmp_path / "data" / "secret_key"
    assert key_file.read_text().strip() == first.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 64
    if os.name == "posix":
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = make_app(tmp_path / "data", TESTING=False, SECRET_KEY=None, ENV="development", DEMO_ON_EMPTY=False,
                     DATABASE_URL="")
    assert again.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_a_store_shared_by_several_nodes_needs_one_secret_key_even_in_development(tmp_path: Path) -> None:
    """A key generated into one node's data directory would differ on the next node, and a
    session, CSRF token or resumption token of one node would fail on another."""
    url = "postgresql://catalogue@db.invalid/catalogue"  # refused before any connection
    with pytest.raises(ConfigurationError, match="the same on each node"):
        make_app(tmp_path / "data", TESTING=False, SECRET_KEY=None, ENV="development", DATABASE_URL=url)
    assert not (tmp_path / "data" / "secret_key").exists()


def test_serve_configuration_without_settings_is_development(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`catalogue serve` with no configuration at all: the real factory, environment only."""
    from catalogue import create_app

    monkeypatch.chdir(tmp_path)
    for key in [k for k in os.environ if k.startswith("CATALOGUE_")]:
        monkeypatch.delenv(key)
    app = create_app()
    assert app.config["SECRET_KEY"] and (tmp_path / "catalogue-data" / "secret_key").exists()
    monkeypatch.setenv("CATALOGUE_DEMO_ON_EMPTY", "false")
    monkeypatch.setenv("CATALOGUE_DATA", str(tmp_path / "prod"))
    with pytest.raises(ConfigurationError):
        create_app()
    monkeypatch.setenv("CATALOGUE_SECRET_KEY", "a real secret from the environment")
    assert create_app().config["SECRET_KEY"] == "a real secret from the environment"
