"""Pending upstream changes decided field by field, through the Python API and the CLI: which
side changed which field since the source said it last, taking some fields and keeping the
local edits of the others, as one revision that says what it took."""

from __future__ import annotations

import pytest

import harvest.pending
import harvest.runs
import harvest.sources
from catalogue.errors import CatalogueError
from tests.oai_provider import Provider

FAST = {"connect_timeout": 1, "read_timeout": 10, "retries": 1, "backoff": 0.01, "max_backoff": 0.02}
IDENTIFIER = "oai:test:2"


@pytest.fixture
def provider():
    with Provider(page_size=2, name="Test archive") as p:
        p.put(IDENTIFIER, "Hill cemetery", type="cemetery", subject="graves")
        yield p


@pytest.fixture
def edited(catalogue, provider):
    """A harvested record edited here (title and a note), then changed upstream (title and a
    description): the id of the record and its pending change."""
    harvest.sources.add_source(catalogue, "test", provider.url, settings=FAST)
    harvest.runs.run_harvest(catalogue, "test")
    stored = catalogue.store.find_by_source("test", IDENTIFIER)
    catalogue.update(stored.id, dict(stored.data, title="Hill cemetery (checked)", notes="Local note."),
                     base_revision=stored.revision, user="ayla", message="checked on site")
    provider.put(IDENTIFIER, "Hill cemetery, upstream", type="cemetery", subject="graves",
                 description="Described upstream.")
    assert harvest.runs.run_harvest(catalogue, "test").counts["conflicts"] == 1
    (change,) = harvest.pending.list_pending(catalogue, stored.id)
    return stored.id, change.id


def test_review_says_which_side_changed_each_field(catalogue, edited):
    _, change_id = edited
    review = harvest.pending.review(catalogue, change_id)
    sides = {item.field: item.side for item in review.fields}
    # (the harvested source entry cites the title, so it changed upstream too; subjects did not change)
    assert sides == {"title": "both", "notes": "here", "description": "upstream", "sources": "upstream"}
    assert [item.field for item in review.fields] == ["title", "description", "sources", "notes"]  # record order
    suggested = [item.field for item in review.fields if item.suggested]
    assert suggested == ["description", "sources"]  # only what changed upstream alone
    title = next(item for item in review.fields if item.field == "title")
    assert (title.base, title.here, title.upstream) == ("Hill cemetery", "Hill cemetery (checked)",
                                                        "Hill cemetery, upstream")


def test_accepting_some_fields_keeps_the_local_edits_of_the_others(catalogue, provider, edited):
    record_id, change_id = edited
    revisions = len(catalogue.history(record_id))
    result = harvest.pending.accept_pending(catalogue, change_id, "elvin", ["sources", "description"])
    assert result["description"] == "Described upstream."
    assert result["notes"] == "Local note." and result["title"] == "Hill cemetery (checked)"  # kept
    history = catalogue.history(record_id)
    assert len(history) == revisions + 1  # one revision for the whole decision
    assert history[-1].user == "elvin"
    assert history[-1].message == ("accepted upstream change from test (pending change 1); took description, "
                                   "sources; kept as edited here: title, notes")
    assert harvest.runs.run_harvest(catalogue, "test").counts["conflicts"] == 0  # the same upstream: nothing new

    provider.put(IDENTIFIER, "Hill cemetery, third", type="cemetery", subject="graves",
                 description="Described upstream.")
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.counts["conflicts"] == 1 and run.counts["updated"] == 0  # local edits kept: it waits again
    assert catalogue.get(record_id)["notes"] == "Local note."
    (again,) = harvest.pending.list_pending(catalogue, record_id)
    sides = {item.field: item.side for item in harvest.pending.review(catalogue, again.id).fields}
    assert sides == {"title": "both", "sources": "upstream", "notes": "here"}  # against what upstream said last

    harvest.pending.accept_pending(catalogue, again.id, "elvin", ["title", "sources", "notes"])
    assert "notes" not in catalogue.get(record_id)  # the whole upstream version: in step again
    provider.put(IDENTIFIER, "Hill cemetery, fourth", type="cemetery", subject="graves")
    assert harvest.runs.run_harvest(catalogue, "test").counts["updated"] == 1


def test_a_field_not_offered_or_none_at_all_is_refused(catalogue, edited):
    record_id, change_id = edited
    with pytest.raises(CatalogueError, match="not a field where this upstream change differs"):
        harvest.pending.accept_pending(catalogue, change_id, "elvin", ["subjects"])
    with pytest.raises(CatalogueError, match="at least one field"):
        harvest.pending.accept_pending(catalogue, change_id, "elvin", [])
    assert harvest.pending.list_pending(catalogue, record_id)  # still waiting
    assert catalogue.get(record_id)["title"] == "Hill cemetery (checked)"


def test_rejecting_then_a_later_change_compares_with_the_rejected_version(catalogue, provider, edited):
    record_id, change_id = edited
    harvest.pending.reject_pending(catalogue, change_id, "elvin")
    provider.put(IDENTIFIER, "Hill cemetery, upstream", type="cemetery", subject="graves",
                 description="Described upstream, corrected.")
    assert harvest.runs.run_harvest(catalogue, "test").counts["conflicts"] == 1
    (later,) = harvest.pending.list_pending(catalogue, record_id)
    sides = {item.field: item.side for item in harvest.pending.review(catalogue, later.id).fields}
    # the title upstream is what was rejected: only the local edit differs from it now
    assert sides == {"title": "here", "sources": "here", "notes": "here", "description": "both"}


def test_cli_shows_the_fields_and_accepts_some(catalogue, runner, edited):
    record_id, change_id = edited
    shown = runner.invoke(args=["pending", "show", str(change_id)])
    assert shown.exit_code == 0, shown.output
    assert "title" in shown.output and "changed here and upstream" in shown.output
    assert "description" in shown.output and "(taken unless you choose otherwise)" in shown.output
    accepted = runner.invoke(args=["pending", "accept", str(change_id), "--field", "description", "--user", "cli"])
    assert accepted.exit_code == 0, accepted.output
    record = catalogue.get(record_id)
    assert record["description"] == "Described upstream." and record["notes"] == "Local note."
    refused = runner.invoke(args=["pending", "accept", str(change_id), "--field", "title"])
    assert refused.exit_code != 0 and "accepted already" in refused.output
