"""The Azerbaijani UI catalogue is complete and its compiled form (committed, so a plain
`pip install` ships it) matches the source `.po` file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
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


@pytest.mark.slow
def test_plain_install_ships_translations_and_static_files(tmp_path: Path) -> None:
    root = TRANSLATIONS.parent.parent
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(root)], check=True, capture_output=True, text=True)
    package = target / "catalogue"
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
