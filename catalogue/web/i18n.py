"""The English/Azerbaijani switch of the user interface (Flask-Babel).

Only UI strings are translated; record data is shown as entered. The language comes from
``?lang=`` (remembered in a cookie), then the cookie, then the browser's Accept-Language.
Compiled catalogues (``translations/*/LC_MESSAGES/messages.mo``) are committed next to
their ``.po`` sources, so a plain ``pip install`` ships working translations; after
editing a ``.po`` file run ``pybabel compile -d catalogue/web/translations``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, g, has_app_context, request
from flask_babel import Babel, LazyString, get_locale, get_translations

#: UI languages, each named in itself (shown in the language switch).
LANGUAGES = {"en": "English", "az": "Azərbaycanca"}
DEFAULT = "en"
COOKIE = "lang"
#: The message catalogues, next to this module.
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
#: Where a request keeps its translations (`g`).
_KEPT = "_catalogue_translations"


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


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's `gettext` (a UI string in the request's language, `%(name)s` filled from
    `variables`), through the translations the request keeps (`_translations`)."""
    text = _translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """Flask-Babel's `lazy_gettext` (translated when shown, for texts made at import), through
    `gettext` above."""
    return LazyString(gettext, string, **variables)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Flask-Babel's `ngettext` (the form for `num`, which `%(num)s` shows), through the
    translations the request keeps."""
    variables.setdefault("num", num)
    return _translations().ungettext(singular, plural, num) % variables


def _remember(response: Response) -> Response:
    """Keep a language picked with ``?lang=`` for the next pages."""
    chosen = _requested()
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def _translations() -> Any:
    """The translations of this request's language, looked up through Flask-Babel once per
    request and kept in `g`: Flask-Babel's own template callables look them up again at each
    UI string (a record page has over a hundred), which took a sixth of the page's time."""
    if not has_app_context():
        return get_translations()
    kept = g.get(_KEPT)
    if kept is None:
        kept = get_translations()
        setattr(g, _KEPT, kept)
    return kept


def init_app(app: Flask) -> None:
    """Install Flask-Babel (gettext in templates, through `_translations`) and the language cookie."""
    Babel(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.after_request(_remember)
