"""SQL of the sign-in throttle (`login_throttle`): attempts per client address in a fixed
window, and failed sign-ins per account name with the lock-out they earned. The policy
(how many, how long) lives in `catalogue.access`; every change here is one transaction, so
processes and nodes sharing the data directory count together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import Store

ADDRESS, ACCOUNT = "address", "account"
#: Rows untouched for this long (seconds) and not locked are forgotten.
FORGET_AFTER = 24 * 3600


@dataclass(frozen=True)
class Counter:
    """One counter: how many attempts since `since`, the last one at `last`, and until
    when (Unix seconds) the key is locked out (0: not locked)."""

    count: int
    since: float
    last: float
    locked_until: float


def count_attempt(store: Store, address: str, now: float, window: float) -> int:
    """Count one sign-in attempt from `address` in the current fixed window of `window`
    seconds; return the attempts of the window so far, this one included."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM login_throttle WHERE last < ? AND locked_until < ?", (now - FORGET_AFTER, now))
        conn.execute(
            "INSERT INTO login_throttle (kind, key, count, since, last) VALUES (?, ?, 1, ?, ?)"
            " ON CONFLICT (kind, key) DO UPDATE SET"
            " count = CASE WHEN login_throttle.since <= excluded.since - ? THEN 1 ELSE login_throttle.count + 1 END,"
            " since = CASE WHEN login_throttle.since <= excluded.since - ? THEN excluded.since"
            " ELSE login_throttle.since END,"
            " last = excluded.last",
            (ADDRESS, address, now, now, window, window),
        )
        row = conn.execute("SELECT count FROM login_throttle WHERE kind = ? AND key = ?", (ADDRESS, address)).fetchone()
    return int(row[0])


def window_end(store: Store, address: str, window: float) -> float:
    """When the current window of `address` ends (Unix seconds; 0 when it has none)."""
    row = store.conn.execute("SELECT since FROM login_throttle WHERE kind = ? AND key = ?",
                             (ADDRESS, address)).fetchone()
    return float(row[0]) + window if row else 0.0


def account(store: Store, name: str) -> Counter | None:
    """The failure counter of an account name, if it has one."""
    row = store.conn.execute("SELECT count, since, last, locked_until FROM login_throttle WHERE kind = ? AND key = ?",
                             (ACCOUNT, name)).fetchone()
    return Counter(int(row[0]), float(row[1]), float(row[2]), float(row[3])) if row else None


def count_failure(store: Store, name: str, now: float, lock_for: Callable[[int], float]) -> Counter:
    """Count a failed sign-in of `name` and lock it out for `lock_for(failures)` seconds
    (0: not locked); return the updated counter."""
    with store.transaction() as conn:
        row = conn.execute("SELECT count, since FROM login_throttle WHERE kind = ? AND key = ?",
                           (ACCOUNT, name)).fetchone()
        count, since = (int(row[0]) + 1, float(row[1])) if row else (1, now)
        seconds = lock_for(count)
        locked_until = now + seconds if seconds > 0 else 0.0
        conn.execute(
            "INSERT INTO login_throttle (kind, key, count, since, last, locked_until) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (kind, key) DO UPDATE SET count = excluded.count, last = excluded.last,"
            " locked_until = excluded.locked_until",
            (ACCOUNT, name, count, since, now, locked_until),
        )
    return Counter(count, since, now, locked_until)


def forget_account(store: Store, name: str) -> None:
    """Clear the failures of `name` (a successful sign-in, a new password)."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM login_throttle WHERE kind = ? AND key = ?", (ACCOUNT, name))

