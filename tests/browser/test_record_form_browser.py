"""The record form of issue 19 in real headless Chromium, with and without JavaScript, at
desktop and phone size: sources first, a claim ticking its source by citation, a source of
another record found and reused, add/remove keeping the archivist's place, errors worded for
people in English and Azerbaijani, and a failed edit keeping what was typed. Screenshots of
the form go to tests/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from catalogue.records import slugify
from tests.archivists import PASSWORD, add_user
from tests.browser.chromium import focused, screenshot, sign_in
from tests.conftest import make_app
from tests.oaitools import serve

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
RECORD = "khojaly-schools"
SURVEY = "Mammadova, Leyla. Survey of the mausoleums of the Karabakh plain. Baku, 2019."


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo collection, a record citing another source (to reuse), an archivist."""
    from catalogue.web import get_catalogue

    app = make_app(tmp_path_factory.mktemp("record-form") / "data")
    result = app.test_cli_runner().invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    add_user(app, "alice")
    with app.app_context():
        get_catalogue().create({"id": "plain-mausoleum", "type": "mausoleum", "title": "Mausoleum on the plain",
                                "sources": [{"id": "mammadova-2019", "citation": SURVEY, "publisher": "Elm",
                                             "date": "2019"}],
                                "conditions": [{"status": "damaged", "sources": ["mammadova-2019"]}]})
    with serve(app) as oai_url:
        yield oai_url.removesuffix("/oai")
    app.extensions["catalogue"].close()


@pytest.fixture
def open_page(browser: Any, site: str) -> Iterator[Any]:
    """A signed-in archivist's page (JavaScript on or off, a language); script errors fail the test."""
    contexts, errors = [], []

    def make(viewport: dict[str, int] = DESKTOP, javascript: bool = True, lang: str = "en") -> Any:
        context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{site}/?lang={lang}")
        sign_in(page, site, "alice", PASSWORD)
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == []


def _top(page: Any, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["y"]


def _in_view(page: Any, selector: str) -> bool:
    return page.locator(selector).first.evaluate(
        "el => { const r = el.getBoundingClientRect(); return r.top > -2 && r.top < window.innerHeight; }")



def _mark(page: Any) -> None:
    """A value the page keeps until it is reloaded: gone after a round trip."""
    page.evaluate("window.notReloaded = true")


def _not_reloaded(page: Any) -> bool:
    return page.evaluate("window.notReloaded === true")


def _save(page: Any) -> None:
    page.locator('button[name="save"]').last.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_sources_come_first_and_a_claim_ticks_its_source_by_citation(site: str, open_page: Any, size: str) -> None:
    page = open_page(DESKTOP if size == "desktop" else PHONE)
    page.goto(f"{site}/records/new")
    assert _top(page, "#sources") < _top(page, "#names") < _top(page, "#period") < _top(page, "#conditions")
    assert page.locator("#f-conditions-0-sources .picker-empty").is_visible()  # nothing to tick yet
    page.fill('[name="sources[0].citation"]', "Aliyev, R. Report on the town mosques. 2021.")
    assert page.input_value('[name="sources[0].id"]') == slugify("Aliyev, R. Report on the town mosques. 2021.", 30)
    tick = page.get_by_role("checkbox", name="Aliyev, R. Report on the town mosques. 2021.").first
    tick.wait_for()
    assert page.locator("#f-conditions-0-sources .picker-empty").is_hidden()
    screenshot(page, f"record-form-new-{size}")
    page.select_option('[name="type"]', "mosque")
    page.fill('[name="title"]', f"Town mosque ({size})")
    page.select_option('[name="conditions[0].status"]', "damaged")
    page.locator("#f-conditions-0-sources input[type=checkbox]").check()
    page.fill('[name="message"]', "from the 2021 report")
    _save(page)
    assert "/records/town-mosque" in page.url, page.url
    assert "Saved as revision 1." in page.locator("main").inner_text()
    assert "Report on the town mosques" in page.locator("main").inner_text()


def test_reusing_a_source_of_another_record_in_place(site: str, open_page: Any) -> None:
    page = open_page()
    page.goto(f"{site}/records/{RECORD}/edit")
    _mark(page)
    page.fill("#f-source-query", "mausoleums karabakh")
    reuse = page.locator('#source-results button[name="reuse"]')
    reuse.first.wait_for()
    assert reuse.count() == 1 and "cited by 1 record" in page.locator("#source-results").inner_text()
    reuse.click()
    assert page.input_value('[name="sources[1].citation"]') == SURVEY
    assert page.input_value('[name="sources[1].id"]') == "mammadova-2019"
    assert page.input_value('[name="sources[1].publisher"]') == "Elm"
    assert focused(page, "f-sources-1-citation") == "f-sources-1-citation" and _not_reloaded(page)
    page.locator('#f-conditions-0-sources input[value="mammadova-2019"]').check()
    screenshot(page, "record-form-reused-desktop")
    page.fill('[name="message"]', "the 2019 survey too")
    _save(page)
    assert page.url.endswith(f"/records/{RECORD}")
    page.goto(f"{site}/records/{RECORD}/edit")
    assert page.locator('#f-conditions-0-sources input[value="mammadova-2019"]').is_checked()


def test_reusing_a_source_without_javascript(site: str, open_page: Any) -> None:
    page = open_page(PHONE, javascript=False)
    page.goto(f"{site}/records/new")
    page.fill("#f-source-query", "Mammadova")
    page.click('button[name="find_sources"]')
    page.wait_for_load_state()
    assert page.url.endswith("/records/new#reuse") and "1 source found." in page.locator("#reuse").inner_text()
    page.click('#source-results button[name="reuse"]')
    page.wait_for_load_state()
    assert page.url.endswith("#sources-1") and _in_view(page, "#sources-1")
    assert page.input_value('[name="sources[1].citation"]') == SURVEY  # after the empty row left as it was
    assert page.locator('#f-conditions-0-sources input[value="mammadova-2019"]').count() == 1
    screenshot(page, "record-form-reuse-nojs-phone")


def test_add_and_remove_in_place_with_javascript(site: str, open_page: Any) -> None:
    page = open_page()
    page.goto(f"{site}/records/{RECORD}/edit")
    _mark(page)
    page.click('button[name="add"][value="conditions"]')
    assert page.locator("#conditions-1").count() == 1 and _not_reloaded(page)
    assert focused(page, "f-conditions-1-status") == "f-conditions-1-status" and _in_view(page, "#conditions-1")
    assert page.locator("#legend-conditions-1").inner_text() == "Assessment 2"
    page.click('button[name="add"][value="conditions"]')
    page.click('#conditions-1 button[name="remove"]')
    assert page.locator("#conditions-1").count() == 0
    assert page.locator("#legend-conditions-2").inner_text() == "Assessment 2"  # renumbered
    assert focused(page, "f-conditions-2-status") == "f-conditions-2-status" and _not_reloaded(page)
    page.select_option('[name="conditions[2].status"]', "damaged")
    page.locator('#f-conditions-2-sources input[value="afandiyev-2025"]').check()
    page.fill('[name="conditions[2].date"]', "2001")
    page.fill('[name="message"]', "a second assessment")
    _save(page)
    assert page.url.endswith(f"/records/{RECORD}")
    page.goto(f"{site}/records/{RECORD}/edit")
    assert page.input_value('[name="conditions[1].date"]') == "2001"  # saved, rows renumbered


def test_add_and_remove_keep_the_place_without_javascript(site: str, open_page: Any) -> None:
    page = open_page(javascript=False)
    page.goto(f"{site}/records/{RECORD}/edit")
    page.click('button[name="add"][value="designations"]')
    page.wait_for_load_state()
    assert page.url.endswith("#designations-0") and _in_view(page, "#designations-0")
    assert page.evaluate("window.scrollY") > 1000
    page.fill('[name="designations[0].scheme"]', "National list")
    page.click('button[name="add"][value="designations"]')
    page.wait_for_load_state()
    assert page.url.endswith("#designations-1") and _in_view(page, "#designations-1")
    assert page.input_value('[name="designations[0].scheme"]') == "National list"  # kept across the trip
    page.fill('[name="designations[1].scheme"]', "Second list")
    page.click('#designations-0 button[name="remove"]')
    page.wait_for_load_state()
    assert page.url.endswith("#designations-0") and _in_view(page, "#designations-0")  # the next row, in its place
    assert page.input_value('[name="designations[0].scheme"]') == "Second list"
    page.click('#designations-0 button[name="remove"]')
    page.wait_for_load_state()
    assert page.url.endswith("#rows-designations") and _in_view(page, "#rows-designations")


@pytest.mark.parametrize("lang", ["en", "az"])
def test_errors_are_worded_for_people_and_a_failed_edit_keeps_what_was_typed(
        site: str, open_page: Any, lang: str) -> None:
    page = open_page(lang=lang)
    page.goto(f"{site}/records/{RECORD}/edit")
    page.fill('[name="title"]', "")
    page.fill('[name="description"]', "Typed <and> kept")
    page.fill('[name="conditions[0].date"]', "in the nineties")
    for tick in page.locator("#f-conditions-0-sources input[type=checkbox]").all():
        tick.uncheck()
    page.fill('[name="message"]', "checking")
    _save(page)
    assert focused(page, "error-summary") == "error-summary"
    summary = page.locator("#error-summary").inner_text()
    expected = {
        "en": ["Title: Fill this in: it is required.",
               "Assessment 1 › Sources: Tick at least one source that states this (add it under Sources above first).",
               "Assessment 1 › Date: 'in the nineties' is not a date the catalogue can read"],
        "az": ["Başlıq: Bu sahə doldurulmalıdır.",
               "Qiymətləndirmə 1 › Mənbələr: Bunu bildirən ən azı bir mənbəni işarələyin",
               "Qiymətləndirmə 1 › Tarix: 'in the nineties' kataloqun oxuya bildiyi tarix deyil"],
    }[lang]
    for text in expected:
        assert text in summary, summary
    assert "is required" not in summary.replace("it is required", "") and "conditions[0]" not in summary
    next_to = page.locator('[data-for="conditions[0].sources"]').inner_text()
    assert next_to == expected[1].split(": ", 1)[1] or next_to.startswith(expected[1].split(": ", 1)[1])
    assert page.input_value('[name="description"]') == "Typed <and> kept"
    assert page.input_value('[name="conditions[0].date"]') == "in the nineties"
    assert page.input_value('[name="message"]') == "checking"
    page.locator("#error-summary a").nth(1).click()
    assert focused(page, "f-conditions-0-sources") == "f-conditions-0-sources"
    screenshot(page, f"record-form-errors-desktop-{lang}")


def test_the_form_screenshots_at_both_sizes(site: str, open_page: Any) -> None:
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = open_page(viewport)
        page.goto(f"{site}/records/khojaly-libraries/edit")  # as the demo has it: no test edits it
        screenshot(page, f"record-form-edit-{name}")
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < (7000 if name == "desktop" else 10000), height  # 10,000 px before the fields shared rows
