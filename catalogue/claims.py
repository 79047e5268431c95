"""A record's condition statuses as claims: each status is what a source says, in an
assessment that may state its date and certainty. The catalogue takes no side; this module
only works out which source says what, and whether the sources agree.

A source's claim is its latest assessment (in the order `records.chronological` counts
them). Sources disagree when their claims name different statuses; ``unknown`` says the
source does not know, so it disagrees with no one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .records import chronological

#: The facet value (facet ``claims``) of a record whose sources disagree.
DISAGREE = "disagree"


@dataclass(frozen=True)
class Claim:
    """An assessment's status and the sources that state it (the record's source entries,
    in the order it cites them; ids it cites that name no source are left out)."""

    status: str
    assessment: dict[str, Any]
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def certainty(self) -> str | None:
        return self.assessment.get("certainty") or None

    @property
    def date(self) -> str | None:
        return self.assessment.get("date") or None


def _sources_by_id(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in record.get("sources") or [] if isinstance(s, dict) and isinstance(s.get("id"), str)}


def _claim(record: dict[str, Any], assessment: dict[str, Any], only: set[str] | None = None) -> Claim:
    known = _sources_by_id(record)
    refs = [r for r in assessment.get("sources") or [] if isinstance(r, str) and r in known]
    cited = [known[r] for r in dict.fromkeys(refs) if only is None or r in only]
    return Claim(_status(assessment), assessment, cited)


def _status(assessment: dict[str, Any]) -> str:
    """The status an assessment names (``unknown`` when it names none)."""
    return str(assessment.get("status") or "unknown")


def current(record: dict[str, Any]) -> Claim | None:
    """The claim behind the record's current status (its latest assessment); None when the
    record has no assessment."""
    ordered = chronological(record.get("conditions") or [])
    return _claim(record, ordered[-1]) if ordered else None


def by_source(record: dict[str, Any]) -> list[Claim]:
    """Each cited source's latest claim, one `Claim` per assessment (naming every source
    whose latest it is), the latest assessment first."""
    latest: dict[str, dict[str, Any]] = {}
    for assessment in chronological(record.get("conditions") or []):
        for ref in assessment.get("sources") or []:
            if isinstance(ref, str):
                latest[ref] = assessment
    claims: list[Claim] = []
    for assessment in reversed(chronological(record.get("conditions") or [])):
        mine = {ref for ref, latest_one in latest.items() if latest_one is assessment}
        if mine:
            claim = _claim(record, assessment, mine)
            if claim.sources:
                claims.append(claim)
    return claims


def disagree(record: dict[str, Any]) -> bool:
    """Whether the record's sources, each by its latest claim, name different statuses
    (``unknown`` aside)."""
    conditions = record.get("conditions")
    if not isinstance(conditions, list) or len(_statuses(conditions)) < 2:
        return False  # (a claim's status is one of its assessment's: fewer than two cannot disagree)
    return len({c.status for c in by_source(record) if c.status != "unknown"}) > 1


def _statuses(conditions: list[Any]) -> set[str]:
    """The statuses the assessments name, ``unknown`` aside."""
    return {_status(c) for c in conditions if isinstance(c, dict)} - {"unknown"}
