"""The store's one write at its edges, through the Python API: what each kind of refusal says,
what a revision keeps, what the collection figures count and which records a filtered list
holds. Found untested by mutation testing (tests/mutation/score.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalogue.errors import AlreadyExists, Gone, StaleRevision
from catalogue.service import Catalogue
from tests.recordsamples import make_record


@pytest.fixture
def cat(tmp_path: Path) -> Iterator[Catalogue]:
    with Catalogue(tmp_path / "data") as catalogue:
        yield catalogue


def test_a_taken_id_is_refused_saying_so_and_a_deleted_one_saying_it_is_never_reused(cat: Catalogue) -> None:
    cat.create(make_record(id="r1"))
    with pytest.raises(AlreadyExists) as taken:
        cat.create(make_record(id="r1"))
    assert str(taken.value) == "id 'r1' is taken"
    cat.delete("r1", reason="duplicate")
    with pytest.raises(AlreadyExists) as reused:
        cat.create(make_record(id="r1"))
    assert str(reused.value) == "id 'r1' is taken by a deleted record (ids are never reused)"


def test_a_stale_write_names_both_revisions_and_an_update_of_a_deleted_record_its_reason(cat: Catalogue) -> None:
    first = cat.create(make_record(id="r1"))
    cat.update("r1", dict(first, title="Second"), base_revision=1)
    with pytest.raises(StaleRevision) as stale:
        cat.update("r1", dict(first, title="Third"), base_revision=1)
    assert (stale.value.current, cat.get("r1")["title"]) == (2, "Second")
    cat.delete("r1", reason="a duplicate of r2")
    with pytest.raises(Gone) as gone:
        cat.update("r1", dict(first, title="Back?"), base_revision=3)
    assert gone.value.reason == "a duplicate of r2"
    assert [r.revision for r in cat.history("r1")] == [1, 2, 3]


def test_a_tombstone_keeps_the_reason_and_a_restore_drops_it(cat: Catalogue) -> None:
    cat.create(make_record(id="r1"))
    deleted = cat.delete("r1", reason="destroyed record merged")
    assert (deleted.deleted, deleted.reason, deleted.revision) == (True, "destroyed record merged", 2)
    assert cat.current("r1").reason == "destroyed record merged"
    cat.restore("r1")
    current = cat.current("r1")
    assert (current.deleted, current.reason, current.revision) == (False, None, 3)


def test_each_revision_has_its_own_sequence_number_and_the_newest_is_the_catalogue_s(cat: Catalogue) -> None:
    assert cat.store.last_seq() == 0
    cat.create(make_record(id="a"))
    cat.create(make_record(id="b"))
    first = cat.current("a")
    cat.update("a", dict(cat.get("a"), title="A"), base_revision=1)
    assert cat.current("a").seq > cat.current("b").seq > first.seq
    assert cat.store.last_seq() == cat.current("a").seq == 3
    assert [r.id for r in cat.store.changed_since(0, limit=2)] == ["b", "a"]


def test_the_collection_figures_count_public_records_items_types_and_statuses(cat: Catalogue) -> None:
    cat.create(make_record(id="a", type="tomb", quantity=12, quantity_sources=["s1"]))
    cat.create(make_record(id="b", type="tomb", conditions=[{"status": "damaged", "sources": ["s1"]}]))
    cat.create(make_record(id="c", type="school", quantity=3, quantity_sources=["s1"]))
    cat.create(make_record(id="d", type="school", quantity=100, quantity_sources=["s1"]))
    cat.delete("d", reason="not heritage")
    counts = cat.counts()
    assert (counts["records"], counts["deleted"], counts["group_items"]) == (3, 1, 15)
    assert counts["by_type"] == {"tomb": 2, "school": 1}
    assert counts["by_status"] == {"destroyed": 2, "damaged": 1}
    assert list(counts["by_type"]) == ["tomb", "school"]  # the most common first


def test_filtered_lists_hold_the_public_records_of_the_types_and_statuses_asked(cat: Catalogue) -> None:
    for n, (kind, status) in enumerate([("tomb", "destroyed"), ("school", "damaged"), ("tomb", "damaged"),
                                         ("mosque", "destroyed")]):
        cat.create(make_record(id=f"r{n}", type=kind, conditions=[{"status": status, "sources": ["s1"]}]))
    cat.delete("r3", reason="gone")

    def ids(**filters: list[str]) -> list[str]:
        return [record["id"] for record in cat.live_records(**filters)]

    assert ids() == ["r0", "r1", "r2"]
    assert ids(types=["tomb"]) == ["r0", "r2"]
    assert ids(statuses=["damaged"]) == ["r1", "r2"]
    assert ids(types=["tomb", "school"], statuses=["damaged"]) == ["r1", "r2"]
    assert ids(types=["mosque"]) == []
    assert [r.id for r in cat.store.iter_records(include_deleted=True, batch=2)] == ["r0", "r1", "r2", "r3"]


def test_recent_changes_are_newest_first_and_as_many_as_asked(cat: Catalogue) -> None:
    for n in range(3):
        cat.create(make_record(id=f"r{n}"), user=f"user{n}")
    assert [(r.record_id, r.user) for r in cat.recent_changes(limit=2)] == [("r2", "user2"), ("r1", "user1")]


def test_one_upstream_record_maps_to_one_catalogue_record(cat: Catalogue) -> None:
    provenance = {"origin": "harvest", "source_name": "register", "source_identifier": "42"}
    cat.create(make_record(id="a", provenance=provenance))
    with pytest.raises(AlreadyExists) as info:
        cat.create(make_record(id="b", provenance=provenance))
    assert str(info.value) == "record 'a' already holds identifier '42' of source 'register'"
    assert cat.current("b") is None
    cat.update("a", dict(cat.get("a"), title="Same source, same record"), base_revision=1)
    assert cat.store.find_by_source("register", "42").id == "a"
    assert cat.store.find_by_source("register", "43") is None
