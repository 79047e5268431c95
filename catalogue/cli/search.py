"""Search commands: `search`, `reindex` and `check` (the index against the store)."""

from __future__ import annotations

import json
import time
from typing import Any

import click

from ..geo import parse_bbox
from ..plurals import counted
from ..search import RELAXED_NOTICES, SearchResult
from ..service import result_json
from .context import get_catalogue, settings
from .output import user_errors

#: Seconds `catalogue reindex` waits for a rebuild already running, by default.
REINDEX_WAIT = 300.0


def print_result(result: SearchResult, facets: bool) -> None:
    """Hits, one per line (id, title), then the facet counts when asked for."""
    if result.notice:
        click.echo(result.notice, err=True)
    if result.relaxed:
        click.echo(RELAXED_NOTICES[result.relaxed], err=True)
    click.echo(counted(result.total, "record"))
    for hit in result.hits:
        click.echo(f"{hit.id}\t{hit.title}")
    if result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}")
    if facets:
        for name, values in result.facets.items():
            listed = ", ".join(f"{v.value} ({v.count})" for v in values)
            click.echo(f"{name}: {listed or '-'}")


@click.command("search")
@click.argument("query", default="")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="Hits to show.")
@click.option("--facets", is_flag=True, help="Also print facet counts.")
@click.option("--bbox", default="", metavar="WEST,SOUTH,EAST,NORTH",
              help="Only records whose geometry lies (partly) in this area, in degrees (WGS84).")
@user_errors
def search_command(query: str, as_json: bool, limit: int, facets: bool, bbox: str) -> None:
    """Search the catalogue (same syntax as the search box: fields, phrases, AND/OR/NOT, year:, century:)."""
    catalogue = get_catalogue()
    area = parse_bbox(bbox) if bbox.strip() else None  # a bad box is a one-line error saying how to write one
    # an over-long query is refused by the service (QueryTooLong), as on the search page and the API
    result = catalogue.search(query, page_size=limit, facets=facets or as_json, highlight=as_json, area=area)
    if as_json:
        click.echo(json.dumps(result_json(result, settings().get("BASE_URL") or ""), ensure_ascii=False, indent=2))
    else:
        print_result(result, facets)


@click.command("reindex")
@click.option("--procs", type=click.IntRange(1, 16), default=None,
              help="Writer processes for the rebuild (default: one per core, at most two; "
                   "stores under 5,000 records use one).")
@click.option("--wait", "wait", type=click.FloatRange(0), default=REINDEX_WAIT, show_default=True,
              help="Seconds to wait for a rebuild already running (a server's, another command's) "
                   "before giving up.")
@user_errors
def reindex_command(procs: int | None, wait: float) -> None:
    """Rebuild the search index from the store in a new folder and swap it in."""
    catalogue = get_catalogue()
    started = time.monotonic()
    try:
        count = catalogue.reindex(procs=procs, wait=wait)
    except OSError as error:
        raise click.ClickException(f"the index could not be rebuilt: {error.strerror or error}") from error
    click.echo(f"Reindexed {counted(count, 'record')} in {time.monotonic() - started:.1f} s.")


@click.command("check")
@click.option("--no-repair", is_flag=True, help="Only read and report; exit 1 if the index lags, differs or is broken.")
@user_errors
def check_command(no_repair: bool) -> None:
    """Compare the search index with the store; catch up, repair drift, rebuild a damaged index."""
    catalogue = get_catalogue()
    report = catalogue.check_index(repair=not no_repair)
    click.echo(f"store change {report.store_seq}, index change {report.index_seq}")
    if report.damage:
        click.echo(f"the index cannot be read: {report.damage}")
    if report.pending:
        click.echo(f"the index lags {counted(report.pending, 'changed record')} behind the store")
    if report.rebuilt is not None:
        click.echo(f"set aside the unreadable index and rebuilt it from the store: {counted(report.rebuilt, 'record')}")
    elif not no_repair:
        click.echo(f"caught up: {counted(report.caught_up, 'record')} written")
    for label, ids in (("missing from the index", report.missing), ("deleted but still indexed", report.extra),
                       ("indexed at an old revision", report.stale)):
        if ids:
            click.echo(f"{len(ids)} {label}: {', '.join(ids[:20])}{' ...' if len(ids) > 20 else ''}")
    if no_repair and not report.agrees:
        raise click.ClickException(disagreement(report))
    click.echo("repaired" if report.repaired and report.drift else "index and store agree")


def disagreement(report: Any) -> str:
    """Why the index does not agree with the store, and how to repair it."""
    if report.damage:
        return f"the index cannot be read ({report.damage}); run `catalogue check` to rebuild it"
    behind = f" ({counted(report.pending, 'changed record')} not applied yet)" if report.pending else ""
    if report.drift:
        return (f"the index differs from the store in {counted(report.drift, 'record')}{behind}; "
                "run `catalogue check` to repair it")
    return f"the index lags behind the store{behind}; run `catalogue check` to catch it up"


COMMANDS: list[click.Command] = [search_command, reindex_command, check_command]
