"""Stateless resumption tokens: the list query and the position reached, signed with the
app's secret (itsdangerous) and timestamped, so any server process can resume a list and
a tampered or expired token is refused as badResumptionToken."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from ..formats.oaipmh import BadResumptionToken
from .args import SECOND

SALT = "catalogue.oai.resumption-token"
#: Largest number a token may carry: what an SQLite INTEGER holds (a bigger one is no position).
SQLITE_INT_MAX = 2**63 - 1


@dataclass(frozen=True)
class ListState:
    """Where a ListRecords/ListIdentifiers harvest stands.

    `after` is the (datestamp, id) of the last item sent, `snapshot` the change number the
    harvest lists the catalogue at (see `catalogue.store.published`), `cursor` how many items
    were sent before the next page and `total` the list size counted on the first page.
    """

    verb: str
    prefix: str
    start: str | None
    end: str | None
    set_spec: str | None
    after: tuple[str, str]
    snapshot: int
    cursor: int
    total: int


def _serializer(secret: str | bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def dump(state: ListState, secret: str | bytes) -> str:
    """A token for `state` (URL-safe ASCII)."""
    return _serializer(secret).dumps(asdict(state))


def _state(payload: Any) -> ListState:
    """Rebuild the state, refusing any payload of the wrong shape."""
    if not isinstance(payload, dict) or set(payload) != set(ListState.__dataclass_fields__):
        raise ValueError("not a list state")
    after = payload["after"]
    if not (isinstance(after, list) and len(after) == 2 and all(isinstance(a, str) for a in after)):
        raise ValueError("bad position")
    for key in ("verb", "prefix"):
        if not isinstance(payload[key], str):
            raise ValueError(key)
    for key in ("start", "end"):
        if payload[key] is not None and not (isinstance(payload[key], str) and SECOND.fullmatch(payload[key])):
            raise ValueError(key)
    if payload["set_spec"] is not None and not isinstance(payload["set_spec"], str):
        raise ValueError("set_spec")
    for key in ("snapshot", "cursor", "total"):
        value = payload[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SQLITE_INT_MAX:
            raise ValueError(key)
    return ListState(**dict(payload, after=(after[0], after[1])))


def load(token: str, secret: str | bytes, *, verb: str, max_age: int) -> ListState:
    """The state a token carries; BadResumptionToken when it was not made by us for this
    verb, was altered, or is older than `max_age` seconds."""
    try:
        state = _state(_serializer(secret).loads(token, max_age=max_age))
    except BadData as error:  # a bad signature, or a signed payload that is no JSON
        raise BadResumptionToken(
            "The resumptionToken has expired; start the list again." if isinstance(error, SignatureExpired) else
            "The resumptionToken is not one this repository issued (or it was altered)."
        ) from error
    except ValueError as error:
        raise BadResumptionToken("The resumptionToken is not one this repository issued.") from error
    if state.verb != verb:
        raise BadResumptionToken(f"The resumptionToken belongs to {state.verb}, not {verb}.")
    return state
