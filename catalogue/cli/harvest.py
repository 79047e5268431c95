"""Commands over harvesting: register sources, run harvests (one or all, for cron), read
the run log, and decide on upstream changes held back by local edits."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

import harvest.apply
import harvest.leases
import harvest.pending
import harvest.runs
import harvest.sources

from ..plurals import counted
from ..service.harvests import Run
from .context import get_catalogue
from .output import user_errors
from .params import WholeNumber

ERRORS_SHOWN = 20
#: Exit code of a harvest refused because another run of the source is going on (EX_TEMPFAIL).
BUSY_EXIT = 75


def _settings(pairs: tuple[str, ...]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--setting")
        values[name.strip()] = value.strip()
    return values


class ProgressBar:
    """A tqdm bar on stderr for each harvest run while it goes on (the runs report their
    progress; the bar leaves nothing behind when a run ends)."""

    def __init__(self) -> None:
        self.bar: tqdm | None = None

    def __call__(self, progress: harvest.runs.Progress) -> None:
        if self.bar is None:
            self.bar = tqdm(unit=" records", file=sys.stderr, leave=False)
        if progress.total and not self.bar.total:
            self.bar.total = progress.total
        self.bar.update(progress.done - self.bar.n)
        if progress.finished:
            self.bar.close()
            self.bar = None


def _counts(run: Run) -> str:
    return ", ".join(f"{run.counts.get(key, 0)} {key}" for key in harvest.apply.COUNT_KEYS)


def _print_run(run: Run) -> None:
    """One run: its outcome and counts on stdout, its record errors on stderr."""
    label = " (dry run: nothing stored)" if run.dry_run else ""
    click.echo(f"{run.source}: {run.status}{label}: {_counts(run)} [run {run.id}]")
    errors = harvest.runs.run_errors(get_catalogue(), run.id)
    for error in errors[:ERRORS_SHOWN]:
        click.echo(f"  {error.identifier or run.source}: {error.reason}", err=True)
    if len(errors) > ERRORS_SHOWN:
        click.echo(f"  ... and {len(errors) - ERRORS_SHOWN} more: catalogue harvest-log --run {run.id}", err=True)


@click.group("source")
def source_group() -> None:
    """Register the archives to harvest."""


@source_group.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--protocol", type=click.Choice(harvest.sources.PROTOCOLS), default="oai-pmh", show_default=True,
              help="How the source is read.")
@click.option("--prefix", default="oai_dc", show_default=True,
              help="OAI-PMH metadataPrefix: oai_dc or another Dublin Core flavour (nsdl_dc, qdc ...), "
                   "or this software's native format.")
@click.option("--set", "set_spec", help="Harvest only this OAI-PMH set (and its subsets).")
@click.option("--mapping", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="TOML file mapping free-text dc:type values to record types ([types]).")
@click.option("--setting", "settings", multiple=True, metavar="NAME=VALUE",
              help="Network limit, e.g. read_timeout=30, deadline=3600, min_rate=64, max_bytes=...")
@click.option("--no-check", is_flag=True,
              help="Do not contact the provider (offline for now): its formats are not checked.")
@user_errors
def source_add(name: str, url: str, protocol: str, prefix: str, set_spec: str | None, mapping: Path | None,
               settings: tuple[str, ...], no_check: bool) -> None:
    """Register source NAME harvested from URL (the provider is asked whether it offers the format)."""
    text = mapping.read_text(encoding="utf-8-sig") if mapping else None
    source = harvest.sources.add_source(get_catalogue(), name, url, protocol=protocol, prefix=prefix,
                                        set_spec=set_spec, mapping=text, settings=_settings(settings),
                                        check=not no_check)
    click.echo(f"Source {source.name} added: {source.url} ({source.protocol}, {source.prefix}"
               + (f", set {source.set_spec}" if source.set_spec else "") + ")")


@source_group.command("list")
@user_errors
def source_list() -> None:
    """List the registered sources and where their harvests stand."""
    sources = harvest.sources.list_sources(get_catalogue())
    if not sources:
        click.echo("No sources. Add one with: catalogue source add NAME URL")
    for s in sources:
        detail = f"{s.protocol}, {s.prefix}" + (f", set {s.set_spec}" if s.set_spec else "")
        state = f"last success {s.last_success}" if s.last_success else "never harvested"
        if s.resume:
            state += ", an interrupted run will resume"
        click.echo(f"{s.name:<20} {s.url}  ({detail}; {state})")


@source_group.command("remove")
@click.argument("name")
@user_errors
def source_remove(name: str) -> None:
    """Forget source NAME; the records harvested from it stay."""
    harvest.sources.remove_source(get_catalogue(), name)
    click.echo(f"Source {name} removed; its records stay in the catalogue.")


@click.command("harvest")
@click.argument("name", required=False)
@click.option("--all", "all_sources", is_flag=True, help="Harvest every registered source (for cron).")
@click.option("--full", is_flag=True, help="Ask for everything, not only what changed since the last run.")
@click.option("--dry-run", is_flag=True, help="Show what would change; store nothing.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@user_errors
def harvest_command(name: str | None, all_sources: bool, full: bool, dry_run: bool, quiet: bool) -> None:
    """Harvest source NAME (or --all: every source runs, whatever happens to the others). Exit
    code 1 when a run failed, 75 when one was not started because another harvest of that
    source is running (cron: try again later)."""
    if bool(name) == all_sources:
        raise click.UsageError("give a source NAME or --all")
    catalogue = get_catalogue()
    progress = None if quiet or not sys.stderr.isatty() else ProgressBar()
    outcomes: list[Run | harvest.leases.HarvestBusy | harvest.runs.HarvestNotRun]
    try:
        if all_sources:
            outcomes = harvest.runs.harvest_all(catalogue, full=full, dry_run=dry_run, progress=progress)
        else:
            outcomes = [harvest.runs.run_harvest(catalogue, name or "", full=full, dry_run=dry_run,
                                                 progress=progress)]
    except harvest.leases.HarvestBusy as busy:
        outcomes = [busy]
    runs = [o for o in outcomes if isinstance(o, Run)]
    for outcome in outcomes:
        if isinstance(outcome, Run):
            _print_run(outcome)
        else:
            click.echo(f"Error: {outcome}", err=True)
    failed = [o.source for o in outcomes if isinstance(o, harvest.runs.HarvestNotRun)]
    failed += [run.source for run in runs if run.status != "ok"]
    if all_sources and failed:
        click.echo(f"{len(failed)} of {len(outcomes)} sources failed: {', '.join(sorted(failed))} "
                   "(catalogue harvest-log NAME says why)", err=True)
    if failed:
        sys.exit(1)
    if len(runs) < len(outcomes):
        sys.exit(BUSY_EXIT)


@click.command("harvest-log")
@click.argument("name", required=False)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="Runs to list.")
@click.option("--run", "run_id", type=WholeNumber(min=1), help="List every error of this run.")
@user_errors
def harvest_log(name: str | None, limit: int, run_id: int | None) -> None:
    """List harvest runs (of source NAME) with counts and errors, and the pending changes."""
    catalogue = get_catalogue()
    if run_id is not None:
        for error in harvest.runs.run_errors(catalogue, run_id):
            click.echo(f"{error.at}  {error.identifier or '-'}: {error.reason}")
        return
    if name is not None:
        harvest.sources.get_source(catalogue, name)
    runs = harvest.runs.list_runs(catalogue, name, limit)
    if not runs:
        click.echo("No harvest runs yet.")
    for run in runs:
        extra = " dry-run" if run.dry_run else (" full" if run.full else "")
        errors = len(harvest.runs.run_errors(catalogue, run.id))
        click.echo(f"run {run.id:<5} {run.source:<16} {run.started} -> {run.finished or '...'}  "
                   f"{run.status}{extra}: {_counts(run)}; {counted(errors, 'error')}"
                   + (f"  ({run.message})" if run.message else ""))
    pending = [p for p in harvest.pending.list_pending(catalogue) if name in (None, p.source)]
    if pending:
        click.echo("Pending upstream changes (records edited here since their last harvest):")
    for p in pending:
        click.echo(f"  pending {p.id:<5} {p.record_id:<32} {p.action:<7} from {p.source} "
                   f"({p.source_identifier}, {p.datestamp or 'no datestamp'})"
                   "  -> catalogue pending show|accept|reject " + str(p.id))


@click.group("pending")
def pending_group() -> None:
    """Decide on upstream changes held back by local edits."""


@pending_group.command("show")
@click.argument("pending_id", type=WholeNumber(min=1))
@user_errors
def pending_show(pending_id: int) -> None:
    """List the fields where an upstream change differs from the record, and who changed each."""
    found = harvest.pending.review(get_catalogue(), pending_id)
    change = found.change
    click.echo(f"pending {change.id}: {change.action} of {change.record_id} from {change.source} "
               f"({change.source_identifier})")
    for item in found.fields:
        click.echo(f"  {item.field:<20} changed {'here and upstream' if item.side == 'both' else item.side}"
                   + ("  (taken unless you choose otherwise)" if item.suggested else ""))


@pending_group.command("accept")
@click.argument("pending_id", type=WholeNumber(min=1))
@click.option("--field", "fields", multiple=True,
              help="Take only this field from upstream (repeatable; see `pending show`); the others stay as "
                   "edited here. Without it the whole upstream version is taken.")
@click.option("--user", default="cli", show_default=True, help="Who decides (stored in the revision).")
@user_errors
def pending_accept(pending_id: int, fields: tuple[str, ...], user: str) -> None:
    """Apply the upstream change (or some of its fields) as one new revision of the record."""
    result = harvest.pending.accept_pending(get_catalogue(), pending_id, user, list(fields) if fields else None)
    click.echo(f"Accepted pending change {pending_id}"
               + (f": record {result['id']} is at revision {result['revision']}" if result else ""))


@pending_group.command("reject")
@click.argument("pending_id", type=WholeNumber(min=1))
@click.option("--user", default="cli", show_default=True, help="Who decides.")
@user_errors
def pending_reject(pending_id: int, user: str) -> None:
    """Keep the local record; drop the upstream change."""
    harvest.pending.reject_pending(get_catalogue(), pending_id, user)
    click.echo(f"Rejected pending change {pending_id}; the record stays as edited here.")


COMMANDS: list[click.Command] = [source_group, harvest_command, harvest_log, pending_group]
