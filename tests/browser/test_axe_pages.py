"""axe-core (axe-playwright-python) finds no violation on any page, public, archivist and
admin, with and without errors, at desktop (1280×900) and phone (390×844) size, in English
and Azerbaijani. Screenshots of the main pages at both sizes go to tests/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.chromium import screenshot, sign_in
from tests.browser.richsite import ADMIN, ARCHIVIST, DELETED, DISPUTED, EDITED, MAPPED, PLACE, Site, rich_site
from tests.conftest import unavailable

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
PUBLIC = ["/", "/search", "/search?q=school", "/search?q=school&type=school&status=destroyed",
          "/search?claims=disagree", "/search?q=qqqzzzx", "/search?page=999", "/search?more=place",
          f"/records/{EDITED}", f"/records/{EDITED}?revision=1", f"/records/{DISPUTED}", f"/records/{MAPPED}",
          f"/records/{EDITED}/history", f"/records/{DISPUTED}/history", f"/records/{DELETED}",
          "/records/{renamed}", "/stats", "/stats?q=school", "/api", "/login", "/no/such/page", "/records/nope",
          "/places", "/places/khojaly", f"/places/{PLACE}", "/places/nope", "/search?q=mapped", "/search?place=khojaly"]
ARCHIVIST_PAGES = ["/admin/", "/admin/sources", "/admin/runs", "/admin/runs/1", "/pending",
                   "/records/{harvested}/pending", "/records/new", f"/records/{EDITED}/edit",
                   "/records/{harvested}/edit", f"/records/{EDITED}/history", f"/records/{DELETED}/edit",
                   f"/records/{EDITED}", "/imports/", "/imports/mappings", f"/places/{PLACE}",
                   f"/places/{PLACE}/links", "/places/khojaly/links"]
ADMIN_PAGES = ["/admin/users", "/admin/sources", "/admin/sources/museum/edit", f"/records/{EDITED}/history",
               "/imports/mappings"]
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "harvest" / "examples"
#: The pages whose screenshots are kept, by name.
SHOTS = {"home": "/", "search": "/search?q=school", "record": f"/records/{EDITED}",
         "record-disputed": f"/records/{DISPUTED}", "history": f"/records/{DISPUTED}/history", "stats": "/stats",
         "login": "/login", "places": "/places", "place": f"/places/{PLACE}", "map": "/search?q=mapped"}
ARCHIVIST_SHOTS = {"desk": "/admin/", "pending": "/records/{harvested}/pending", "edit": f"/records/{EDITED}/edit"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with rich_site(tmp_path_factory.mktemp("axe") / "data") as served:
        yield served


@pytest.fixture(scope="module")
def axe() -> Any:
    """axe-core, injected into each page by axe-playwright-python (a test extra)."""
    try:
        from axe_playwright_python.sync_playwright import Axe  # deferred: a test extra, as playwright is
    except ImportError:
        unavailable("axe-playwright-python is not installed (pip install -e '.[test]')")
    return Axe()


def _context(browser: Any, site: Site, size: str, lang: str, user: str | None = None) -> Any:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{site.url}/?lang={lang}")  # the language cookie
    if user:
        sign_in(page, site.url, user, site.password)
    return context, page


def _check(axe: Any, page: Any, where: str, found: dict[str, str]) -> None:
    results = axe.run(page)
    if results.violations_count:
        found[where] = results.generate_report()


def _visit(axe: Any, page: Any, site: Site, paths: list[str], lang: str, found: dict[str, str]) -> None:
    for path in paths:
        url = site.url + path.format(harvested=site.harvested, renamed=site.renamed)
        page.goto(url)
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == lang, path
        _check(axe, page, f"{lang} {path}", found)


def _failed_forms(axe: Any, page: Any, site: Site, lang: str, found: dict[str, str]) -> None:
    """The forms of an archivist after a failed submit: record form, restore, pending."""
    page.goto(f"{site.url}/records/new")
    page.fill('[name="quantity"]', "many")
    page.locator('button[name="save"]').last.click()
    page.wait_for_load_state()
    _check(axe, page, f"{lang} record form with errors", found)
    page.goto(f"{site.url}/records/{EDITED}/history")
    page.evaluate("document.querySelectorAll('form.restore input[name=message]').forEach(i => i.required = false)")
    page.locator("form.restore button").first.click()
    page.wait_for_load_state()
    _check(axe, page, f"{lang} restore without a reason", found)


def _import_pages(axe: Any, page: Any, site: Site, lang: str, found: dict[str, str]) -> None:
    """The web import: an upload refused, the dry run of the register sample, its run."""
    page.goto(f"{site.url}/imports/")
    page.set_input_files("#f-file", str(EXAMPLES / "register.csv"))
    page.click("form.import-form button[type=submit]")  # no mapping given
    page.wait_for_load_state()
    _check(axe, page, f"{lang} import without a mapping", found)
    page.goto(f"{site.url}/imports/")
    page.set_input_files("#f-file", str(EXAMPLES / "register.csv"))
    page.fill("#f-mapping-text", (EXAMPLES / "register-mapping.toml").read_text(encoding="utf-8"))
    page.click("form.import-form button[type=submit]")
    page.wait_for_selector("#import-counts")
    _check(axe, page, f"{lang} import preview", found)
    page.click("form.confirm button[type=submit]")
    page.wait_for_url("**/imports/runs/*")
    from playwright.sync_api import expect  # deferred: a test extra

    # Until the import ends the page reloads itself (its progress script), which would abort
    # the next page's load: wait for the page of the finished import, which has no such script.
    expect(page.locator('script[src*="import-progress"]')).to_have_count(0, timeout=120_000)
    page.wait_for_load_state("load")
    _check(axe, page, f"{lang} import run", found)


@pytest.mark.parametrize("lang", ["en", "az"])
@pytest.mark.parametrize("size", list(SIZES))
def test_no_axe_violation_on_any_page(browser: Any, axe: Any, site: Site, size: str, lang: str) -> None:
    found: dict[str, str] = {}
    context, page = _context(browser, site, size, lang)
    _visit(axe, page, site, PUBLIC, lang, found)
    sign_in(page, site.url, ARCHIVIST, "wrong password")
    _check(axe, page, f"{lang} failed sign-in", found)
    if lang == "en":
        for name, path in SHOTS.items():
            page.goto(site.url + path.format(renamed=site.renamed))
            screenshot(page, f"{name}-{size}")
    context.close()

    context, page = _context(browser, site, size, lang, ARCHIVIST)
    _visit(axe, page, site, ARCHIVIST_PAGES, lang, found)
    _failed_forms(axe, page, site, lang, found)
    _import_pages(axe, page, site, lang, found)
    for name, path in ARCHIVIST_SHOTS.items():
        page.goto(site.url + path.format(harvested=site.harvested))
        screenshot(page, f"{name}-{size}-{lang}")
    context.close()

    context, page = _context(browser, site, size, lang, ADMIN)
    _visit(axe, page, site, ADMIN_PAGES, lang, found)
    page.goto(f"{site.url}/admin/sources")
    page.fill("#src-name", "bad name")
    page.fill("#src-url", "ftp://nowhere")
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()
    _check(axe, page, f"{lang} source form with an error", found)
    context.close()
    assert not found, "\n\n".join(f"== {where}\n{report}" for where, report in found.items())
