"""Search commands: `search`, `reindex` and `check` (the index against the store)."""

from __future__ import annotations

import json
import time

import click

from ..search import SearchResult
from ..service import result_json
from .context import get_catalogue, settings
from .output import user_errors


def print_result(result: SearchResult, facets: bool) -> None:
    """Hits, one per line (id, title), then the facet counts when asked for."""
    if result.notice:
        click.echo(result.notice, err=True)
    click.echo(f"{result.total} records")
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
@user_errors
def search_command(query: str, as_json: bool, limit: int, facets: bool) -> None:
    """Search the catalogue (same syntax as the search box: fields, phrases, AND/OR/NOT, year:, century:)."""
    catalogue = get_catalogue()
    # an over-long query is refused by the service (QueryTooLong), as on the search page and the API
    result = catalogue.search(query, page_size=limit, facets=facets or as_json, highlight=as_json)
    if as_json:
        click.echo(json.dumps(result_json(result, settings().get("BASE_URL") or ""), ensure_ascii=False, indent=2))
    else:
        print_result(result, facets)


@click.command("reindex")
@click.option("--procs", type=click.IntRange(1, 16), default=None,
              help="Writer processes for the rebuild (default: one per core, at most two; "
                   "stores under 5,000 records use one).")
@user_errors
def reindex_command(procs: int | None) -> None:
    """Rebuild the search index from the store in a new folder and swap it in."""
    catalogue = get_catalogue()
    started = time.monotonic()
    try:
        count = catalogue.reindex(procs=procs)
    except OSError as error:
        raise click.ClickException(f"the index could not be rebuilt: {error}") from error
    click.echo(f"Reindexed {count} records in {time.monotonic() - started:.1f} s.")


@click.command("check")
@click.option("--no-repair", is_flag=True, help="Only report differences; exit 1 if there are any.")
@user_errors
def check_command(no_repair: bool) -> None:
    """Compare the search index with the store; catch up and repair drift."""
    catalogue = get_catalogue()
    report = catalogue.check_index(repair=not no_repair)
    click.echo(f"store change {report.store_seq}, index change {report.index_seq}; "
               f"{report.caught_up} changes applied")
    for label, ids in (("missing from the index", report.missing), ("deleted but still indexed", report.extra),
                       ("indexed at an old revision", report.stale)):
        if ids:
            click.echo(f"{len(ids)} {label}: {', '.join(ids[:20])}{' ...' if len(ids) > 20 else ''}")
    if report.drift and not report.repaired:
        raise click.ClickException(f"the index differs from the store in {report.drift} records; "
                                   "run `catalogue check` to repair it")
    click.echo("repaired" if report.repaired else "index and store agree")


COMMANDS: list[click.Command] = [search_command, reindex_command, check_command]
