"""The English/Azerbaijani switch of the user interface (Flask-Babel).

Only UI strings are translated; record data is shown as entered. The language comes from
``?lang=`` (remembered in a cookie), then the cookie, then the browser's Accept-Language.
Compiled catalogues (``translations/*/LC_MESSAGES/messages.mo``) are committed next to
their ``.po`` sources, so a plain ``pip install`` ships working translations; after
editing a ``.po`` file run ``pybabel compile -d catalogue/web/translations``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, request
from flask_babel import Babel, get_locale

#: UI languages, each named in itself (shown in the language switch).
LANGUAGES = {"en": "English", "az": "Azərbaycanca"}
DEFAULT = "en"
COOKIE = "lang"
#: The message catalogues, next to this module.
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def _requested() -> str | None:
    """The language asked for in the query string, when it is one we offer."""
    value = request.args.get("lang", "")
    return value if value in LANGUAGES else None


def select_locale() -> str:
    """The UI language of this request."""
    cookie = request.cookies.get(COOKIE, "")
    return _requested() or (cookie if cookie in LANGUAGES else None) or \
        request.accept_languages.best_match(LANGUAGES, default=DEFAULT)


def current_language() -> str:
    """The language code of the current request (``en`` or ``az``)."""
    return str(get_locale() or DEFAULT)


def _remember(response: Response) -> Response:
    """Keep a language picked with ``?lang=`` for the next pages."""
    chosen = _requested()
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    """Install Flask-Babel (gettext in templates) and the language cookie."""
    Babel(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))
    app.after_request(_remember)
