"""SQL for the `users` and `tokens` tables: accounts of archivists and admins, and the bearer
tokens scripts use for the write API. Hashing and policy live in `catalogue.access`."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import AlreadyExists, NotFound
from . import Store, utcnow
from .backend import Row


@dataclass(frozen=True)
class UserRow:
    """One account; `session_version` grows on logout and password change."""

    id: int
    name: str
    password_hash: str
    role: str
    active: bool
    session_version: int
    created: str

    @classmethod
    def from_row(cls, row: Row) -> UserRow:
        return cls(row["id"], row["name"], row["password_hash"], row["role"], bool(row["active"]),
                   row["session_version"], row["created"])


@dataclass(frozen=True)
class TokenRow:
    """One API token; only the hash of its secret is stored."""

    id: int
    name: str
    token_hash: str
    role: str
    created: str
    last_used: str | None
    revoked: bool

    @classmethod
    def from_row(cls, row: Row) -> TokenRow:
        return cls(row["id"], row["name"], row["token_hash"], row["role"], row["created"], row["last_used"],
                   bool(row["revoked"]))


def add_user(store: Store, name: str, password_hash: str, role: str) -> UserRow:
    """Insert an account; AlreadyExists when the name is taken."""
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise AlreadyExists(f"a user named {name!r} exists already")
        conn.execute("INSERT INTO users (name, password_hash, role, created) VALUES (?, ?, ?, ?)",
                     (name, password_hash, role, utcnow()))
    return get_user(store, name)


def find_user(store: Store, name: str) -> UserRow | None:
    """The account called `name`, or None."""
    row = store.conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
    return UserRow.from_row(row) if row else None


def get_user(store: Store, name: str) -> UserRow:
    """The account called `name`; NotFound otherwise."""
    user = find_user(store, name)
    if user is None:
        raise NotFound(f"no user named {name!r}", "user", name=name)
    return user


def list_users(store: Store) -> list[UserRow]:
    """Every account, by name."""
    return [UserRow.from_row(r) for r in store.conn.execute("SELECT * FROM users ORDER BY name")]


def count_admins(store: Store) -> int:
    """Active admin accounts (the last one may not be demoted or disabled)."""
    return store.conn.execute("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1").fetchone()[0]


def _change(store: Store, name: str, assignments: str, values: tuple[object, ...]) -> UserRow:
    with store.transaction() as conn:
        cursor = conn.execute(f"UPDATE users SET {assignments} WHERE name = ?", (*values, name))  # noqa: S608
        if cursor.rowcount == 0:
            raise NotFound(f"no user named {name!r}", "user", name=name)
    return get_user(store, name)


def set_password(store: Store, name: str, password_hash: str) -> UserRow:
    """Replace the password hash and end every session of the user."""
    return _change(store, name, "password_hash = ?, session_version = session_version + 1", (password_hash,))


def set_role(store: Store, name: str, role: str) -> UserRow:
    """Change the role; running sessions end so the new role applies at the next login."""
    return _change(store, name, "role = ?, session_version = session_version + 1", (role,))


def set_active(store: Store, name: str, active: bool) -> UserRow:
    """Enable or disable an account; disabling ends its sessions."""
    return _change(store, name, "active = ?, session_version = session_version + 1", (int(active),))


def end_sessions(store: Store, name: str) -> UserRow:
    """Invalidate every session cookie issued to the user (logout)."""
    return _change(store, name, "session_version = session_version + 1", ())


def add_token(store: Store, name: str, token_hash: str, role: str) -> TokenRow:
    """Store a new token under a label."""
    with store.transaction() as conn:
        row = conn.execute("INSERT INTO tokens (name, token_hash, role, created) VALUES (?, ?, ?, ?) RETURNING *",
                           (name, token_hash, role, utcnow())).fetchone()
    return TokenRow.from_row(row)


def find_token(store: Store, token_hash: str) -> TokenRow | None:
    """The live (not revoked) token with that hash, or None."""
    row = store.conn.execute("SELECT * FROM tokens WHERE token_hash = ? AND revoked = 0", (token_hash,)).fetchone()
    return TokenRow.from_row(row) if row else None


def touch_token(store: Store, token_id: int) -> None:
    """Remember when a token was last used (shown by `catalogue token list`)."""
    with store.transaction() as conn:
        conn.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (utcnow(), token_id))


def list_tokens(store: Store) -> list[TokenRow]:
    """Every token, revoked ones included, oldest first."""
    return [TokenRow.from_row(r) for r in store.conn.execute("SELECT * FROM tokens ORDER BY id")]


def revoke_tokens(store: Store, key: str) -> int:
    """Revoke the token with id `key`, or every live token labelled `key`; the number revoked."""
    with store.transaction() as conn:
        if key.isascii() and key.isdigit() and len(key) <= 18:
            cursor = conn.execute("UPDATE tokens SET revoked = 1 WHERE id = ? AND revoked = 0", (int(key),))
        else:
            cursor = conn.execute("UPDATE tokens SET revoked = 1 WHERE name = ? AND revoked = 0", (key,))
    if cursor.rowcount == 0:
        raise NotFound(f"no live token with id or name {key!r}")
    return cursor.rowcount
