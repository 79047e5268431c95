"""OAI-PMH datestamps and the checkpoints of incremental harvests: what a list that began at
a provider's responseDate leaves for the next run, read cautiously because providers' clocks
and date forms go wrong."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from catalogue.formats.oaipmh import DAY_GRANULARITY, SECOND_GRANULARITY

from .errors import BadXML


def parse_datestamp(text: str) -> datetime:
    """A UTC datetime from an OAI datestamp of either granularity."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as error:
        raise BadXML(f"{text!r} is not an OAI-PMH datestamp") from error


def format_datestamp(moment: datetime, granularity: str) -> str:
    """A datestamp at the repository's granularity (days or seconds, UTC with Z)."""
    if granularity == DAY_GRANULARITY:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


#: No checkpoint is earlier: a harvest date before it is a provider's clock gone wrong.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def read_moment(text: str | None) -> datetime | None:
    """A UTC datetime (whole seconds) from a date as providers send it, None when it is not one.

    Besides the protocol's forms this reads fractional seconds (``…:01.123Z``), offsets
    (``+02:00``), a missing zone (taken as UTC) and a bare date, all seen in responseDates.
    """
    text = (text or "").strip()
    if not text.isascii() or not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(microsecond=0)
    except (ValueError, OverflowError):
        return None


def checkpoint(response_date: str | None, now: datetime | None = None) -> str:
    """The checkpoint a list that began at the provider's `response_date` leaves: that moment in
    UTC seconds, clamped between 1970 and the present (our clock when it is not a date), so that a
    provider's bad clock can neither break the next run nor make it skip what changes later."""
    present = (now or datetime.now(UTC)).replace(microsecond=0)
    moment = read_moment(response_date) or present
    return format_datestamp(max(EPOCH, min(moment, present)), SECOND_GRANULARITY)


def stored_checkpoint(text: str | None, now: datetime | None = None) -> str | None:
    """A checkpoint as stored, normalised; None (harvest the whole list again) when it is not a
    date or lies in the future, as older versions could store a provider's bad responseDate."""
    moment = read_moment(text)
    if moment is None or moment > (now or datetime.now(UTC)):
        return None
    return format_datestamp(max(EPOCH, moment), SECOND_GRANULARITY)


def overlap_from(checkpoint: str, granularity: str, overlap_seconds: int) -> str:
    """The `from` of an incremental harvest: the checkpoint minus a safety overlap.

    The overlap is one day at day granularity and `overlap_seconds` (at least one) at
    second granularity, so records stamped around the checkpoint are not missed.
    """
    moment = max(EPOCH, parse_datestamp(checkpoint))
    step = timedelta(days=1) if granularity == DAY_GRANULARITY else timedelta(seconds=max(1, overlap_seconds))
    return format_datestamp(moment - step, granularity)
