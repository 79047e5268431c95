"""Bulk exports (JSON Lines, CSV, GeoJSON) over HTTP and the CLI: filters, columns,
streaming, and a JSONL export that re-imports into an empty catalogue unchanged."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue.formats.exports import CSV_COLUMNS, FORMATS, JOIN
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
    assert re.search(r'filename="catalogue-\d{4}-\d{2}-\d{2}\.jsonl"', response.headers["Content-Disposition"])


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


@pytest.fixture
def varied(catalogue: Catalogue) -> Catalogue:
    """Records told apart by century, place and source (publisher, else citation)."""
    catalogue.import_records([
        ("1", make_record(id="k-school", title="Khojaly school", place={"name": "Xocalı"},
                          period={"start": 1950, "end": 1960},
                          sources=[{"id": "s1", "citation": "Report A.", "publisher": "Ministry"}])),
        ("2", make_record(id="k-mosque", type="mosque", title="Khojaly mosque",
                          place={"name": "Xocalı", "geometry": POINT},
                          period={"start": 1350, "end": 1450},
                          sources=[{"id": "s1", "citation": "Survey B.", "publisher": "Academy"}])),
        ("3", make_record(id="s-school", title="Shusha school", place={"name": "Şuşa", "geometry": POINT},
                          period={"start": 1890, "end": 1910})),
    ])
    return catalogue


def exported_ids(client: FlaskClient, fmt: str, query: str) -> list[str]:
    response = client.get(f"/export/records.{fmt}?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    if fmt == "jsonl":
        return sorted(json.loads(line)["id"] for line in text.splitlines())
    if fmt == "csv":
        return sorted(row["id"] for row in csv.DictReader(io.StringIO(text)))
    return sorted(feature["id"] for feature in json.loads(text)["features"])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("query", "expected"), [
    ("century=XX", ["k-school", "s-school"]),
    ("century=14", ["k-mosque"]),  # any spelling the search takes
    ("century=XIX&century=XV", ["k-mosque", "s-school"]),
    ("place=Xocalı", ["k-mosque", "k-school"]),
    ("place=Şuşa", ["s-school"]),
    ("source=Academy", ["k-mosque"]),
    ("source=Test+source%2C+2025.", ["s-school"]),
    ("type=school&century=XX&place=Xocalı", ["k-school"]),
    ("q=school&place=Xocalı", ["k-school"]),
    ("q=khojaly&century=XV", ["k-mosque"]),
    ("q=khojaly&source=Ministry&sort=title", ["k-school"]),
])
def test_every_search_filter_narrows_every_format(varied: Catalogue, client: FlaskClient, fmt: str, query: str,
                                                   expected: list[str]) -> None:
    from urllib.parse import parse_qs

    args = parse_qs(query)
    q = args.pop("q", [""])[0]
    args.pop("sort", None)
    searched = varied.search(q, filters=args, page_size=100)
    assert sorted(hit.id for hit in searched.hits) == expected  # what the search page shows
    with_geometry = {"k-mosque", "s-school"}
    assert exported_ids(client, fmt, query) == [i for i in expected if fmt != "geojson" or i in with_geometry]


def test_an_export_keeps_the_search_order(varied: Catalogue, client: FlaskClient) -> None:
    titles = [r["title"] for r in lines(client, "/export/records.jsonl?place=Xocalı&sort=title")]
    assert titles == ["Khojaly mosque", "Khojaly school"]


@pytest.mark.parametrize("query", ["century=abc", "century=XL", "sort=colour",
                                   "&".join(f"place=p{n}" for n in range(21))])
def test_bad_search_filters_are_a_clear_400(varied: Catalogue, client: FlaskClient, query: str) -> None:
    response = client.get(f"/export/records.jsonl?{query}")
    assert response.status_code == 400 and response.mimetype == "text/plain"
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
