"""The OpenAPI 3.1 description served at ``/api/openapi.json``: the read API, plus the
write API's paths and components (e.g. security schemes), which `catalogue.web.api_write`
declares beside its routes in ``OPENAPI_PATHS`` and ``OPENAPI_COMPONENTS``."""

from __future__ import annotations

import copy
from typing import Any

from ..schema import record_schema
from ..search import FACETS, SORTS, SearchLimits
from ..version import __version__
from . import api_write, places


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _json_response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _query(name: str, description: str, schema: dict[str, Any], many: bool = False,
           example: Any = None) -> dict[str, Any]:
    if many:
        schema = {"type": "array", "items": schema}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema,
            **({"style": "form", "explode": True} if many else {}),
            **({"example": example} if example is not None else {})}


_RECORD_ID = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"},
              "description": "The record id, e.g. khojaly-schools.", "example": "khojaly-schools"}
#: Example values of the search filters (the demo collection answers them).
_FACET_EXAMPLES = {"type": ["school"], "status": ["destroyed"]}

_FACET_HELP = {
    "type": "Record type (repeat to combine).",
    "status": "Current condition status (repeat to combine).",
    "claims": "disagree: records whose sources, each by its latest assessment, name different statuses.",
    "century": "Century the period overlaps, e.g. 14 (repeat to combine).",
    "place": "Place: a place authority's id (e.g. khojaly; a name of one selects it too) or a free-text place "
             "name (repeat to combine).",
    "country": "Country: ISO 3166-1 alpha-2 code, or the name of a country without one (repeat to combine).",
    "source": "Source (repeat to combine).",
}


def _read_paths(max_query_length: int) -> dict[str, Any]:
    search_params = [
        _query("q", "Full-text query: words, phrases, AND/OR/NOT, field:value.",
               {"type": "string", "maxLength": max_query_length}, example="khojaly"),
        *(_query(f, _FACET_HELP[f], {"type": "string"}, many=True, example=_FACET_EXAMPLES.get(f)) for f in FACETS),
        _query("bbox", "Only records whose geometry lies (partly) in this area: WEST,SOUTH,EAST,NORTH in degrees "
               "(WGS84); WEST > EAST crosses the antimeridian.",
               {"type": "string", "pattern": r"^[^,]+,[^,]+,[^,]+,[^,]+$"}, example="44.5,38.3,50.5,42"),
        _query("sort", "Sort order.", {"type": "string", "enum": list(SORTS), "default": "relevance"}),
        _query("page", "Page number.", {"type": "integer", "minimum": 1, "default": 1}),
        _query("page_size", "Hits per page.", {"type": "integer", "minimum": 1, "maximum": 100}),
    ]
    return {
        "/api/search": {"get": {
            "operationId": "search",
            "summary": "Search records, with facet counts and a did-you-mean suggestion",
            "parameters": search_params,
            "responses": {"200": _json_response("A page of hits", "SearchResult"),
                          "400": _problem_response("A bad query, filter, sort or page number")},
        }},
        "/api/records/{record_id}": {"get": {
            "operationId": "getRecord",
            "summary": "A record, or one of its revisions",
            "parameters": [_RECORD_ID, _query("revision", "A revision number (old revisions stay citable).",
                                              {"type": "integer", "minimum": 1})],
            "responses": {"200": _json_response("The record", "Record"),
                          "400": _problem_response("A bad revision number"),
                          "404": _problem_response("No such record or revision"),
                          "410": _problem_response("The record was deleted (the problem names the reason), or the "
                                                   "revision is withheld from the public (`withheld: true`)")},
        }},
        "/api/records/{record_id}/history": {"get": {
            "operationId": "getHistory",
            "summary": "Every revision of a record: who, when, why",
            "parameters": [_RECORD_ID],
            "responses": {"200": _json_response("The revisions, oldest first", "History"),
                          "404": _problem_response("No such record")},
        }},
        "/api/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This description",
            "responses": {"200": {"description": "OpenAPI document", "content": {"application/json": {}}}},
        }},
    }


def _record_schema() -> dict[str, Any]:
    """The record JSON Schema, made self-contained for components (its $defs inlined as refs)."""
    schema = copy.deepcopy(record_schema())
    for key in ("$schema", "$id", "x-labels"):
        schema.pop(key, None)
    return schema


def _components() -> dict[str, Any]:
    record = _record_schema()
    defs = record.pop("$defs", {})
    hit = {"type": "object", "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "score": {"type": "number"},
        "snippet": {"type": "string", "description": "Escaped HTML; matched terms in <mark>."},
        "url": {"type": "string", "format": "uri"}, "record": {"$ref": "#/components/schemas/Record"}}}
    facet = {"type": "array", "items": {"type": "object", "properties": {
        "value": {"type": "string"}, "count": {"type": "integer"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Places: the place's name in each language its records tag one with."}}}}
    return {"schemas": {
        "Record": _rewrite_refs(record),
        **{name: _rewrite_refs(value) for name, value in defs.items()},
        "SearchResult": {"type": "object", "properties": {
            "query": {"type": "string"}, "total": {"type": "integer"}, "page": {"type": "integer"},
            "page_size": {"type": "integer"}, "pages": {"type": "integer"}, "sort": {"type": "string"},
            "filters": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            "suggestion": {"type": ["string", "null"]}, "notice": {"type": ["string", "null"]},
            "relaxed": {"type": ["string", "null"], "enum": [None, "variants", "typos", "some_words"],
                        "description": "How the query was relaxed when no record matched every word as typed: "
                                       "other spellings, typos forgiven, or some of the words."},
            "bbox": {"type": ["string", "null"], "description": "The area searched, if any."},
            "mapped": {"type": "integer", "description": "How many of the records have a geometry (the others "
                                                          "are not on a map)."},
            "hits": {"type": "array", "items": hit},
            "facets": {"type": "object", "properties": {f: facet for f in FACETS}}}},
        "History": {"type": "object", "properties": {
            "id": {"type": "string"},
            "revisions": {"type": "array", "items": {"type": "object", "properties": {
                "revision": {"type": "integer"}, "action": {"type": "string"}, "deleted": {"type": "boolean"},
                "user": {"type": "string"}, "message": {"type": ["string", "null"]}, "origin": {"type": "string"},
                "at": {"type": "string", "format": "date-time"},
                "withheld": {"type": "boolean", "description": "Content and message withheld from the public."},
                "record": {"oneOf": [{"$ref": "#/components/schemas/Record"}, {"type": "null"}]}}}}}},
        "RecordInput": _record_input(record),
        "Problem": {"type": "object", "description": "RFC 9457 problem details; some carry more members "
                    "(a failed write lists `errors`, a stale one `current_revision` and `current`).",
                    "required": ["type", "title", "status"], "additionalProperties": True, "properties": {
                        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                        "detail": {"type": "string"}, "instance": {"type": "string"},
                        "errors": {"type": "array", "items": {"type": "object", "properties": {
                            "path": {"type": "string", "description": "Field path, e.g. names/0/name."},
                            "message": {"type": "string"}}}}}},
    }}


def _record_input(record: dict[str, Any]) -> dict[str, Any]:
    """What a script sends to create or replace a record: a record whose id may be left out
    (it is made from the title) and whose system fields are ignored."""
    schema = _rewrite_refs(copy.deepcopy(record))
    schema["required"] = [name for name in schema.get("required", []) if name != "id"]
    schema["description"] = ("A record to store; the id is made from the title when absent. The server owns "
                             "`created`, `modified`, `revision` and `provenance`: values sent for them are "
                             "ignored (a new record is `{\"origin\": \"manual\"}`, an edit keeps the stored "
                             "provenance).")
    return schema


def _rewrite_refs(value: Any) -> Any:
    """Point the record schema's ``#/$defs/x`` references at ``#/components/schemas/x``."""
    if isinstance(value, dict):
        return {k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" and isinstance(v, str)
                    else _rewrite_refs(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite_refs(v) for v in value]
    return value


def spec(server_url: str, limits: SearchLimits | None = None) -> dict[str, Any]:
    """The whole OpenAPI document, with this server's URL (and its longest query)."""
    paths = _read_paths((limits or SearchLimits()).max_query_length)
    for extra in (api_write.OPENAPI_PATHS, places.OPENAPI_PATHS):
        for path, operations in copy.deepcopy(extra).items():
            paths.setdefault(path, {}).update(operations)
    components = _components()
    for extra in (api_write.OPENAPI_COMPONENTS, places.OPENAPI_COMPONENTS):
        for section, entries in copy.deepcopy(extra).items():
            components.setdefault(section, {}).update(entries)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Heritage catalogue API", "version": __version__,
                 "description": "Search and read records of cultural heritage that was destroyed, damaged or is at "
                                "risk. Errors are RFC 9457 problem details."},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": components,
    }
