"""Condition statuses as claims through the Python API (`catalogue.claims`): which source says
what in its latest assessment, and when the sources disagree."""

from __future__ import annotations

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
