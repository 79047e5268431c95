"""Record fields as the record form names them, in the UI language, for every page that
talks about fields (history diffs, pending upstream changes): ``conditions[1].certainty``
reads "Assessment 2 › Certainty". A path this module does not know is shown as written."""

from __future__ import annotations

import re

from flask_babel import LazyString

from ..records import field_rank
from .i18n import lazy_gettext

#: Fields of the record and of its objects, by path (rows of a group by the group's path).
FIELDS: dict[str, LazyString | str] = {
    "id": lazy_gettext("Identifier"), "type": lazy_gettext("Type"), "title": lazy_gettext("Title"),
    "description": lazy_gettext("Description"), "quantity": lazy_gettext("Quantity"),
    "quantity_sources": lazy_gettext("Sources of the quantity"), "subjects": lazy_gettext("Subjects"),
    "rights": lazy_gettext("Rights"), "notes": lazy_gettext("Editorial notes"), "names": lazy_gettext("Names"),
    "place": lazy_gettext("Place"), "place.name": lazy_gettext("Place name"),
    "place.admin_area": lazy_gettext("Administrative area"), "place.country": lazy_gettext("Country"),
    "place.geometry": lazy_gettext("Geometry"), "place.names": lazy_gettext("Names of the place"),
    "period": lazy_gettext("Period"), "period.label": lazy_gettext("Period"),
    "period.start": lazy_gettext("First year"), "period.end": lazy_gettext("Last year"),
    "period.sources": lazy_gettext("Sources of the period"), "conditions": lazy_gettext("Condition assessments"),
    "sources": lazy_gettext("Sources"), "external_ids": lazy_gettext("External identifiers"),
    "media": lazy_gettext("Media"), "provenance": lazy_gettext("Provenance"),
    "provenance.origin": lazy_gettext("Origin"), "provenance.source_name": lazy_gettext("From"),
    "provenance.source_identifier": lazy_gettext("Identifier at the source"),
    "provenance.harvested_at": lazy_gettext("Harvested"), "languages": lazy_gettext("Languages"),
    "place.id": lazy_gettext("Place authority"), "designations": lazy_gettext("Designations"),
    "links": lazy_gettext("Web pages"), "place.countries": lazy_gettext("Countries"),
    "message": lazy_gettext("Edit message"),
}
_NAME = {"value": lazy_gettext("Name"), "lang": lazy_gettext("Language"), "script": lazy_gettext("Script"),
         "kind": lazy_gettext("Kind"), "sources": lazy_gettext("Sources")}
#: The fields of one row of each repeating group.
ROW_FIELDS: dict[str, dict[str, LazyString | str]] = {
    "names": _NAME,
    "place.names": _NAME,
    "conditions": {"status": lazy_gettext("Status"), "date": lazy_gettext("Date"), "event": lazy_gettext("Event"),
                   "cause": lazy_gettext("Cause"), "certainty": lazy_gettext("Certainty"),
                   "assessed_by": lazy_gettext("Assessed by"), "method": lazy_gettext("Method"),
                   "note": lazy_gettext("Note"), "sources": lazy_gettext("Sources")},
    "sources": {"id": lazy_gettext("Id"), "citation": lazy_gettext("Citation"), "author": lazy_gettext("Author"),
                "publisher": lazy_gettext("Publisher"), "date": lazy_gettext("Date"), "url": "URL",
                "pages": lazy_gettext("Pages"), "type": lazy_gettext("Kind of source")},
    "external_ids": {"scheme": lazy_gettext("Scheme"), "value": lazy_gettext("Value")},
    "designations": {"scheme": lazy_gettext("Register or scheme"), "identifier": lazy_gettext("Number on the register"),
                     "date": lazy_gettext("Date"), "status": lazy_gettext("Status"), "url": "URL",
                     "note": lazy_gettext("Note"), "sources": lazy_gettext("Sources")},
    "links": {"url": "URL", "label": lazy_gettext("Label")},
    "place.countries": {"code": lazy_gettext("Code"), "name": lazy_gettext("Name")},
    "media": {"url": "URL", "caption": lazy_gettext("Caption"), "licence": lazy_gettext("Licence"),
              "credit": lazy_gettext("Credit")},
}
#: Each repeating group's rows, numbered from 1.
ROWS: dict[str, LazyString] = {
    "names": lazy_gettext("Name %(n)s"), "place.names": lazy_gettext("Place name %(n)s"),
    "conditions": lazy_gettext("Assessment %(n)s"), "sources": lazy_gettext("Source %(n)s"),
    "external_ids": lazy_gettext("Identifier %(n)s"), "media": lazy_gettext("Medium %(n)s"),
    "designations": lazy_gettext("Designation %(n)s"), "links": lazy_gettext("Web page %(n)s"),
    "place.countries": lazy_gettext("Country %(n)s"),
}
#: Fields whose values are codes of a vocabulary (shown by their labels), by the path without row numbers.
VOCABULARIES = {"type": "type", "conditions.status": "status", "conditions.certainty": "certainty",
                "names.kind": "kind", "place.names.kind": "kind", "provenance.origin": "origin",
                "designations.status": "designation_status"}

_ROW = re.compile(r"^(?P<group>[a-z_.]+)\[(?P<index>\d+)\](?:\.(?P<field>[a-z_.]+))?$", re.ASCII)
SEPARATOR = " › "


def generic(path: str) -> str:
    """A path without its row numbers: ``conditions[1].certainty`` -> ``conditions.certainty``."""
    return re.sub(r"\[\d+\]", "", path)


def field_label(path: str) -> str | None:
    """The label of a field path in the UI language ("Assessment 2 › Certainty"); None for
    a path the form has no label for."""
    if path in FIELDS:
        return str(FIELDS[path])
    match = _ROW.match(path)
    if not match or match["group"] not in ROWS:
        return None
    row = str(ROWS[match["group"]]) % {"n": int(match["index"]) + 1}
    if not match["field"]:
        return row
    inner = ROW_FIELDS[match["group"]].get(match["field"])
    return f"{row}{SEPARATOR}{inner}" if inner is not None else None



def rank(path: str) -> int:
    """Where a path's field comes in the record's order (`records.FIELD_ORDER`)."""
    return field_rank(re.split(r"[.\[]", path, maxsplit=1)[0])
