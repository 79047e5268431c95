"""Providers that break a harvest run after run: a bad responseDate as the checkpoint, a
trickling server, a resumption token that stays dead; and `harvest --all`, where one broken
source must not keep the others from running."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

import harvest.runs
import harvest.sources
from catalogue.formats import dc
from catalogue.store import harvest as harvest_store
from tests.oai_provider import Provider, now

#: Nothing here searches: writes skip the search index (see tests/conftest.py).
pytestmark = pytest.mark.without_index

FAST = {"connect_timeout": 1, "read_timeout": 10, "retries": 1, "backoff": 0.01, "max_backoff": 0.02}
SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture
def provider() -> Iterator[Provider]:
    with Provider(page_size=2) as p:
        for n in range(1, 6):
            p.put(f"oai:test:{n}", f"Record {n}", type="mosque", datestamp="2024-01-01T00:00:00Z")
        yield p


@pytest.fixture
def source(catalogue, provider):
    return harvest.sources.add_source(catalogue, "test", provider.url, settings=FAST)


def checkpoint_of(catalogue, name: str = "test") -> str:
    return harvest.sources.get_source(catalogue, name).checkpoint


def list_requests(provider: Provider) -> list[dict[str, str]]:
    return [r for r in provider.requests if r.get("verb") == "ListRecords"]


def assert_sane(checkpoint: str) -> None:
    assert SECONDS.match(checkpoint), checkpoint
    assert "1970-01-01T00:00:00Z" <= checkpoint <= now()


# -- responseDate as the checkpoint ------------------------------------------------------


def test_response_date_year_one_does_not_break_next_run(catalogue, source, provider):
    provider.response_date = "0001-01-01T00:00:00Z"
    assert harvest.runs.run_harvest(catalogue, "test").status == "ok"
    assert_sane(checkpoint_of(catalogue))
    provider.requests.clear()
    again = harvest.runs.run_harvest(catalogue, "test")
    assert again.status == "ok", again.message
    assert again.counts["unchanged"] == 5 and SECONDS.match(list_requests(provider)[0]["from"])


def test_response_date_far_in_the_future_does_not_skip_later_updates(catalogue, source, provider):
    provider.response_date = "9999-12-31T23:59:59Z"
    assert harvest.runs.run_harvest(catalogue, "test").status == "ok"
    assert_sane(checkpoint_of(catalogue))
    time.sleep(1.1)  # the change is stamped after the checkpoint
    provider.put("oai:test:3", "Record 3, corrected", type="mosque")
    again = harvest.runs.run_harvest(catalogue, "test")
    assert again.status == "ok" and again.counts["updated"] == 1
    assert catalogue.store.find_by_source("test", "oai:test:3").data["title"] == "Record 3, corrected"


@pytest.mark.parametrize("response_date, expected", [
    ("2024-05-01T10:00:01.123Z", "2024-05-01T10:00:01Z"),
    ("2024-05-01T12:00:01+02:00", "2024-05-01T10:00:01Z"),
    ("2024-05-01T10:00:01", "2024-05-01T10:00:01Z"),
    ("2024-05-01", "2024-05-01T00:00:00Z"),
])
def test_response_date_in_other_forms_is_normalised_to_utc_seconds(catalogue, source, provider, response_date,
                                                                   expected):
    provider.response_date = response_date
    assert harvest.runs.run_harvest(catalogue, "test").status == "ok"
    assert checkpoint_of(catalogue) == expected
    again = harvest.runs.run_harvest(catalogue, "test")
    assert again.status == "ok", again.message
    assert list_requests(provider)[-1]["from"] == expected.replace("10:00:01", "09:59:01").replace(
        "2024-05-01T00:00:00Z", "2024-04-30T23:59:00Z")


@pytest.mark.parametrize("stored, whole_list", [
    ("0001-01-01T00:00:00Z", False),
    ("2023-05-01T10:00:01.123Z", False),  # the records are stamped 2024-01-01
    ("2023-05-01T12:00:01+02:00", False),
    ("9999-12-31T23:59:59Z", True),
    ("not a date", True),
])
def test_checkpoint_stored_badly_by_an_older_version_is_read_safely(catalogue, source, provider, stored,
                                                                    whole_list):
    harvest_store.save_progress(catalogue.store, "test", None, checkpoint=stored)
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.status == "ok", run.message
    assert run.counts["new"] == 5
    asked = list_requests(provider)[0]
    assert ("from" not in asked) == whole_list
    if not whole_list:
        assert SECONDS.match(asked["from"])
    notices = [e.reason for e in harvest.runs.run_errors(catalogue, run.id)]
    assert any("is not a past date; the whole list was asked for" in n for n in notices) == whole_list
    assert_sane(checkpoint_of(catalogue))


# -- one source's failure stays its own ----------------------------------------------------


@pytest.fixture
def three_sources(catalogue, provider):
    for name in ("a-broken", "b-fine", "c-fine"):
        harvest.sources.add_source(catalogue, name, provider.url, settings=FAST)


def test_harvest_all_isolates_failing_source(runner, catalogue, three_sources, monkeypatch):
    real = dc.dc_to_record

    def mapping_with_a_bug(oai, context):
        if context.source_name == "a-broken":
            raise RuntimeError("a bug in the mapping")
        return real(oai, context)

    monkeypatch.setattr(dc, "dc_to_record", mapping_with_a_bug)
    result = runner.invoke(args=["harvest", "--all", "--quiet"])
    assert result.exit_code == 1
    runs = {run.source: run for run in harvest.runs.list_runs(catalogue)}
    assert runs["a-broken"].status == "failed" and "RuntimeError: a bug in the mapping" in runs["a-broken"].message
    assert runs["b-fine"].status == runs["c-fine"].status == "ok" and runs["c-fine"].counts["new"] == 5
    assert "1 of 3 sources failed: a-broken" in result.output
    log = runner.invoke(args=["harvest-log", "a-broken"]).output
    assert "failed" in log and "a bug in the mapping" in log


def test_harvest_all_runs_every_source_past_a_checkpoint_of_year_one(runner, catalogue, three_sources):
    for name in ("a-broken", "b-fine", "c-fine"):
        harvest_store.save_progress(catalogue.store, name, None, checkpoint="2024-01-01T00:00:00Z")
    harvest_store.save_progress(catalogue.store, "a-broken", None, checkpoint="0001-01-01T00:00:00Z")
    result = runner.invoke(args=["harvest", "--all", "--quiet"])
    assert result.exit_code == 0, result.output
    assert sorted(run.source for run in harvest.runs.list_runs(catalogue) if run.status == "ok") == [
        "a-broken", "b-fine", "c-fine"]


def test_trickling_provider_does_not_hold_up_harvest_all(runner, catalogue, provider):
    with Provider() as good:
        good.put("oai:good:1", "Good record", type="museum")
        harvest.sources.add_source(catalogue, "a-slow", provider.url, settings=dict(FAST, deadline=1.5))
        harvest.sources.add_source(catalogue, "b-good", good.url, settings=FAST)
        provider.fail(None)  # Identify
        provider.fail("trickle", {"framing": "length", "interval": 0.05})
        started = time.monotonic()
        result = runner.invoke(args=["harvest", "--all", "--quiet"])
    assert time.monotonic() - started < 6
    assert result.exit_code == 1 and "a-slow: failed" in result.output and "b-good: ok" in result.output
    slow = harvest.runs.list_runs(catalogue, "a-slow")[0]
    assert "deadline of 1.5 s" in slow.message


# -- a resumption token that stays dead -----------------------------------------------------


def test_bad_resumption_token_restarts_once(catalogue, source, provider):
    provider.reject_tokens = 200
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.status == "failed" and "restarted list too" in run.message and "afresh" in run.message
    starts = [r for r in list_requests(provider) if "metadataPrefix" in r]
    assert len(starts) == 2 and run.counts["new"] == 2
    assert harvest.sources.get_source(catalogue, "test").resume is None  # the dead token is not kept
    provider.reject_tokens = None
    provider.requests.clear()
    again = harvest.runs.run_harvest(catalogue, "test")
    assert again.status == "ok" and (again.counts["new"], again.counts["unchanged"]) == (3, 2)
    assert "metadataPrefix" in list_requests(provider)[0]  # started afresh, not from the dead token


def test_bad_resumption_token_with_http_422_restarts_once(catalogue, source, provider):
    provider.reject_tokens = 422  # as Zenodo answers
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.status == "failed" and "badResumptionToken" in run.message and "afresh" in run.message
    assert harvest.sources.get_source(catalogue, "test").resume is None


def test_token_left_by_an_interrupted_run_is_dropped_when_refused_twice(catalogue, source, provider):
    state = {"list": ["oai_dc", None], "started": "2024-01-01T00:00:00Z", "from": None, "list_id": "1",
             "token": "a-token-that-expired"}
    harvest_store.save_progress(catalogue.store, "test", state)
    provider.reject_tokens = 200
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.status == "failed" and harvest.sources.get_source(catalogue, "test").resume is None
    provider.reject_tokens = None
    assert harvest.runs.run_harvest(catalogue, "test").status == "ok"


def test_checkpoint_is_not_in_the_future_even_when_the_provider_clock_is(catalogue, source, provider):
    provider.response_date = "2999-01-01T00:00:00Z"
    harvest.runs.run_harvest(catalogue, "test")
    stored = datetime.strptime(checkpoint_of(catalogue), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert stored <= datetime.now(UTC)
