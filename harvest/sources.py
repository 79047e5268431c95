"""Registered sources: what to harvest, from where, in which format, with which type
mapping and network limits. A source is checked when it is registered or changed: its
name, its URL (only addresses harvests may reach), its mapping, and whether this harvester
maps the format and (unless told not to contact it) the provider offers it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from typing import Any

from catalogue.errors import AlreadyExists, CatalogueError, NotFound
from catalogue.formats import dc, native
from catalogue.schema import vocabulary
from catalogue.service import Catalogue
from catalogue.service.harvests import SOURCE_FIELDS, Source

from .addresses import NetworkPolicy
from .client import Settings
from .errors import UnsafeURL
from .oai import OAIClient

PROTOCOLS = ("oai-pmh",)
#: The setting saying what a harvest does with a record whose upstream id (native format) is
#: taken here by another record: ``rename`` it (its id derives from the source and its
#: identifier), ``link`` it to that record (whose content stays; upstream changes wait for
#: review) or ``refuse`` it (logged, not stored). Both records and the run log say so.
ID_COLLISION = "id_collision"
ID_COLLISION_POLICIES = ("rename", "link", "refuse")
DEFAULT_ID_COLLISION = "rename"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
#: Limits of the ListMetadataFormats request made when a source is registered (a form waits for it).
CHECK_SETTINGS = {"deadline": 30.0, "retries": 1}


def parse_mapping(text: str | None) -> dict[str, Any]:
    """A source's TOML mapping: ``default_type`` and a ``[types]`` table (free text -> type)."""
    if not text:
        return {}
    try:
        mapping = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"the mapping is not valid TOML: {error}") from error
    allowed = set(vocabulary("type"))
    types = mapping.get("types", {})
    if not isinstance(types, dict):
        raise CatalogueError("the mapping's [types] must be a table of 'free text' = 'type'")
    for value, target in [*types.items(), ("default_type", mapping.get("default_type", "other"))]:
        if not isinstance(target, str) or target not in allowed:  # a table or number is no type either
            raise CatalogueError(f"the mapping maps {value!r} to {target!r}, which is not a type "
                                 f"(one of: {', '.join(sorted(allowed))})")
    return mapping


def settings(values: dict[str, Any] | None) -> Settings:
    """A source's network limits (its `settings` over the defaults, the id collision policy
    checked and left aside); unknown names are user errors."""
    id_collision(values)
    return Settings.from_mapping(_network_values(values))


def _network_values(values: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (values or {}).items() if k != ID_COLLISION}


def id_collision(values: dict[str, Any] | None) -> str:
    """A source's policy for upstream ids taken here (`ID_COLLISION`); a bad value is a user error."""
    policy = (values or {}).get(ID_COLLISION, DEFAULT_ID_COLLISION)
    if policy not in ID_COLLISION_POLICIES:
        raise CatalogueError(f"harvest setting {ID_COLLISION!r} must be one of {', '.join(ID_COLLISION_POLICIES)},"
                             f" not {policy!r}")
    return str(policy)


def networks(cat: Catalogue) -> NetworkPolicy:
    """The networks beyond the public Internet that this catalogue's harvests may reach."""
    return NetworkPolicy.from_setting(cat.harvest_networks)


def mappable_prefixes() -> tuple[str, ...]:
    """The metadataPrefixes this harvester maps: Dublin Core flavours and the native format."""
    return (*dc.DC_PREFIXES, native.PREFIX)


def _check_source(cat: Catalogue, name: str, url: str, protocol: str, mapping: str | None) -> None:
    if not _NAME.match(name or ""):
        raise CatalogueError(f"{name!r} is not a source name: use letters, digits, '.', '_' or '-'")
    if protocol not in PROTOCOLS:
        raise CatalogueError(f"unknown protocol {protocol!r} (known: {', '.join(PROTOCOLS)})")
    networks(cat).check_url(url)
    parse_mapping(mapping)


def _offered_formats(cat: Catalogue, url: str, values: dict[str, Any] | None) -> list[str]:
    """The metadataPrefixes the provider at `url` offers (one quick ListMetadataFormats)."""
    limits = settings(values)
    limits = replace(limits, **{k: min(getattr(limits, k), v) for k, v in CHECK_SETTINGS.items()})
    client = OAIClient(url, limits, networks=networks(cat))
    try:
        return [f.prefix for f in client.list_metadata_formats()]
    except UnsafeURL:
        raise
    except CatalogueError as error:
        raise CatalogueError(f"could not ask {url} which metadata formats it offers ({error}); if the provider is "
                             "offline for now, register the source without contacting it (--no-check, or \"Do "
                             "not contact the provider now\" in the form)") from error
    finally:
        client.close()


def _check_provider(cat: Catalogue, url: str, prefix: str, values: dict[str, Any] | None, contact: bool) -> None:
    """Refuse a URL leading where harvests may not go, and a prefix this harvester cannot map
    or (with `contact`) the provider does not offer; the error names the prefixes that would do."""
    policy = networks(cat)
    policy.check_source(url, require_resolution=contact)
    mappable = mappable_prefixes()
    offered = _offered_formats(cat, url, values) if contact else None
    hint = ""
    if offered is not None:
        usable = [p for p in offered if p in mappable]
        hint = (f"; the provider offers {', '.join(offered) or 'no formats'}, of which this harvester can map "
                f"{', '.join(usable) or 'none'}")
    if prefix not in mappable:
        raise CatalogueError(f"this harvester cannot map metadataPrefix {prefix!r} (it reads "
                             f"{', '.join(mappable)}){hint}")
    if offered is not None and prefix not in offered:
        raise CatalogueError(f"the provider does not offer metadataPrefix {prefix!r}{hint}")


def add_source(cat: Catalogue, name: str, url: str, protocol: str = "oai-pmh", prefix: str = "oai_dc",
               set_spec: str | None = None, mapping: str | None = None,
               settings: dict[str, Any] | None = None, *, check: bool = True) -> Source:
    """Register a source to harvest; `mapping` is the TOML text of its type mapping.

    The URL must lead only to addresses harvests may reach, and `prefix` be a format this
    harvester maps; with `check` the provider is also asked (ListMetadataFormats) whether it
    offers that format. Without it (a provider offline for now) only the local checks apply.
    """
    prefix = prefix or "oai_dc"
    _check_source(cat, name, url, protocol, mapping)
    id_collision(settings)
    Settings.from_mapping(_network_values(settings))
    if cat.harvests.source(name) is not None:
        raise AlreadyExists(f"a source named {name!r} exists already")
    _check_provider(cat, url, prefix, settings, contact=check)
    return cat.harvests.add_source(name, url, protocol, prefix, set_spec or None, mapping, settings)


def list_sources(cat: Catalogue) -> list[Source]:
    """Every registered source, by name."""
    return cat.harvests.sources()


def get_source(cat: Catalogue, name: str) -> Source:
    """A registered source; NotFound when there is none of that name."""
    source = cat.harvests.source(name)
    if source is None:
        raise NotFound(f"no source named {name!r} (see `catalogue source list`)", "source", name=name)
    return source


def update_source(cat: Catalogue, name: str, *, check: bool = True, **fields: Any) -> Source:
    """Change url, protocol, prefix, set_spec, mapping or settings of a source; a new URL or
    prefix is checked as `add_source` checks them."""
    current = get_source(cat, name)
    unknown = set(fields) - set(SOURCE_FIELDS)
    if unknown:
        raise CatalogueError(f"cannot change {', '.join(sorted(unknown))} of a source")
    merged = {k: fields.get(k, getattr(current, k)) for k in ("url", "protocol", "mapping", "prefix", "settings")}
    merged["prefix"] = merged["prefix"] or "oai_dc"
    _check_source(cat, name, merged["url"], merged["protocol"], merged["mapping"])
    if "settings" in fields:
        settings(fields["settings"])
    if (merged["url"], merged["prefix"]) != (current.url, current.prefix or "oai_dc"):
        _check_provider(cat, merged["url"], merged["prefix"], merged["settings"], contact=check)
    cat.harvests.update_source(name, fields)
    if {"prefix", "set_spec", "url"} & fields.keys():
        cat.harvests.save_progress(name, None)  # a token belongs to the old list
    return get_source(cat, name)


def remove_source(cat: Catalogue, name: str) -> None:
    """Forget a source; its records, runs and pending changes stay."""
    if not cat.harvests.remove_source(name):
        raise NotFound(f"no source named {name!r}", "source", name=name)
