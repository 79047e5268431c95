"""The one form every stored and published time takes: UTC, second precision,
``YYYY-MM-DDThh:mm:ssZ`` (OAI-PMH's granularity). The store writes it, the OAI-PMH
provider publishes it and the harvester keeps its leases in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utc_text(moment: datetime) -> str:
    """A moment in UTC, second precision, as ``YYYY-MM-DDThh:mm:ssZ``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow(seconds_from_now: float = 0.0) -> str:
    """Now (or `seconds_from_now` later, e.g. an expiry) as `utc_text`."""
    return utc_text(datetime.now(UTC) + timedelta(seconds=seconds_from_now))
