"""A complete list from a provider that keeps no deleted records (deletedRecord 'no' or
'transient') retires what it no longer holds: tombstones naming the source and the run, or
pending deletions where an archivist edited the record (local edits win)."""

from __future__ import annotations

import pytest

import harvest.pending
import harvest.runs
import harvest.sources
from tests.oai_provider import Provider

#: Nothing here searches: writes skip the search index (see tests/conftest.py).
pytestmark = pytest.mark.without_index

SETTINGS = {"connect_timeout": 1, "read_timeout": 10, "retries": 1, "backoff": 0.01, "max_backoff": 0.02}


@pytest.fixture
def provider():
    with Provider(page_size=2) as p:
        p.deleted_record = "no"
        for n in range(1, 5):
            p.put(f"oai:test:{n}", f"Record {n}", type="mosque")
        yield p


@pytest.fixture
def source(catalogue, provider):
    return harvest.sources.add_source(catalogue, "test", provider.url, settings=SETTINGS)


def record(catalogue, identifier):
    return catalogue.store.find_by_source("test", identifier)


def live(catalogue) -> list[str]:
    return sorted(r.data["provenance"]["source_identifier"] for r in catalogue.store.iter_records())


@pytest.mark.parametrize("policy", ["no", "transient"])
def test_a_full_harvest_tombstones_what_vanished_upstream(catalogue, source, provider, policy):
    provider.deleted_record = policy
    harvest.runs.run_harvest(catalogue, "test")
    provider.remove("oai:test:2")
    assert harvest.runs.run_harvest(catalogue, "test").counts["deleted"] == 0  # incremental: cannot know
    assert harvest.runs.run_harvest(catalogue, "test", full=True, dry_run=True).counts["deleted"] == 0
    assert not record(catalogue, "oai:test:2").deleted
    seq = catalogue.store.last_seq()
    run = harvest.runs.run_harvest(catalogue, "test", full=True)
    assert (run.status, run.counts["deleted"], run.counts["unchanged"]) == ("ok", 1, 3)
    gone = record(catalogue, "oai:test:2")
    assert gone.deleted and gone.reason == (f"no longer in source test: missing from its complete list harvested in"
                                            f" run {run.id} (record oai:test:2)")
    assert catalogue.store.last_seq() == seq + 1  # one tombstone, nothing else rewritten
    assert harvest.runs.run_harvest(catalogue, "test", full=True).counts["deleted"] == 0
    assert catalogue.store.last_seq() == seq + 1
    provider.put("oai:test:2", "Record 2", type="mosque")  # back upstream
    harvest.runs.run_harvest(catalogue, "test", full=True)
    assert not record(catalogue, "oai:test:2").deleted


def test_an_edited_record_that_vanished_becomes_a_pending_deletion(catalogue, source, provider):
    harvest.runs.run_harvest(catalogue, "test")
    stored = record(catalogue, "oai:test:3")
    catalogue.update(stored.id, dict(stored.data, notes="Checked here."), base_revision=stored.revision)
    provider.remove("oai:test:3")
    run = harvest.runs.run_harvest(catalogue, "test", full=True)
    assert (run.counts["deleted"], run.counts["conflicts"]) == (0, 1)
    assert not record(catalogue, "oai:test:3").deleted
    (pending,) = harvest.pending.list_pending(catalogue, stored.id)
    assert pending.action == "delete" and pending.source == "test"
    assert harvest.runs.run_harvest(catalogue, "test", full=True).counts["conflicts"] == 0  # not kept twice
    harvest.pending.accept_pending(catalogue, pending.id, "archivist")
    assert record(catalogue, "oai:test:3").deleted


def test_a_persistent_provider_is_trusted_to_send_deleted_headers(catalogue, source, provider):
    provider.deleted_record = "persistent"
    harvest.runs.run_harvest(catalogue, "test")
    provider.remove("oai:test:2")
    assert harvest.runs.run_harvest(catalogue, "test", full=True).counts["deleted"] == 0
    assert not record(catalogue, "oai:test:2").deleted


def test_a_failed_list_retires_nothing_and_its_resumption_does(catalogue, source, provider):
    harvest.runs.run_harvest(catalogue, "test")
    provider.remove("oai:test:4")
    provider.fail(None)  # Identify
    provider.fail(None)  # first page
    provider.fail("500", times=2)  # the second page fails after the retry
    failed = harvest.runs.run_harvest(catalogue, "test", full=True)
    assert failed.status == "failed" and failed.counts["deleted"] == 0
    assert not record(catalogue, "oai:test:4").deleted
    resumed = harvest.runs.run_harvest(catalogue, "test")  # goes on with the same complete list
    assert resumed.status == "ok" and resumed.counts["deleted"] == 1
    assert f"run {resumed.id}" in record(catalogue, "oai:test:4").reason


def test_records_that_fail_to_map_are_seen_all_the_same(catalogue, source, provider):
    harvest.runs.run_harvest(catalogue, "test")
    provider.put("oai:test:1", "", type="mosque")  # upstream, but no longer valid here
    run = harvest.runs.run_harvest(catalogue, "test", full=True)
    assert (run.counts["failed"], run.counts["deleted"]) == (1, 0)
    assert not record(catalogue, "oai:test:1").deleted


def test_with_a_set_only_records_harvested_through_it_are_candidates(catalogue, provider):
    provider.put("oai:test:1", "Record 1", type="mosque", sets=["a"])
    provider.put("oai:test:2", "Record 2", type="mosque", sets=["a:x"])
    provider.put("oai:test:3", "Record 3", type="mosque", sets=["b"])
    provider.remove("oai:test:4")
    harvest.sources.add_source(catalogue, "test", provider.url, set_spec="a", settings=SETTINGS)
    harvest.runs.run_harvest(catalogue, "test")
    assert live(catalogue) == ["oai:test:1", "oai:test:2"]
    harvest.sources.update_source(catalogue, "test", set_spec="b")
    run = harvest.runs.run_harvest(catalogue, "test", full=True)
    assert run.counts["deleted"] == 0 and live(catalogue) == ["oai:test:1", "oai:test:2", "oai:test:3"]
    harvest.sources.update_source(catalogue, "test", set_spec="a")
    provider.remove("oai:test:2")
    run = harvest.runs.run_harvest(catalogue, "test", full=True)
    assert run.counts["deleted"] == 1 and live(catalogue) == ["oai:test:1", "oai:test:3"]


def test_an_empty_complete_list_retires_everything(catalogue, source, provider):
    harvest.runs.run_harvest(catalogue, "test")
    for n in range(1, 5):
        provider.remove(f"oai:test:{n}")
    run = harvest.runs.run_harvest(catalogue, "test", full=True)  # noRecordsMatch
    assert (run.status, run.counts["deleted"]) == ("ok", 4) and live(catalogue) == []


def test_the_cli_full_harvest_reports_the_tombstones(runner, catalogue, source, provider):
    harvest.runs.run_harvest(catalogue, "test")
    provider.remove("oai:test:1")
    result = runner.invoke(args=["harvest", "test", "--full", "--quiet"])
    assert result.exit_code == 0 and "1 deleted" in result.output
