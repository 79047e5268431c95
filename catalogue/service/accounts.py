"""Accounts of archivists and admins, API tokens and the sign-in throttle, kept in the
store and governed by `catalogue.access`. The web pages, the write API and the `user` and
`token` commands all go through `Catalogue.accounts`.

Sessions carry the user's name and `session_version`; logout, a password change, a role
change or disabling the account bump the stored version, so every older cookie stops
working at once, server-side.
"""

from __future__ import annotations

import time

from .. import access
from ..access import Throttle, TooManyAttempts, User
from ..errors import CatalogueError
from ..store import Store
from ..store import throttle as throttle_store
from ..store import users as user_store
from ..store.users import TokenRow, UserRow
from ..timestamps import utcnow

#: Longest account name a failure counter keeps (longer ones can be no account anyway).
_KEY_MAX = 100
#: A token's last use is written when it was last written this many seconds ago or more: a
#: script reading with its token does not make a write transaction of each request.
TOUCH_EVERY = 60


class Accounts:
    """The accounts, tokens and sign-in counters of one store."""

    def __init__(self, store: Store):
        self.store = store

    # -- accounts -----------------------------------------------------------------------

    def add(self, name: str, password: str, role: str) -> User:
        """Create an account; CatalogueError for a bad name, role or password, or a taken name."""
        row = user_store.add_user(self.store, access.check_name(name), access.hash_password(password),
                                  access.check_role(role))
        return User(row.name, row.role, row.session_version)

    def users(self) -> list[UserRow]:
        """Every account, by name (with its password hash: never show that)."""
        return user_store.list_users(self.store)

    def user(self, name: str) -> UserRow:
        """The account called `name`; NotFound otherwise."""
        return user_store.get_user(self.store, name)

    def authenticate(self, name: str, password: str) -> User | None:
        """The active user with that name and password, or None (same cost either way)."""
        row = user_store.find_user(self.store, name) if access.NAME_PATTERN.match(name or "") else None
        valid = access.password_matches(row.password_hash if row else None, password)
        if row is None or not valid or not row.active:
            return None
        return User(row.name, row.role, row.session_version)

    def sign_in(self, name: str, password: str, address: str, throttle: Throttle,
                now: float | None = None) -> User | None:
        """`authenticate` behind the throttle: TooManyAttempts when the address is over its
        limit or the name is locked out. An unknown name is counted and locked like a real
        one, so neither the answer nor its timing tells whether an account exists."""
        now = time.time() if now is None else now
        store = self.store
        if throttle_store.count_attempt(store, address, now, throttle.window) > throttle.attempts:
            raise TooManyAttempts("address", throttle_store.window_end(store, address, throttle.window) - now)
        key = name[:_KEY_MAX]
        counter = throttle_store.account(store, key)
        if counter is not None and counter.locked_until > now:
            raise TooManyAttempts("account", counter.locked_until - now)
        user = self.authenticate(name, password)
        if user is None:
            throttle_store.count_failure(store, key, now, throttle.lock_for)
        elif counter is not None:
            throttle_store.forget_account(store, key)
        return user

    def change_password(self, name: str, password: str) -> None:
        """Set a new password; every session of the user ends, and a sign-in lock-out of the
        name is lifted (the admin's way to let a locked-out user back in)."""
        user_store.set_password(self.store, name, access.hash_password(password))
        throttle_store.forget_account(self.store, name)

    def set_role(self, name: str, role: str) -> None:
        """Change a user's role, keeping at least one active admin."""
        access.check_role(role)
        row = user_store.get_user(self.store, name)
        if row.role == "admin" and role != "admin" and row.active:
            self._keep_an_admin()
        user_store.set_role(self.store, name, role)

    def set_active(self, name: str, active: bool) -> None:
        """Enable or disable an account, keeping at least one active admin."""
        row = user_store.get_user(self.store, name)
        if row.role == "admin" and row.active and not active:
            self._keep_an_admin()
        user_store.set_active(self.store, name, active)

    def _keep_an_admin(self) -> None:
        if user_store.count_admins(self.store) <= 1:
            raise CatalogueError("this is the last active admin; make another admin first")

    def session_user(self, name: str, version: int) -> User | None:
        """The user a session cookie names, if the account is active and the cookie is current."""
        row = user_store.find_user(self.store, name)
        if row is None or not row.active or row.session_version != version:
            return None
        return User(row.name, row.role, row.session_version)

    def end_sessions(self, name: str) -> None:
        """Log the user out everywhere (server-side)."""
        user_store.end_sessions(self.store, name)

    # -- tokens -------------------------------------------------------------------------

    def create_token(self, name: str, role: str) -> str:
        """A new bearer token labelled `name`; the secret is returned once and stored hashed."""
        token = access.new_token()
        user_store.add_token(self.store, access.check_name(name), access.token_hash(token), access.check_role(role))
        return token

    def token_user(self, token: str) -> User | None:
        """The identity a live token acts as (`token:<label>`), or None."""
        row = user_store.find_token(self.store, access.token_hash(token))
        if row is None or not access.same_hash(row.token_hash, token):
            return None
        if row.last_used is None or row.last_used < utcnow(-TOUCH_EVERY):  # (not a write per request)
            user_store.touch_token(self.store, row.id)
        return User(f"token:{row.name}", row.role)

    def tokens(self) -> list[TokenRow]:
        """Every token, revoked ones included, oldest first (their hashes, never the secrets)."""
        return user_store.list_tokens(self.store)

    def revoke_tokens(self, token_id_or_name: str) -> int:
        """Revoke the token with that id, or every live token with that label; how many."""
        return user_store.revoke_tokens(self.store, token_id_or_name)
