"""Who may write: password and token checks, roles, the login decorators and the
SECRET_KEY policy. Accounts live in `catalogue.store.users`; the pages in `views/auth.py`.

Sessions carry the user's name and `session_version`; logout, a password change, a role
change or disabling the account bump the stored version, so every older cookie stops
working at once, server-side.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, abort, g, redirect, request, session, url_for
from flask_babel import gettext, lazy_gettext
from werkzeug.security import check_password_hash, generate_password_hash

from .errors import CatalogueError
from .service import Catalogue
from .store import throttle as throttle_store
from .store import users as user_store

ROLES = ("archivist", "admin")
#: The roles in the UI language (pages show these, never the stored code).
ROLE_LABELS = {"archivist": lazy_gettext("archivist"), "admin": lazy_gettext("admin")}
#: What each role may do; a role includes the ones before it.
RANK = {"archivist": 1, "admin": 2}
PASSWORD_MIN = 10
PASSWORD_MAX = 1024
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
#: Hashed once so that a login for an unknown name costs as much as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password", method="scrypt")

F = TypeVar("F", bound=Callable[..., Any])


class ConfigurationError(CatalogueError):
    """The app is configured in a way that is unsafe to run."""


@dataclass(frozen=True)
class User:
    """The signed-in person (or API token) a request acts for."""

    name: str
    role: str
    session_version: int = 0

    def can(self, role: str) -> bool:
        """True when this user's role includes `role`."""
        return RANK.get(self.role, 0) >= RANK[role]


# -- policy ---------------------------------------------------------------------------


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise CatalogueError("a user name is 1-64 letters, digits or . _ @ - and starts with a letter or digit")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise CatalogueError(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise CatalogueError(f"a password needs at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise CatalogueError(f"a password may have at most {PASSWORD_MAX} characters")
    return password


def hash_password(password: str) -> str:
    """A salted scrypt hash (werkzeug) of a password that satisfies the policy."""
    return generate_password_hash(check_password(password), method="scrypt")


# -- accounts -------------------------------------------------------------------------


def add_user(catalogue: Catalogue, name: str, password: str, role: str) -> User:
    """Create an account; CatalogueError for a bad name, role or password, or a taken name."""
    row = user_store.add_user(catalogue.store, check_name(name), hash_password(password), check_role(role))
    return User(row.name, row.role, row.session_version)


def authenticate(catalogue: Catalogue, name: str, password: str) -> User | None:
    """The active user with that name and password, or None (same cost either way)."""
    row = user_store.find_user(catalogue.store, name) if NAME_PATTERN.match(name or "") else None
    valid = check_password_hash(row.password_hash if row else _DUMMY_HASH, password or "")
    if row is None or not valid or not row.active:
        return None
    return User(row.name, row.role, row.session_version)


def change_password(catalogue: Catalogue, name: str, password: str) -> None:
    """Set a new password; every session of the user ends, and a sign-in lock-out of the
    name is lifted (the admin's way to let a locked-out user back in)."""
    user_store.set_password(catalogue.store, name, hash_password(password))
    throttle_store.forget_account(catalogue.store, name)


# -- sign-in throttle -------------------------------------------------------------------

_RATE = re.compile(r"\s*(\d+)\s*(?:per|/)\s*(\d+)?\s*(second|minute|hour|day)s?\s*", re.ASCII | re.IGNORECASE)
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
#: Longest account name a failure counter keeps (longer ones can be no account anyway).
_KEY_MAX = 100


@dataclass(frozen=True)
class Throttle:
    """Sign-in limits, counted in the store so every process and node shares them:
    `attempts` per client address in a window of `window` seconds, and after `lock_after`
    consecutive failures of a name a lock-out of `lock_seconds`, doubling with each
    further failure up to `lock_max`. A success clears the name's failures."""

    attempts: int = 10
    window: float = 60
    lock_after: int = 5
    lock_seconds: float = 60
    lock_max: float = 3600

    def lock_for(self, failures: int) -> float:
        """Seconds of lock-out the `failures`-th consecutive failure earns (0: none)."""
        if failures < self.lock_after:
            return 0.0
        return min(self.lock_max, self.lock_seconds * 2 ** min(failures - self.lock_after, 40))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Throttle:
        """The limits of the app config (`LOGIN_RATE_LIMIT` such as ``10 per minute``,
        `LOGIN_LOCKOUT_AFTER`, `LOGIN_LOCKOUT_SECONDS`, `LOGIN_LOCKOUT_MAX_SECONDS`)."""
        rate = str(config.get("LOGIN_RATE_LIMIT") or "10 per minute")
        match = _RATE.fullmatch(rate)
        if not match or int(match[1]) < 1:
            raise ConfigurationError(f"LOGIN_RATE_LIMIT must read like '10 per minute', not {rate!r}")
        window = int(match[2] or 1) * _UNIT_SECONDS[match[3].lower()]
        try:
            after = int(config.get("LOGIN_LOCKOUT_AFTER", cls.lock_after))
            seconds = float(config.get("LOGIN_LOCKOUT_SECONDS", cls.lock_seconds))
            longest = float(config.get("LOGIN_LOCKOUT_MAX_SECONDS", cls.lock_max))
        except (TypeError, ValueError) as error:
            raise ConfigurationError(f"the LOGIN_LOCKOUT_* settings must be numbers ({error})") from None
        if after < 1 or seconds <= 0 or longest < seconds:
            raise ConfigurationError("LOGIN_LOCKOUT_AFTER must be at least 1 and "
                                     "0 < LOGIN_LOCKOUT_SECONDS <= LOGIN_LOCKOUT_MAX_SECONDS")
        return cls(int(match[1]), window, after, seconds, longest)


class TooManyAttempts(CatalogueError):
    """A sign-in refused before any password check: `per` is ``address`` (too many
    attempts from the client) or ``account`` (the name is locked out); retry in
    `retry_after` seconds."""

    def __init__(self, per: str, retry_after: float):
        self.per, self.retry_after = per, max(1, int(retry_after + 0.999))
        super().__init__(f"too many sign-in attempts ({per}); retry in {self.retry_after} s")


def sign_in(catalogue: Catalogue, name: str, password: str, address: str, throttle: Throttle,
            now: float | None = None) -> User | None:
    """`authenticate` behind the throttle: TooManyAttempts when the address is over its
    limit or the name is locked out. An unknown name is counted and locked like a real
    one, so neither the answer nor its timing tells whether an account exists."""
    now = time.time() if now is None else now
    store = catalogue.store
    if throttle_store.count_attempt(store, address, now, throttle.window) > throttle.attempts:
        raise TooManyAttempts("address", throttle_store.window_end(store, address, throttle.window) - now)
    key = name[:_KEY_MAX]
    counter = throttle_store.account(store, key)
    if counter is not None and counter.locked_until > now:
        raise TooManyAttempts("account", counter.locked_until - now)
    user = authenticate(catalogue, name, password)
    if user is None:
        throttle_store.count_failure(store, key, now, throttle.lock_for)
    elif counter is not None:
        throttle_store.forget_account(store, key)
    return user


def set_role(catalogue: Catalogue, name: str, role: str) -> None:
    """Change a user's role, keeping at least one active admin."""
    check_role(role)
    row = user_store.get_user(catalogue.store, name)
    if row.role == "admin" and role != "admin" and row.active:
        _keep_an_admin(catalogue)
    user_store.set_role(catalogue.store, name, role)


def set_active(catalogue: Catalogue, name: str, active: bool) -> None:
    """Enable or disable an account, keeping at least one active admin."""
    row = user_store.get_user(catalogue.store, name)
    if row.role == "admin" and row.active and not active:
        _keep_an_admin(catalogue)
    user_store.set_active(catalogue.store, name, active)


def _keep_an_admin(catalogue: Catalogue) -> None:
    if user_store.count_admins(catalogue.store) <= 1:
        raise CatalogueError("this is the last active admin; make another admin first")


def session_user(catalogue: Catalogue, name: str, version: int) -> User | None:
    """The user a session cookie names, if the account is active and the cookie is current."""
    row = user_store.find_user(catalogue.store, name)
    if row is None or not row.active or row.session_version != version:
        return None
    return User(row.name, row.role, row.session_version)


def end_sessions(catalogue: Catalogue, name: str) -> None:
    """Log the user out everywhere (server-side)."""
    user_store.end_sessions(catalogue.store, name)


# -- tokens ---------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(catalogue: Catalogue, name: str, role: str) -> str:
    """A new bearer token labelled `name`; the secret is returned once and stored hashed."""
    token = "cat_" + secrets.token_urlsafe(32)
    user_store.add_token(catalogue.store, check_name(name), _token_hash(token), check_role(role))
    return token


def token_user(catalogue: Catalogue, token: str) -> User | None:
    """The identity a live token acts as (`token:<label>`), or None."""
    row = user_store.find_token(catalogue.store, _token_hash(token))
    if row is None or not hmac.compare_digest(row.token_hash, _token_hash(token)):
        return None
    user_store.touch_token(catalogue.store, row.id)
    return User(f"token:{row.name}", row.role)


# -- views ----------------------------------------------------------------------------


def login_redirect() -> Any:
    """Send an anonymous visitor to the login page, coming back here afterwards."""
    target = request.full_path if request.method == "GET" else (request.referrer or request.path)
    return redirect(url_for("auth.login", next=safe_next(target.rstrip("?"))))


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site (no scheme, host or protocol-relative URL)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(c in target for c in "\\\r\n\t") or ":" in target.split("?", 1)[0]:
        return None
    return target


def login_required(view: F) -> F:
    """Let only signed-in users through; others are sent to `/login?next=`."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return login_redirect()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def role_required(role: str) -> Callable[[F], F]:
    """Like `login_required`, and a 403 for a user whose role does not include `role`."""
    check_role(role)

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = g.get("user")
            if user is None:
                return login_redirect()
            if not user.can(role):
                abort(403, description=gettext("This needs the %(role)s role.", role=ROLE_LABELS[role]))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


# -- secret key -----------------------------------------------------------------------


def is_production(app: Flask) -> bool:
    """Production unless testing, debugging or serving the demo; `ENV` overrides.

    ``CATALOGUE_ENV=production`` (or ``development``) decides explicitly; otherwise an app
    that is neither TESTING nor DEBUG and has DEMO_ON_EMPTY switched off is a deployment.
    """
    env = str(app.config.get("ENV") or "").lower()
    if env in ("production", "development"):
        return env == "production"
    return not (app.testing or app.debug or app.config.get("DEMO_ON_EMPTY"))


def configure_secret_key(app: Flask) -> None:
    """Make sure SECRET_KEY is set: required in production, else kept in the data directory."""
    if app.config.get("SECRET_KEY"):
        return
    if is_production(app):
        raise ConfigurationError(
            "SECRET_KEY is not set: refusing to start in production without it. Set CATALOGUE_SECRET_KEY "
            "(e.g. to the output of: python -c 'import secrets; print(secrets.token_hex(32))'), or set "
            "CATALOGUE_ENV=development to use a generated development key."
        )
    app.config["SECRET_KEY"] = development_key(Path(app.config["DATA"]))


def development_key(data_dir: Path) -> str:
    """A random key generated once into the data directory (readable by its owner only)."""
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = path.open("x", encoding="ascii")
    except FileExistsError:  # another process generated it meanwhile
        return path.read_text(encoding="ascii").strip()
    with fd:
        path.chmod(0o600)
        fd.write(key + "\n")
    return key


def current_user() -> User | None:
    """The user of this request (None: anonymous)."""
    return g.get("user")


def load_user(catalogue: Catalogue) -> User | None:
    """The user of the session cookie; a stale cookie is cleared."""
    name, version = session.get("user"), session.get("v")
    if not isinstance(name, str) or not isinstance(version, int):
        return None
    user = session_user(catalogue, name, version)
    if user is None:
        session.clear()
    return user


def start_session(user: User) -> None:
    """Sign `user` in: a fresh session (no fixation) bound to the current session version."""
    session.clear()
    session.permanent = True
    session["user"], session["v"] = user.name, user.session_version

