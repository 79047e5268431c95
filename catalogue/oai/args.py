"""Checks of the request arguments, verb by verb (protocol sections 3.1-3.5 and 4), so the
handlers only ever see a legal request: one verb, known arguments given once, required
ones present, `resumptionToken` alone, and well-formed dates, sets and prefixes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..formats.oaipmh import BadArgument, BadVerb
from . import sets

#: Per verb: (required arguments, optional arguments); `resumptionToken` is exclusive.
VERBS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Identify": ((), ()),
    "ListMetadataFormats": ((), ("identifier",)),
    "ListSets": ((), ("resumptionToken",)),
    "GetRecord": (("identifier", "metadataPrefix"), ()),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
}
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
#: Datestamps in ASCII digits only (``\d`` alone would let full-width digits through).
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", re.ASCII)
#: Characters that make an identifier no URI (it is then not echoed in <request>).
_NOT_URI = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f]")


@dataclass(frozen=True)
class OAIRequest:
    """A checked request: the verb, its arguments and the normalised from/until."""

    verb: str
    args: dict[str, str] = field(default_factory=dict)
    #: from/until as ``YYYY-MM-DDThh:mm:ssZ`` (a day: its first / last second).
    start: str | None = None
    end: str | None = None

    def echo(self) -> dict[str, str]:
        """The arguments the response's <request> element repeats (3.2): all of them
        but an identifier that is not a URI."""
        echoed = {k: v for k, v in self.args.items() if not (k == "identifier" and _NOT_URI.search(v))}
        return {"verb": self.verb, **echoed}


def _datestamp(name: str, value: str, end: bool) -> tuple[str, str]:
    """(granularity, normalised second) of a from/until value; BadArgument if it is none."""
    if SECOND.fullmatch(value):
        granularity, text, fmt = "second", value, "%Y-%m-%dT%H:%M:%SZ"
    elif _DAY.fullmatch(value):
        granularity, text, fmt = "day", value, "%Y-%m-%d"
    else:
        raise BadArgument(f"{name} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ (UTC), not {value!r}.")
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        raise BadArgument(f"{name}={value!r} is not a real date.") from None
    if granularity == "day":
        text += "T23:59:59Z" if end else "T00:00:00Z"
    return granularity, text


def _single(arguments: Mapping[str, Sequence[str]]) -> dict[str, str]:
    args = {}
    for name, values in arguments.items():
        if len(values) != 1:
            raise BadArgument(f"The argument {name!r} is given {len(values)} times; give it once.")
        args[name] = values[0]
    return args


def parse(arguments: Mapping[str, Sequence[str]]) -> OAIRequest:
    """Check the request arguments (name -> every value given); raise BadVerb or
    BadArgument, else return the request."""
    verbs = arguments.get("verb", [])
    if len(verbs) != 1:
        raise BadVerb("The verb argument is missing." if not verbs else "The verb argument is repeated.")
    verb = verbs[0]
    if verb not in VERBS:
        raise BadVerb(f"{verb!r} is not an OAI-PMH verb; use one of {', '.join(VERBS)}.")
    args = _single({k: v for k, v in arguments.items() if k != "verb"})
    required, optional = VERBS[verb]
    unknown = sorted(set(args) - set(required) - set(optional))
    if unknown:
        raise BadArgument(f"{verb} does not take the argument(s) {', '.join(unknown)}.")
    empty = sorted(name for name, value in args.items() if not value)
    if empty:
        raise BadArgument(f"The argument(s) {', '.join(empty)} are empty.")
    if "resumptionToken" in args:
        if len(args) > 1:
            raise BadArgument("resumptionToken is an exclusive argument: give it alone with the verb.")
        return OAIRequest(verb, args)
    missing = [name for name in required if name not in args]
    if missing:
        raise BadArgument(f"{verb} needs the argument(s) {', '.join(missing)}.")
    if "metadataPrefix" in args and not _PREFIX.fullmatch(args["metadataPrefix"]):
        raise BadArgument(f"{args['metadataPrefix']!r} is not a metadataPrefix (letters, digits and -_.!~*'()).")
    if "set" in args and not sets.SETSPEC.fullmatch(args["set"]):
        raise BadArgument(f"{args['set']!r} is not a setSpec.")
    start = end = None
    if "from" in args:
        start_granularity, start = _datestamp("from", args["from"], end=False)
    if "until" in args:
        end_granularity, end = _datestamp("until", args["until"], end=True)
    if start and end:
        if start_granularity != end_granularity:
            raise BadArgument("from and until must have the same granularity (both days or both seconds).")
        if start > end:
            raise BadArgument(f"from ({args['from']}) is later than until ({args['until']}).")
    return OAIRequest(verb, args, start, end)
