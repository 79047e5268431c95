"""Condition statuses as claims through the Python API (`catalogue.claims`): which source says
what in its latest assessment, and when the sources disagree."""

from __future__ import annotations

import random

from catalogue import claims

SOURCES = [{"id": "a", "citation": "Source A.", "publisher": "A Press", "date": "2020"},
           {"id": "b", "citation": "Source B.", "author": "B. Author"}]


def _record(*conditions: dict) -> dict:
    return {"id": "r", "title": "R", "type": "tomb", "sources": SOURCES, "conditions": list(conditions)}


def test_the_current_claim_is_the_latest_assessment_with_its_sources() -> None:
    record = _record({"status": "damaged", "date": "1990", "sources": ["a"]},
                     {"status": "destroyed", "date": "1992", "certainty": "probable", "sources": ["a", "b", "a"]})
    claim = claims.current(record)
    assert claim is not None and claim.status == "destroyed" and claim.certainty == "probable"
    assert [s["id"] for s in claim.sources] == ["a", "b"]  # each once, in the order cited
    assert claims.current(_record()) is None


def test_sources_disagree_by_their_latest_claims() -> None:
    record = _record({"status": "destroyed", "date": "2020", "sources": ["a"]},
                     {"status": "damaged", "date": "2023", "sources": ["b"]})
    assert claims.disagree(record)
    each = claims.by_source(record)
    assert [(c.status, [s["id"] for s in c.sources]) for c in each] == [("damaged", ["b"]), ("destroyed", ["a"])]


def test_one_source_changing_its_mind_or_not_knowing_is_no_disagreement() -> None:
    later = _record({"status": "destroyed", "date": "1992", "sources": ["a"]},
                    {"status": "damaged", "date": "2020", "sources": ["a"]})
    assert not claims.disagree(later)
    assert [c.status for c in claims.by_source(later)] == ["damaged"]  # only the latest of a source counts
    unknown = _record({"status": "destroyed", "date": "1992", "sources": ["a"]},
                      {"status": "unknown", "date": "2020", "sources": ["b"]})
    assert not claims.disagree(unknown)
    same = _record({"status": "destroyed", "sources": ["a"]}, {"status": "destroyed", "sources": ["b"]})
    assert not claims.disagree(same)


def test_a_source_first_agreeing_then_disagreeing_counts_by_its_latest() -> None:
    record = _record({"status": "destroyed", "date": "1992", "sources": ["a", "b"]},
                     {"status": "intact", "date": "2024", "sources": ["b"]})
    assert claims.disagree(record)
    assert {c.status: next(s["id"] for s in c.sources) for c in claims.by_source(record)} == {
        "intact": "b", "destroyed": "a"}


def test_disagreement_is_decided_from_the_claims_whatever_the_assessments() -> None:
    """`disagree` skips the claims when the assessments name fewer than two statuses: over
    many mixes of statuses, dates, sources and malformed entries it still says what the
    claims say."""
    rng = random.Random(7)
    statuses = ["destroyed", "damaged", "unknown", None, "", 3]
    seen = set()
    for _ in range(3000):
        conditions = [rng.choice([
            {"status": rng.choice(statuses), "date": rng.choice(["", "1990", "2020", "199X"]),
             "sources": rng.sample(["a", "b", "c", 5], rng.randint(0, 3))},
            {"status": rng.choice(statuses)}, "not an assessment"]) for _ in range(rng.randint(0, 4))]
        record = {**_record(), "conditions": conditions}
        expected = len({c.status for c in claims.by_source(record) if c.status != "unknown"}) > 1
        assert claims.disagree(record) is expected, conditions
        seen.add(expected)
    assert seen == {True, False}
    assert not claims.disagree({**_record(), "conditions": {"status": "destroyed"}})
