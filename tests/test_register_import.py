"""The register-style sample (harvest/examples/register.*, every row invented) imports with one
mapping and no preprocessing, from .csv and .xlsx alike, and loses nothing: every name with
its language and script, every country of a transboundary site, every date."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

from catalogue.formats.csvmap import load_mapping
from catalogue.service import Catalogue
from harvest.examples import make_register
from harvest.tables import read_table
from tests.installed import plain_env, run_catalogue

EXAMPLES = Path(__file__).resolve().parent.parent / "harvest" / "examples"
MAPPING = EXAMPLES / "register-mapping.toml"
NAME_COLUMNS = {"name_en": ("en", "Latn"), "name_fr": ("fr", "Latn"), "name_es": ("es", "Latn"),
                "name_ru": ("ru", "Cyrl"), "name_ar": ("ar", "Arab"), "name_zh": ("zh", "Hans"),
                "name_other": (None, None)}
DATE_COLUMNS = ("date_inscribed", "date_danger", "date_end", "survey_year")


def sites() -> dict[str, list[dict[str, str]]]:
    """The rows of the CSV by site id, in file order."""
    with open(EXAMPLES / "register.csv", encoding="utf-8", newline="") as handle:
        by_site: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in csv.DictReader(handle):
            by_site[f"register-{row['id_no']}"].append(row)
    return by_site


def imported(tmp_path: Path, name: str) -> tuple[Catalogue, object]:
    catalogue = Catalogue(tmp_path / name, with_index=False)
    report = catalogue.import_records(read_table(EXAMPLES / name, load_mapping(MAPPING)), user="test")
    return catalogue, report


@pytest.mark.parametrize("name", ["register.csv", "register.xlsx"])
def test_every_name_country_and_date_of_every_row_is_kept(tmp_path, name):
    catalogue, report = imported(tmp_path, name)
    rows = sites()
    assert (report.created, report.failed) == (len(rows), 0), report.errors
    assert len(rows) == 48 and sum(len(r) for r in rows.values()) == 51  # three sites span two rows
    for record_id, site in rows.items():
        record = catalogue.get(record_id)
        names = sorted((n["value"], n.get("lang"), n.get("script")) for n in record["names"])
        expected = sorted((row[column], *NAME_COLUMNS[column]) for row in site for column in NAME_COLUMNS
                          if row[column])
        assert names == expected, record_id
        place = record["place"]
        countries = [c.strip() for c in site[0]["states_name_en"].split(",")]
        stored = [c["name"] for c in place.get("countries", [])] or [place["country"]]
        assert stored == countries and place["country"] == countries[0]
        dates = sorted(d["date"] for d in record.get("designations", []) + record.get("conditions", [])
                       if "date" in d)
        assert dates == sorted(row[column] for row in site for column in DATE_COLUMNS if row[column]), record_id
        assert record["title"] == site[0]["name_en"]
        assert "<" not in record["description"] and "&amp;" not in record["description"]
        assert record["links"] == [{"url": f"https://heritage-register.example/site/{site[0]['id_no']}",
                                    "label": "Register entry"}]
        danger = site[0]["danger"] == "1"
        assert (record["condition"]["status"] == "at_risk") == danger or site[0]["survey_year"]
        assert any(d.get("status") == "in_danger" for d in record["designations"]) == danger


def test_transboundary_countries_get_their_codes_and_unknown_ones_stay_as_written(tmp_path):
    catalogue, _ = imported(tmp_path, "register.csv")
    three = next(r for r in catalogue.live_records() if len(r["place"].get("countries", [])) == 3)
    assert [c["code"] for c in three["place"]["countries"]] == ["KZ", "KG", "UZ"]
    invented = next(r for r in catalogue.live_records()
                    if any(c.get("name") == "Republic of Example" for c in r["place"].get("countries", [])))
    assert invented["place"]["countries"][0] == {"name": "Republic of Example"}
    assert invented["place"]["countries"][1] == {"code": "PT", "name": "Portugal"}


def test_the_csv_and_the_workbook_give_the_same_records_and_a_second_import_changes_nothing(tmp_path):
    from_csv, _ = imported(tmp_path, "register.csv")
    from_xlsx, report = imported(tmp_path, "register.xlsx")

    def content(catalogue: Catalogue) -> list[str]:
        return [json.dumps({k: v for k, v in r.items() if k not in ("created", "modified")}, sort_keys=True)
                for r in catalogue.live_records()]

    assert content(from_csv) == content(from_xlsx)
    ((where, warning),) = report.warnings
    assert where == f"{EXAMPLES / 'register.xlsx'}:20" and "(0, 0)" in warning
    again = from_xlsx.import_records(read_table(EXAMPLES / "register.xlsx", load_mapping(MAPPING)), user="test")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 48)


def test_the_sample_files_are_what_the_script_writes(tmp_path):
    """register.csv is generated, not edited by hand: the script gives the same rows."""
    make = make_register
    path = tmp_path / "register.csv"
    make.write_csv(path, make.rows())
    assert path.read_text(encoding="utf-8") == (EXAMPLES / "register.csv").read_text(encoding="utf-8")
    assert all(row["note"].startswith("Synthetic row") for row in make.rows())


@pytest.mark.slow  # runs the installed command in a process of its own
def test_the_dry_run_shows_the_records_then_the_warning_then_the_counts_and_creates_nothing(tmp_path):
    data = tmp_path / "never-made"
    env = plain_env(tmp_path, CATALOGUE_DATA=str(data), CATALOGUE_ENV="development")
    done = run_catalogue(env, "import", str(EXAMPLES / "register.xlsx"), "--mapping", str(MAPPING), "--dry-run",
                         cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not data.exists()
    out = done.stdout
    assert out.index("register.xlsx:2: would be created:") < out.index("Fortress of Veloria")
    assert "Крепость Велория (ru, Cyrl, translation)" in out and "قلعة فيلوريا (ar, Arab, translation)" in out
    assert out.rstrip().endswith("48 would be created, 0 would be updated, 0 unchanged, 0 failed")
    assert "register.xlsx:20: warning: the position is (0, 0)" in done.stderr


def test_countries_and_designation_years_feed_search_filters_and_facets(tmp_path):
    catalogue = Catalogue(tmp_path / "data")
    catalogue.import_records(read_table(EXAMPLES / "register.csv", load_mapping(MAPPING)), user="test")
    transboundary = [record_id for record_id, site in sites().items() if "Spain" in site[0]["states_name_en"]]
    found = catalogue.search("", filters={"country": ["ES"]}, page_size=100)
    assert sorted(hit.id for hit in found.hits) == sorted(transboundary) and len(transboundary) > 1
    assert {f.value for f in found.facets["country"]} >= {"ES", "FR"}
    year = sites()["register-100"][0]["date_inscribed"]  # no period: its designations date it
    hits = {hit.id for hit in catalogue.search(f"year:{year}", page_size=100).hits}
    assert "register-100" in hits
    century = catalogue.search("", filters={"century": ["XX"]}, page_size=100)
    assert century.total == sum(1 for s in sites().values() if any(r["date_inscribed"] < "2001" or
                                                                       (r["date_danger"] and r["date_danger"] < "2001")
                                                                       for r in s if r["date_inscribed"]))
    catalogue.close()
