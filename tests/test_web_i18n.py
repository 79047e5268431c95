"""The Azerbaijani UI catalogue is complete and its compiled form (committed, so a plain
`pip install` ships it) matches the source `.po` file; templates hold no unmarked UI text,
the catalogue template is up to date with the code, and the archivist pages speak
Azerbaijani when asked."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import flask_babel
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

from tests.archivists import csrf_token, signed_in

TRANSLATIONS = Path(__file__).resolve().parent.parent / "catalogue" / "web" / "translations"


def _key(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def messages(catalog) -> dict:
    """msgid -> translation, plural forms as tuples (the .mo reader gives lists)."""
    return {_key(m.id): _key(m.string) for m in catalog if m.id}


def test_compiled_catalogue_matches_its_source() -> None:
    with (TRANSLATIONS / "az" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        po = read_po(f)
    with (TRANSLATIONS / "az" / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        mo = read_mo(f)
    source = {k: v for k, v in messages(po).items() if v and v != ("", "")}
    assert source == messages(mo), "run: pybabel compile -d catalogue/web/translations"


def test_every_ui_string_of_the_template_is_translated() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        template = read_po(f)
    with (TRANSLATIONS / "az" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        po = messages(read_po(f))
    missing = [m.id for m in template if m.id and not po.get(m.id)]
    assert not missing, f"untranslated (pybabel update, then translate): {missing}"


#: Words a template may show untranslated: names of formats.
FORMAT_NAMES = {"JSON", "BibTeX", "CSL-JSON"}


def _bare_text(template: str) -> list[str]:
    """Words of a template that are neither Jinja nor markup nor code: unmarked UI text."""
    text = re.sub(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", " ", template, flags=re.S)
    text = re.sub(r"<(script|style|code|pre)\b.*?</\1>", " ", text, flags=re.S)
    shown = re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', text)
    text = re.sub(r'[\w-]+="[^"]*"', " ", text)
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    words = re.findall(r"[^\W\d_][\w'-]*", html.unescape(text + " " + " ".join(shown)))
    return [w for w in words if w not in FORMAT_NAMES]


def test_templates_hold_no_unmarked_ui_text() -> None:
    templates = TRANSLATIONS.parent / "templates"
    bare = {str(p.relative_to(templates)): _bare_text(p.read_text(encoding="utf-8"))
            for p in templates.rglob("*.html")}
    assert {name: words for name, words in bare.items() if words} == {}
    assert _bare_text('<p title="Hi">{{ _("Save") }} Delete</p>') == ["Delete", "Hi"]


def test_catalogue_template_is_up_to_date_with_the_code() -> None:
    root = TRANSLATIONS.parent.parent.parent
    with (TRANSLATIONS / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "pgettext": ((1, "c"), 2)}
    found = {msgid if isinstance(msgid, str) else msgid[0]
             for _, _, msgid, _, _ in extract_from_dir(str(root), method_map, options_map, keywords=keywords)}
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert found - known == set(), "run pybabel extract (see catalogue/web/i18n.py), then translate"


def _english_only(page: str, english: set[str]) -> list[str]:
    """English UI strings (of several words) that a page shows word for word."""
    text = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", page)).split())
    return sorted(s for s in english if s in text)


@pytest.fixture
def english() -> set[str]:
    """msgids of several words with no placeholder, whose Azerbaijani text differs."""
    with (TRANSLATIONS / "az" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return {m.id for m in read_po(f) if isinstance(m.id, str) and " " in m.id and "%(" not in m.id
                and m.string and m.string != m.id}


def test_archivist_pages_speak_azerbaijani(demo_app: Flask, english: set[str]) -> None:
    admin = signed_in(demo_app, "ayla", "admin")
    admin.get("/?lang=az")
    pages = ["/admin/", "/admin/users", "/admin/sources", "/admin/runs", "/pending", "/records/new",
             "/records/khojaly-schools/edit", "/records/khojaly-schools/pending"]
    for path in pages:
        response = admin.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert '<html lang="az">' in page and _english_only(page, english) == [], path
    bad = admin.post("/records/new", data={"csrf_token": csrf_token(admin, "/records/new"), "title": "X",
                                           "quantity": "many", "save": "1"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and _english_only(page, english) == []
    assert "Qeyd saxlanmadı" in page and "tam ədəd deyil" in page and "redaktə qeydi mütləqdir" in page
    assert 'value="many"' in page  # the input is kept


def test_front_page_names_revision_actions_in_the_ui_language(demo_app: Flask) -> None:
    page = demo_app.test_client().get("/?lang=az").get_data(as_text=True)
    recent = page.split("</h2>")[-1]
    assert "Yaradılıb" in recent and "create ·" not in recent


def test_sign_in_errors_speak_azerbaijani(demo_app: Flask, english: set[str]) -> None:
    client = demo_app.test_client()
    client.get("/login?lang=az")
    wrong = client.post("/login", data={"name": "nobody", "password": "x" * 12, "csrf_token": csrf_token(client)})
    assert wrong.status_code == 401 and "Ad və ya parol yanlışdır" in wrong.get_data(as_text=True)
    stale = client.post("/login", data={"name": "nobody", "password": "x", "csrf_token": "forged"})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 400 and "Forma qəbul edilmədi" in page and _english_only(page, english) == []


@pytest.mark.slow
def test_plain_install_ships_translations_and_static_files(tmp_path: Path) -> None:
    root = TRANSLATIONS.parent.parent.parent
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(root)], check=True, capture_output=True, text=True)
    package = target / "catalogue" / "web"
    assert (package / "translations" / "az" / "LC_MESSAGES" / "messages.mo").is_file()
    assert (package / "static" / "vendor" / "leaflet" / "LICENSE").is_file()
    script = (
        "from catalogue import create_app\n"
        f"app = create_app({{'TESTING': True, 'DATA': {str(tmp_path / 'data')!r}}})\n"
        "print(app.test_client().get('/stats?lang=az').get_data(as_text=True))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                            check=True)
    assert "<h1>Statistika</h1>" in result.stdout


@pytest.mark.parametrize("path", ["/search?q=Xocal%C4%B1", "/records/khojaly-schools", "/"])
def test_a_page_looks_its_translations_up_once(demo_app: Flask, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """A page's UI strings (a hundred or more) share one lookup of the request's translations."""
    lookups = []
    real = flask_babel.Domain.get_translations
    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: lookups.append(1) or real(self))
    client = demo_app.test_client()
    pages = {}
    for lang in ("az", "en"):
        lookups.clear()
        page = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
        assert page.status_code == 200
        assert len(lookups) == 1, len(lookups)
        pages[lang] = page.get_data(as_text=True)
    assert 'lang="az"' in pages["az"] and 'lang="en"' in pages["en"]
    assert pages["az"].count("Axtar") > pages["en"].count("Axtar")
