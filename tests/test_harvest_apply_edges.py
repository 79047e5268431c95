"""Applying a harvest at its edges, as an archivist reads the result: the ids records get,
what each revision says about where it came from, the exact reason of an upstream deletion
and the counts of a run. Found untested by mutation testing (tests/mutation/score.py)."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from lxml import etree

import harvest.apply
import harvest.pending
import harvest.runs
import harvest.sources
from catalogue.formats import native
from catalogue.records import prepare
from catalogue.timestamps import utcnow
from harvest.apply import content_hash, harvest_id
from tests.oai_provider import Provider
from tests.recordsamples import make_record

FAST = {"connect_timeout": 1, "read_timeout": 10, "retries": 1, "backoff": 0.01, "max_backoff": 0.02}


@pytest.fixture
def provider():
    with Provider(page_size=2, name="Test archive") as p:
        p.put("oai:test:1", "Old mosque", type="Mosque")
        p.put("oai:test:2", "Hill cemetery", type="cemetery")
        yield p


@pytest.fixture
def source(catalogue, provider):
    return harvest.sources.add_source(catalogue, "Regional.Archive", provider.url, settings=FAST)


def test_a_harvested_record_s_id_is_the_source_slug_and_a_digest_of_its_identifier() -> None:
    digest = hashlib.sha256(b"oai:test:1").hexdigest()[:12]
    assert harvest_id("Regional Archive", "oai:test:1") == f"regional-archive-{digest}"
    assert harvest_id("!!!", "oai:test:1") == f"source-{digest}"
    assert harvest_id("Regional Archive", "oai:test:2") != harvest_id("Regional Archive", "oai:test:1")


def test_the_content_fingerprint_ignores_the_id_and_the_store_s_fields_only() -> None:
    record = {"id": "a", "title": "T", "revision": 1, "created": "x", "modified": "y"}
    assert content_hash(record) == content_hash({"id": "b", "title": "T", "revision": 9})
    assert content_hash(record) != content_hash({"id": "a", "title": "U"})
    assert content_hash({"title": "Ə"}) == hashlib.sha256('{"title": "Ə"}'.encode()).hexdigest()


def test_revisions_say_which_source_they_came_from_and_why_a_record_went(catalogue, source, provider) -> None:
    first = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert first.counts == dict(first.counts, new=2, updated=0, unchanged=0, deleted=0, failed=0, conflicts=0)
    record_id = harvest_id("Regional.Archive", "oai:test:1")
    [created] = catalogue.history(record_id)
    assert (created.user, created.message, created.origin) == ("harvest", "harvested from Regional.Archive", "harvest")
    provider.delete("oai:test:1")
    when = provider.items["oai:test:1"].datestamp
    second = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert (second.counts["deleted"], second.counts["unchanged"]) == (1, 1)
    assert catalogue.current(record_id).reason == \
        f"deleted upstream in source Regional.Archive on {when} (record oai:test:1)"
    provider.put("oai:test:1", "Old mosque", type="Mosque")
    third = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert third.counts["updated"] == 1 and not catalogue.current(record_id).deleted
    assert catalogue.history(record_id)[-1].message == "back in Regional.Archive"


def test_a_dry_run_counts_what_it_would_do_and_stores_nothing(catalogue, source) -> None:
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive", dry_run=True)
    assert run.counts["new"] == 2
    assert catalogue.current(harvest_id("Regional.Archive", "oai:test:1")) is None
    assert catalogue.store.last_seq() == 0


def counts(run) -> dict[str, int]:
    """A run's counts of what it did to records (the keys the log and the CLI show)."""
    return {key: run.counts[key] for key in harvest.apply.COUNT_KEYS}


def test_deletions_of_records_never_harvested_or_gone_already_change_nothing(catalogue, source, provider) -> None:
    for identifier in ("oai:test:3", "oai:test:4"):  # deleted upstream before this catalogue ever saw them
        provider.put(identifier, "Gone before", type="Mosque")
        provider.delete(identifier)
    first = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert first.status == "ok"
    assert counts(first) == {"new": 2, "updated": 0, "unchanged": 2, "deleted": 0, "failed": 0, "conflicts": 0}
    assert catalogue.store.find_by_source("Regional.Archive", "oai:test:3") is None
    provider.delete("oai:test:1")
    assert counts(harvest.runs.run_harvest(catalogue, "Regional.Archive"))["deleted"] == 1
    seq = catalogue.store.last_seq()
    again = harvest.runs.run_harvest(catalogue, "Regional.Archive", full=True)  # every deleted header once more
    assert again.status == "ok"
    assert counts(again) == {"new": 0, "updated": 0, "unchanged": 4, "deleted": 0, "failed": 0, "conflicts": 0}
    assert catalogue.store.last_seq() == seq


def test_an_edited_record_deleted_upstream_waits_once_however_often_the_deletion_comes(catalogue, source,
                                                                                       provider) -> None:
    harvest.runs.run_harvest(catalogue, "Regional.Archive")
    for identifier in ("oai:test:1", "oai:test:2"):
        stored = catalogue.store.find_by_source("Regional.Archive", identifier)
        catalogue.update(stored.id, dict(stored.data, notes="Checked here."), base_revision=stored.revision)
        provider.delete(identifier)
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert counts(run) == {"new": 0, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 0, "conflicts": 2}
    waiting = harvest.pending.list_pending(catalogue)
    assert sorted((p.action, p.source_identifier) for p in waiting) == [("delete", "oai:test:1"),
                                                                          ("delete", "oai:test:2")]
    again = harvest.runs.run_harvest(catalogue, "Regional.Archive", full=True)
    assert counts(again) == {"new": 0, "updated": 0, "unchanged": 2, "deleted": 0, "failed": 0, "conflicts": 0}
    assert [p.id for p in harvest.pending.list_pending(catalogue)] == [p.id for p in waiting]


def test_a_complete_list_passes_over_a_record_deleted_here_and_retires_the_next(catalogue, provider) -> None:
    provider.deleted_record = "transient"
    provider.put("oai:test:3", "Town gate", type="Mosque")
    harvest.sources.add_source(catalogue, "Regional.Archive", provider.url, settings=FAST)
    harvest.runs.run_harvest(catalogue, "Regional.Archive")
    first = catalogue.store.find_by_source("Regional.Archive", "oai:test:1")
    catalogue.delete(first.id, reason="a duplicate of a record here", user="archivist")
    provider.remove("oai:test:1")
    provider.remove("oai:test:2")
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive", full=True)
    assert counts(run) == {"new": 0, "updated": 0, "unchanged": 1, "deleted": 1, "failed": 0, "conflicts": 0}
    assert catalogue.current(first.id).reason == "a duplicate of a record here"
    assert catalogue.store.find_by_source("Regional.Archive", "oai:test:2").deleted


def test_a_record_imported_under_the_source_s_identifier_is_never_overwritten_by_it(catalogue, source,
                                                                                     provider) -> None:
    imported = catalogue.create({"title": "Old mosque (from the archive's spreadsheet)", "type": "mosque",
                                 "sources": [{"id": "s1", "citation": "Regional Archive, inventory spreadsheet"}],
                                 "provenance": {"origin": "import", "source_name": "Regional.Archive",
                                                "source_identifier": "oai:test:1"}}, user="archivist", origin="import")
    provider.delete("oai:test:1")
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert run.status == "ok" and (run.counts["conflicts"], run.counts["deleted"]) == (1, 0)
    (deletion,) = harvest.pending.list_pending(catalogue, imported["id"])
    assert deletion.action == "delete" and not catalogue.current(imported["id"]).deleted
    provider.put("oai:test:1", "Old mosque", type="Mosque")  # back upstream, as it says
    back = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert (back.counts["conflicts"], back.counts["updated"]) == (1, 0)
    assert catalogue.get(imported["id"])["title"] == "Old mosque (from the archive's spreadsheet)"
    (update,) = harvest.pending.list_pending(catalogue, imported["id"])
    assert update.action == "update" and update.data["title"] == "Old mosque"


def test_after_a_rejected_deletion_a_review_compares_with_what_the_source_said_last(catalogue, source,
                                                                                    provider) -> None:
    harvest.runs.run_harvest(catalogue, "Regional.Archive")
    stored = catalogue.store.find_by_source("Regional.Archive", "oai:test:1")
    catalogue.update(stored.id, dict(stored.data, notes="Checked here."), base_revision=stored.revision)
    provider.delete("oai:test:1")
    harvest.runs.run_harvest(catalogue, "Regional.Archive")
    (deletion,) = harvest.pending.list_pending(catalogue, stored.id)
    assert deletion.datestamp == provider.items["oai:test:1"].datestamp  # when the source deleted it
    harvest.pending.reject_pending(catalogue, deletion.id, "archivist")
    provider.put("oai:test:1", "Old mosque of the town", type="Mosque")
    assert harvest.runs.run_harvest(catalogue, "Regional.Archive").counts["conflicts"] == 1
    (update,) = harvest.pending.list_pending(catalogue, stored.id)
    assert update.datestamp == provider.items["oai:test:1"].datestamp
    sides = {f.field: f.side for f in harvest.pending.review(catalogue, update.id).fields}
    assert (sides["title"], sides["notes"]) == ("upstream", "here")


def test_a_deletion_without_a_datestamp_is_told_without_one_and_signed_by_the_harvest(catalogue, source,
                                                                                     provider) -> None:
    harvest.runs.run_harvest(catalogue, "Regional.Archive")
    provider.delete("oai:test:1")
    provider.items["oai:test:1"].datestamp = ""  # a provider's header with an empty datestamp
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive", full=True)
    assert run.counts["deleted"] == 1
    record_id = harvest_id("Regional.Archive", "oai:test:1")
    tombstone = catalogue.history(record_id)[-1]
    assert (tombstone.user, tombstone.origin) == ("harvest", "harvest")
    assert catalogue.current(record_id).reason == "deleted upstream in source Regional.Archive (record oai:test:1)"


def test_a_long_source_name_gives_ids_of_forty_characters_and_the_digest(catalogue, provider) -> None:
    name = "Regional-Archive-of-the-Northern-Provinces-Inventory"
    harvest.sources.add_source(catalogue, name, provider.url, settings=FAST)
    assert harvest.runs.run_harvest(catalogue, name).counts["new"] == 2
    stored = catalogue.store.find_by_source(name, "oai:test:1")
    digest = hashlib.sha256(b"oai:test:1").hexdigest()[:12]
    assert stored.id == f"regional-archive-of-the-northern-provinc-{digest}"


def test_a_record_without_an_identifier_is_skipped_and_logged(catalogue, source, provider) -> None:
    provider.put("", "Nameless", type="Mosque")
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert counts(run) == {"new": 2, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 1, "conflicts": 0}
    assert [(e.identifier, e.reason) for e in harvest.runs.run_errors(catalogue, run.id)] == \
        [(None, "a record without an identifier was skipped")]


def test_a_derived_id_taken_by_a_record_made_here_is_refused_and_logged(catalogue, source, provider) -> None:
    taken = harvest_id("Regional.Archive", "oai:test:1")
    catalogue.create({"id": taken, "title": "A record typed in here", "type": "mosque",
                      "sources": [{"id": "s1", "citation": "Field visit"}]}, user="archivist")
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert counts(run) == {"new": 1, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 1, "conflicts": 0}
    assert [(e.identifier, e.reason) for e in harvest.runs.run_errors(catalogue, run.id)] == \
        [("oai:test:1", f"the id {taken!r} is taken by a record of another origin")]
    assert catalogue.get(taken)["title"] == "A record typed in here"


def test_unmapped_types_are_logged_most_frequent_first_with_their_counts(catalogue, source, provider) -> None:
    provider.put("oai:test:3", "Cabinet", type="Wunderkammer")
    provider.put("oai:test:4", "Second cabinet", type="Wunderkammer")
    provider.put("oai:test:5", "Odd one", type="Curiosity")
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert [(e.identifier, e.reason) for e in harvest.runs.run_errors(catalogue, run.id)] == [
        (None, "dc:type 'Wunderkammer' is not mapped to a record type (2 records; kept in their notes)"),
        (None, "dc:type 'Curiosity' is not mapped to a record type (1 record; kept in their notes)"),
    ]


def test_a_dry_run_logs_the_errors_it_would_meet(catalogue, source, provider) -> None:
    provider.put("oai:test:3", "", type="Mosque")  # no title: not valid
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive", dry_run=True)
    assert counts(run) == {"new": 2, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 1, "conflicts": 0}
    [error] = harvest.runs.run_errors(catalogue, run.id)
    assert error.identifier == "oai:test:3" and error.reason.startswith("not valid after mapping: ")
    assert harvest.sources.get_source(catalogue, "Regional.Archive").last_success is None


def test_the_log_shows_a_running_harvest_s_counts_page_by_page(catalogue, source, provider) -> None:
    provider.put("oai:test:3", "Town gate", type="Mosque")
    seen = []

    def progress(report: harvest.runs.Progress) -> None:
        if report.done and not report.finished:
            [running] = harvest.runs.list_runs(catalogue, "Regional.Archive")
            seen.append((report.done, running.status, running.counts["new"]))

    harvest.runs.run_harvest(catalogue, "Regional.Archive", progress=progress)
    assert seen == [(2, "running", 2), (3, "running", 3)]
    assert harvest.sources.get_source(catalogue, "Regional.Archive").last_success is not None


def test_upstream_changes_to_an_imported_record_wait_for_review_every_time(catalogue, source, provider) -> None:
    imported = catalogue.create({"title": "Old mosque (from the archive's spreadsheet)", "type": "mosque",
                                 "sources": [{"id": "s1", "citation": "Regional Archive, inventory spreadsheet"}],
                                 "provenance": {"origin": "import", "source_name": "Regional.Archive",
                                                "source_identifier": "oai:test:1"}}, user="archivist", origin="import")
    first = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert (first.counts["new"], first.counts["conflicts"], first.counts["updated"]) == (1, 1, 0)
    provider.put("oai:test:1", "Old mosque of the town", type="Mosque")
    second = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert (second.counts["conflicts"], second.counts["updated"]) == (1, 0)
    assert catalogue.get(imported["id"])["title"] == "Old mosque (from the archive's spreadsheet)"
    (update,) = harvest.pending.list_pending(catalogue, imported["id"])
    assert update.data["title"] == "Old mosque of the town"


def test_a_record_back_upstream_is_restored_and_updated_by_the_harvest(catalogue, source, provider) -> None:
    harvest.runs.run_harvest(catalogue, "Regional.Archive")
    provider.delete("oai:test:1")
    harvest.runs.run_harvest(catalogue, "Regional.Archive")
    provider.put("oai:test:1", "Old mosque, restored", type="Mosque")
    back = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert counts(back)["updated"] == 1
    record_id = harvest_id("Regional.Archive", "oai:test:1")
    restored, updated = catalogue.history(record_id)[-2:]
    assert (restored.action, restored.user, restored.message, restored.deleted) == \
        ("restore", "harvest", "back in Regional.Archive", False)
    assert (updated.user, updated.message, updated.origin) == ("harvest", "back in Regional.Archive", "harvest")
    assert updated.data["title"] == "Old mosque, restored" and updated.revision == restored.revision + 1


def test_a_record_that_cannot_be_mapped_is_logged_with_the_mapping_s_reason(catalogue, source, provider) -> None:
    provider.put_xml("oai:test:3", " ")  # a metadata element with nothing in it
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert counts(run) == {"new": 2, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 1, "conflicts": 0}
    assert [(e.identifier, e.reason) for e in harvest.runs.run_errors(catalogue, run.id)] == \
        [("oai:test:3", "the record has no metadata")]


def test_failures_of_every_kind_are_each_counted_and_logged(catalogue, source, provider) -> None:
    for identifier in ("", " "):  # both read as no identifier at all
        provider.put(identifier, "Nameless", type="Mosque")
    for identifier in ("oai:bad:1", "oai:bad:2"):
        provider.put(identifier, "", type="Mosque")  # no title: not valid
    for identifier in ("oai:empty:1", "oai:empty:2"):
        provider.put_xml(identifier, " ")  # nothing to map
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert counts(run) == {"new": 2, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 6, "conflicts": 0}
    log = [(e.identifier, e.reason) for e in harvest.runs.run_errors(catalogue, run.id)]
    assert log[:2] == [(None, "a record without an identifier was skipped")] * 2
    assert [i for i, reason in log[2:] if reason.startswith("not valid after mapping: ")] == ["oai:bad:1", "oai:bad:2"]
    assert log[4:] == [("oai:empty:1", "the record has no metadata"), ("oai:empty:2", "the record has no metadata")]


def test_fingerprints_stored_by_an_older_version_rewrite_nothing(catalogue, source, provider) -> None:
    harvest.runs.run_harvest(catalogue, "Regional.Archive")
    for identifier in ("oai:test:1", "oai:test:2"):
        seen = catalogue.harvests.harvested("Regional.Archive", identifier)
        catalogue.harvests.set_harvested(dataclasses.replace(seen, hash="an older version's fingerprint"))
    seq = catalogue.store.last_seq()
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive", full=True)
    assert counts(run) == {"new": 0, "updated": 0, "unchanged": 2, "deleted": 0, "failed": 0, "conflicts": 0}
    assert catalogue.store.last_seq() == seq
    assert harvest.runs.run_harvest(catalogue, "Regional.Archive", full=True).counts["unchanged"] == 2


def harvest_and_update(catalogue, provider) -> None:
    """A first harvest, then one of its records changed upstream and harvested again."""
    harvest.runs.run_harvest(catalogue, "Regional.Archive")
    provider.put("oai:test:2", "Hill cemetery, renamed", type="cemetery")
    harvest.runs.run_harvest(catalogue, "Regional.Archive")


def test_what_the_source_delivered_is_remembered_with_its_datestamp(catalogue, source, provider) -> None:
    harvest_and_update(catalogue, provider)
    for identifier in ("oai:test:1", "oai:test:2"):
        seen = catalogue.harvests.harvested("Regional.Archive", identifier)
        stored = catalogue.current(seen.record_id)
        assert (seen.record_id, seen.revision) == (harvest_id("Regional.Archive", identifier), stored.revision)
        assert seen.datestamp == provider.items[identifier].datestamp
        assert seen.hash == content_hash(stored.data)


def test_a_withheld_record_unchanged_upstream_is_left_alone(catalogue, source, provider) -> None:
    harvest_and_update(catalogue, provider)
    for identifier in ("oai:test:1", "oai:test:2"):
        stored = catalogue.store.find_by_source("Regional.Archive", identifier)
        catalogue.withhold(stored.id, stored.revision, reason="names a living person", user="admin")
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive", full=True)
    assert counts(run) == {"new": 0, "updated": 0, "unchanged": 2, "deleted": 0, "failed": 0, "conflicts": 0}
    assert harvest.runs.run_errors(catalogue, run.id) == []


def test_a_record_changed_upstream_run_after_run_is_updated_every_time(catalogue, source, provider) -> None:
    harvest.runs.run_harvest(catalogue, "Regional.Archive")
    record_id = harvest_id("Regional.Archive", "oai:test:1")
    for title in ("Old mosque, first change", "Old mosque, second change"):
        provider.put("oai:test:1", title, type="Mosque")
        provider.put("oai:test:2", title.replace("Old mosque", "Hill cemetery"), type="cemetery")
        run = harvest.runs.run_harvest(catalogue, "Regional.Archive")
        assert counts(run) == {"new": 0, "updated": 2, "unchanged": 0, "deleted": 0, "failed": 0, "conflicts": 0}
        assert catalogue.get(record_id)["title"] == title
    assert harvest.pending.list_pending(catalogue) == []


def test_a_run_that_fails_mid_list_is_no_success(catalogue, source, provider) -> None:
    provider.put("oai:test:3", "Town gate", type="Mosque")
    original = provider.respond

    def second_page_fails(params, fault):  # the provider breaks down after the first page
        if params.get("resumptionToken"):
            return 500, {}, b"down for maintenance"
        return original(params, fault)

    provider.respond = second_page_fails
    run = harvest.runs.run_harvest(catalogue, "Regional.Archive")
    assert run.status == "failed" and run.counts["new"] == 2
    assert harvest.sources.get_source(catalogue, "Regional.Archive").last_success is None


def test_the_fingerprint_does_not_depend_on_the_order_of_fields() -> None:
    assert content_hash({"title": "T", "type": "mosque"}) == content_hash({"type": "mosque", "title": "T"})


def _native(provider: Provider, identifier: str, record_id: str, title: str) -> None:
    """Offer a record of the native format with the upstream id `record_id` (valid or not)."""
    record = prepare(make_record(id="placeholder", type="mosque", title=title))
    xml = etree.tostring(native.record_to_xml(record)).decode().replace(">placeholder<", f">{record_id}<")
    provider.put_xml(identifier, xml)


@pytest.fixture
def mirrored(catalogue):
    """A catalogue of the same software, harvested in the native format, one of whose ids is taken here."""
    catalogue.create(make_record(id="old-mosque", type="mosque", title="Old mosque, described here"), user="ayla")
    with Provider(page_size=5) as p:
        yield p


def test_an_upstream_id_that_is_no_id_here_is_replaced_by_a_derived_one(catalogue, mirrored) -> None:
    _native(mirrored, "oai:other:1", "Not an id!", "A record with an odd id")
    _native(mirrored, "oai:other:2", "free-id", "A record with a free id")
    harvest.sources.add_source(catalogue, "other", mirrored.url, prefix=native.PREFIX, settings=FAST)
    run = harvest.runs.run_harvest(catalogue, "other")
    assert counts(run) == {"new": 2, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 0, "conflicts": 0}
    assert catalogue.store.find_by_source("other", "oai:other:1").id == harvest_id("other", "oai:other:1")
    assert catalogue.store.find_by_source("other", "oai:other:2").id == "free-id"


def test_a_linked_collision_is_logged_and_remembered_with_its_run(catalogue, mirrored) -> None:
    _native(mirrored, "oai:other:old-mosque", "old-mosque", "Old mosque, as upstream has it")
    harvest.sources.add_source(catalogue, "other", mirrored.url, prefix=native.PREFIX,
                               settings={**FAST, "id_collision": "link"})
    before = utcnow()
    run = harvest.runs.run_harvest(catalogue, "other")
    assert [(e.identifier, e.reason) for e in harvest.runs.run_errors(catalogue, run.id)] == [(
        "oai:other:old-mosque", "the upstream id 'old-mosque' is taken here by another record (id_collision = link):"
        " linked to that record; its upstream content waits for review")]
    [collision] = catalogue.harvests.collisions("old-mosque")
    assert (collision.source, collision.source_identifier, collision.upstream_id, collision.record_id,
            collision.policy, collision.run_id) == ("other", "oai:other:old-mosque", "old-mosque", "old-mosque",
                                                    "link", run.id)
    assert before <= collision.at <= utcnow()


def test_a_record_restored_here_after_an_upstream_deletion_stays_without_a_question(catalogue, source,
                                                                                    provider) -> None:
    harvest.runs.run_harvest(catalogue, "Regional.Archive")
    provider.delete("oai:test:1")
    harvest.runs.run_harvest(catalogue, "Regional.Archive")
    record_id = harvest_id("Regional.Archive", "oai:test:1")
    catalogue.restore(record_id, user="archivist", message="still standing: seen on a visit")
    again = harvest.runs.run_harvest(catalogue, "Regional.Archive", full=True)  # the deletion once more
    assert counts(again) == {"new": 0, "updated": 0, "unchanged": 2, "deleted": 0, "failed": 0, "conflicts": 0}
    assert not catalogue.current(record_id).deleted and harvest.pending.list_pending(catalogue) == []


def test_a_linked_record_is_found_again_by_what_the_source_delivered(catalogue, mirrored) -> None:
    _native(mirrored, "oai:other:old-mosque", "old-mosque", "Old mosque, as upstream has it")
    harvest.sources.add_source(catalogue, "other", mirrored.url, prefix=native.PREFIX,
                               settings={**FAST, "id_collision": "link"})
    first = harvest.runs.run_harvest(catalogue, "other")
    again = harvest.runs.run_harvest(catalogue, "other", full=True)  # no second collision, nothing to log
    assert counts(again) == {"new": 0, "updated": 0, "unchanged": 1, "deleted": 0, "failed": 0, "conflicts": 0}
    assert harvest.runs.run_errors(catalogue, again.id) == []
    assert [c.run_id for c in catalogue.harvests.collisions("old-mosque")] == [first.id]
    mirrored.delete("oai:other:old-mosque")  # the upstream record goes: the local one it stands for waits
    gone = harvest.runs.run_harvest(catalogue, "other")
    assert counts(gone) == {"new": 0, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 0, "conflicts": 1}
    assert [p.action for p in harvest.pending.list_pending(catalogue, "old-mosque")] == ["delete"]
    assert not catalogue.current("old-mosque").deleted


def test_a_record_kept_under_its_upstream_id_is_updated_and_reviewed_under_it(catalogue, mirrored) -> None:
    _native(mirrored, "oai:other:1", "free-id", "A record with a free id")
    harvest.sources.add_source(catalogue, "other", mirrored.url, prefix=native.PREFIX, settings=FAST)
    harvest.runs.run_harvest(catalogue, "other")
    _native(mirrored, "oai:other:1", "free-id", "A record with a free id, renamed upstream")
    assert counts(harvest.runs.run_harvest(catalogue, "other"))["updated"] == 1
    assert catalogue.get("free-id")["title"] == "A record with a free id, renamed upstream"
    assert catalogue.current(harvest_id("other", "oai:other:1")) is None
    stored = catalogue.current("free-id")
    catalogue.update("free-id", dict(stored.data, notes="Checked here."), base_revision=stored.revision)
    _native(mirrored, "oai:other:1", "free-id", "A record with a free id, renamed again")
    assert counts(harvest.runs.run_harvest(catalogue, "other"))["conflicts"] == 1
    (update,) = harvest.pending.list_pending(catalogue, "free-id")
    assert update.data["id"] == "free-id" and update.data["title"] == "A record with a free id, renamed again"
