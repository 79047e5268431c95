"""Commands over place authorities: import, export, list, show, link, and match (links proposed for
records that name a place as free text)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from harvest.jsonlfile import read_jsonl

from ..places import display_name
from .context import get_catalogue
from .output import echo, user_errors


@click.group("places")
def places_group() -> None:
    """Place authorities: each place once, with its names in every script."""


@places_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--message", default="", help="Why, for each place's history.")
@user_errors
def places_import(file: Path, message: str) -> None:
    """Create or update the places of FILE (JSON Lines, one place per line); a bad line is
    reported with its number and the rest go on."""
    report = get_catalogue().places.import_places(read_jsonl(file), user="cli",
                                                  message=message or f"imported from {file.name}")
    for where, problem in report.errors:
        echo(f"{where}: {problem}", err=True)
    click.echo(f"{len(report.created)} created, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
               f"{len(report.errors)} failed")
    if report.errors:
        raise SystemExit(1)


@places_group.command("list")
@user_errors
def places_list() -> None:
    """Every place: id, name, number of public records."""
    catalogue = get_catalogue()
    for place in catalogue.places.all():
        echo(f"{place['id']}\t{display_name(place)}\t{catalogue.places.record_count(place['id'])}")


@places_group.command("export")
@user_errors
def places_export() -> None:
    """Print every place as JSON Lines (what `places import` reads back)."""
    for place in get_catalogue().places.all():
        echo(json.dumps(place, ensure_ascii=False, sort_keys=True))


@places_group.command("show")
@click.argument("place_id")
@user_errors
def places_show(place_id: str) -> None:
    """Print one place as JSON."""
    echo(json.dumps(get_catalogue().places.get(place_id), ensure_ascii=False, indent=2, sort_keys=True))


@places_group.command("link")
@click.argument("record_id")
@click.argument("place_id")
@user_errors
def places_link(record_id: str, place_id: str) -> None:
    """Point record RECORD_ID at place PLACE_ID (a revision of the record)."""
    record = get_catalogue().places.link(record_id, place_id, user="cli")
    click.echo(f"{record_id} is at place {place_id} (revision {record['revision']})")


@places_group.command("match")
@click.option("--place", "place_id", default=None, help="Only links to this place.")
@click.option("--apply", is_flag=True, help="Link every proposed record now (else only list them: archivists "
                                            "confirm them on the place's page).")
@click.option("--json", "as_json", is_flag=True, help="Print the proposals as JSON Lines.")
@user_errors
def places_match(place_id: str | None, apply: bool, as_json: bool) -> None:
    """Propose links for records whose free-text place is a name of exactly one place."""
    catalogue = get_catalogue()
    if place_id:
        catalogue.places.get(place_id)  # an unknown place is an error, not "no proposals"
    proposals = catalogue.places.proposals(place_id)
    for proposal in proposals:
        if as_json:
            echo(json.dumps({"record": proposal.record_id, "name": proposal.name, "place": proposal.place_id},
                            ensure_ascii=False))
        else:
            echo(f"{proposal.record_id}\t{proposal.name}\t-> {proposal.place_id}")
        if apply:
            catalogue.places.link(proposal.record_id, proposal.place_id, user="cli", message="linked by places match")
    verb = "linked" if apply else "proposed"
    click.echo(f"{len(proposals)} {verb}", err=as_json)


COMMANDS: list[click.Command] = [places_group]
