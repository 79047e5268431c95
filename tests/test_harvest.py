"""Harvesting into the catalogue: idempotent, incremental, deletions, local edits kept,
hostile servers logged, through the Python API and the CLI."""

from __future__ import annotations

import pytest

import harvest.pending
import harvest.runs
import harvest.sources
from catalogue.errors import AlreadyExists, CatalogueError, NotFound
from tests.conftest import exited_cleanly
from tests.oai_provider import Provider

#: Quick retries; a generous read timeout, so that a slow answer on a busy machine is not retried
#: without the one-off fault it carried (the stall case sets its own short timeout).
FAST = {"connect_timeout": 1, "read_timeout": 10, "retries": 1, "backoff": 0.01, "max_backoff": 0.02}


@pytest.fixture
def provider():
    with Provider(page_size=2, name="Test archive") as p:
        p.put("oai:test:1", "Old mosque", type="Mosque", coverage=["1350-1450", "Testville"],
              identifier="https://example.org/records/1", rights="CC0", creator="Example, A.")
        p.put("oai:test:2", "Hill cemetery", type="cemetery", subject="graves")
        p.put("oai:test:3", "Unknown thing", type="Wunderkammer")
        yield p


@pytest.fixture
def source(catalogue, provider):
    return harvest.sources.add_source(catalogue, "test", provider.url, settings=FAST)


def by_source(catalogue, identifier):
    return catalogue.store.find_by_source("test", identifier)


def test_harvest_lands_valid_records_with_provenance(catalogue, source):
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.status == "ok" and run.counts["new"] == 3 and run.counts["failed"] == 0
    mosque = by_source(catalogue, "oai:test:1").data
    assert mosque["type"] == "mosque" and mosque["title"] == "Old mosque"
    assert mosque["period"] == {"label": "1350-1450", "start": 1350, "end": 1450}
    assert mosque["place"] == {"name": "Testville"}
    assert mosque["provenance"] == {"origin": "harvest", "source_name": "test", "source_identifier": "oai:test:1"}
    assert {"scheme": "url", "value": "https://example.org/records/1"} in mosque["external_ids"]
    assert mosque["rights"] == "CC0"
    assert "Test archive" in mosque["sources"][0]["citation"] and mosque["sources"][0]["author"] == "Example, A."
    assert catalogue.search("mosque").total >= 1
    assert catalogue.history(mosque["id"])[0].origin == "harvest"


def test_unmapped_type_is_kept_and_reported(catalogue, source):
    run = harvest.runs.run_harvest(catalogue, "test")
    thing = by_source(catalogue, "oai:test:3").data
    assert thing["type"] == "other" and "Wunderkammer" in thing["notes"]
    reasons = [e.reason for e in harvest.runs.run_errors(catalogue, run.id)]
    assert any("'Wunderkammer' is not mapped" in r for r in reasons)


def test_a_mapping_table_maps_free_text_types(catalogue, provider):
    harvest.sources.add_source(catalogue, "test", provider.url, mapping='[types]\n"Wunderkammer" = "museum"\n',
                          settings=FAST)
    harvest.runs.run_harvest(catalogue, "test")
    assert by_source(catalogue, "oai:test:3").data["type"] == "museum"


def test_second_harvest_changes_nothing_and_asks_only_for_changes(catalogue, source, provider):
    harvest.runs.run_harvest(catalogue, "test")
    seq = catalogue.store.last_seq()
    provider.requests.clear()
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.counts["unchanged"] == 3 and run.counts["new"] == run.counts["updated"] == 0
    assert catalogue.store.last_seq() == seq
    listing = next(r for r in provider.requests if r.get("verb") == "ListRecords")
    checkpoint = harvest.sources.get_source(catalogue, "test").checkpoint
    assert checkpoint and listing["from"] < checkpoint  # the checkpoint minus the overlap
    full = harvest.runs.run_harvest(catalogue, "test", full=True)
    assert full.full and full.counts["unchanged"] == 3 and catalogue.store.last_seq() == seq


def test_upstream_change_is_a_new_revision_and_deletion_a_tombstone(catalogue, source, provider):
    harvest.runs.run_harvest(catalogue, "test")
    provider.put("oai:test:2", "Hill cemetery (renamed)", type="cemetery")
    provider.delete("oai:test:1")
    run = harvest.runs.run_harvest(catalogue, "test")
    assert (run.counts["updated"], run.counts["deleted"]) == (1, 1)
    assert by_source(catalogue, "oai:test:2").data["title"] == "Hill cemetery (renamed)"
    gone = by_source(catalogue, "oai:test:1")
    assert gone.deleted and "deleted upstream in source test" in gone.reason
    again = harvest.runs.run_harvest(catalogue, "test")
    assert again.counts["deleted"] == again.counts["updated"] == 0
    provider.put("oai:test:1", "Old mosque", type="Mosque")  # back upstream
    harvest.runs.run_harvest(catalogue, "test")
    assert not by_source(catalogue, "oai:test:1").deleted


def test_local_edit_wins_and_upstream_change_waits(catalogue, source, provider):
    harvest.runs.run_harvest(catalogue, "test")
    stored = by_source(catalogue, "oai:test:2")
    edited = dict(stored.data, description="Checked by an archivist.")
    catalogue.update(stored.id, edited, base_revision=stored.revision, user="archivist")
    provider.put("oai:test:2", "Hill cemetery, upstream title", type="cemetery")
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.counts["conflicts"] == 1
    record = catalogue.get(stored.id)
    assert record["description"] == "Checked by an archivist." and record["title"] == "Hill cemetery"
    (pending,) = harvest.pending.list_pending(catalogue, stored.id)
    assert pending.data["title"] == "Hill cemetery, upstream title"
    assert harvest.runs.run_harvest(catalogue, "test").counts["conflicts"] == 0  # not kept twice
    accepted = harvest.pending.accept_pending(catalogue, pending.id, "archivist")
    assert accepted["title"] == "Hill cemetery, upstream title"
    assert catalogue.history(stored.id)[-1].user == "archivist"
    with pytest.raises(CatalogueError, match="accepted already"):
        harvest.pending.reject_pending(catalogue, pending.id, "archivist")
    provider.put("oai:test:2", "Hill cemetery, later", type="cemetery")
    assert harvest.runs.run_harvest(catalogue, "test").counts["updated"] == 1  # accepted: upstream applies again


def test_rejected_change_leaves_the_record_and_deletion_of_an_edited_record_waits(catalogue, source, provider):
    harvest.runs.run_harvest(catalogue, "test")
    stored = by_source(catalogue, "oai:test:1")
    catalogue.update(stored.id, dict(stored.data, notes="Local note."), base_revision=stored.revision)
    provider.delete("oai:test:1")
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.counts["conflicts"] == 1 and not by_source(catalogue, "oai:test:1").deleted
    (pending,) = harvest.pending.list_pending(catalogue)
    assert pending.action == "delete"
    harvest.pending.reject_pending(catalogue, pending.id, "archivist")
    assert harvest.pending.list_pending(catalogue) == []
    assert harvest.pending.list_pending(catalogue, status="rejected")[0].decided_by == "archivist"
    assert catalogue.get(stored.id)["notes"] == "Local note."
    decision = catalogue.history(stored.id)[-1]
    assert decision.user == "archivist" and "rejected the upstream delete from test" in decision.message
    assert decision.data["notes"] == "Local note." and decision.revision == stored.revision + 2


def test_invalid_record_is_reported_and_skipped(catalogue, source, provider):
    provider.put("oai:test:4", "", type="Mosque")  # no title: not a valid record
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.counts["new"] == 3 and run.counts["failed"] == 1
    errors = harvest.runs.run_errors(catalogue, run.id)
    assert any(e.identifier == "oai:test:4" and "title" in e.reason for e in errors)
    assert by_source(catalogue, "oai:test:4") is None


class Killed(BaseException):
    """Stands for the process dying at that moment (not an Exception: nothing catches it)."""


def test_a_kill_while_errors_are_written_loses_neither_errors_nor_records(catalogue, source, provider, monkeypatch):
    from catalogue.store import harvest as harvest_store

    provider.put("oai:test:0", "", type="Mosque")  # invalid, on the first page of two
    write_errors = harvest_store.add_errors

    def die_on_first_errors(store, run_id, errors):
        if errors:
            monkeypatch.setattr(harvest_store, "add_errors", write_errors)
            raise Killed
        write_errors(store, run_id, errors)

    monkeypatch.setattr(harvest_store, "add_errors", die_on_first_errors)
    with pytest.raises(Killed):
        harvest.runs.run_harvest(catalogue, "test")
    assert by_source(catalogue, "oai:test:1") is None  # the page went with its errors
    run = harvest.runs.run_harvest(catalogue, "test")
    assert (run.status, run.counts["new"], run.counts["failed"]) == ("ok", 3, 1)
    reasons = [e.reason for e in harvest.runs.run_errors(catalogue, run.id) if e.identifier == "oai:test:0"]
    assert reasons and "title" in reasons[0]


def test_dry_run_stores_nothing_but_counts(catalogue, source):
    run = harvest.runs.run_harvest(catalogue, "test", dry_run=True)
    assert run.dry_run and run.counts["new"] == 3
    assert catalogue.store.last_seq() == 0
    assert harvest.sources.get_source(catalogue, "test").checkpoint is None


@pytest.mark.parametrize("fault, message", [("doctype-bomb", "DOCTYPE"), ("gzip-bomb", "larger than"),
                                            ("stall", "timed out")])
def test_hostile_server_fails_the_run_with_a_logged_error(catalogue, provider, fault, message):
    settings = dict(FAST, max_bytes=100_000, read_timeout=0.5 if fault == "stall" else FAST["read_timeout"])
    harvest.sources.add_source(catalogue, "test", provider.url, settings=settings)
    harvest.runs.run_harvest(catalogue, "test")
    seq = catalogue.store.last_seq()
    provider.fail(fault, 2 if fault == "stall" else None, times=3)
    run = harvest.runs.run_harvest(catalogue, "test", full=True)
    assert run.status == "failed" and message in run.message
    assert any(message in e.reason for e in harvest.runs.run_errors(catalogue, run.id))
    assert catalogue.store.last_seq() == seq and by_source(catalogue, "oai:test:1") is not None


def test_repeated_token_stops_and_the_next_run_starts_clean(catalogue, source, provider):
    provider.put("oai:test:4", "Fourth", type="club")
    provider.put("oai:test:5", "Fifth", type="club")
    provider.repeat_tokens = True
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.status == "failed" and "twice" in run.message
    assert run.counts["new"] == 2  # the first page was committed
    assert harvest.sources.get_source(catalogue, "test").resume is None  # the looping token is not reused
    provider.repeat_tokens = False
    again = harvest.runs.run_harvest(catalogue, "test")
    assert (again.counts["new"], again.counts["unchanged"]) == (3, 2)


def test_expired_token_restarts_from_the_checkpoint(catalogue, source, provider):
    provider.fail(None)  # Identify
    provider.fail(None)  # first page
    provider.fail("bad-token")
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.status == "ok" and run.counts["new"] == 3
    tokens = [r for r in provider.requests if "resumptionToken" in r]
    assert len(tokens) == 2 and sum(1 for r in provider.requests if r.get("metadataPrefix")) == 2


def test_invalid_characters_are_stripped_and_reported(catalogue, source, provider):
    provider.fail(None)  # Identify
    provider.fail("invalid-chars")
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.status == "ok" and run.counts["new"] == 3
    record = by_source(catalogue, "oai:test:1").data
    assert record["title"].startswith("Old mosque") and not any(ord(c) < 32 for c in record["title"])
    errors = harvest.runs.run_errors(catalogue, run.id)
    assert any(e.identifier == "oai:test:1" and "invalid characters" in e.reason for e in errors)


def test_native_format_harvest_keeps_every_field(catalogue, provider):
    from lxml import etree

    from catalogue.formats import native
    from catalogue.records import prepare

    record = prepare({"id": "x", "type": "tomb", "title": "A tomb", "quantity": 2, "quantity_sources": ["s1"],
                      "sources": [{"id": "s1", "citation": "Illustrative source, 2024."}],
                      "period": {"label": "14th century", "start": 1301, "end": 1400}})
    provider.put_xml("oai:other:x", etree.tostring(native.record_to_xml(record)).decode())
    harvest.sources.add_source(catalogue, "test", provider.url, prefix=native.PREFIX, settings=FAST)
    harvest.runs.run_harvest(catalogue, "test")
    got = by_source(catalogue, "oai:other:x").data
    assert got["quantity"] == 2 and got["period"] == record["period"] and got["sources"] == record["sources"]
    assert got["provenance"]["source_name"] == "test"


def test_source_rules(catalogue, provider):
    harvest.sources.add_source(catalogue, "test", provider.url)
    with pytest.raises(AlreadyExists):
        harvest.sources.add_source(catalogue, "test", provider.url)
    for bad in ({"name": "bad name"}, {"url": "file:///etc/passwd"}, {"protocol": "ftp"},
                {"mapping": "[types]\nx = 'nonsense'"}, {"mapping": "not = toml = at all"},
                {"settings": {"read_timeout": "slow"}}, {"settings": {"colour": 1}}):
        args = {"name": "other", "url": provider.url, **bad}
        with pytest.raises(CatalogueError):
            harvest.sources.add_source(catalogue, **args)
    updated = harvest.sources.update_source(catalogue, "test", set_spec="a:b")
    assert updated.set_spec == "a:b" and [s.name for s in harvest.sources.list_sources(catalogue)] == ["test"]
    harvest.sources.remove_source(catalogue, "test")
    with pytest.raises(NotFound):
        harvest.sources.get_source(catalogue, "test")
    with pytest.raises(NotFound):
        harvest.runs.run_harvest(catalogue, "test")


# -- the CLI ---------------------------------------------------------------------------


def test_cli_source_harvest_and_log(runner, provider, tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('[types]\n"Wunderkammer" = "museum"\n', encoding="utf-8")
    result = runner.invoke(args=["source", "add", "test", provider.url, "--mapping", str(mapping),
                                 "--setting", "retries=0", "--setting", "read_timeout=1"])
    assert result.exit_code == 0, result.output
    assert "test" in runner.invoke(args=["source", "list"]).output
    result = runner.invoke(args=["harvest", "test", "--dry-run"])
    assert result.exit_code == 0 and "dry run" in result.output and "3 new" in result.output
    result = runner.invoke(args=["harvest", "--all", "--quiet"])
    assert result.exit_code == 0 and "3 new" in result.output
    provider.fail("doctype-bomb")
    result = runner.invoke(args=["harvest", "test"])
    assert result.exit_code == 1 and "failed" in result.output and exited_cleanly(result)
    log = runner.invoke(args=["harvest-log", "test"]).output
    assert log.count("run ") == 3 and "DOCTYPE" in log
    assert runner.invoke(args=["harvest"]).exit_code == 2
    missing = runner.invoke(args=["harvest", "nope"])
    assert missing.exit_code == 1 and "no source named 'nope'" in missing.output
    assert runner.invoke(args=["source", "remove", "test"]).exit_code == 0


def test_cli_pending_accept(runner, catalogue, provider):
    harvest.sources.add_source(catalogue, "test", provider.url, settings=FAST)
    harvest.runs.run_harvest(catalogue, "test")
    stored = by_source(catalogue, "oai:test:3")
    catalogue.update(stored.id, dict(stored.data, notes="Local."), base_revision=stored.revision)
    provider.put("oai:test:3", "Unknown thing, renamed", type="Wunderkammer")
    harvest.runs.run_harvest(catalogue, "test")
    log = runner.invoke(args=["harvest-log"]).output
    assert f"pending 1     {stored.id}" in log
    result = runner.invoke(args=["pending", "accept", "1", "--user", "ann"])
    assert result.exit_code == 0 and "revision 3" in result.output
    assert runner.invoke(args=["pending", "reject", "1"]).exit_code == 1
    assert runner.invoke(args=["pending", "accept", "99"]).exit_code == 1


def test_cli_words_counts_in_the_singular_and_the_plural(runner, provider):
    """"1 record" and "2 records", "1 error" and "2 errors": the run report and the log count
    in English as people do."""
    provider.put("oai:test:4", "Curio one", type="Curio")
    provider.put("oai:test:5", "Curio two", type="Curio")
    assert runner.invoke(args=["source", "add", "test", provider.url, "--setting", "retries=0"]).exit_code == 0
    result = runner.invoke(args=["harvest", "test"])
    assert result.exit_code == 0, result.output
    assert "dc:type 'Wunderkammer' is not mapped to a record type (1 record; kept in their notes)" in result.output
    assert "dc:type 'Curio' is not mapped to a record type (2 records; kept in their notes)" in result.output
    assert "1 records" not in result.output
    assert "; 2 errors" in runner.invoke(args=["harvest-log", "test"]).output
