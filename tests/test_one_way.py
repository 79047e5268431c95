"""Things the catalogue does one way, whichever door they come through (issue 13): one
check of a record for `validate`, `import` (and its dry run), the form and the API, run
once per write; one loop over the live records for both exports; one JSON shape of a
search result; one public base URL; one OAI identifier; templates that name only real
endpoints; commands that serve nothing build no web app."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask, g, render_template_string
from flask.testing import FlaskCliRunner
from lxml import etree
from werkzeug.routing import BuildError

import catalogue as catalogue_package
import harvest.runs
import harvest.sources
from catalogue import records
from catalogue.access import User
from catalogue.cli import context, main
from catalogue.service import Catalogue
from catalogue.web import get_catalogue
from tests.archivists import form_fields, signed_in
from tests.conftest import ROOT, make_app
from tests.oai_provider import Provider
from tests.recordsamples import make_record

OAI = {"oai": "http://www.openarchives.org/OAI/2.0/"}


def write_jsonl(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def outcome(runner: FlaskCliRunner, *args: str) -> tuple[str, list[str]]:
    """The summary line of a command and its reported problems, each as printed."""
    result = runner.invoke(args=list(args))
    lines = result.output.strip().splitlines()
    return lines[-1], sorted(lines[:-1])


# -- one check of a record ----------------------------------------------------------------


def test_validate_dry_run_and_import_accept_and_refuse_the_same_lines(runner: FlaskCliRunner,
                                                                      tmp_path: Path) -> None:
    """The line of issue 13 (a stale `revision` and `condition`, which the store sets itself)
    is valid for all three; so is a record without an id (made from its title); a bad type
    is refused by all three with the same message."""
    source = write_jsonl(tmp_path / "mixed.jsonl", [
        make_record(id="fork-1", revision=0, condition={"status": "gone"}),
        make_record(title="No id yet"),
        make_record(id="fork-3", created="yesterday"),
        make_record(id="fork-4", type="spaceport"),
    ])
    checked, refused = outcome(runner, "validate", str(source))
    assert checked == "3 valid, 1 invalid"
    assert refused == [f"{source}:4: type: 'spaceport' is not one of ['school', 'library', 'club', 'house_of_culture', "
                       "'museum', 'tomb', 'cemetery', 'mausoleum', 'mosque', 'church', 'monument', "
                       "'archaeological_site', 'site', 'historic_building', 'religious_building', 'fortification', "
                       "'bridge', 'palace', 'garden_or_landscape', 'historic_town', 'industrial_heritage', "
                       "'collection', 'archive', 'other']"]
    dry, dry_refused = outcome(runner, "import", "--dry-run", "--preview", "0", str(source))
    assert dry == "3 would be created, 0 would be updated, 0 unchanged, 1 failed" and dry_refused == refused
    done, done_refused = outcome(runner, "import", str(source))
    assert done == "3 created, 0 updated, 0 unchanged, 1 failed" and done_refused == refused
    assert json.loads(runner.invoke(args=["show", "fork-1", "--json"]).output)["revision"] == 1


def test_a_dry_run_predicts_the_import_of_stored_records(runner: FlaskCliRunner, catalogue: Catalogue,
                                                         tmp_path: Path) -> None:
    """A record stored with its source's provenance, imported again without one, keeps the
    stored provenance: unchanged, in the dry run as in the import. A deleted one is refused
    by both with the same message."""
    provenance = {"origin": "import", "source_name": "museum", "source_identifier": "inv-7"}
    write_jsonl(tmp_path / "first.jsonl", [make_record(id="kept", provenance=provenance), make_record(id="gone")])
    assert runner.invoke(args=["import", str(tmp_path / "first.jsonl")]).exit_code == 0
    catalogue.delete("gone", reason="a duplicate")
    again = write_jsonl(tmp_path / "again.jsonl", [make_record(id="kept"), make_record(id="gone")])
    dry = outcome(runner, "import", "--dry-run", "--preview", "0", str(again))
    done = outcome(runner, "import", str(again))
    assert dry[0] == "0 would be created, 0 would be updated, 1 unchanged, 1 failed"
    assert done[0] == "0 created, 0 updated, 1 unchanged, 1 failed"
    assert dry[1] == done[1] == [f"{again}:2: record 'gone' was deleted: a duplicate"]
    assert catalogue.get("kept")["provenance"] == provenance


@pytest.fixture
def prepares(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call of `records.prepare` (the record check) from now on, by record id."""
    calls: list[str] = []
    original = records.prepare

    def counted(record: Any) -> dict[str, Any]:
        calls.append(record.get("id") if isinstance(record, dict) else "")
        return original(record)

    monkeypatch.setattr(records, "prepare", counted)
    return calls


def _new_record(client: Any, **fields: str) -> dict[str, str]:
    """The new-record form filled in as an archivist would, with `fields` changed."""
    data = form_fields(client.get("/records/new").get_data(as_text=True))
    data.update({"type": "school", "title": "A new school", "sources[0].id": "s1",
                 "sources[0].citation": "A book, 2001.", "message": "new"})
    data.update(fields)
    return data


def test_each_write_checks_its_record_once(demo_app: Flask, prepares: list[str], tmp_path: Path) -> None:
    """The record form (new and edit), the write API and an import each check a record once
    per write, however many doors it passed."""
    editor = signed_in(demo_app, "ana")
    new = editor.post("/records/new", data=_new_record(editor, message="from a book"))
    assert new.status_code == 303 and len(prepares) == 1, prepares
    prepares.clear()
    fields = form_fields(editor.get("/records/khojaly-schools/edit").get_data(as_text=True))
    fields.update(title="Schools of Khojaly (checked)", message="a clearer title")
    assert editor.post("/records/khojaly-schools/edit", data=fields).status_code == 303
    assert prepares == ["khojaly-schools"]
    prepares.clear()
    token = demo_app.test_cli_runner().invoke(args=["token", "create", "script"]).output.strip().splitlines()[-1]
    created = demo_app.test_client().post("/api/records", json=make_record(id="by-api"),
                                          headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201 and prepares == ["by-api"]
    prepares.clear()
    lines = write_jsonl(tmp_path / "two.jsonl", [make_record(id="imp-1"), make_record(id="imp-2")])
    assert demo_app.test_cli_runner().invoke(args=["import", str(lines)]).exit_code == 0
    assert prepares == ["imp-1", "imp-2"]


def test_a_harvest_checks_each_record_once(catalogue: Catalogue, prepares: list[str]) -> None:
    """Harvested records are checked once each, also when they come back changed: the
    harvester stores the record the service checked (it used to be checked a second time
    by the write)."""
    with Provider(page_size=2) as provider:
        provider.put("oai:one:1", "Old mosque", type="mosque")
        provider.put("oai:one:2", "Hill cemetery", type="cemetery")
        harvest.sources.add_source(catalogue, "one", provider.url, settings={"retries": 0})
        assert harvest.runs.run_harvest(catalogue, "one").counts["new"] == 2
        assert len(prepares) == 2 and len(set(prepares)) == 2, prepares
        prepares.clear()
        provider.put("oai:one:1", "Old mosque (restored)", type="mosque")
        run = harvest.runs.run_harvest(catalogue, "one", full=True)
    assert run.counts["updated"] == 1 and run.counts["unchanged"] == 1
    assert len(prepares) == 2, prepares  # both compared with what was harvested, one stored


def test_a_form_without_edit_message_shows_every_problem_and_saves_nothing(demo_app: Flask,
                                                                         prepares: list[str]) -> None:
    editor = signed_in(demo_app, "ana")
    page = editor.post("/records/new", data=_new_record(editor, message="", **{"sources[0].citation": ""}))
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and len(prepares) == 1
    assert "edit message is required" in text
    assert "Write the citation of this source" in text.split("edit message is required")[0]
    with demo_app.app_context():
        assert get_catalogue().counts()["records"] == 8


# -- one loop over the live records ----------------------------------------------------------


def test_both_exports_stream_the_same_public_records(runner: FlaskCliRunner, catalogue: Catalogue,
                                                     app: Flask) -> None:
    for number, kind in enumerate(("school", "museum", "school", "school")):
        catalogue.create(make_record(id=f"exp-{number}", type=kind))
    catalogue.delete("exp-1", reason="a duplicate")
    catalogue.withhold("exp-2", 1, reason="an address of a living person")
    web = app.test_client().get("/export/records.jsonl").get_data(as_text=True)
    cli = runner.invoke(args=["export"]).output
    assert cli == web
    assert [json.loads(line)["id"] for line in cli.splitlines()] == ["exp-0", "exp-3"]
    schools = app.test_client().get("/export/records.jsonl?type=museum").get_data(as_text=True)
    assert schools == ""  # the only museum was deleted


# -- one JSON shape of a search result, one base URL --------------------------------------------


def test_search_json_is_the_same_from_the_api_and_the_command_line(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", BASE_URL="https://heritage.example.org/")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init", "--demo"]).exit_code == 0
    api = app.test_client().get("/api/search?q=khojaly").get_json()
    cli = json.loads(runner.invoke(args=["search", "khojaly", "--json"]).output)
    assert cli == api and api["total"] > 1
    assert api["hits"][0]["url"] == f"https://heritage.example.org/records/{api['hits'][0]['id']}"


@pytest.mark.parametrize("configured, base", [("https://heritage.example.org/", "https://heritage.example.org"),
                                              ("", "http://localhost")])
def test_every_page_builds_links_on_one_base_url(tmp_path: Path, configured: str, base: str) -> None:
    """The API's hit URLs, a record's citation and JSON link, OAI-PMH's baseURL and the
    link in a record's Dublin Core."""
    app = make_app(tmp_path / "data", BASE_URL=configured)
    with app.app_context():
        get_catalogue().create(make_record(id="linked"))
    client = app.test_client()
    assert client.get("/api/search?q=school").get_json()["hits"][0]["url"] == f"{base}/records/linked"
    assert f"{base}/records/linked?revision=1" in client.get("/records/linked").get_data(as_text=True)
    assert client.get("/records/linked.json").headers["Link"].startswith(f"<{base}/records/linked>")
    identify = etree.fromstring(client.get("/oai?verb=Identify").data)
    assert identify.findtext(".//oai:baseURL", namespaces=OAI) == f"{base}/oai"
    identifier = f"oai:{app.config['REPOSITORY_ID']}:linked"
    dc = etree.fromstring(client.get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier={identifier}").data)
    assert f"{base}/records/linked" in [e.text for e in dc.iterfind(".//{http://purl.org/dc/elements/1.1/}identifier")]


# -- one OAI identifier ----------------------------------------------------------------------


def test_the_record_page_links_the_identifier_oai_pmh_answers_with(app: Flask) -> None:
    with app.app_context():
        get_catalogue().create(make_record(id="harvestable"))
    client = app.test_client()
    page = client.get("/records/harvestable").get_data(as_text=True)
    link = re.search(r'href="([^"]*/oai\?verb=GetRecord[^"]*)"', page).group(1).replace("&amp;", "&")
    identifier = parse_qs(urlsplit(link).query)["identifier"][0]
    answer = etree.fromstring(client.get(link.removeprefix("http://localhost")).data)
    assert answer.findtext(".//oai:header/oai:identifier", namespaces=OAI) == identifier
    listed = etree.fromstring(client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").data)
    assert identifier in [e.text for e in listed.iterfind(".//oai:header/oai:identifier", OAI)]


# -- templates and wiring ------------------------------------------------------------------


def test_every_endpoint_a_template_names_exists(app: Flask) -> None:
    templates = ROOT / "catalogue" / "web" / "templates"
    named = {name for path in templates.rglob("*.html")
             for name in re.findall(r"url_for\('([\w.]+)'", path.read_text(encoding="utf-8"))}
    assert len(named) > 20
    assert named - set(app.view_functions) == set()


def test_a_misspelt_endpoint_is_an_error_not_a_missing_link(app: Flask) -> None:
    """The page header with one endpoint misspelt fails to render (a 500 in tests and
    logs), instead of quietly showing no "New record" link."""
    header = (ROOT / "catalogue" / "web" / "templates" / "base.html").read_text(encoding="utf-8")
    assert "url_for('edit.new_record')" in header
    with app.test_request_context("/"):
        g.user = User("ana", "archivist")
        assert 'href="/records/new"' in render_template_string(header)
        with pytest.raises(BuildError):
            render_template_string(header.replace("'edit.new_record'", "'edit.new_recrod'"))


def test_commands_that_serve_nothing_build_no_web_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a command built the web app")

    monkeypatch.setattr(catalogue_package, "create_app", refuse)
    lines = write_jsonl(tmp_path / "in.jsonl", [make_record(id="cli-only")])
    runner = CliRunner(env={"CATALOGUE_DATA": str(tmp_path / "data"), "CATALOGUE_ENV": "production",
                            "CATALOGUE_SECRET_KEY": None})
    for args in (["import", str(lines)], ["show", "cli-only"], ["stats"], ["export"], ["user", "list"],
                 ["search", "school"], ["backup", str(tmp_path / "copy.sqlite3")]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
    serve = runner.invoke(main, ["serve", "--port", "0"])
    assert serve.exit_code == 1 and "a command built the web app" in str(serve.exception)


def test_the_command_line_reads_the_instance_folder_of_the_web_app(app: Flask) -> None:
    assert context.instance_folder() == app.instance_path


def test_importing_the_catalogue_loads_no_flask() -> None:
    code = ("import sys, catalogue, catalogue.service, catalogue.records; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_babel', 'flask_wtf')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
