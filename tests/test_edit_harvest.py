"""Harvesting from the web: admins register sources, archivists start runs and read the
run log, and upstream changes to locally edited records wait for review."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

import harvest.pending
import harvest.runs
import harvest.sources
from catalogue.web import get_catalogue
from catalogue.web.admin import HARVESTS
from tests.archivists import csrf_token, form_fields, signed_in
from tests.oai_provider import Provider

#: The store's semantics, on SQLite and on PostgreSQL; nothing here searches: writes skip
#: the search index (see tests/conftest.py).
pytestmark = [pytest.mark.both_stores, pytest.mark.without_index]

FAST = {"connect_timeout": 1, "read_timeout": 0.5, "retries": 1, "backoff": 0.01, "max_backoff": 0.05}


@pytest.fixture
def provider() -> Iterator[Provider]:
    with Provider(page_size=2) as p:
        for n in range(3):
            p.put(f"oai:test:{n}", f"Record {n}", type="Mosque")
        yield p


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    return signed_in(app, "root", "admin")


@pytest.fixture
def archivist(app: Flask) -> FlaskClient:
    return signed_in(app, "alice")


def _add_source(admin: FlaskClient, provider: Provider, **overrides: str) -> int:
    data = {"csrf_token": csrf_token(admin, "/admin/sources"), "name": "test", "url": provider.url,
            "protocol": "oai-pmh", "prefix": "oai_dc", "mapping": '[types]\nMosque = "mosque"\n',
            "settings": json.dumps(FAST), **overrides}
    return admin.post("/admin/sources", data=data).status_code


def _harvest(app: Flask, client: FlaskClient) -> None:
    response = client.post("/admin/sources/test/run", data={"csrf_token": csrf_token(client, "/admin/sources")})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/runs?source=test"
    for thread in app.extensions.get(HARVESTS, []):
        thread.join(timeout=30)


def test_admin_adds_edits_and_removes_a_source(app: Flask, admin: FlaskClient, provider: Provider) -> None:
    assert _add_source(admin, provider) == 303
    page = admin.get("/admin/sources").get_data(as_text=True)
    assert provider.url in page and "never" in page
    assert _add_source(admin, provider) == 422  # the name is taken
    bad = admin.post("/admin/sources", data={"csrf_token": csrf_token(admin, "/admin/sources"), "name": "x y",
                                             "url": "ftp://nowhere", "protocol": "oai-pmh"})
    assert bad.status_code == 422 and "not a source name" in bad.get_data(as_text=True)
    fields = form_fields(admin.get("/admin/sources/test/edit").get_data(as_text=True))
    fields.update(set_spec="mosques", settings="[1]")
    assert admin.post("/admin/sources/test/edit", data=fields).status_code == 422
    fields["settings"] = ""
    assert admin.post("/admin/sources/test/edit", data=fields).status_code == 303
    with app.app_context():
        assert harvest.sources.get_source(get_catalogue(), "test").set_spec == "mosques"
    token = csrf_token(admin, "/admin/sources")
    assert admin.post("/admin/sources/test/remove", data={"csrf_token": token}).status_code == 303
    assert admin.post("/admin/sources/test/remove", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert harvest.sources.list_sources(get_catalogue()) == []


def test_archivist_runs_a_harvest_and_reads_the_log(app: Flask, admin: FlaskClient, archivist: FlaskClient,
                                                    provider: Provider) -> None:
    assert _add_source(admin, provider) == 303
    page = archivist.get("/admin/sources").get_data(as_text=True)
    assert "Harvest now" in page and "Add a source" not in page and "/admin/sources/test/edit" not in page
    _harvest(app, archivist)
    with app.app_context():
        (run,) = harvest.runs.list_runs(get_catalogue(), "test")
    assert run.status == "ok" and run.counts["new"] == 3
    log = archivist.get("/admin/runs?source=test").get_data(as_text=True)
    assert f'id="run-{run.id}"' in log and '<td class="num">3</td>' in log
    assert archivist.get(f"/admin/runs/{run.id}").status_code == 200
    assert archivist.get("/admin/runs/999").status_code == 404


def test_failed_run_shows_its_error(app: Flask, admin: FlaskClient, archivist: FlaskClient,
                                    provider: Provider) -> None:
    assert _add_source(admin, provider) == 303
    provider.fail("500", times=10)
    _harvest(app, archivist)
    with app.app_context():
        (run,) = harvest.runs.list_runs(get_catalogue(), "test")
    assert run.status == "failed"
    page = archivist.get(f"/admin/runs/{run.id}").get_data(as_text=True)
    assert "(the whole run)" in page and "failed" in page


def _local_edit_then_upstream_change(app: Flask, admin: FlaskClient, archivist: FlaskClient,
                                     provider: Provider) -> str:
    assert _add_source(admin, provider) == 303
    _harvest(app, archivist)
    with app.app_context():
        catalogue = get_catalogue()
        record = catalogue.store.find_by_source("test", "oai:test:1")
        catalogue.update(record.id, dict(record.data, title="Local title"), base_revision=record.revision,
                         user="alice", message="local fix")
    provider.put("oai:test:1", "Upstream title", type="Mosque")
    _harvest(app, archivist)
    return record.id


def test_pending_change_is_listed_and_accepted_as_a_revision(app: Flask, admin: FlaskClient,
                                                             archivist: FlaskClient, provider: Provider) -> None:
    record_id = _local_edit_then_upstream_change(app, admin, archivist, provider)
    page = archivist.get("/pending").get_data(as_text=True)
    # the title, changed on both sides, read word by word from here to upstream
    assert ('<del><span class="visually-hidden">removed: </span>Local</del><ins><span class="visually-hidden">'
            'added: </span>Upstream</ins> title') in page
    assert "changed here and upstream" in page
    assert "changed here and upstream" in archivist.get(f"/records/{record_id}/pending").get_data(as_text=True)
    with app.app_context():
        (change,) = harvest.pending.list_pending(get_catalogue())
    token = csrf_token(archivist, "/pending")
    response = archivist.post(f"/pending/{change.id}/accept",
                              data={"csrf_token": token, "next": f"/records/{record_id}/pending"})
    assert response.status_code == 303 and response.headers["Location"] == f"/records/{record_id}/pending"
    with app.app_context():
        last = get_catalogue().history(record_id)[-1]
    assert (last.user, last.data["title"]) == ("alice", "Upstream title")
    assert "Nothing is waiting" in archivist.get("/pending").get_data(as_text=True)
    assert archivist.post(f"/pending/{change.id}/accept", data={"csrf_token": token}).status_code == 409
    assert archivist.post("/pending/999/reject", data={"csrf_token": token}).status_code == 404


def test_rejected_change_keeps_the_local_record(app: Flask, admin: FlaskClient, archivist: FlaskClient,
                                                provider: Provider) -> None:
    record_id = _local_edit_then_upstream_change(app, admin, archivist, provider)
    with app.app_context():
        (change,) = harvest.pending.list_pending(get_catalogue())
    token = csrf_token(archivist, "/pending")
    assert archivist.post(f"/pending/{change.id}/reject", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert get_catalogue().get(record_id)["title"] == "Local title"
        assert harvest.pending.list_pending(get_catalogue(), status="rejected")[0].decided_by == "alice"


def test_pending_change_decided_field_by_field_keeps_the_local_note(app: Flask, admin: FlaskClient,
                                                                    archivist: FlaskClient, provider: Provider) -> None:
    assert _add_source(admin, provider) == 303
    _harvest(app, archivist)
    with app.app_context():
        catalogue = get_catalogue()
        record = catalogue.store.find_by_source("test", "oai:test:1")
        catalogue.update(record.id, dict(record.data, notes="Seen on site in 2024."), base_revision=record.revision,
                         user="alice", message="local note")
    provider.put("oai:test:1", "Record 1, renamed upstream", type="Mosque")
    _harvest(app, archivist)
    with app.app_context():
        (change,) = harvest.pending.list_pending(get_catalogue())
    page = archivist.get(f"/records/{record.id}/pending").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="checkbox" name="field" value="([a-z_]+)"( checked)?>', page))
    assert fields == {"title": " checked", "sources": " checked", "notes": ""}  # the local note is not taken
    assert '<strong>Editorial notes</strong></label>\n          <span class="side">changed here</span>' in page
    token = csrf_token(archivist, "/pending")
    nothing = archivist.post(f"/pending/{change.id}/accept", data={"csrf_token": token, "choose": "1",
                                                                  "next": f"/records/{record.id}/pending"})
    assert nothing.status_code == 422 and "Tick at least one field" in nothing.get_data(as_text=True)
    response = archivist.post(f"/pending/{change.id}/accept", data={
        "csrf_token": token, "choose": "1", "field": ["title", "sources"], "next": f"/records/{record.id}/pending"})
    assert response.status_code == 303
    assert "Upstream change accepted as revision 3." in archivist.get(response.headers["Location"]).get_data(
        as_text=True)
    with app.app_context():
        last = get_catalogue().history(record.id)[-1]
    assert last.data["title"] == "Record 1, renamed upstream" and last.data["notes"] == "Seen on site in 2024."
    assert "took title, sources; kept as edited here: notes" in last.message
