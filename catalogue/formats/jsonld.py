"""schema.org JSON-LD for a record page, so search engines and linked-data tools can read
what the record describes, where it is and which sources it cites."""

from __future__ import annotations

from typing import Any

#: schema.org class of each record type.
SCHEMA_TYPES = {
    "school": "School",
    "library": "Library",
    "museum": "Museum",
    "cemetery": "Cemetery",
    "mosque": "Mosque",
    "church": "Church",
    "club": "CivicStructure",
    "house_of_culture": "CivicStructure",
    "religious_building": "PlaceOfWorship",
    "bridge": "Bridge",
    "garden_or_landscape": "Park",
    "archive": "ArchiveOrganization",
}
DEFAULT_TYPE = "LandmarksOrHistoricalBuildings"


def _geo(geometry: dict[str, Any] | None) -> dict[str, Any] | None:
    if not geometry:
        return None
    if geometry.get("type") == "Point":
        lon, lat = geometry["coordinates"][:2]
        return {"@type": "GeoCoordinates", "latitude": lat, "longitude": lon}
    ring = geometry["coordinates"][0]
    return {"@type": "GeoShape", "polygon": " ".join(f"{lat},{lon}" for lon, lat, *_ in ring)}


def _designation(item: dict[str, Any]) -> dict[str, Any]:
    """A listing on a heritage register as a schema.org PropertyValue."""
    value = {"@type": "PropertyValue", "propertyID": item["scheme"], "name": item["scheme"],
             "value": item.get("identifier") or item.get("status"), "url": item.get("url"),
             "description": ", ".join(v for v in (item.get("status"), item.get("date")) if v) or None}
    return {k: v for k, v in value.items() if v}


def record(data: dict[str, Any], url: str) -> dict[str, Any]:
    """The JSON-LD object of a record (``url`` is its permanent address)."""
    place = data.get("place") or {}
    out: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES.get(data.get("type", ""), DEFAULT_TYPE),
        "@id": url,
        "url": url,
        "name": data["title"],
        "alternateName": [n["value"] for n in data.get("names", []) if n["value"] != data["title"]],
        "description": data.get("description"),
        "keywords": data.get("subjects"),
        "dateModified": data.get("modified"),
        "citation": [s["citation"] for s in data.get("sources", [])],
        "inLanguage": data.get("languages"),
        "subjectOf": [{"@type": "WebPage", "url": link["url"], "name": link.get("label")} for link in
                      data.get("links", [])],
        "additionalProperty": [_designation(d) for d in data.get("designations", [])],
    }
    if place:
        location: dict[str, Any] = {"@type": "Place", "name": place.get("name") or place.get("country")}
        if place.get("country"):
            location["address"] = {"@type": "PostalAddress", "addressCountry": place["country"],
                                   "addressRegion": place.get("admin_area")}
        countries = place.get("countries") or []
        if len(countries) > 1:
            location["containedInPlace"] = [
                {k: v for k, v in (("@type", "Country"), ("name", c.get("name")), ("identifier", c.get("code"))) if v}
                for c in countries]
        geo = _geo(place.get("geometry"))
        if geo:
            location["geo"] = geo
        out["containedInPlace"] = location
    return {k: v for k, v in out.items() if v not in (None, [], "")}
