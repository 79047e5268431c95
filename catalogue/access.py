"""Who may write, as rules without storage or Flask: roles, account names, the password
and token policy, and the sign-in limits. `catalogue.service.accounts` applies them to the
store; `catalogue.web.auth` to requests; the `user` and `token` commands go through the service.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from .errors import CatalogueError, ConfigurationError

ROLES = ("archivist", "admin")
#: What each role may do; a role includes the ones before it.
RANK = {"archivist": 1, "admin": 2}
PASSWORD_MIN = 10
PASSWORD_MAX = 1024
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
#: Checked for a name without an account, so that its login costs as much as a wrong
#: password: a scrypt hash at werkzeug's cost of a random password nobody kept. Written out
#: rather than hashed at import, which every command and worker paid (0.14 s) to start.
_DUMMY_HASH = ("scrypt:32768:8:1$hJULAD3cYhiq1sU0$bbad196f78f1bf59118aab2f66028c20c78981d5fefa92730fc21a2db00fd098f"
               "ef02e90bfef9338fd8372e627f9c0067916c7887eaa2f6bce6aea580c9cf63c")


@dataclass(frozen=True)
class User:
    """The signed-in person (or API token) a request acts for."""

    name: str
    role: str
    session_version: int = 0

    def can(self, role: str) -> bool:
        """True when this user's role includes `role`."""
        return RANK.get(self.role, 0) >= RANK[role]


def check_name(name: str) -> str:
    """`name` when it may name an account or a token; CatalogueError otherwise."""
    if not NAME_PATTERN.fullmatch(name or ""):  # not match: "$" also matches before a final newline
        raise CatalogueError("a user name is 1-64 letters, digits or . _ @ - and starts with a letter or digit")
    return name


def check_role(role: str) -> str:
    """`role` when it is one of `ROLES`; CatalogueError otherwise."""
    if role not in ROLES:
        raise CatalogueError(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    """`password` when its length is within the policy; CatalogueError otherwise."""
    if len(password) < PASSWORD_MIN:
        raise CatalogueError(f"a password needs at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise CatalogueError(f"a password may have at most {PASSWORD_MAX} characters")
    return password


def hash_password(password: str) -> str:
    """A salted scrypt hash (werkzeug) of a password that satisfies the policy."""
    return generate_password_hash(check_password(password), method="scrypt")


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches the hash; with no hash (an unknown name) a dummy one is
    checked, so that the answer costs the same either way."""
    return check_password_hash(password_hash or _DUMMY_HASH, password or "") and password_hash is not None


def new_token() -> str:
    """A fresh bearer token: 256 random bits behind a recognisable ``cat_`` prefix."""
    return "cat_" + secrets.token_urlsafe(32)


def bearer_token(authorization: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header's value ("" when it names
    another scheme or no token)."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def token_hash(token: str) -> str:
    """What is stored of a token. Tokens are 256 random bits, so a fast hash is enough
    (there is no dictionary to attack)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_hash(stored: str, token: str) -> bool:
    """Whether a stored token hash is that of `token` (compared in constant time)."""
    return hmac.compare_digest(stored, token_hash(token))


# -- sign-in limits -----------------------------------------------------------------------

_RATE = re.compile(r"\s*(\d+)\s*(?:per|/)\s*(\d+)?\s*(second|minute|hour|day)s?\s*", re.ASCII | re.IGNORECASE)
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


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
