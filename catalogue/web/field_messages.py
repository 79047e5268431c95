"""Validation errors worded in the UI language for the web forms.

Records are checked in English (`FieldError.message`, what the CLI and the API show); a
`FieldError` also carries a `code` and `params`, from which this module words the problem
in the current UI language. English pages keep the checker's own message word for word,
and so does any language for a problem whose code is not listed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import LazyString, lazy_gettext
from markupsafe import Markup

from ..errors import FieldError
from . import i18n

#: The message of each problem code; placeholders are filled by `_shown` from the params.
TEXTS: dict[str, LazyString] = {
    "required": lazy_gettext("is required"),
    "enum": lazy_gettext("%(value)s is not one of the allowed values: %(allowed)s"),
    "type": lazy_gettext("must be %(type)s"),
    "edtf": lazy_gettext("%(value)s is not an EDTF date (e.g. 1992, 1992-02, 1992?, 1992/2023)"),
    "format": lazy_gettext("%(value)s is not in the %(format)s format"),
    "pattern": lazy_gettext("%(value)s does not have the required form (%(pattern)s)"),
    "minimum": lazy_gettext("%(value)s is below the smallest allowed value, %(limit)s"),
    "maximum": lazy_gettext("%(value)s is above the largest allowed value, %(limit)s"),
    "minLength": lazy_gettext("must be at least %(limit)s characters long"),
    "maxLength": lazy_gettext("must be at most %(limit)s characters long"),
    "minItems": lazy_gettext("must have at least %(limit)s items"),
    "maxItems": lazy_gettext("must have at most %(limit)s items"),
    "additionalProperties": lazy_gettext("not fields of this object: %(names)s"),
    "geometry": lazy_gettext("must be a GeoJSON Point or Polygon with [longitude, latitude] positions"),
    "duplicate_source": lazy_gettext("%(value)s is used by another source"),
    "unknown_source": lazy_gettext("%(value)s is not the id of a source of this record"),
    "quantity_without_source": lazy_gettext("a quantity must cite the source that states it"),
    "end_before_start": lazy_gettext("%(end)s is before the start year %(start)s"),
    "not_an_object": lazy_gettext("a record must be a JSON object"),
    "too_large": lazy_gettext("the record is %(size)s bytes of JSON; a record may have at most %(limit)s"),
}

#: JSON types in words, for the ``type`` message.
TYPES: dict[str, LazyString] = {
    "string": lazy_gettext("text"), "integer": lazy_gettext("a whole number"), "number": lazy_gettext("a number"),
    "array": lazy_gettext("a list"), "object": lazy_gettext("an object"), "boolean": lazy_gettext("true or false"),
    "null": lazy_gettext("empty"),
}

#: Longest piece of a submitted value repeated in a message.
_SHOWN = 60


def _value(value: Any) -> str:
    """A submitted value as a message quotes it (as the English messages do: ``'gone'``)."""
    return repr(value[:_SHOWN]) if isinstance(value, str) else repr(value)[:_SHOWN]


def _shown(code: str, params: Mapping[str, Any]) -> dict[str, str]:
    """The placeholder texts of a message from the params of its error."""
    shown = {key: _value(value) for key, value in params.items()}
    if "allowed" in params:
        shown["allowed"] = ", ".join(str(v) for v in params["allowed"])
    if "names" in params:
        shown["names"] = ", ".join(_value(v) for v in params["names"])
    if code == "type":
        kinds = params["type"] if isinstance(params["type"], list) else [params["type"]]
        shown["type"] = " / ".join(str(TYPES.get(k, k)) for k in kinds)
    for key in ("limit", "start", "end", "format", "pattern", "size"):
        if key in params:
            shown[key] = str(params[key])
    return shown


def _english(message: str) -> str | Markup:
    """The English message of a check, marked as English on a page in another language
    (``<span lang="en">``), so that screen readers and translators know what it is."""
    if i18n.current_language() == i18n.DEFAULT:
        return message
    return Markup('<span lang="en">%s</span>') % message


def text(error: FieldError) -> str | Markup:
    """The message of `error` in the UI language (the English message on English pages,
    and, marked as English, for a problem this module cannot word)."""
    template = TEXTS.get(error.code)
    if template is None or i18n.current_language() == i18n.DEFAULT:
        return _english(error.message)
    try:
        return str(template) % _shown(error.code, error.params)
    except (KeyError, TypeError, ValueError):  # params that do not fit: the English text is still right
        return _english(error.message)


def located(error: FieldError) -> str | Markup:
    """``path: message`` as `str(error)`, the message in the UI language (the path, a field
    name of the record, as code)."""
    return Markup("<code>%s</code>: %s") % (error.path, text(error)) if error.path else text(error)
