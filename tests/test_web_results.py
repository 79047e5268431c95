"""What a researcher takes away from a search: downloads named after it, a GeoJSON link only
when there is something to map, and statistics of exactly its results, saying when a list
is cut short."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue.service import Catalogue
from catalogue.web import get_catalogue
from catalogue.web import stats as stats_view
from catalogue.web.export import download_name
from catalogue.web.search import SearchArgs
from tests.conftest import make_app
from tests.recordsamples import make_record

POINT = {"type": "Point", "coordinates": [46.79, 39.91]}


def _text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]*>", " ", page)).split())


def _disposition(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    response.close()
    return response.headers["Content-Disposition"]


def test_downloads_are_named_after_the_search(demo_app: Flask) -> None:
    client = demo_app.test_client()
    today = datetime.now(UTC).date().isoformat()
    assert _disposition(client, "/export/records.csv?type=tomb&status=destroyed") == \
        f'attachment; filename="catalogue-tomb-destroyed-{today}.csv"'
    assert _disposition(client, "/export/records.jsonl?q=Xocalı+qəbiristanlığı&century=XIV") == \
        f'attachment; filename="catalogue-xocali-qebiristanligi-xiv-{today}.jsonl"'
    assert _disposition(client, "/export/records.geojson") == f'attachment; filename="catalogue-{today}.geojson"'
    hostile = _disposition(client, '/export/records.csv?q=..%2F..%2Fetc%2Fpasswd%22%3B+x%3D%0D%0A' + "a" * 300)
    assert re.fullmatch(r'attachment; filename="catalogue-etc-passwd-x-a+-\d{4}-\d{2}-\d{2}\.csv"', hostile)
    assert len(hostile) < 120


def test_download_name_keeps_filters_in_the_search_page_order() -> None:
    args = SearchArgs(q="  ", filters={"place": ["Şuşa"], "type": ["mosque", "tomb"], "source": ["AzerNEWS"]})
    assert download_name(args, "csv", date(2026, 11, 30)) == "catalogue-mosque-tomb-susa-azernews-2026-11-30.csv"


def _hits_page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_geojson_link_only_when_the_results_have_geometry(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", PAGE_SIZE=2)
    client = app.test_client()
    with app.app_context():
        catalogue = get_catalogue()
        for n in range(3):
            catalogue.create(make_record(id=f"plain-{n}", title=f"Plain school {n}", place={"name": f"Town {n}"}))
        catalogue.create(make_record(id="mapped", title="Zangilan school",
                                     place={"name": "Zangilan", "geometry": POINT}))
    plain = _hits_page(client, "/search?q=plain")
    assert "/export/records.csv?q=plain" in plain and "/export/records.geojson" not in plain  # 3 hits, 2 pages
    mapped = _hits_page(client, "/search?q=zangilan")
    assert "/export/records.geojson?q=zangilan" in mapped
    # the mapped record sorts last: page 1 shows none with a geometry, its place tells
    everything = _hits_page(client, "/search?q=school&sort=title")
    assert "Zangilan school" not in everything and "/export/records.geojson?q=school" in everything
    assert "/export/records.geojson" not in _hits_page(client, "/search?q=school&place=Town+1&place=Town+2")
    app.extensions["catalogue"].close()


def _chart_rows(page: str, title: str) -> list[tuple[str, int]]:
    """(label, count) rows of the chart titled `title`."""
    section = page.split(f">{title}</h2>", 1)[1].split("</section>", 1)[0]
    return [(_text(label), int(count)) for label, count in
            re.findall(r'<th scope="row"><a href="[^"]*">(.*?)</a></th>\s*<td class="num">(\d+)</td>', section)]


def test_stats_follow_the_search(demo_app: Flask, catalogue: Catalogue) -> None:
    catalogue.create(make_record(id="tomb-a", type="tomb", title="Tomb of Panah", quantity=3,
                                 quantity_sources=["s1"], place={"name": "Shusha"},
                                 period={"start": -117, "end": -107}))
    client = demo_app.test_client()
    search = client.get("/search?q=tomb&status=destroyed").get_data(as_text=True)
    assert 'href="/stats?q=tomb&amp;status=destroyed"' in search
    page = client.get("/stats?q=tomb&status=destroyed").get_data(as_text=True)
    text = _text(page)
    assert "Results of a search Query tomb Condition Destroyed" in text
    assert "2 records · group records count 3 items" in text
    assert _chart_rows(page, "Records by type") == [("Tomb", 2)]
    assert _chart_rows(page, "Items stated by group records, by type") == [("Tomb", 3)]
    assert _chart_rows(page, "Records by place") == [("Khojaly", 1), ("Shusha", 1)]
    assert ("2nd century BCE", 1) in _chart_rows(page, "Records by century")
    assert 'href="/search?q=tomb&amp;status=destroyed&amp;place=Shusha"' in page
    assert 'href="/search?q=tomb&amp;status=destroyed"' in page  # back to the results
    whole = _text(client.get("/stats").get_data(as_text=True))
    assert "9 records · group records count 71 items" in whole and "Results of a search" not in whole


def test_stats_of_a_search_match_the_collection_when_it_selects_everything(demo_app: Flask) -> None:
    client = demo_app.test_client()
    whole = client.get("/stats").get_data(as_text=True)
    everything = client.get("/stats?status=destroyed").get_data(as_text=True)  # every demo record
    for title in ("Records by type", "Items stated by group records, by type", "Records by current condition",
                  "Records by century", "Records by place"):
        assert sorted(_chart_rows(whole, title)) == sorted(_chart_rows(everything, title)), title
    assert "7 records have no period." in _text(whole) and "7 records have no period." in _text(everything)


def test_stats_say_when_the_place_list_is_cut(app: Flask, catalogue: Catalogue) -> None:
    for n in range(25):
        catalogue.create(make_record(id=f"school-{n}", title=f"School {n}", place={"name": f"Village {n:02}"}))
    client = app.test_client()
    for url in ("/stats", "/stats?q=school", "/stats?lang=az"):
        page = client.get(url).get_data(as_text=True)
        assert len(_chart_rows(page, {"/stats?lang=az": "Yerə görə qeydlər"}.get(url, "Records by place"))) == 20
        assert ("25 yerdən ən çox qeydi olan 20 yer göstərilir." if "az" in url
                else "Showing the top 20 of 25 places.") in _text(page), url
    few = client.get("/stats?q=school&place=Village+01").get_data(as_text=True)
    assert "Showing the top" not in few


def test_stats_of_a_large_search_say_what_they_do_not_count(demo_app: Flask,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stats_view, "SCAN_LIMIT", 2)
    page = demo_app.test_client().get("/stats?q=khojaly").get_data(as_text=True)
    text = _text(page)
    assert "8 records" in text and "group records count" not in text
    assert "Items stated by group records and records with no period are counted for searches of up to 2 " \
           "records." in text
    assert "Items stated by group records, by type" not in text


def test_stats_refuse_bad_search_arguments_with_a_message(demo_app: Flask) -> None:
    response = demo_app.test_client().get("/stats?sort=nonsense&lang=az")
    assert response.status_code == 400
    assert "Naməlum sıralama" in _text(response.get_data(as_text=True))


def test_geojson_link_when_the_results_have_more_places_than_listed(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", PAGE_SIZE=2)
    client = app.test_client()
    with app.app_context():
        catalogue = get_catalogue()
        for n in range(51):
            catalogue.create(make_record(id=f"plain-{n}", title=f"Plain school {n}", place={"name": f"Town {n}"}))
    assert "/export/records.geojson" not in _hits_page(client, "/search?q=plain")  # nothing is mapped at all
    with app.app_context():
        get_catalogue().create(make_record(id="mapped", title="Mapped museum", type="museum",
                                           place={"name": "Zangilan", "geometry": POINT}))
    # the index counts the results that have a geometry exactly (issue 16): none of 51 places
    # of plain schools, though there are more places than the facet lists, and one of every record
    assert "/export/records.geojson" not in _hits_page(client, "/search?q=plain")
    assert "/export/records.geojson?q=museum" in _hits_page(client, "/search?q=museum")
    assert "/export/records.geojson" in _hits_page(client, "/search")
    assert "/export/records.geojson" not in _hits_page(client, "/search?q=plain&place=Town+1&place=Town+2")
    app.extensions["catalogue"].close()
