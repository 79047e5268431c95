"""The `user` and `token` commands: prompted passwords, clear errors, token lifecycle."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from catalogue.service import accounts as accounts_module
from catalogue.store import users as user_store
from catalogue.web import get_catalogue
from tests.archivists import PASSWORD
from tests.conftest import exited_cleanly

#: Nothing here searches: writes skip the search index (see tests/conftest.py).
pytestmark = pytest.mark.without_index


def test_user_add_reads_the_password_from_stdin_and_lists_the_user(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["user", "add", "alice", "--role", "admin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    listing = runner.invoke(args=["user", "list"])
    assert listing.output.split("\t")[:3] == ["alice", "admin", "active"]


def test_password_is_never_an_argument(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["user", "add", "alice", "--role", "archivist", "--password", PASSWORD])
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_user_add_errors_are_one_clear_line(runner: FlaskCliRunner) -> None:
    short = runner.invoke(args=["user", "add", "alice", "--role", "archivist"], input="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    assert exited_cleanly(short)
    bad_role = runner.invoke(args=["user", "add", "alice", "--role", "editor"], input=PASSWORD + "\n")
    assert bad_role.exit_code == 2
    bad_name = runner.invoke(args=["user", "add", "a b", "--role", "archivist"], input=PASSWORD + "\n")
    assert bad_name.exit_code == 1 and "user name" in bad_name.output
    empty = runner.invoke(args=["user", "add", "alice", "--role", "archivist"], input="")
    assert empty.exit_code == 1 and "no password" in empty.output
    assert runner.invoke(args=["user", "add", "alice", "--role", "archivist"], input=PASSWORD + "\n").exit_code == 0
    again = runner.invoke(args=["user", "add", "alice", "--role", "archivist"], input=PASSWORD + "\n")
    assert again.exit_code == 1 and "exists already" in again.output


def test_passwd_and_disable_unknown_user(runner: FlaskCliRunner) -> None:
    for args in (["user", "passwd", "ghost"], ["user", "disable", "ghost"]):
        result = runner.invoke(args=args, input=PASSWORD + "\n")
        assert result.exit_code == 1 and "no user named 'ghost'" in result.output


def test_last_admin_cannot_be_disabled_or_demoted(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["user", "add", "root", "--role", "admin"], input=PASSWORD + "\n")
    assert "last active admin" in runner.invoke(args=["user", "disable", "root"]).output
    assert "last active admin" in runner.invoke(args=["user", "role", "root", "archivist"]).output
    runner.invoke(args=["user", "add", "second", "--role", "admin"], input=PASSWORD + "\n")
    assert runner.invoke(args=["user", "disable", "root"]).exit_code == 0
    assert "disabled" in runner.invoke(args=["user", "list"]).output


def test_token_create_prints_once_list_hides_it_revoke_kills_it(app: Flask, runner: FlaskCliRunner) -> None:
    created = runner.invoke(args=["token", "create", "importer", "--role", "archivist"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("cat_") and len(token) > 40
    with app.app_context():
        assert get_catalogue().accounts.token_user(token).name == "token:importer"
    listing = runner.invoke(args=["token", "list"]).output
    assert "importer" in listing and token not in listing and "live" in listing
    assert runner.invoke(args=["token", "revoke", "importer"]).exit_code == 0
    with app.app_context():
        assert get_catalogue().accounts.token_user(token) is None
    assert "revoked" in runner.invoke(args=["token", "list"]).output
    missing = runner.invoke(args=["token", "revoke", "importer"])
    assert missing.exit_code == 1 and "no live token" in missing.output


def test_a_token_s_last_use_is_written_once_a_minute_not_at_each_request(
        app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """A script reading with its token makes no write transaction of each request."""
    token = runner.invoke(args=["token", "create", "reader"]).stdout.strip()
    touched: list[int] = []
    touch = user_store.touch_token
    monkeypatch.setattr(user_store, "touch_token",
                        lambda store, token_id: touched.append(token_id) or touch(store, token_id))
    with app.app_context():
        accounts = get_catalogue().accounts
        for _ in range(3):
            assert accounts.token_user(token) is not None
        assert len(touched) == 1 and accounts.tokens()[0].last_used is not None
        later = accounts_module.utcnow(accounts_module.TOUCH_EVERY + 1)
        monkeypatch.setattr(accounts_module, "utcnow", lambda seconds=0.0: later)
        assert accounts.token_user(token) is not None
        assert len(touched) == 2


@pytest.mark.own_store  # reads the data directory's SQLite file
def test_only_the_token_hash_is_stored(app: Flask, runner: FlaskCliRunner) -> None:
    """A copy of the database file gives no working token (and no password)."""
    runner.invoke(args=["user", "add", "alice", "--role", "admin"], input=PASSWORD + "\n")
    token = runner.invoke(args=["token", "create", "importer"]).stdout.strip()
    assert token.startswith("cat_")
    database = sqlite3.connect(Path(app.config["DATA"]) / "catalogue.sqlite3")
    try:
        dump = "\n".join(database.iterdump())
    finally:
        database.close()
    assert "importer" in dump  # the token row is there: its label, not its secret
    assert token not in dump and token.removeprefix("cat_") not in dump
    assert PASSWORD not in dump
