"""A native-format harvest whose upstream id is taken here by a local record: each source says
what to do (``id_collision``: rename, link or refuse), the run log says what was done, and
both records' pages say so. Through the Python API, the CLI and HTTP."""

from __future__ import annotations

import pytest
from lxml import etree

import harvest.pending
import harvest.runs
import harvest.sources
from catalogue.errors import CatalogueError
from catalogue.formats import native
from catalogue.records import prepare
from tests.archivists import csrf_token, form_fields, signed_in
from tests.oai_provider import Provider
from tests.recordsamples import make_record

FAST = {"connect_timeout": 1, "read_timeout": 10, "retries": 1, "backoff": 0.01, "max_backoff": 0.02}
TAKEN = "old-mosque"


@pytest.fixture
def provider():
    """A catalogue of the same software offering a record whose id is taken here, and one whose id is free."""
    with Provider(page_size=5) as p:
        for record_id, title in ((TAKEN, "Old mosque, as upstream has it"), ("free-id", "A free id")):
            record = prepare(make_record(id=record_id, type="mosque", title=title))
            p.put_xml(f"oai:other:{record_id}", etree.tostring(native.record_to_xml(record)).decode())
        yield p


@pytest.fixture
def local(catalogue):
    """The local record holding the id."""
    return catalogue.create(make_record(id=TAKEN, type="mosque", title="Old mosque, described here"),
                            user="ayla", message="entered by hand")


def _harvest(catalogue, provider, **settings):
    harvest.sources.add_source(catalogue, "other", provider.url, prefix=native.PREFIX, settings={**FAST, **settings})
    return harvest.runs.run_harvest(catalogue, "other")


def _log(catalogue, run):
    return {e.identifier: e.reason for e in harvest.runs.run_errors(catalogue, run.id)}


def test_rename_by_default_says_so_in_the_log_and_on_both_records(catalogue, client, provider, local):
    run = _harvest(catalogue, provider)
    assert run.counts["new"] == 2 and run.counts["failed"] == 0
    renamed = catalogue.store.find_by_source("other", f"oai:other:{TAKEN}")
    assert renamed.id == harvest.apply.harvest_id("other", f"oai:other:{TAKEN}") != TAKEN
    assert catalogue.get("free-id")["title"] == "A free id"  # a free id is kept
    assert _log(catalogue, run)[f"oai:other:{TAKEN}"] == (
        f"the upstream id '{TAKEN}' is taken here by another record (id_collision = rename): "
        f"stored as '{renamed.id}'")
    assert catalogue.get(TAKEN)["title"] == "Old mosque, described here"  # untouched
    holder = client.get(f"/records/{TAKEN}").get_data(as_text=True)
    assert "Source <bdi>other</bdi> also has a record with the id of this one" in holder
    assert f'harvested as <a href="/records/{renamed.id}"><code>{renamed.id}</code></a>' in holder
    kept = client.get(f"/records/{renamed.id}").get_data(as_text=True)
    assert (f'At source <bdi>other</bdi> this record has the id <a href="/records/{TAKEN}"><code>{TAKEN}</code></a>'
            in kept)
    assert harvest.runs.run_harvest(catalogue, "other").counts["unchanged"] == 2  # the same record next time


def test_link_makes_the_local_record_stand_for_the_upstream_one(catalogue, client, provider, local):
    run = _harvest(catalogue, provider, id_collision="link")
    assert run.counts["new"] == 1 and run.counts["conflicts"] == 1
    assert "linked to that record" in _log(catalogue, run)[f"oai:other:{TAKEN}"]
    assert catalogue.get(TAKEN)["title"] == "Old mosque, described here"  # the local content stays
    (change,) = harvest.pending.list_pending(catalogue, TAKEN)  # the upstream content waits for review
    assert change.data["title"] == "Old mosque, as upstream has it"
    assert next(r.field for r in harvest.pending.review(catalogue, change.id).fields) == "title"
    page = client.get(f"/records/{TAKEN}").get_data(as_text=True)
    assert "it is linked to this record, and its changes wait for review here" in page
    assert harvest.runs.run_harvest(catalogue, "other").counts["conflicts"] == 0  # linked: not taken again


def test_refuse_stores_nothing_and_logs_why(catalogue, client, provider, local):
    run = _harvest(catalogue, provider, id_collision="refuse")
    assert run.counts["new"] == 1 and run.counts["failed"] == 1
    assert _log(catalogue, run)[f"oai:other:{TAKEN}"] == (
        f"the upstream id '{TAKEN}' is taken here by another record (id_collision = refuse): not harvested")
    assert catalogue.store.find_by_source("other", f"oai:other:{TAKEN}") is None
    assert "it was not harvested (the source refuses such records)" in client.get(f"/records/{TAKEN}").get_data(
        as_text=True)


def test_the_policy_is_checked_and_set_in_cli_and_admin_form(catalogue, runner, app, provider):
    with pytest.raises(CatalogueError, match="must be one of rename, link, refuse"):
        harvest.sources.add_source(catalogue, "bad", provider.url, settings={"id_collision": "merge"})
    added = runner.invoke(args=["source", "add", "cli", provider.url, "--prefix", native.PREFIX,
                                "--setting", "id_collision=refuse", "--setting", "retries=0"])
    assert added.exit_code == 0, added.output
    assert harvest.sources.get_source(catalogue, "cli").settings["id_collision"] == "refuse"
    admin = signed_in(app, "root", "admin")
    page = admin.get("/admin/sources/cli/edit").get_data(as_text=True)
    assert '<option value="refuse" selected>' in page and "id_collision" not in page.split('name="settings"')[1]
    fields = form_fields(page)
    fields.update(id_collision="link", csrf_token=csrf_token(admin, "/admin/sources/cli/edit"))
    assert admin.post("/admin/sources/cli/edit", data=fields).status_code == 303
    settings = harvest.sources.get_source(catalogue, "cli").settings
    assert settings == {"id_collision": "link", "retries": "0"}  # as the command line gave it
