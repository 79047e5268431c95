"""Applying a harvest at its edges, as an archivist reads the result: the ids records get,
what each revision says about where it came from, the exact reason of an upstream deletion
and the counts of a run. Found untested by mutation testing (tests/mutation/score.py)."""

from __future__ import annotations

import hashlib

import pytest

import harvest.runs
import harvest.sources
from harvest.apply import content_hash, harvest_id
from tests.oai_provider import Provider

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
