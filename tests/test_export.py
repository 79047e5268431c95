"""Bulk exports (JSON Lines, CSV, GeoJSON) over HTTP and the CLI: filters, columns,
streaming, and a JSONL export that re-imports into an empty catalogue unchanged."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue.exports import CSV_COLUMNS, FORMATS, JOIN
from catalogue.service import Catalogue
from tests.conftest import make_app
from tests.recordsamples import make_record

POINT = {"type": "Point", "coordinates": [46.79, 39.91]}


@pytest.fixture
def filled(catalogue: Catalogue) -> Catalogue:
    catalogue.import_records([
        ("1", make_record(id="a-school", title="Old school", place={"name": "Xocalı", "geometry": POINT},
                          names=[{"value": "Köhnə məktəb", "lang": "az"}, {"value": "Old school", "lang": "en"}],
                          subjects=["education", "=cmd()"])),
        ("2", make_record(id="b-mosque", type="mosque", title="Mosque",
                          conditions=[{"status": "damaged", "date": "2001", "sources": ["s1"]}])),
        ("3", make_record(id="c-library", type="library", title="Library of books")),
        ("4", make_record(id="d-gone", title="Gone school")),
    ])
    catalogue.delete("d-gone", reason="duplicate")
    return catalogue


def lines(client: FlaskClient, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200
    assert response.is_streamed
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def test_jsonl_exports_live_records_in_full(filled: Catalogue, client: FlaskClient) -> None:
    records = lines(client, "/export/records.jsonl")
    assert [r["id"] for r in records] == ["a-school", "b-mosque", "c-library"]
    assert records[0] == filled.get("a-school")
    response = client.get("/export/records.jsonl")
    assert response.content_type == "application/x-ndjson; charset=utf-8"
    assert 'filename="records.jsonl"' in response.headers["Content-Disposition"]


@pytest.mark.parametrize(("query", "expected"), [
    ("type=school", ["a-school"]),
    ("type=school&type=mosque", ["a-school", "b-mosque"]),
    ("status=damaged", ["b-mosque"]),
    ("type=library&status=damaged", []),
    ("q=library", ["c-library"]),
    ("q=school&type=mosque", []),
    ("q=school", ["a-school"]),  # the deleted "Gone school" is not exported
])
def test_filters_like_search(filled: Catalogue, client: FlaskClient, query: str, expected: list[str]) -> None:
    assert sorted(r["id"] for r in lines(client, f"/export/records.jsonl?{query}")) == expected


@pytest.mark.parametrize("query", ["type=castle", "status=fine", "q=" + "x" * 1001])
def test_bad_filters_are_a_clear_400(filled: Catalogue, client: FlaskClient, query: str) -> None:
    response = client.get(f"/export/records.csv?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).strip()


def test_unknown_format_is_404(client: FlaskClient) -> None:
    assert client.get("/export/records.xlsx").status_code == 404


def test_csv_one_row_per_record_with_joined_values(filled: Catalogue, client: FlaskClient) -> None:
    response = client.get("/export/records.csv")
    assert response.content_type == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["id"] for r in rows] == ["a-school", "b-mosque", "c-library"]
    school = rows[0]
    assert school["names"] == f"Köhnə məktəb [az]{JOIN}Old school [en]"
    assert school["subjects"] == f"education{JOIN}=cmd()"  # inside a cell: harmless
    assert (school["longitude"], school["latitude"]) == ("46.79", "39.91")
    assert school["status"] == "destroyed" and school["conditions"] == "destroyed (1992)"
    assert rows[1]["status"] == "damaged"
    assert school["revision"] == "1" and school["sources"] == "Test source, 2025."


def test_csv_defuses_spreadsheet_formulas(catalogue: Catalogue, client: FlaskClient) -> None:
    catalogue.create(make_record(id="f", title="=HYPERLINK(\"http://x\")", description="+1", notes="@SUM(A1)"))
    row = next(csv.DictReader(io.StringIO(client.get("/export/records.csv").get_data(as_text=True))))
    assert row["title"] == "'=HYPERLINK(\"http://x\")"
    assert row["description"] == "'+1" and row["notes"] == "'@SUM(A1)"


def test_geojson_holds_records_with_geometry(filled: Catalogue, client: FlaskClient) -> None:
    response = client.get("/export/records.geojson")
    assert response.content_type == "application/geo+json; charset=utf-8"
    collection = json.loads(response.get_data(as_text=True))
    assert collection["type"] == "FeatureCollection"
    assert [f["id"] for f in collection["features"]] == ["a-school"]
    feature = collection["features"][0]
    assert feature["geometry"] == POINT
    assert feature["properties"]["title"] == "Old school" and feature["properties"]["status"] == "destroyed"
    empty = json.loads(client.get("/export/records.geojson?type=mosque").get_data(as_text=True))
    assert empty == {"type": "FeatureCollection", "features": []}


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_export_every_format(filled: Catalogue, app: Flask, client: FlaskClient, tmp_path: Path,
                                 fmt: str) -> None:
    target = tmp_path / f"out.{fmt}"
    result = app.test_cli_runner().invoke(args=["export", "--format", fmt, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes().decode("utf-8") == client.get(f"/export/records.{fmt}").get_data(as_text=True)


def test_cli_refuses_unknown_format(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["export", "--format", "xml"])
    assert result.exit_code != 0 and "xml" in result.output


def test_jsonl_export_reimports_into_an_empty_catalogue(demo_app: Flask, tmp_path: Path) -> None:
    exported = demo_app.test_client().get("/export/records.jsonl").get_data(as_text=True)
    dump = tmp_path / "dump.jsonl"
    dump.write_text(exported, encoding="utf-8")
    fresh = make_app(tmp_path / "fresh")
    result = fresh.test_cli_runner().invoke(args=["import", str(dump)])
    assert result.exit_code == 0, result.output
    again = fresh.test_client().get("/export/records.jsonl").get_data(as_text=True)

    def content(text: str) -> list[dict]:  # the new catalogue stamps its own times and revisions
        drop = ("created", "modified", "revision")
        return [{k: v for k, v in json.loads(line).items() if k not in drop} for line in text.splitlines()]

    assert content(again) == content(exported)
    assert len(content(exported)) == 8
    fresh.extensions["catalogue"].close()
