"""The account, password, token and sign-in-limit rules at their edges (catalogue.access):
the bounds an administrator meets when naming accounts and setting limits, and what is kept
of a token. Found untested by mutation testing (tests/mutation/score.py)."""

from __future__ import annotations

import hashlib

import pytest

from catalogue.access import (
    Throttle,
    TooManyAttempts,
    User,
    check_name,
    check_password,
    check_role,
    hash_password,
    new_token,
    password_matches,
    same_hash,
    token_hash,
)
from catalogue.errors import CatalogueError, ConfigurationError


@pytest.mark.parametrize("name", ["a", "A" * 64, "9lives", "ann.lee_2@museum-x"])
def test_account_names_up_to_64_characters_are_accepted(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "a" * 65, ".ann", "-ann", "ann lee", "ann/lee", "ann\n"])
def test_other_account_names_are_refused_with_the_rule(name: str) -> None:
    rule = r"^a user name is 1-64 letters, digits or \. _ @ - and starts with a letter or digit$"
    with pytest.raises(CatalogueError, match=rule):
        check_name(name)


def test_roles_are_archivist_and_admin_and_others_are_refused_by_name() -> None:
    assert check_role("archivist") == "archivist" and check_role("admin") == "admin"
    with pytest.raises(CatalogueError, match=r"^unknown role 'editor'; choose one of: archivist, admin$"):
        check_role("editor")


def test_an_admin_may_do_what_an_archivist_may_and_an_unknown_role_nothing() -> None:
    archivist, admin, stranger = User("a", "archivist"), User("b", "admin"), User("c", "visitor")
    assert archivist.can("archivist") and not archivist.can("admin")
    assert admin.can("archivist") and admin.can("admin")
    assert not stranger.can("archivist")


def test_passwords_of_10_to_1024_characters_are_accepted_and_others_refused_with_the_bound() -> None:
    assert check_password("x" * 10) == "x" * 10 and check_password("x" * 1024) == "x" * 1024
    with pytest.raises(CatalogueError, match=r"^a password needs at least 10 characters$"):
        check_password("x" * 9)
    with pytest.raises(CatalogueError, match=r"^a password may have at most 1024 characters$"):
        check_password("x" * 1025)
    with pytest.raises(CatalogueError, match="at least 10"):
        hash_password("short")


def test_a_stored_password_hash_matches_that_password_only() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt:") and "correct horse battery" not in stored
    assert password_matches(stored, "correct horse battery")
    assert not password_matches(stored, "correct horse battery ")
    assert not password_matches(stored, "")


def test_an_unknown_account_matches_no_password_not_even_the_dummy_one() -> None:
    assert not password_matches(None, "not a password")
    assert not password_matches(None, "")


def test_tokens_are_long_random_and_only_their_sha256_is_kept() -> None:
    first, second = new_token(), new_token()
    assert first != second and first.startswith("cat_") and len(first) == len("cat_") + 43
    stored = token_hash(first)
    assert stored == hashlib.sha256(first.encode()).hexdigest() and first not in stored
    assert same_hash(stored, first)
    assert not same_hash(stored, second) and not same_hash(stored, stored)


def test_default_sign_in_limits_are_ten_a_minute_and_a_lock_after_five_failures() -> None:
    throttle = Throttle.from_config({})
    assert throttle == Throttle(attempts=10, window=60, lock_after=5, lock_seconds=60, lock_max=3600)


@pytest.mark.parametrize(("rate", "attempts", "window"), [
    ("1 per second", 1, 1), ("3/hour", 3, 3600), ("2 per day", 2, 86400), ("10 PER 5 Minutes", 10, 300),
    (" 7 per minute ", 7, 60),
])
def test_the_sign_in_rate_is_read_as_written(rate: str, attempts: int, window: int) -> None:
    throttle = Throttle.from_config({"LOGIN_RATE_LIMIT": rate})
    assert (throttle.attempts, throttle.window) == (attempts, window)


@pytest.mark.parametrize(("settings", "message"), [
    ({"LOGIN_RATE_LIMIT": "0 per minute"}, "^LOGIN_RATE_LIMIT must read like '10 per minute', not '0 per minute'$"),
    ({"LOGIN_RATE_LIMIT": "ten per minute"}, "not 'ten per minute'$"),
    ({"LOGIN_LOCKOUT_AFTER": None}, "^the LOGIN_LOCKOUT_\\* settings must be numbers \\("),
    ({"LOGIN_LOCKOUT_MAX_SECONDS": "long"}, "must be numbers"),
    ({"LOGIN_LOCKOUT_AFTER": 0}, "^LOGIN_LOCKOUT_AFTER must be at least 1 and "),
    ({"LOGIN_LOCKOUT_SECONDS": 0}, "and 0 < LOGIN_LOCKOUT_SECONDS <= LOGIN_LOCKOUT_MAX_SECONDS$"),
    ({"LOGIN_LOCKOUT_SECONDS": 61, "LOGIN_LOCKOUT_MAX_SECONDS": 60}, "LOGIN_LOCKOUT_SECONDS <="),
])
def test_bad_sign_in_limits_stop_the_app_with_the_setting_named(settings: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Throttle.from_config(settings)


def test_sign_in_limits_at_their_bounds_are_accepted() -> None:
    throttle = Throttle.from_config({"LOGIN_RATE_LIMIT": "1 per minute", "LOGIN_LOCKOUT_AFTER": "1",
                                     "LOGIN_LOCKOUT_SECONDS": "30", "LOGIN_LOCKOUT_MAX_SECONDS": 30})
    assert throttle == Throttle(attempts=1, window=60, lock_after=1, lock_seconds=30.0, lock_max=30.0)
    short = Throttle.from_config({"LOGIN_LOCKOUT_SECONDS": 0.5, "LOGIN_LOCKOUT_MAX_SECONDS": 1})
    assert (short.lock_seconds, short.lock_max) == (0.5, 1.0)


def test_lock_out_starts_at_the_nth_failure_doubles_and_stops_at_its_maximum() -> None:
    throttle = Throttle(lock_after=2, lock_seconds=10, lock_max=1000)
    assert [throttle.lock_for(n) for n in (0, 1, 2, 3, 4)] == [0, 0, 10, 20, 40]
    assert throttle.lock_for(10**6) == 1000  # an account failed a million times is locked, not an overflow


@pytest.mark.parametrize(("retry", "seconds"), [(0.0, 1), (0.2, 1), (1.0, 1), (1.01, 2), (59.5, 60)])
def test_a_refused_sign_in_says_the_whole_seconds_to_wait(retry: float, seconds: int) -> None:
    error = TooManyAttempts("account", retry)
    assert error.per == "account" and error.retry_after == seconds
    assert str(error) == f"too many sign-in attempts (account); retry in {seconds} s"
