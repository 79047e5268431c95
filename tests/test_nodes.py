"""Several web nodes over one PostgreSQL store, each with its own search index replica in its
own data directory: an edit committed on one node is searchable on the other within a
second (the follower wakes on the store's NOTIFY, not on its next poll), a node that was down
catches up when it starts, and `catalogue check` compares a node's replica with the store."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalogue.service import Catalogue
from tests.clirun import run_cli
from tests.conftest import INDEX_WAIT_MS
from tests.recordsamples import make_record

pytestmark = pytest.mark.own_store  # the tests choose their stores themselves

#: The issue's bound: an edit on node A is searchable on node B within this many seconds.
REPLICA_LAG = 1.0
WORDS = ["amethyst", "juniper", "obsidian", "saffron", "tamarisk", "cinnabar", "vermilion", "alabaster"]


@pytest.fixture
def shared(postgres: Any) -> Iterator[str]:
    """A fresh PostgreSQL schema the nodes of a test share."""
    url = postgres.fresh_url()
    yield url
    postgres.drop(url)


def until_indexed(node: Catalogue, seq: int, timeout: float = 30) -> float:
    """Seconds until `node`'s replica holds change `seq`, watched without searching (a
    search would wake the follower itself)."""
    started = time.monotonic()
    while node.index.last_seq() < seq:
        assert time.monotonic() - started < timeout, f"the replica stayed at change {node.index.last_seq()}"
        time.sleep(0.005)
    return time.monotonic() - started


def test_an_edit_on_one_node_is_searchable_on_the_other_within_a_second(tmp_path: Path, shared: str) -> None:
    """Node A writes without an index of its own (its write returns at the commit); node B's
    replica is watched from that moment. Polling each second would put the median lag near
    half a second; woken by NOTIFY, it is the time of one index commit."""
    with Catalogue(tmp_path / "a", database_url=shared, with_index=False) as a, \
            Catalogue(tmp_path / "b", database_url=shared, index_wait_ms=INDEX_WAIT_MS) as b:
        b.open_index()
        lags = []
        for i, word in enumerate(WORDS):
            a.create(make_record(id=f"from-a-{i}", title=f"Caravanserai {word}"))
            lags.append(until_indexed(b, a.last_change()))
            assert [hit.id for hit in b.search(word).hits] == [f"from-a-{i}"]
        record = b.get("from-a-0")
        b.update("from-a-0", dict(record, title="Bathhouse renamed on node b"), base_revision=1)
        assert [hit.id for hit in b.search("bathhouse").hits] == ["from-a-0"]
        assert "from-a-0" not in {hit.id for hit in b.search(WORDS[0]).hits}
    assert max(lags) < REPLICA_LAG and statistics.median(lags) < REPLICA_LAG / 2, lags


def test_a_node_that_was_down_catches_up_when_it_starts(tmp_path: Path, shared: str) -> None:
    with Catalogue(tmp_path / "b", database_url=shared) as b:
        b.open_index()
        b.create(make_record(id="before", title="Mausoleum"))
    with Catalogue(tmp_path / "a", database_url=shared, with_index=False) as a:
        for i in range(3):
            a.create(make_record(id=f"while-down-{i}", title=f"Bridge span{i}"))
        a.delete("before", reason="a duplicate")
        last = a.last_change()
    with Catalogue(tmp_path / "b", database_url=shared) as b:
        assert b.index.last_seq() < last  # the replica on disk is behind ...
        b.open_index()
        until_indexed(b, last)  # ... and catches up on start, without a write or a search here
        assert b.search("bridge").total == 3
        assert b.search("mausoleum").total == 0


def test_check_compares_a_nodes_replica_with_the_store(tmp_path: Path, shared: str) -> None:
    node = tmp_path / "b"
    with Catalogue(node, database_url=shared) as b:
        b.create(make_record(id="one", title="Fortress"))
    with Catalogue(tmp_path / "a", database_url=shared, with_index=False) as a:
        a.create(make_record(id="two", title="Fortress wall"))
        a.create(make_record(id="three", title="Fortress gate"))
    settings = {"DATABASE_URL": shared}
    lagging = run_cli(node, "check", "--no-repair", settings=settings)
    assert lagging.returncode == 1, lagging.stderr
    assert "the index lags 2 changed records behind the store" in lagging.stdout
    repaired = run_cli(node, "check", settings=settings)
    assert repaired.returncode == 0, repaired.stderr
    assert "caught up: 2 records written" in repaired.stdout
    agreed = run_cli(node, "check", "--no-repair", settings=settings)
    assert agreed.returncode == 0 and "index and store agree" in agreed.stdout, agreed.stdout + agreed.stderr
    with Catalogue(node, database_url=shared) as b:
        assert b.search("fortress").total == 3
