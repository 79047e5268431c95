"""Place authority pages and their read API: ``/places`` (every place), ``/places/<id>`` (its
names, where it lies, a map, the records there with their facets, its history),
``/places/<id>/links`` (records naming the place as free text, linked when an archivist
confirms) and ``/api/places``, ``/api/places/<id>`` and its history as JSON."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for

from ..errors import CatalogueError, NotFound
from ..formats.citation import record_url
from ..places import display_name, gazetteer_links
from ..schema import record_schema
from . import get_catalogue, i18n
from .auth import role_required
from .error_pages import not_found_text
from .problems import problem
from .site import base_url

bp = Blueprint("places", __name__)
api_bp = Blueprint("places_api", __name__, url_prefix="/api")

#: Records a place page lists (the full list is a search away).
RECORDS_SHOWN = 50


def _place(place_id: str) -> dict[str, Any]:
    try:
        return get_catalogue().places.get(place_id)
    except NotFound as error:
        abort(404, description=not_found_text(error))


@bp.get("/places")
def index() -> Any:
    """Every place authority with the number of public records there."""
    catalogue = get_catalogue()
    lang = i18n.current_language()
    rows = [{"place": p, "name": display_name(p, lang), "count": catalogue.places.record_count(p["id"])}
            for p in catalogue.places.all()]
    return render_template("places/index.html", rows=sorted(rows, key=lambda r: r["name"].casefold()))


@bp.get("/places/<place_id>")
def place(place_id: str) -> Any:
    """A place: its names in every script, where it lies, a map when it has a geometry, the
    records linked to it (with their facets) and its history."""
    found = _place(place_id)
    catalogue = get_catalogue()
    result = catalogue.search("", filters={"place": [place_id]}, sort="title", page_size=RECORDS_SHOWN,
                              highlight=False)
    proposals = catalogue.places.proposals(place_id) if g.get("user") else []
    return render_template("places/place.html", place=found, name=display_name(found, i18n.current_language()),
                           result=result, history=catalogue.places.history(place_id), proposals=proposals,
                           gazetteers=gazetteer_links(found))


@bp.route("/places/<place_id>/links", methods=["GET", "POST"])
@role_required("archivist")
def links(place_id: str) -> Any:
    """Records whose free-text place is a name of this place: an archivist ticks the ones to
    link (each link a revision of the record, by them) and confirms."""
    found = _place(place_id)
    catalogue = get_catalogue()
    proposals = catalogue.places.proposals(place_id)
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        proposed = {p.record_id for p in proposals}
        for record_id in request.form.getlist("record"):
            if record_id not in proposed:  # linked meanwhile, or not a proposal: nothing to do
                continue
            try:
                catalogue.places.link(record_id, place_id, user=g.user.name)
            except CatalogueError as error:
                errors.append((record_id, str(error)))
        if not errors:
            return redirect(url_for("places.place", place_id=place_id), code=303)
        proposals = catalogue.places.proposals(place_id)
    return render_template("places/links.html", place=found, name=display_name(found, i18n.current_language()),
                           proposals=proposals, errors=errors), 422 if errors else 200


# -- read API ----------------------------------------------------------------------------------


def place_json(place: dict[str, Any]) -> dict[str, Any]:
    """A place as the API gives it: as stored, with its page, its gazetteer pages and its
    number of public records."""
    url = f"{base_url()}/places/{place['id']}"
    return dict(place, url=url, records=get_catalogue().places.record_count(place["id"]),
                gazetteer_urls=[link for _, _, link in gazetteer_links(place)],
                records_url=f"{base_url()}/api/search?place={place['id']}")


@api_bp.get("/places")
def api_index() -> Any:
    """Every place authority."""
    return jsonify({"places": [place_json(p) for p in get_catalogue().places.all()]})


@api_bp.get("/places/<place_id>")
def api_place(place_id: str) -> Any:
    """One place authority, with the ids and URLs of the public records linked to it."""
    catalogue = get_catalogue()
    try:
        found = catalogue.places.get(place_id)
    except NotFound as error:
        return problem(404, "Not Found", str(error))
    result = catalogue.search("", filters={"place": [place_id]}, sort="title", page_size=1000, facets=False,
                              highlight=False)
    body = place_json(found)
    body["records"] = result.total
    body["record_ids"] = [hit.id for hit in result.hits]
    body["record_urls"] = [record_url(base_url(), hit.id) for hit in result.hits]
    return jsonify(body)


@api_bp.get("/places/<place_id>/history")
def api_history(place_id: str) -> Any:
    """Every revision of a place, oldest first: who, when, why and the content."""
    try:
        revisions = get_catalogue().places.history(place_id)
    except NotFound as error:
        return problem(404, "Not Found", str(error))
    return jsonify({"id": place_id, "revisions": [
        {"revision": r.revision, "user": r.user, "message": r.message, "at": r.at, "place": r.data}
        for r in revisions]})


# -- OpenAPI -----------------------------------------------------------------------------------

_PLACE_ID = {"name": "place_id", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "The place id, e.g. khojaly.", "example": "khojaly"}
_NOT_FOUND = {"description": "No such place", "content": {
    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


#: The place paths of the OpenAPI description (merged by `catalogue.web.openapi.spec`).
OPENAPI_PATHS: dict[str, Any] = {
    "/api/places": {"get": {
        "operationId": "listPlaces", "summary": "Every place authority",
        "responses": {"200": _json("The places, in id order", {"type": "object", "properties": {
            "places": {"type": "array", "items": {"$ref": "#/components/schemas/Place"}}}})},
    }},
    "/api/places/{place_id}": {"get": {
        "operationId": "getPlace", "summary": "A place authority: its names in every script, where it lies, "
                                              "its gazetteer ids and the records linked to it",
        "parameters": [_PLACE_ID],
        "responses": {"200": _json("The place", {"$ref": "#/components/schemas/Place"}), "404": _NOT_FOUND},
    }},
    "/api/places/{place_id}/history": {"get": {
        "operationId": "getPlaceHistory", "summary": "Every revision of a place: who, when, why",
        "parameters": [_PLACE_ID],
        "responses": {"200": _json("The revisions, oldest first", {"type": "object", "properties": {
            "id": {"type": "string"}, "revisions": {"type": "array", "items": {"type": "object", "properties": {
                "revision": {"type": "integer"}, "user": {"type": "string"}, "message": {"type": "string"},
                "at": {"type": "string", "format": "date-time"},
                "place": {"$ref": "#/components/schemas/place_authority"}}}}}}),
            "404": _NOT_FOUND},
    }},
}
_PLACE_EXTRAS = {
    "url": {"type": "string", "format": "uri", "description": "The place's page."},
    "records": {"type": "integer", "description": "Public records linked to the place."},
    "records_url": {"type": "string", "format": "uri", "description": "Its records through /api/search."},
    "gazetteer_urls": {"type": "array", "items": {"type": "string", "format": "uri"}},
    "record_ids": {"type": "array", "items": {"type": "string"},
                   "description": "The first 1,000 of its records (one place's page only)."},
    "record_urls": {"type": "array", "items": {"type": "string", "format": "uri"}},
}


def _place_schema() -> dict[str, Any]:
    """A place as the API gives it: the schema's place authority and what the API adds."""
    text = json.dumps(record_schema()["$defs"]["place_authority"]).replace("#/$defs/", "#/components/schemas/")
    schema = json.loads(text)
    schema["properties"].update(_PLACE_EXTRAS)
    return schema


OPENAPI_COMPONENTS: dict[str, Any] = {"schemas": {"Place": _place_schema()}}
