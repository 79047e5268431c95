"""OAI-PMH resumption tokens at their edges (catalogue.oai.tokens): a harvester resumes
exactly where it stopped, and any token not issued by this repository for this list, or too
old, is refused with a message saying which. Found untested by mutation testing."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer

from catalogue.formats.oaipmh import BadResumptionToken
from catalogue.oai.tokens import SALT, SQLITE_INT_MAX, ListState, dump, load

SECRET = "a secret of this repository"
STATE = ListState(verb="ListRecords", prefix="oai_dc", start="2020-01-01T00:00:00Z", end=None,
                  set_spec="type:tomb", after=("2021-05-06T07:08:09Z", "khojaly-1"), snapshot=12,
                  cursor=100, total=250)


def signed(payload: Any, secret: str = SECRET) -> str:
    """A token of our own signature carrying `payload` as it is."""
    return URLSafeTimedSerializer(secret, salt=SALT).dumps(payload)


def test_a_token_resumes_the_very_list_and_position_it_was_issued_for() -> None:
    token = dump(STATE, SECRET)
    assert token.isascii() and "/" not in token and "+" not in token
    assert load(token, SECRET, verb="ListRecords", max_age=60) == STATE


@pytest.mark.parametrize("change", [
    {"start": None, "set_spec": None, "cursor": 0, "total": 0, "snapshot": 0},
    {"end": "2030-12-31T23:59:59Z", "total": SQLITE_INT_MAX, "snapshot": SQLITE_INT_MAX},
])
def test_tokens_at_the_bounds_of_a_list_resume_it(change: dict[str, Any]) -> None:
    state = ListState(**dict(asdict(STATE), **change))
    assert load(dump(state, SECRET), SECRET, verb="ListRecords", max_age=60) == state


def test_a_token_of_another_verb_is_refused_naming_both() -> None:
    with pytest.raises(BadResumptionToken, match=r"The resumptionToken belongs to ListRecords, not ListIdentifiers\.$"):
        load(dump(STATE, SECRET), SECRET, verb="ListIdentifiers", max_age=60)


@pytest.mark.parametrize("token", [
    dump(STATE, "another repository's secret"), dump(STATE, SECRET)[:-2] + "xx", "not-a-token", "",
])
def test_a_token_not_signed_here_is_refused_as_altered(token: str) -> None:
    with pytest.raises(BadResumptionToken, match=r"The resumptionToken is not one this repository issued "
                                                  r"\(or it was altered\)\.$"):
        load(token, SECRET, verb="ListRecords", max_age=60)


def test_an_expired_token_is_refused_as_expired() -> None:
    with pytest.raises(BadResumptionToken, match=r"The resumptionToken has expired; start the list again\.$"):
        load(dump(STATE, SECRET), SECRET, verb="ListRecords", max_age=-1)


def _payload(**change: Any) -> dict[str, Any]:
    payload = dict(asdict(STATE), after=list(STATE.after))
    payload.update(change)
    return payload


WRONG_SHAPES = {
    "a list": ["ListRecords"], "a string": "ListRecords", "null": None,
    "a field missing": {k: v for k, v in _payload().items() if k != "total"}, "a field more": _payload(extra=1),
    "position a string": _payload(after="2021-05-06T07:08:09Z"), "position of one": _payload(after=["x"]),
    "position of three": _payload(after=["2021-05-06T07:08:09Z", "a", "b"]),
    "position id a number": _payload(after=["2021-05-06T07:08:09Z", 1]),
    "position date a number": _payload(after=[1, "a"]),
    "verb a number": _payload(verb=1), "prefix null": _payload(prefix=None),
    "start a day": _payload(start="2020-01-01"), "end a word": _payload(end="yesterday"),
    "start a number": _payload(start=20200101), "end a list": _payload(end=["x"]), "set a number": _payload(set_spec=1),
    "snapshot a boolean": _payload(snapshot=True), "cursor negative": _payload(cursor=-1),
    "total past SQLite": _payload(total=SQLITE_INT_MAX + 1), "snapshot a string": _payload(snapshot="12"),
    "cursor a fraction": _payload(cursor=1.5), "total null": _payload(total=None),
}


@pytest.mark.parametrize("payload", list(WRONG_SHAPES.values()), ids=list(WRONG_SHAPES))
def test_a_signed_token_of_the_wrong_shape_is_refused_not_a_500(payload: Any) -> None:
    with pytest.raises(BadResumptionToken, match=r"The resumptionToken is not one this repository issued\.$"):
        load(signed(payload), SECRET, verb="ListRecords", max_age=60)
