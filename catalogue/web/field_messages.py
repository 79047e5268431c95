"""Validation errors worded for people, in the UI language, for the web forms.

Records are checked in English (`FieldError.message`, what the CLI and the API show, in the
terms of the record model: "sources: is required"); a `FieldError` also carries a `code` and
`params`, from which this module words the problem as a sentence for the person at the form
("Tick at least one source that states this …"), in English as in Azerbaijani, and names
the field by its label in the error summary. A problem whose code is not listed here shows
the checker's English message (marked as English on pages in another language).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import LazyString
from markupsafe import Markup

from ..errors import FieldError
from ..schema import labels
from . import i18n
from .field_labels import VOCABULARIES, field_label, generic
from .i18n import lazy_gettext

#: The message of each problem code; placeholders are filled by `_shown` from the params.
TEXTS: dict[str, LazyString] = {
    "required": lazy_gettext("Fill this in: it is required."),
    "enum": lazy_gettext("%(value)s is not one of the choices: %(allowed)s."),
    "type": lazy_gettext("This must be %(type)s."),
    "edtf": lazy_gettext("%(value)s is not a date the catalogue can read: write a year (1992), a month (1992-02), "
                         "an uncertain year (1992?) or a range (1992/2023)."),
    "format": lazy_gettext("%(value)s is not in the %(format)s format."),
    "pattern": lazy_gettext("%(value)s is not written as this field needs: see the example in its label."),
    "minimum": lazy_gettext("%(value)s is too small: the smallest allowed is %(limit)s."),
    "maximum": lazy_gettext("%(value)s is too large: the largest allowed is %(limit)s."),
    "minLength": lazy_gettext("Fill this in: it is required."),
    "maxLength": lazy_gettext("This is too long: at most %(limit)s characters."),
    "minItems": lazy_gettext("This needs at least %(limit)s entries."),
    "maxItems": lazy_gettext("This may have at most %(limit)s entries."),
    "additionalProperties": lazy_gettext("The form has no such fields: %(names)s."),
    "geometry": lazy_gettext("Give a GeoJSON Point or Polygon with [longitude, latitude] positions."),
    "duplicate_source": lazy_gettext("Another source has the id %(value)s too: give each source its own id."),
    "unknown_source": lazy_gettext("%(value)s is not among the sources of this record: add it under Sources, "
                                   "or untick it."),
    "quantity_without_source": lazy_gettext("A quantity needs the source that states it: tick one under "
                                            "“Sources of the quantity”."),
    "end_before_start": lazy_gettext("The last year (%(end)s) is before the first year (%(start)s)."),
    "not_an_object": lazy_gettext("a record must be a JSON object"),
    "too_large": lazy_gettext("the record is %(size)s bytes of JSON; a record may have at most %(limit)s"),
    "integer": lazy_gettext("%(value)s is not a whole number: write digits only, e.g. 12 (or -117 for 117 BCE)."),
    "geojson": lazy_gettext("This is not GeoJSON: write it as in the example below the field."),
    "source_gone": lazy_gettext("That source is no longer in a public record: search again."),
    "message_required": lazy_gettext("Say what you changed and why: the edit message is required."),
}
#: Problems worded for the field they are about: (codes, field paths without row numbers, text);
#: each text stands for every pair of its codes and paths.
_FIELD_GROUPS: tuple[tuple[tuple[str, ...], tuple[str, ...], LazyString], ...] = (
    (("required", "minItems"), ("names.sources", "place.names.sources", "conditions.sources",
                                "designations.sources", "period.sources", "quantity_sources"),
     lazy_gettext("Tick at least one source that states this (add it under Sources above first).")),
    (("required", "minItems"), ("sources",),
     lazy_gettext("Add at least one source: every record rests on the sources that describe it.")),
    (("required", "minLength"), ("sources.citation",),
     lazy_gettext("Write the citation of this source (author, title, publisher, date).")),
    (("pattern",), ("id", "sources.id"),
     lazy_gettext("%(value)s cannot be an id: use letters, digits and . _ : - only, starting with a letter "
                  "or a digit.")),
)
FIELD_TEXTS: dict[tuple[str, str], LazyString] = {
    (code, path): text for codes, paths, text in _FIELD_GROUPS for code in codes for path in paths}

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


def _shown(code: str, params: Mapping[str, Any], path: str = "") -> dict[str, str]:
    """The placeholder texts of a message from the params of its error (the allowed values
    of a vocabulary by their labels in the UI language, as the form's selects show them)."""
    shown = {key: _value(value) for key, value in params.items()}
    if "allowed" in params:
        shown["allowed"] = ", ".join(_choice(VOCABULARIES.get(generic(path)), str(v)) for v in params["allowed"])
    if "names" in params:
        shown["names"] = ", ".join(_value(v) for v in params["names"])
    if code == "type":
        kinds = params["type"] if isinstance(params["type"], list) else [params["type"]]
        shown["type"] = " / ".join(str(TYPES.get(k, k)) for k in kinds)
    for key in ("limit", "start", "end", "format", "pattern", "size"):
        if key in params:
            shown[key] = str(params[key])
    return shown


def _choice(vocabulary: str | None, value: str) -> str:
    """A value of a record-schema vocabulary by its label in the UI language (the value itself
    when the field has no vocabulary in the schema)."""
    try:
        return labels(vocabulary, i18n.current_language()).get(value, value) if vocabulary else value
    except KeyError:
        return value


def _english(message: str) -> str | Markup:
    """The English message of a check, marked as English on a page in another language
    (``<span lang="en">``), so that screen readers and translators know what it is."""
    if i18n.current_language() == i18n.DEFAULT:
        return message
    return Markup('<span lang="en">%s</span>') % message


def text(error: FieldError) -> str | Markup:
    """The message of `error` for people, in the UI language (the checker's English message,
    marked as English on other pages, for a problem this module cannot word)."""
    template = FIELD_TEXTS.get((error.code, generic(error.path))) or TEXTS.get(error.code)
    if template is None:
        return _english(error.message)
    try:
        return str(template) % _shown(error.code, error.params, error.path)
    except (KeyError, TypeError, ValueError):  # params that do not fit: the English text is still right
        return _english(error.message)


def located(error: FieldError) -> str | Markup:
    """``Field: message`` for the error summary: the field named by its label in the form
    ("Assessment 1 › Sources"), or as written when the form has no label for it."""
    if not error.path:
        return text(error)
    label = field_label(error.path) or field_label(_parent(error.path))
    if label is None:
        return Markup("<code>%s</code>: %s") % (error.path, text(error))
    return Markup('<span class="field-name">%s</span>: %s') % (label, text(error))


def _parent(path: str) -> str:
    """The path of the field or row that holds `path` (``place.geometry.type`` -> ``place.geometry``)."""
    return re.sub(r"(\[\d+\]|\.[A-Za-z_]+)$", "", path)
