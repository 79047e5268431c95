"""The research pages through the Flask test client: every route, its errors, escaping,
security headers and the language switch."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue.service import Catalogue
from tests.archivists import add_user, login
from tests.conftest import make_app
from tests.recordsamples import make_record

HOSTILE = "<script>alert('x')</script>"

#: Tests that only read use `demo_client`, a client of the module's read-only demo site;
#: those that write use `client` and `catalogue` of their own copy of the demo (`demo_app`).


def text_of(html: bytes) -> str:
    """Visible text, tags removed and whitespace collapsed, for phrase assertions."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.decode()).split())


def test_home_shows_counts_search_box_and_recent_changes(demo_client: FlaskClient) -> None:
    page = demo_client.get("/")
    assert page.status_code == 200
    assert b'<form class="search-form big" role="search"' in page.data
    assert b'<label for="home-q">' in page.data
    text = text_of(page.data)
    assert "8 records" in text and "68 items" in text
    assert "Schools of Khojaly" in text  # a recent change
    assert 'href="/records/khojaly-schools"' in page.data.decode()


def test_home_of_empty_catalogue(tmp_path: Path, second_store: str) -> None:
    page = make_app(tmp_path / "empty", DATABASE_URL=second_store).test_client().get("/")
    assert page.status_code == 200
    assert "No records yet." in text_of(page.data)


def test_search_lists_hits_with_counts_and_facets(demo_client: FlaskClient) -> None:
    page = demo_client.get("/search?q=schools")
    assert page.status_code == 200
    text = text_of(page.data)
    assert "Schools of Khojaly" in text
    assert "14 schools" in text  # a group record states its count
    assert re.search(r"\d+ records? found", text)


def test_search_facet_links_combine_and_remove(demo_client: FlaskClient) -> None:
    page = demo_client.get("/search?q=Khojaly").data.decode()
    assert 'href="/search?q=Khojaly&amp;type=school#results"' in page  # focus stays on the results
    filtered = demo_client.get("/search?q=Khojaly&type=school&type=club")
    assert filtered.status_code == 200
    html = filtered.data.decode()
    assert "Schools of Khojaly" in html and "Clubs of Khojaly" in html
    assert "Libraries of Khojaly" not in html
    # each chip removes its own value only
    assert 'href="/search?q=Khojaly&amp;type=club#results"' in html
    assert 'href="/search?q=Khojaly&amp;type=school#results"' in html


@pytest.mark.parametrize(("query", "message"), [
    ("page=abc", "page must be a whole number"),
    ("page=0", "page must be a whole number"),
    ("page=-3", "page must be a whole number"),
    ("page=99999999999999999999", "page must be a whole number"),
    ("page=%C2%B2", "page must be a whole number"),  # a superscript two is a digit to str.isdigit, not to int()
    ("q=Khojaly&page=40", "There is no page 40"),
    ("sort=sideways", "Unknown sort order"),
])
def test_search_bad_arguments_give_a_clear_400(demo_client: FlaskClient, query: str, message: str) -> None:
    page = demo_client.get(f"/search?{query}")
    assert page.status_code == 400
    assert message in text_of(page.data)
    assert b'role="alert"' in page.data


@pytest.mark.parametrize("query", ['"unclosed', "(((", "AND OR NOT", "title:", "*", "a" * 999, "\x00\x01"])
def test_hostile_queries_never_fail(demo_client: FlaskClient, query: str) -> None:
    page = demo_client.get("/search", query_string={"q": query})
    assert page.status_code == 200
    assert re.search(r"\d+ records? found|No records match", text_of(page.data))


def test_record_page_shows_every_part(demo_client: FlaskClient) -> None:
    page = demo_client.get("/records/khojaly-schools")
    assert page.status_code == 200
    html = page.data.decode()
    text = text_of(page.data)
    assert "<h1" in html and "Schools of Khojaly" in text
    assert "14 schools" in text
    assert '<span dir="auto" lang="az">Xocalı</span>' in html  # multilingual place name keeps its language
    assert "Condition history" in text and "Destroyed" in text
    assert 'id="source-afandiyev-2025"' in html and 'href="#source-afandiyev-2025"' in html
    assert "Imported" in text and "demo" in text  # provenance
    assert 'href="/records/khojaly-schools/history"' in html
    assert 'href="/records/khojaly-schools.json"' in html
    assert 'id="map"' not in html  # no geometry, no map
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert ld is not None
    data = json.loads(ld.group(1))
    assert data["@type"] == "School" and data["name"] == "Schools of Khojaly"
    assert data["url"].endswith("/records/khojaly-schools?revision=1")


def test_record_cite_block_names_url_and_revision(demo_client: FlaskClient) -> None:
    html = demo_client.get("/records/khojaly-schools").data.decode()
    cite = html.split('id="cite"', 1)[1]
    assert "http://localhost/records/khojaly-schools?revision=1" in cite
    assert "@misc{khojaly-schools-r1," in cite
    csl = re.search(r'<summary>CSL-JSON</summary><pre><code dir="auto">(.*?)</code></pre>', cite, re.S)
    assert csl is not None
    item = json.loads(csl.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    assert item["type"] == "dataset" and item["version"] == "1"


@pytest.mark.usefixtures("demo_app")
def test_record_map_appears_with_a_geometry(catalogue: Catalogue, client: FlaskClient) -> None:
    place = {"name": "Somewhere", "geometry": {"type": "Point", "coordinates": [46.79, 39.91]}}
    catalogue.create(make_record(id="mapped", place=place))
    html = client.get("/records/mapped").data.decode()
    assert 'id="map"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/js/record-map.js" in html
    assert "39.91, 46.79" in html  # coordinates readable without JavaScript
    for asset in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/LICENSE"):
        with client.get(asset) as response:
            assert response.status_code == 200


@pytest.mark.usefixtures("demo_app")
def test_record_text_is_escaped_and_only_http_urls_are_links(catalogue: Catalogue, client: FlaskClient) -> None:
    record = make_record(
        id="hostile", title=HOSTILE, description=HOSTILE,
        sources=[{"id": "s1", "citation": HOSTILE, "url": "javascript:alert(1)"},
                 {"id": "s2", "citation": "Safe", "url": "https://example.org/a?b=<c>"}],
        media=[{"url": "javascript:alert(2)", "caption": "bad"}, {"url": "http://example.org/p.jpg"}],
    )
    catalogue.create(record)
    for url in ("/records/hostile", "/records/hostile/history", "/", "/search?q=alert"):
        html = client.get(url).data.decode()
        assert HOSTILE not in html, url
    html = client.get("/records/hostile").data.decode()
    assert 'href="javascript:' not in html
    assert 'href="https://example.org/a?b=&lt;c&gt;"' in html
    assert 'href="http://example.org/p.jpg"' in html
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert "</script" not in ld.group(1)
    assert json.loads(ld.group(1))["name"] == HOSTILE


@pytest.mark.usefixtures("demo_app")
def test_snippet_of_a_hit_without_matched_words_is_escaped(catalogue: Catalogue, client: FlaskClient) -> None:
    """Found by its place, so the snippet has no <mark>: the description is still escaped."""
    catalogue.create(make_record(id="fort", title="Old fort", place={"name": "Zanzibar"}, description=HOSTILE))
    html = client.get("/search?q=Zanzibar").data.decode()
    assert HOSTILE not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    [hit] = client.get("/api/search?q=Zanzibar").json["hits"]
    assert hit["snippet"] == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"


@pytest.mark.usefixtures("demo_app")
def test_old_revision_is_readable_and_marked(catalogue: Catalogue, client: FlaskClient) -> None:
    record = catalogue.get("khojaly-schools")
    catalogue.update("khojaly-schools", dict(record, title="Schools of Khojaly (revised)"), base_revision=1,
               message="clearer title")
    old = client.get("/records/khojaly-schools?revision=1")
    assert old.status_code == 200
    text = text_of(old.data)
    assert "You are reading revision 1" in text
    assert "Schools of Khojaly (revised)" not in text.split("Read the current version")[0]
    assert "Read the current version (revision 2)" in text
    current = text_of(client.get("/records/khojaly-schools").data)
    assert "Schools of Khojaly (revised)" in current and "You are reading revision" not in current


@pytest.mark.parametrize(("query", "status"), [("revision=abc", 400), ("revision=0", 400), ("revision=9", 404),
                                                ("revision=%C2%B2", 400), ("revision=" + "9" * 30, 400)])
def test_bad_revision_numbers(demo_client: FlaskClient, query: str, status: int) -> None:
    page = demo_client.get(f"/records/khojaly-schools?{query}")
    assert page.status_code == status
    assert b"<h1>" in page.data
    assert demo_client.get(f"/records/khojaly-schools.json?{query}").status_code == status
    assert demo_client.get(f"/api/records/khojaly-schools?{query}").status_code == status


@pytest.mark.usefixtures("demo_app")
def test_history_shows_who_when_why_and_field_diff(catalogue: Catalogue, client: FlaskClient) -> None:
    record = catalogue.get("khojaly-clubs")
    catalogue.update("khojaly-clubs", dict(record, subjects=["culture"]), base_revision=1, user="ayla",
               message="subject added")
    page = client.get("/records/khojaly-clubs/history")
    assert page.status_code == 200
    html = page.data.decode()
    text = text_of(page.data)
    assert "2 revisions" in text
    assert "ayla" in text and "subject added" in text
    assert '<th scope="row">Subjects</th>' in html  # labelled as the form labels it
    # word by word: "culture, community" became "culture"
    assert 'culture<del><span class="visually-hidden">removed: </span>, community</del>' in html
    assert 'href="/records/khojaly-clubs?revision=1"' in html
    assert "Restore revision" not in text  # anonymous visitors get no restore form


@pytest.mark.usefixtures("demo_app")
def test_deleted_record_is_gone_with_its_tombstone(catalogue: Catalogue, client: FlaskClient) -> None:
    catalogue.delete("khojaly-local-history-museum", reason="duplicate of another record")
    page = client.get("/records/khojaly-local-history-museum")
    assert page.status_code == 410
    assert "duplicate of another record" in text_of(page.data)
    assert client.get("/records/khojaly-local-history-museum.json").status_code == 410
    history = client.get("/records/khojaly-local-history-museum/history")
    assert history.status_code == 200 and "deleted" in text_of(history.data)
    assert client.get("/records/khojaly-local-history-museum?revision=1").status_code == 200


def test_unknown_record_is_404(demo_client: FlaskClient) -> None:
    for url in ("/records/no-such-record", "/records/no-such-record/history", "/records/no-such-record.json"):
        page = demo_client.get(url)
        assert page.status_code == 404, url
        assert "No record with id <bdi>'no-such-record'</bdi>" in unescape(page.get_data(as_text=True))


def test_record_json_is_the_stored_record(demo_client: FlaskClient) -> None:
    response = demo_client.get("/records/khojaly-schools.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json()["quantity"] == 14


@pytest.mark.usefixtures("demo_app")
def test_id_ending_in_json_still_has_a_page(catalogue: Catalogue, client: FlaskClient) -> None:
    catalogue.create(make_record(id="data.json", title="Odd id"))
    assert "Odd id" in text_of(client.get("/records/data.json").data)


def test_stats_page_draws_charts_without_javascript(demo_client: FlaskClient) -> None:
    page = demo_client.get("/stats")
    assert page.status_code == 200
    html = page.data.decode()
    text = text_of(page.data)
    for heading in ("Records by type", "Records by current condition", "Records by century", "Records by place"):
        assert heading in text
    assert "<svg" in html and "<script" not in html
    assert 'href="/search?century=XIV"' in html and "14th century" in text
    assert 'href="/search?place=Khojaly"' in html
    assert re.search(r"Library</bdi></a></th>\s*<td class=\"num\">29</td>", html)  # items stated by group records


def test_unknown_page_is_an_html_404(demo_client: FlaskClient) -> None:
    page = demo_client.get("/no/such/page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Not found" in text_of(page.data)


@pytest.mark.parametrize("url", ["/", "/search?q=x", "/records/khojaly-schools", "/stats", "/records/nope",
                                 "/api/search", "/api/records/nope", "/static/css/site.css"])
def test_security_headers_on_every_response(demo_client: FlaskClient, url: str) -> None:
    with demo_client.get(url) as response:
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.usefixtures("demo_app")
def test_pages_have_no_inline_scripts_or_styles(catalogue: Catalogue, client: FlaskClient) -> None:
    place = {"name": "P", "geometry": {"type": "Point", "coordinates": [1, 2]}}
    catalogue.create(make_record(id="mapped", place=place))
    for url in ("/", "/search?q=Khojaly", "/records/mapped", "/records/mapped/history", "/stats"):
        html = client.get(url).data.decode()
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        assert all("src=" in attrs or 'type="application/ld+json"' in attrs for attrs, _ in scripts), url
        assert " style=" not in html and "<style" not in html, url


def test_tile_server_is_allowed_by_the_csp(tmp_path: Path) -> None:
    app = make_app(tmp_path / "d", TILE_URL="https://{s}.tile.example.org/{z}/{x}/{y}.png")
    csp = app.test_client().get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tile.example.org" in csp


def test_language_switch_translates_and_is_remembered(demo_client: FlaskClient) -> None:
    page = demo_client.get("/records/khojaly-schools?lang=az")
    html = page.data.decode()
    assert '<html lang="az">' in html
    assert "Mənbələr" in html and "Dağıdılmış" in html  # UI strings and vocabulary labels
    assert "Schools of Khojaly" in html  # record data as entered
    assert "lang=az" in page.headers["Set-Cookie"]
    later = demo_client.get("/stats").data.decode()
    assert '<html lang="az">' in later and "Statistika" in later
    back = demo_client.get("/?lang=en").data.decode()
    assert '<html lang="en">' in back and "Search the catalogue" in back


def test_accept_language_picks_azerbaijani(demo_client: FlaskClient) -> None:
    html = demo_client.get("/", headers={"Accept-Language": "az,en;q=0.5"}).data.decode()
    assert '<html lang="az">' in html


def test_nav_shows_log_in_for_anonymous_visitors(demo_app: Flask) -> None:
    html = demo_app.test_client().get("/").data.decode()
    assert 'href="/login' in html and "Log in" in html
    assert "Log out" not in html


def test_signed_in_archivist_sees_edit_links_and_restores_from_history(catalogue: Catalogue, demo_app: Flask) -> None:

    record = catalogue.get("khojaly-schools")
    catalogue.update("khojaly-schools", dict(record, title="Renamed"), base_revision=1)
    add_user(demo_app, "ayla")
    client = demo_app.test_client()
    login(client, "ayla")
    home = text_of(client.get("/").data)
    assert "ayla" in home and "Log out" in home and "New record" in home
    page = client.get("/records/khojaly-schools").data.decode()
    assert 'href="/records/khojaly-schools/edit"' in page
    history = client.get("/records/khojaly-schools/history").data.decode()
    form = re.search(r'<form method="post" action="/records/khojaly-schools/restore".*?</form>', history, re.S)
    assert form is not None and 'name="revision" value="1"' in form.group(0)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(0)).group(1)
    response = client.post("/records/khojaly-schools/restore", data={"revision": "1", "csrf_token": token,
                                                                     "message": "the old title was right"})
    assert response.status_code == 303, response.data[:500]
    assert catalogue.get("khojaly-schools")["title"] == "Schools of Khojaly"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=Khojaly&type=school", {"Schools of Khojaly"}),
        ("q=Khojaly&type=school&type=club", {"Schools of Khojaly", "Clubs of Khojaly"}),
        ("century=XIV", {"Graves, domes and tombs of the XIV–XV centuries in Khojaly"}),
        ("q=culture&place=Khojaly&source=AzerNEWS&sort=title",
         {"Clubs of Khojaly", "Houses of culture of Khojaly", "Libraries of Khojaly"}),
    ],
)
def test_search_offers_downloads_of_exactly_the_results(demo_app: Flask, client: FlaskClient, query: str,
                                                         expected: set[str]) -> None:
    html = client.get(f"/search?{query}").data.decode()
    shown = {unescape(t) for t in re.findall(r'<h3><a href="/records/[^"]+"><bdi>([^<]+)</bdi></a>', html)}
    link = re.search(r'href="(/export/records\.csv\?[^"]+)"', html)
    assert link is not None
    with client.get(link.group(1).replace("&amp;", "&")) as export:
        assert export.status_code == 200
        titles = {row["title"] for row in csv.DictReader(io.StringIO(export.get_data(as_text=True)))}
    assert titles == expected == shown


def test_did_you_mean_and_bad_query_notice(demo_client: FlaskClient) -> None:
    typo = demo_client.get("/search?q=schoool")
    assert typo.status_code == 200
    assert re.search(r'Did you mean <a href="/search\?q=schools"><bdi>schools</bdi></a>', typo.data.decode())
    broken = demo_client.get('/search?q="unclosed')
    assert broken.status_code == 200
    assert b'class="message notice" role="status"' in broken.data
    assert "could not be read as written" in text_of(broken.data)


UNREADABLE = ["tombs\x01\x02", "tombs\x7f", '"XIV tombs', "(tombs", "tombs Khojaly:"]


@pytest.mark.parametrize("query", UNREADABLE, ids=repr)
def test_unreadable_query_is_searched_as_plain_words_with_a_notice(demo_client: FlaskClient, query: str) -> None:
    """Control characters, unbalanced quotes or parentheses, a field with nothing after it."""
    page = demo_client.get("/search", query_string={"q": query})
    assert page.status_code == 200
    assert "could not be read as written" in text_of(page.data)
    assert "Graves, domes and tombs" in text_of(page.data)
    body = demo_client.get("/api/search", query_string={"q": query}).json
    assert "could not be read as written" in body["notice"]
    assert [hit["id"] for hit in body["hits"]] == ["khojaly-graves-domes-tombs-xiv-xv"]


def test_query_over_the_length_limit_is_refused_with_a_message(demo_client: FlaskClient) -> None:
    """Web and API share one limit (1,000 characters); the refusal says so, no 500."""
    query = "tombs " * 200
    page = demo_client.get("/search", query_string={"q": query})
    assert page.status_code == 400
    assert "The query is too long (at most 1000 characters)." in text_of(page.data)
    problem = demo_client.get("/api/search", query_string={"q": query})
    assert problem.status_code == 400 and problem.mimetype == "application/problem+json"
    assert problem.json["detail"] == "The query is too long (at most 1000 characters)."
    assert demo_client.get("/search", query_string={"q": "tombs " * 166}).status_code == 200  # 996 characters


def test_record_links_to_its_oai_record(demo_app: Flask, client: FlaskClient) -> None:
    html = client.get("/records/khojaly-schools").data.decode()
    link = re.search(r'href="http://localhost(/oai\?verb=GetRecord[^"]+)"', html)
    assert link is not None
    response = client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert b"<error" not in response.data and b"Schools of Khojaly" in response.data


@pytest.mark.usefixtures("demo_app")
def test_title_carries_the_language_of_the_name_it_repeats(catalogue: Catalogue, client: FlaskClient) -> None:
    names = [{"value": "Ağdam məscidi", "lang": "az"}, {"value": "Agdam Mosque", "lang": "en"}]
    catalogue.create(make_record(id="mosque", type="mosque", title="Ağdam məscidi", names=names))
    html = client.get("/records/mosque").data.decode()
    assert '<h1 id="record-title" lang="az"><bdi>Ağdam məscidi</bdi></h1>' in html
    assert '<span dir="auto" lang="en">Agdam Mosque</span>' in html
    schools = client.get("/records/khojaly-schools").data.decode()
    assert '<h1 id="record-title"><bdi>Schools of Khojaly</bdi></h1>' in schools


def test_the_collection_is_counted_once_for_each_change(catalogue: Catalogue, client: FlaskClient,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The home page's and statistics page's figures and OAI-PMH's sets are counted once while
    the catalogue is unchanged (at 1,000,000 records 0.5 s, 1.6-2.2 s and 0.5 s a request);
    a write, a deletion and a withheld revision each show at once."""
    from catalogue.store import Store
    from catalogue.store import published as queries

    counted: list[str] = []
    for owner, name in ((Store, "counts"), (queries, "set_values")):
        real = getattr(owner, name)
        monkeypatch.setattr(owner, name, lambda *a, _real=real, _name=name: counted.append(_name) or _real(*a))

    def figures() -> tuple[str, str, str]:
        home, stats = text_of(client.get("/").data), text_of(client.get("/stats").data)
        sets = client.get("/oai?verb=ListSets").data.decode()
        return (re.search(r"(\d+) records?", home).group(1), re.search(r"Records by type (.*?) Records by", stats)
                .group(1), " ".join(sorted(re.findall(r"<setSpec>type:(\w+)</setSpec>", sets))))

    catalogue.create(make_record(id="a", type="school"))
    assert figures() == figures()
    assert figures()[0] == "1" and "school" in figures()[2]
    assert sorted(counted) == ["counts", "set_values"]  # the statistics page reuses the home page's counts
    catalogue.create(make_record(id="b", type="tomb"))
    after_write = figures()
    assert after_write[0] == "2" and "Tomb 1" in after_write[1] and after_write[2] == "school tomb"
    catalogue.delete("a", reason="test")
    assert figures()[0] == "1"
    catalogue.withhold("b", 1, reason="test")
    assert figures()[0] == "0"
    assert len(counted) == 2 * 4


def test_a_slow_count_is_answered_from_the_change_before_while_counted_again(tmp_path: Path) -> None:
    """Counts that took longer than ``COUNT_WAIT_MS`` (default 100 ms; the home page's at
    1,000,000 records: 0.4-0.6 s) are not waited for after each edit: the first visitor after
    a change sees the count of the change before while one thread counts again, then
    everyone sees the new count."""
    import threading
    import time

    from catalogue.store import Store
    from catalogue.web import get_catalogue

    release, counting = threading.Event(), []
    real = Store.counts

    def slow_counts(store: Store) -> dict[str, object]:
        counting.append(threading.current_thread().name)
        if len(counting) > 1:
            assert release.wait(30)  # (held until the test has seen the old count)
        return real(store)

    app = make_app(tmp_path / "data", COUNT_WAIT_MS=0)  # every count here is slow
    client = app.test_client()
    with app.app_context():
        catalogue = get_catalogue()

    def home_count() -> str:
        return re.search(r"(\d+) records?", text_of(client.get("/").data)).group(1)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Store, "counts", slow_counts)
        catalogue.create(make_record(id="a", type="school"))
        assert home_count() == "1"  # the first count of all: waited for
        catalogue.create(make_record(id="b", type="tomb"))
        assert home_count() == "1" and home_count() == "1"  # the change before's, while counted again
        assert counting[1:] == ["figures-recount"]  # one recount, in a thread of its own
        release.set()
        deadline = time.monotonic() + 30
        while home_count() != "2":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert len(counting) == 2
    catalogue.close()


def test_statistics_recounted_behind_a_change_are_made_of_fresh_counts(tmp_path: Path) -> None:
    """The statistics page's figures include the collection's counts: when both are slow to
    count (``COUNT_WAIT_MS`` 0 here), the statistics counted again after a change hold the
    counts of that change, not the ones of the change before that the home page shows
    meanwhile."""
    import time

    with Catalogue(tmp_path / "data", count_wait_ms=0) as cat:
        cat.create(make_record(id="a", type="school"))
        assert cat.statistics().counts == cat.counts()  # counted at once: nothing to show before
        cat.create(make_record(id="b", type="tomb"))
        stale = cat.statistics()
        assert stale.counts["by_type"] == {"school": 1}  # the change before's, while counted again
        deadline = time.monotonic() + 30
        while (fresh := cat.statistics()) is stale:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert fresh.counts == cat.store.counts() and fresh.counts["by_type"] == {"school": 1, "tomb": 1}
