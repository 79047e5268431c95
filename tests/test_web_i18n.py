"""The Azerbaijani UI catalogue is complete and its compiled form (committed, so a plain
`pip install` ships it) matches the source `.po` file."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "catalogue" / "translations"


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
    assert source == messages(mo), "run: pybabel compile -d catalogue/translations"


def test_every_ui_string_of_the_template_is_translated() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        template = read_po(f)
    with (TRANSLATIONS / "az" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        po = messages(read_po(f))
    missing = [m.id for m in template if m.id and not po.get(m.id)]
    assert not missing, f"untranslated (pybabel update, then translate): {missing}"
