"""What issue 19 asked for, tried in real headless Chromium at phone and desktop size:
results before the filters on a phone, long facets shown in part and filtered in place,
keyboard focus kept on the results and moved to the error after a failed form, a history
that fits a phone, the copy-citation button, a one-line header, what saving says, and a
pending upstream change decided field by field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.chromium import focused, screenshot, sign_in
from tests.browser.richsite import ADMIN, ARCHIVIST, DISPUTED, EDITED, Site, rich_site

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with rich_site(tmp_path_factory.mktemp("people") / "data") as served:
        yield served


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """Pages of fresh contexts (a viewport and maybe a signed-in user); script errors fail the test."""
    contexts, errors = [], []

    def make(site: Site, viewport: dict[str, int], user: str | None = None, **options: Any) -> Any:
        context = browser.new_context(viewport=viewport, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        if user:
            sign_in(page, site.url, user, site.password)
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == []



def test_phone_shows_results_first_and_the_filters_behind_a_control(site: Site, open_page: Any) -> None:
    page = open_page(site, PHONE)
    page.goto(f"{site.url}/search?q=school")
    first = page.locator("ol.hits > li").first.bounding_box()
    assert first is not None and first["y"] + first["height"] < PHONE["height"]  # on the first screen
    panel = page.locator("details.filter-panel")
    assert panel.get_attribute("open") is None and not page.locator(".facet").first.is_visible()
    page.locator("details.filter-panel > summary").click()
    assert page.locator("#facet-type").is_visible()
    screenshot(page, "search-phone-filters-open")
    page.locator("#facet-type a", has_text="School").click()
    page.wait_for_url("**type=school**")
    assert focused(page, "results") == "results"  # the focus stays on the results
    assert page.evaluate("document.getElementById('results').getBoundingClientRect().top") < PHONE["height"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_desktop_filters_beside_results_show_all_in_place_and_filter_values(site: Site, open_page: Any) -> None:
    page = open_page(site, DESKTOP)
    page.goto(f"{site.url}/search")
    assert page.locator("details.filter-panel").get_attribute("open") is not None
    assert not page.locator("details.filter-panel > summary").is_visible()
    assert page.locator("#facet-type").is_visible()
    places = page.locator("#facet-place li")
    total = places.count()
    assert page.locator("#facet-place li:visible").count() == 8 < total
    url = page.url
    page.locator("#facet-place [data-show-more]").click()
    assert page.url == url  # expanded in place, no reload
    assert page.locator("#facet-place li:visible").count() == total
    assert page.evaluate("document.activeElement.closest('li') === document.querySelectorAll('#facet-place li')[8]")
    box = page.get_by_label("Filter the values of Place")
    box.fill("town 1")
    visible = page.locator("#facet-place li:visible").all_inner_texts()
    assert visible and all("Town 1" in text for text in visible)
    box.fill("no such place")
    assert page.locator("#facet-place li:visible").count() == 0
    assert page.locator("#facet-place .facet-none").is_visible()
    screenshot(page, "search-desktop-facet-filtered")


def test_keyboard_skips_to_results_and_keeps_focus_on_them(site: Site, open_page: Any) -> None:
    page = open_page(site, DESKTOP)
    page.goto(f"{site.url}/search?q=school")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to results"
    page.keyboard.press("Enter")
    assert focused(page, "results") == "results"
    page.keyboard.press("Tab")
    assert focused(page, "sort") == "sort"  # from the results heading, the next stop is the sort order
    page.select_option("#sort", "title")
    page.locator(".sort-form button").click()
    page.wait_for_url("**sort=title**")
    assert focused(page, "results") == "results"
    page.goto(f"{site.url}/search")
    page.locator("nav.pagination a[rel=next]").click()
    page.wait_for_url("**page=2**")
    assert focused(page, "results") == "results"


def test_failed_forms_put_the_focus_on_their_error(site: Site, open_page: Any) -> None:
    page = open_page(site, DESKTOP)
    page.goto(f"{site.url}/login")
    assert focused(page, "name") == "name"
    sign_in(page, site.url, ARCHIVIST, "not the password")
    assert focused(page, "login-error") == "login-error"

    editor = open_page(site, DESKTOP, ARCHIVIST)
    editor.goto(f"{site.url}/records/new")
    editor.fill('[name="quantity"]', "many")
    editor.locator('button[name="save"]').last.click()
    editor.wait_for_load_state()
    assert focused(editor, "error-summary") == "error-summary"
    editor.goto(f"{site.url}/records/{EDITED}/history")
    reason = editor.locator("#restore-reason-1")
    editor.locator("#revision-1 form.restore button").click()  # the browser asks for the reason first
    assert editor.url.endswith("/history") and editor.evaluate("document.activeElement.id") == "restore-reason-1"
    assert reason.evaluate("input => input.validity.valueMissing")
    reason.evaluate("input => input.required = false")  # the server refuses it too, and says why
    editor.locator("#revision-1 form.restore button").click()
    editor.wait_for_load_state()
    assert "say why" in editor.locator("#history-error").inner_text()
    assert focused(editor, "restore-reason-1") == "restore-reason-1"

    admin = open_page(site, DESKTOP, ADMIN)
    admin.goto(f"{site.url}/admin/sources")
    admin.fill("#src-name", "bad name")
    admin.fill("#src-url", "https://example.org/oai")
    admin.locator("form.stacked button[type=submit]").click()
    admin.wait_for_load_state()
    assert focused(admin, "admin-error") == "admin-error"


def test_history_reads_well_on_a_phone(site: Site, open_page: Any) -> None:
    page = open_page(site, PHONE)
    page.goto(f"{site.url}/records/{DISPUTED}/history")
    page.locator("#revision-2 summary").click()  # the long description added in revision 2, opened too
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4 * PHONE["height"], height  # no column one character wide
    change = page.locator("#revision-3 table.diff td").first
    assert change.bounding_box()["width"] > 0.7 * PHONE["width"]
    assert "the northern" in page.locator("#revision-3 ins").inner_text()
    assert page.locator("#revision-3 th[scope=row]").inner_text() == "Description"
    screenshot(page, "history-phone-long-text")


def test_copy_citation_copies_the_text(site: Site, open_page: Any) -> None:
    page = open_page(site, DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"{site.url}/records/{EDITED}")
    button = page.get_by_role("button", name="Copy citation")
    button.click()
    page.wait_for_function("document.querySelector('.copy-status').textContent !== ''")
    assert page.locator(".copy-status").inner_text() == "Citation copied."
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#citation-text").inner_text().strip()
    assert "Based on: Afandiyev, Mazahir." in copied
    static = open_page(site, DESKTOP, java_script_enabled=False)
    static.goto(f"{site.url}/records/{EDITED}")
    assert not static.get_by_role("button", name="Copy citation").is_visible()  # no button that cannot work
    assert static.locator("#citation-text").is_visible()


@pytest.mark.parametrize("lang", ["en", "az"])
def test_signed_in_header_is_one_line_at_1280(site: Site, open_page: Any, lang: str) -> None:
    page = open_page(site, DESKTOP, ADMIN)
    page.goto(f"{site.url}/admin/?lang={lang}")
    tops = page.evaluate("""[...document.querySelectorAll('.header-row > *, .nav > li, .languages > li')]
                            .map(e => e.getBoundingClientRect())
                            .map(box => Math.round(box.top + box.height / 2))""")
    assert max(tops) - min(tops) <= 4, tops  # every item on the same line
    desk = "Archivists' desk" if lang == "en" else "Arxivçilərin iş masası"
    assert page.locator(".nav a[href='/admin/']").inner_text() == desk == page.locator("h1").inner_text()


def test_saving_says_which_revision_and_a_pending_change_is_decided_by_field(site: Site, open_page: Any) -> None:
    page = open_page(site, DESKTOP, ARCHIVIST)
    page.goto(f"{site.url}/records/{site.harvested}/edit")
    assert "wait for review" in page.locator("#harvested-notice").inner_text()
    page.goto(f"{site.url}/records/{site.harvested}/pending")
    note = page.locator("input[name=field][value=notes]")
    assert not note.is_checked() and page.locator("input[name=field][value=title]").is_checked()
    page.get_by_role("button", name="Take the ticked fields").click()
    page.wait_for_load_state()
    assert "Upstream change accepted as revision" in page.locator(".flash").inner_text()
    page.goto(f"{site.url}/records/{site.harvested}")
    assert page.locator("h1").inner_text() == "Harvested mosque, renamed upstream"
    assert "Seen on site in 2024." in page.locator("main").inner_text()  # the local note stayed

    page.goto(f"{site.url}/records/{DISPUTED}/edit")
    page.fill('[name="message"]', "checked the subjects")
    page.fill('[name="subjects"]', "funerary architecture")
    page.locator('button[name="save"]').last.click()
    page.wait_for_url(f"{site.url}/records/{DISPUTED}")
    flash = page.locator(".flash")
    assert flash.inner_text() == "Saved as revision 4." and flash.get_attribute("role") == "status"
