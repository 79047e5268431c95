"""A researcher's path through the site in real headless Chromium (Playwright): search a
spelling variant, pick and remove a facet, open a record and its history, switch language.
Screenshots of the main pages go to tests/screenshots/ for a human to look at."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.chromium import screenshot
from tests.conftest import make_app
from tests.oaitools import serve
from tests.recordsamples import make_record

pytestmark = pytest.mark.browser



@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the demo collection (plus one mapped record), served on a loopback port."""
    from catalogue.web import get_catalogue

    app = make_app(tmp_path_factory.mktemp("browser") / "data")
    result = app.test_cli_runner().invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        place = {"name": "Test place", "geometry": {"type": "Polygon", "coordinates": [
            [[46.78, 39.90], [46.80, 39.90], [46.80, 39.92], [46.78, 39.92], [46.78, 39.90]]]}}
        get_catalogue().create(make_record(id="mapped-test-record", type="monument", title="Mapped test record",
                                             place=place))
    with serve(app) as oai_url:
        yield oai_url.removesuffix("/oai")
    app.extensions["catalogue"].close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh page that records console errors (CSP violations show up there)."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def shot(page, name: str) -> None:
    screenshot(page, name)


def test_researcher_finds_filters_reads_and_cites(site: str, page) -> None:
    page.goto(site + "/")
    shot(page, "home")
    page.get_by_label("Search the catalogue").fill("Xojali")  # a spelling no record uses
    page.get_by_label("Search the catalogue").press("Enter")
    page.wait_for_url("**/search?q=Xojali")
    assert page.locator("h2#results").inner_text().startswith("8 records")
    shot(page, "search")

    page.locator(".facets a", has_text="School").click()
    page.wait_for_url("**type=school**")
    assert page.locator("ol.hits > li").count() == 1
    assert page.locator(".chips .chip").inner_text().startswith("School")
    shot(page, "search-facet")
    page.locator(".chips .chip").click()  # remove the facet again
    page.wait_for_load_state()
    assert "type=school" not in page.url
    assert page.locator("ol.hits > li").count() == 8

    page.get_by_role("link", name="Schools of Khojaly").click()
    page.wait_for_url("**/records/khojaly-schools")
    assert page.locator("h1").inner_text() == "Schools of Khojaly"
    assert "14 schools" in page.locator(".kicker").text_content()
    page.get_by_text("BibTeX").click()  # <details> opens without any script
    assert "@misc{khojaly-schools-r1" in page.locator("#cite pre").first.inner_text()
    shot(page, "record")

    page.get_by_role("link", name="History").click()
    page.wait_for_url("**/records/khojaly-schools/history")
    assert page.locator(".revision").count() == 1
    shot(page, "history")

    page.get_by_role("link", name="Azərbaycanca").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "az"
    assert page.get_by_role("link", name="Axtarış").count() == 1
    page.goto(site + "/stats")
    assert page.locator("h1").inner_text() == "Statistika"  # the choice is remembered
    shot(page, "stats-az")
    assert page.errors == []


def test_map_draws_without_tiles_and_without_csp_errors(site: str, page) -> None:
    page.goto(site + "/records/mapped-test-record")
    page.wait_for_selector("#map.leaflet-container path.leaflet-interactive")
    shot(page, "record-map")
    assert page.errors == []


def test_pages_work_without_javascript(site: str, browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/search?q=Ходжалы")
    page.locator(".facets a", has_text="Library").click()
    page.wait_for_url("**type=library**")
    assert page.locator("ol.hits > li").count() == 1
    page.goto(site + "/stats")
    assert page.locator(".bars rect").count() > 5
    shot(page, "stats-nojs")
    response = page.goto(site + "/search?q=Khojaly&page=abc")
    assert response.status == 400
    assert "page must be a whole number" in page.get_by_role("alert").inner_text()
    shot(page, "search-bad-page")
    context.close()


def test_record_page_on_a_phone_in_azerbaijani(site: str, browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="az-AZ")
    page = context.new_page()
    page.goto(site + "/records/khojaly-graves-domes-tombs-xiv-xv")
    assert page.locator("html").get_attribute("lang") == "az"  # from Accept-Language
    assert page.get_by_role("heading", name="Mənbələr").count() == 1
    shot(page, "record-phone-az")
    context.close()


def test_pages_in_azerbaijani_show_no_english_ui_text(site: str, browser) -> None:
    """The check of tests/test_web_az_pages.py on the pages as Chromium renders them, and a
    researcher going from results to their statistics and to the API page, in Azerbaijani."""
    from tests.test_web_az_pages import english_on

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="az-AZ")
    page = context.new_page()
    for path in ("/", "/search?q=Khojaly&type=library", "/records/khojaly-graves-domes-tombs-xiv-xv",
                 "/records/khojaly-schools/history", "/records/mapped-test-record", "/stats", "/api",
                 "/records/nope"):
        page.goto(site + path)
        assert page.locator("html").get_attribute("lang") == "az", path
        assert english_on(page.content()) == [], path
    page.goto(site + "/search?q=Khojaly")
    page.get_by_role("link", name="Bu nəticələrin statistikası").click()
    page.wait_for_url("**/stats?q=Khojaly")
    assert page.locator("#scope-heading").inner_text() == "Axtarışın nəticələri"
    assert english_on(page.content()) == []
    shot(page, "stats-of-search-phone-az")
    page.get_by_role("link", name="API").first.click()
    page.wait_for_url("**/api")
    assert page.locator("h1").inner_text() == "API" and page.locator("section.operation").count() >= 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the examples scroll, not the page
    shot(page, "api-phone-az")
    context.close()
