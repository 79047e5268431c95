"""Two `catalogue serve` web nodes (real processes on their own ports, each with its own data
directory and index replica) over one PostgreSQL store, and a harvest worker beside them:
writes and searches on both, an edit on one searchable on the other within a second,
sessions, CSRF tokens, the sign-in throttle and OAI-PMH resumption tokens that work
whichever node answers, one harvest of a source at a time, a node killed with SIGKILL in
the middle of writes losing nothing committed while the other keeps serving, and 4
processes writing through both nodes at once: a stale update refused, never a lost one."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from catalogue.service import Catalogue
from tests.archivists import PASSWORD, form_fields
from tests.clirun import run_cli
from tests.faults.faultkit import serve, start, stop, wait_until
from tests.oai_provider import LOOPBACK, Provider
from tests.recordsamples import make_record

pytestmark = [pytest.mark.own_store, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
#: The issue's bound: an edit on one node is searchable on the other within this many seconds.
REPLICA_LAG = 1.0
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def shared(postgres: Any, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The settings of every node and worker of a test: one fresh PostgreSQL schema (with an
    archivist, a second account and an API token in it), the same secret key (`run_cli`
    gives every process the same one), short OAI-PMH pages and a quick lock-out."""
    url = postgres.fresh_url()
    with Catalogue(tmp_path / "setup", database_url=url, with_index=False) as cat:
        cat.accounts.add("ana", PASSWORD, "archivist")
        cat.accounts.add("bob", PASSWORD, "archivist")
        token = cat.accounts.create_token("script", "archivist")
        for i in range(5):
            cat.create(make_record(id=f"seed-{i}", title=f"Seed record {i}"))
    yield {"DATABASE_URL": url, "OAI_PAGE_SIZE": "2", "LOGIN_LOCKOUT_AFTER": "3", "HARVEST_ALLOW_NETWORKS": LOOPBACK,
           "TOKEN": token}
    postgres.drop(url)


@pytest.fixture
def servers(tmp_path: Path, shared: dict[str, str]) -> Iterator[list[tuple[subprocess.Popen[str], str]]]:
    """Two serving nodes: their processes and base URLs. Each is stopped (or was killed) at the end."""
    started = [serve(tmp_path / f"node-{name}", **settings_of(shared)) for name in "ab"]
    yield started
    for process, _ in started:
        stop(process)  # (a killed one: its pipes are closed)


@pytest.fixture
def nodes(servers: list[tuple[subprocess.Popen[str], str]]) -> list[str]:
    """The base URLs of the two nodes."""
    return [base for _, base in servers]


def settings_of(shared: dict[str, str]) -> dict[str, str]:
    """The settings a node or worker process is given (the API token is the clients')."""
    return {k: v for k, v in shared.items() if k != "TOKEN"}


def bearer(shared: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {shared['TOKEN']}"}


def search_ids(base: str, query: str) -> set[str]:
    response = requests.get(f"{base}/api/search", params={"q": query}, timeout=30)
    assert response.status_code == 200, response.text
    return {hit["id"] for hit in response.json()["hits"]}


def searchable_after(base: str, query: str, record_id: str, timeout: float = 30) -> float:
    """Seconds until `record_id` is a hit of `query` on node `base`."""
    started = time.monotonic()
    assert wait_until(lambda: record_id in search_ids(base, query), timeout, interval=0.01), (base, record_id)
    return time.monotonic() - started


def create(base: str, shared: dict[str, str], record_id: str, title: str) -> requests.Response:
    return requests.post(f"{base}/api/records", json=make_record(id=record_id, title=title), headers=bearer(shared),
                         timeout=30)


def test_two_nodes_share_writes_search_sessions_throttle_and_resumption_tokens(
        nodes: list[str], shared: dict[str, str], tmp_path: Path) -> None:
    a, b = nodes
    for node in nodes:  # both replicas built and searched once (a node's first search loads the index)
        assert wait_until(lambda node=node: len(search_ids(node, "seed")) == 5, 60)
    lags = []
    for i, (writer, reader) in enumerate([(a, b), (b, a), (a, b), (b, a)]):
        word = ["garnet", "quartz", "beryl", "jasper"][i]
        assert create(writer, shared, f"w{i}", f"Watermill {word}").status_code == 201
        lags.append(searchable_after(reader, word, f"w{i}"))
        assert search_ids(writer, word) == {f"w{i}"}  # the writer's own replica has it too
    assert max(lags) < REPLICA_LAG, lags

    # A session and its CSRF token from node a work on node b: same key, state in the store.
    browser = requests.Session()
    token = CSRF.search(browser.get(f"{a}/login", timeout=30).text).group(1)
    signed = browser.post(f"{a}/login", data={"name": "ana", "password": PASSWORD, "csrf_token": token},
                          allow_redirects=False, timeout=30)
    assert signed.status_code == 303, signed.text
    form = form_fields(browser.get(f"{a}/records/w0/edit", timeout=30).text)
    form.update(title="Watermill edited through both nodes", message="from node a's form")
    saved = browser.post(f"{b}/records/w0/edit", data=form, allow_redirects=False, timeout=30)
    assert saved.status_code == 303, saved.text
    record = requests.get(f"{a}/api/records/w0", timeout=30).json()
    assert record["title"] == "Watermill edited through both nodes" and record["revision"] == 2
    old_cookies = browser.cookies.copy()
    token_b = CSRF.search(browser.get(f"{b}/", timeout=30).text).group(1)
    assert browser.post(f"{b}/logout", data={"csrf_token": token_b}, timeout=30).status_code == 200
    replay = requests.get(f"{a}/records/w0/edit", cookies=old_cookies, allow_redirects=False, timeout=30)
    assert replay.status_code in (302, 303) and "/login" in replay.headers["Location"]  # ended on every node

    # The sign-in throttle counts failures on both nodes together.
    for node in (a, b, a):
        client = requests.Session()
        csrf = CSRF.search(client.get(f"{node}/login", timeout=30).text).group(1)
        client.post(f"{node}/login", data={"name": "bob", "password": "wrong", "csrf_token": csrf}, timeout=30)
    client = requests.Session()
    csrf = CSRF.search(client.get(f"{b}/login", timeout=30).text).group(1)
    locked = client.post(f"{b}/login", data={"name": "bob", "password": PASSWORD, "csrf_token": csrf},
                         allow_redirects=False, timeout=30)
    assert locked.status_code == 429, locked.status_code

    # An OAI-PMH list begun on node a goes on on node b.
    first = requests.get(f"{a}/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}, timeout=30)
    resumption = re.search(r"<resumptionToken[^>]*>([^<]+)</resumptionToken>", first.text).group(1)
    seen = re.findall(r"<identifier>([^<]+)</identifier>", first.text)
    while resumption:
        page = requests.get(f"{b}/oai", params={"verb": "ListIdentifiers", "resumptionToken": resumption},
                            timeout=30)
        assert page.status_code == 200 and "<error" not in page.text, page.text
        seen += re.findall(r"<identifier>([^<]+)</identifier>", page.text)
        found = re.search(r"<resumptionToken[^>]*>([^<]*)</resumptionToken>", page.text)
        resumption = found.group(1) if found else ""
        a, b = b, a  # and back again
    assert len(seen) == len(set(seen)) == 9  # 5 seeds and 4 written


def test_one_harvest_worker_at_a_time_and_both_nodes_see_what_it_harvested(
        nodes: list[str], shared: dict[str, str], tmp_path: Path) -> None:
    a, b = nodes
    settings = settings_of(shared)
    worker = tmp_path / "worker"
    with Provider(page_size=2) as provider:
        for n in range(6):
            provider.put(f"oai:museum:{n}", f"Harvested lighthouse {n}", type="lighthouse")
        added = run_cli(worker, "source", "add", "museum", provider.url, settings=settings)
        assert added.returncode == 0, added.stderr
        provider.delay = 0.5  # a run of 4 pages takes seconds
        first = start(worker, "harvest", "museum", "--quiet", **settings)
        with Catalogue(tmp_path / "watch", database_url=shared["DATABASE_URL"], with_index=False) as cat:
            assert wait_until(lambda: cat.harvests.lease("museum") is not None, 30)
        second = run_cli(tmp_path / "worker2", "harvest", "museum", "--quiet", settings=settings)
        assert second.returncode == 75 and "running already" in second.stderr, second.stderr
        _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
    for node in (a, b):
        assert wait_until(lambda node=node: len(search_ids(node, "lighthouse")) == 6, 30), node


WRITER = textwrap.dedent(
    """
    import json, sys, requests
    nodes, token, record_id, name = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    count = int(sys.argv[5])
    auth = {"Authorization": f"Bearer {token}"}
    done, refused, i = [], 0, 0
    while len(done) < count:
        node = nodes[i % 2]
        i += 1
        current = requests.get(f"{node}/api/records/{record_id}", timeout=60).json()
        tag = f"{name}-{len(done)};"
        patch = {"description": current.get("description", "") + tag}
        answer = requests.patch(f"{node}/api/records/{record_id}", json=patch, timeout=60,
                                headers={**auth, "If-Match": f'"{current["revision"]}"'})
        if answer.status_code == 409:
            refused += 1
            continue
        assert answer.status_code == 200, answer.text
        done.append(tag)
    print(json.dumps({"done": done, "refused": refused}))
    """
)


def test_four_processes_writing_through_two_nodes_never_lose_an_update(
        nodes: list[str], shared: dict[str, str]) -> None:
    a, b = nodes
    assert create(a, shared, "contested", "Contested caravanserai").status_code == 201
    seen = requests.get(f"{b}/api/records/contested", timeout=30).json()["revision"]
    stale = f'"{seen}"'
    assert requests.patch(f"{a}/api/records/contested", json={"description": "first;"},
                          headers={**bearer(shared), "If-Match": stale}, timeout=30).status_code == 200
    refused = requests.patch(f"{b}/api/records/contested", json={"description": "stale;"},
                             headers={**bearer(shared), "If-Match": stale}, timeout=30)
    assert refused.status_code == 409 and refused.json()["current_revision"] == 2
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, json.dumps(nodes if n % 2 else nodes[::-1]),
                                 shared["TOKEN"], "contested", f"p{n}", "8"], cwd=ROOT, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for n in range(4)]
    results = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        results.append(json.loads(out))
    acknowledged = [tag for result in results for tag in result["done"]]
    record = requests.get(f"{b}/api/records/contested", timeout=30).json()
    kept = record["description"].split(";")[:-1]
    assert sorted(f"{tag};" for tag in kept) == sorted(["first;", *acknowledged])  # every one, once
    assert record["revision"] == 2 + len(acknowledged)
    history = requests.get(f"{a}/api/records/contested/history", timeout=30).json()
    assert len(history["revisions"]) == record["revision"]


def test_a_node_killed_mid_write_loses_nothing_committed_and_the_other_keeps_serving(
        servers: list[tuple[subprocess.Popen[str], str]], nodes: list[str], shared: dict[str, str],
        tmp_path: Path) -> None:
    a, b = nodes
    processes = {base: process for process, base in servers}
    acknowledged: list[str] = []
    stop_writing = threading.Event()

    def write_to_b() -> None:
        n = 0
        while not stop_writing.is_set():
            try:
                if create(b, shared, f"k{n}", f"Kiln number {n}").status_code == 201:
                    acknowledged.append(f"k{n}")
            except requests.RequestException:
                return  # the node is gone
            n += 1

    writer = threading.Thread(target=write_to_b)
    writer.start()
    assert wait_until(lambda: len(acknowledged) >= 5, 60)
    processes[b].send_signal(signal.SIGKILL)
    writer.join(timeout=60)
    stop_writing.set()
    assert processes[b].wait(timeout=30) == -signal.SIGKILL
    with Catalogue(tmp_path / "check", database_url=shared["DATABASE_URL"], with_index=False) as cat:
        for record_id in acknowledged:
            assert cat.get(record_id)["title"].startswith("Kiln number"), record_id
    for record_id in acknowledged:
        assert requests.get(f"{a}/api/records/{record_id}", timeout=30).status_code == 200
    assert wait_until(lambda: set(acknowledged) <= search_ids(a, "kiln"), 30)
    assert create(a, shared, "after-kill", "Written after the kill").status_code == 201
    # The killed node starts again over its replica and catches up with what it missed.
    again, base = serve(tmp_path / "node-b", **settings_of(shared))
    try:
        assert wait_until(lambda: set(acknowledged) <= search_ids(base, "kiln"), 30)
        assert "after-kill" in search_ids(base, "written")
    finally:
        stop(again)

