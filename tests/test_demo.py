"""The demo collection: valid, honest to its source, and with the seed's figures."""

from __future__ import annotations

import json

from flask.testing import FlaskCliRunner

from catalogue import records
from catalogue.cli.records import demo_path
from tests.conftest import shared_path

SEED_FIGURES = {"school": 14, "club": 21, "library": 29, "house_of_culture": 3, "museum": 1}


def demo_records() -> list[dict]:
    return [json.loads(line) for line in demo_path().read_text(encoding="utf-8").splitlines()]


def test_every_demo_record_validates() -> None:
    for record in demo_records():
        assert records.validate(records.prepare(record)) == []


def test_group_records_carry_the_seed_figures_with_citation(demo_app) -> None:
    runner: FlaskCliRunner = demo_app.test_cli_runner()
    exported = [json.loads(line) for line in runner.invoke(args=["export", "--format", "jsonl"]).output.splitlines()]
    by_type = {r["type"]: r for r in exported}
    for type_, quantity in SEED_FIGURES.items():
        record = by_type[type_]
        assert record["quantity"] == quantity
        [source] = record["sources"]
        assert source["publisher"] == "AzerNEWS" and source["author"] == "Mazahir Afandiyev"
        assert source["date"] == "2025-02-26"
        assert record["quantity_sources"] == [source["id"]]
        assert record["condition"]["status"] == "destroyed"
        assert all(c["sources"] == [source["id"]] for c in record["conditions"])


def test_medieval_tombs_period_and_cemeteries() -> None:
    by_type = {r["type"]: r for r in demo_records()}
    assert by_type["tomb"]["period"]["start"] == 1301 and by_type["tomb"]["period"]["end"] == 1500
    assert "XIV" in by_type["tomb"]["title"] and "quantity" not in by_type["tomb"]
    assert by_type["cemetery"]["conditions"][0]["status"] == "destroyed"


def test_demo_invents_no_coordinates_or_dates() -> None:
    for record in demo_records():
        assert "geometry" not in record["place"]
        assert all("date" not in c for c in record["conditions"])
        names = {n["value"] for n in record["place"]["names"]}
        assert names == {"Khojaly", "Xocalı"}
        assert "left empty" in record["notes"]


def test_demo_copies_no_sentence_of_the_seed() -> None:
    seed = shared_path("seed", "000_29f152ea19aaed47.txt")
    text = seed.read_text(encoding="utf-8")
    sentences = [s.strip() for s in text.replace("\n", " ").split(".") if len(s.split()) >= 6]
    demo = demo_path().read_text(encoding="utf-8")
    assert not [s for s in sentences if s in demo]
