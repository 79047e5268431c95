"""Values as people read them, in the UI language: dates (the stored value kept in
``<time datetime>``), counts with their plural forms, years before the common era, name
kinds, languages, scripts, roles and origins; headings that are one sentence; error pages
worded in the UI language."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

from flask import Flask
from flask.testing import FlaskClient

from catalogue.centuries import year_span
from catalogue.service import Catalogue
from tests.archivists import signed_in
from tests.recordsamples import make_record


def _text(page: str, tag: str = " ") -> str:
    """The page as text: scripts dropped, tags replaced by `tag` (inline markup reads best
    with ""), spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]*>", tag, page)).split())


def _page(client: FlaskClient, path: str, lang: str) -> str:
    response = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _ancient(catalogue: Catalogue) -> dict:
    return catalogue.create(make_record(
        id="kurgan", type="archaeological_site", title="Kurgan", quantity=1, quantity_sources=["s1"],
        period={"label": "Late Bronze Age", "start": -117, "end": -107},
        names=[{"value": "Kurgan", "lang": "en", "script": "Latn", "kind": "common"},
               {"value": "Курган", "lang": "ru", "script": "Cyrl", "kind": "transliteration"}],
        conditions=[{"status": "damaged", "date": "1992-02", "sources": ["s1"]},
                    {"status": "destroyed", "date": "2020-10-04?", "sources": ["s1"]}],
    ), user="ayla")


def test_years_before_the_common_era_are_written_as_such() -> None:
    assert year_span(-117, -107) == "117–107 BCE"
    assert year_span(-200, 100) == "200 BCE – 100 CE"
    assert year_span(1301, 1500) == "1301–1500"
    assert year_span(None, 1400) == "…–1400"
    assert year_span(-44, -44) == "44 BCE"
    assert year_span(None, None) == ""


def test_record_page_words_periods_counts_dates_and_names(client: FlaskClient, catalogue: Catalogue) -> None:
    record = _ancient(catalogue)
    english = _page(client, "/records/kurgan", "en")
    text = _text(english)
    assert "(117–107 BCE)" in text and "-117" not in text
    assert "1 archaeological site" in text and "1 archaeological sites" not in text
    assert "February 1992" in text and "October 4, 2020 (uncertain)" in text
    assert "English · Latin · Common" in text and "Russian · Cyrillic · Transliteration" in text
    assert f'<time datetime="{record["created"]}">' in english and record["created"] not in text
    assert "Created " + record["created"][:4] not in text  # the stored value is not what people read
    azerbaijani = _text(_page(client, "/records/kurgan", "az"))
    assert "(e.ə. 117–107)" in azerbaijani and "1 arxeoloji abidə" in azerbaijani
    assert "fevral 1992" in azerbaijani and "4 oktyabr 2020 (dəqiq deyil)" in azerbaijani
    assert "ingilis · latın · Geniş yayılmış" in azerbaijani and "rus · kiril · Transliterasiya" in azerbaijani


def test_dates_read_in_the_ui_language_keep_the_machine_value(client: FlaskClient, catalogue: Catalogue) -> None:
    record = _ancient(catalogue)
    day = record["modified"][:10]
    for lang in ("en", "az"):
        page = _page(client, "/records/kurgan/history", lang)
        stamp = re.search(rf'<time datetime="({re.escape(record["modified"])})">([^<]+)</time>', page)
        assert stamp and day not in stamp.group(2) and "UTC" in stamp.group(2), lang
    assert re.search(r"<time datetime=\"[^\"]+\">\d{1,2} [a-zəıöüçşğ]{3} \d{4}</time>",
                     _page(client, "/", "az"))


def test_counts_use_plural_forms(client: FlaskClient, catalogue: Catalogue) -> None:
    _ancient(catalogue)
    catalogue.create(make_record(id="museum", type="museum", title="A museum", quantity=1, quantity_sources=["s1"]))
    catalogue.delete("museum", reason="test", user="ayla")
    home = _text(_page(client, "/", "en"))
    assert "1 record · group records count 1 item · 1 deleted" in home
    assert "Archaeological site : 1 record" in home
    assert "1 qeyd · qrup qeydlərində 1 obyekt sayılır · 1 silinmiş qeyd" in _text(_page(client, "/", "az"))
    results = _page(client, "/search?q=kurgan", "en")
    search = _text(results)
    assert "1 record found" in search and "1 archaeological site" in search
    facet = re.search(r'type=archaeological_site#results">.*?<span class="count">(.*?)</span></span>', results,
                      re.S).group(1)
    assert facet == '<span aria-hidden="true">1</span><span class="visually-hidden">1 record'
    assert '<span class="visually-hidden">1 qeyd</span>' in _page(client, "/search?q=kurgan", "az")
    catalogue.create(make_record(id="schools", title="Schools", quantity=14, quantity_sources=["s1"]))
    assert "14 schools" in _text(_page(client, "/records/schools", "en"))
    assert "14 məktəb" in _text(_page(client, "/records/schools", "az"))


def test_csv_export_writes_the_years_of_a_period(client: FlaskClient, catalogue: Catalogue) -> None:
    _ancient(catalogue)
    rows = list(csv.DictReader(io.StringIO(client.get("/export/records.csv").get_data(as_text=True))))
    assert (rows[0]["period_start"], rows[0]["period_end"], rows[0]["period_years"]) == ("-117", "-107", "117–107 BCE")


def test_edit_heading_is_one_sentence(app: Flask, catalogue: Catalogue) -> None:
    catalogue.create(make_record(id="schools", title="Schools of Khojaly"))
    editor = signed_in(app, "elvin")
    for lang, heading in (("en", "Edit Schools of Khojaly"), ("az", "Redaktə: Schools of Khojaly")):
        page = _page(editor, "/records/schools/edit", lang)
        h1 = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
        assert _text(h1, "") == heading and '<a href="/records/schools">' in h1
        history = re.search(r"<h1>(.*?)</h1>", _page(editor, "/records/schools/history", lang), re.S).group(1)
        assert _text(history, "") == {"en": "History of Schools of Khojaly", "az": "Schools of Khojaly: tarixçə"}[lang]


def test_roles_actions_and_origins_are_words_of_the_ui_language(app: Flask, catalogue: Catalogue) -> None:
    catalogue.create(make_record(id="schools"), user="elvin")
    archivist = signed_in(app, "elvin")
    refused = archivist.get("/admin/users?lang=az")
    assert refused.status_code == 403
    assert "Bunun üçün administrator rolu lazımdır." in _text(refused.get_data(as_text=True))
    assert "This needs the admin role." in _text(archivist.get("/admin/users?lang=en").get_data(as_text=True))
    history = _text(_page(archivist, "/records/schools/history", "az"))
    assert "1 saylı redaksiya: Yaradılıb" in history and "Əl ilə daxil edilib" in history
    assert "· manual" not in history and ": create" not in history
    admin = signed_in(app, "ayla", "admin")
    users = _text(_page(admin, "/admin/users", "az"))
    assert "elvin arxivçi" in users and "ayla administrator" in users


def test_error_pages_speak_the_ui_language(client: FlaskClient, catalogue: Catalogue) -> None:
    catalogue.create(make_record(id="schools"))
    catalogue.delete("schools", reason="a duplicate", user="ayla")
    cases = {
        "/records/nope": (404, "'nope' identifikatorlu qeyd yoxdur.", "No record with id 'nope'."),
        "/records/schools?revision=1": (200, None, None),
        "/records/schools": (410, "schools qeydi kataloqdan silinib.", "The record schools was removed"),
        "/no/such/page": (404, "Bu ünvanda səhifə yoxdur.", "There is no page at this address."),
    }
    for path, (status, az, en) in cases.items():
        for lang, expected in (("az", az), ("en", en)):
            response = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
            assert response.status_code == status, path
            if expected:
                assert expected in _text(response.get_data(as_text=True), ""), (path, lang)
    page = _text(client.get("/records/schools/history?revision=1&lang=az").get_data(as_text=True))
    assert "Requested URL" not in page
    wrong_method = client.post("/stats?lang=az")
    assert wrong_method.status_code == 405
    assert "Bu ünvan belə sorğu qəbul etmir." in _text(wrong_method.get_data(as_text=True))


def test_english_on_azerbaijani_pages_is_marked_as_english(client: FlaskClient, catalogue: Catalogue) -> None:
    _ancient(catalogue)
    catalogue.create(make_record(id="mosque", title="Juma Mosque", place={
        "name": "Shusha", "names": [{"value": "Shusha", "lang": "en"}, {"value": "Şuşa", "lang": "az"}]}))
    record = _page(client, "/records/kurgan", "az")
    assert '<h1 id="record-title" lang="en">' in record
    assert re.search(r'<p class="citation" id="citation-text" dir="auto" lang="en">', record)
    mosque = _page(client, "/records/mosque", "az")
    assert '<h1 id="record-title">' in mosque  # no name states the title's language
    assert '<span lang="en"><bdi>Shusha</bdi></span>' in mosque
    results = _page(client, "/search?q=kurgan", "az")
    assert re.search(r'<a href="/records/kurgan" lang="en">', results)
    notice = _page(client, '/search?q="kurgan', "az")
    assert re.search(r'<p class="message notice" role="status" lang="en">The query could not be read', notice)
    assert 'role="status">The query' in _page(client, '/search?q="kurgan', "en")
