"""Commands over records: init, show, history, withhold, release, validate, import,
export, backup, stats."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import click

from harvest.jsonlfile import read_jsonl
from harvest.sheets import FileLimits
from harvest.tables import read_records

from ..errors import ValidationError
from ..formats.csvmap import load_mapping
from ..formats.exports import FORMATS, stream
from ..plurals import counted
from ..service import Catalogue, ImportReport, prepare_new
from .context import dry_run_catalogue, get_catalogue, settings
from .output import echo, user_errors
from .params import WholeNumber
from .show import record_lines

DEMO_FILE = "khojaly.jsonl"
#: The place authorities the demo records point at (`place.id`).
DEMO_PLACES = "places.jsonl"


def demo_path() -> Path:
    """The embedded demo collection (records built from the seed article)."""
    return Path(str(resources.files("catalogue.demo").joinpath(DEMO_FILE)))


def load_demo(catalogue: Catalogue, quiet: bool = False) -> ImportReport:
    """Import the demo collection into `catalogue`: its places, then its records."""
    places = catalogue.places.import_places(read_jsonl(demo_path().with_name(DEMO_PLACES)), user="demo",
                                            message="demo collection")
    for where, problem in places.errors:
        click.echo(f"{where}: {problem}", err=True)
    report = catalogue.import_records(read_jsonl(demo_path()), user="demo", message="demo collection",
                                      origin="import")
    if not quiet:
        click.echo(f"Loaded the demo collection: {counted(report.created, 'record')} created, "
                   f"{report.unchanged} unchanged.")
    return report


def print_report(report: ImportReport, dry_run: bool) -> None:
    """The preview of the first records (stdout), each rejected line and each warning in
    file order (stderr), then the counts (stdout)."""
    for where, action, record in report.preview:
        echo(f"{where}: would be {action}:")
        for line in record_lines(record):
            echo("  " + line)
        echo("")
    for kind, where, text in report.log:
        echo(f"{where}: " + ("warning: " if kind == "warning" else "") + text, err=True)
    verb = "would be " if dry_run else ""
    click.echo(f"{report.created} {verb}created, {report.updated} {verb}updated, {report.unchanged} unchanged, "
               f"{report.failed} failed")


@click.command("init")
@click.option("--demo", is_flag=True, help="Also load the demo collection (Khojaly heritage).")
@user_errors
def init_command(demo: bool) -> None:
    """Create (or upgrade) the data directory."""
    catalogue = get_catalogue()
    click.echo(f"Data directory ready: {catalogue.data_dir}")
    if demo:
        load_demo(catalogue)


@click.command("show")
@click.argument("record_id")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@click.option("--revision", type=WholeNumber(min=1), help="Show this revision instead of the current one.")
@user_errors
def show_command(record_id: str, as_json: bool, revision: int | None) -> None:
    """Print one record (content withheld from the public too, marked on stderr)."""
    catalogue = get_catalogue()
    record = catalogue.get(record_id, revision, include_withheld=True)
    if catalogue.revision(record_id, record["revision"]).withheld:
        click.echo(f"Note: revision {record['revision']} is withheld from the public.", err=True)
    if as_json:
        echo(json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True))
        return
    _print_record(record)


@click.command("history")
@click.argument("record_id")
@user_errors
def history_command(record_id: str) -> None:
    """List every revision of a record: number, when, who, action and why; then who
    withheld or released which revision, when and why."""
    catalogue = get_catalogue()
    for rev in catalogue.history(record_id, include_withheld=True):
        mark = " [withheld]" if rev.withheld else ""
        echo(f"{rev.revision:>4}  {rev.at}  {rev.user:<16} {rev.action:<8} [{rev.origin}]{mark} {rev.message}")
    for entry in catalogue.withholdings(record_id):
        echo(f"      {entry.at}  {entry.user:<16} {entry.action:<8} revision {entry.revision}: {entry.reason}")


@click.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@user_errors
def validate_command(file: Path) -> None:
    """Check a JSON Lines (or single JSON) file of records without storing anything: each
    record is checked as `import` checks a new one."""
    bad = total = 0
    for where, record in _read_any_json(file):
        total += 1
        problems = [str(record)] if isinstance(record, Exception) else _problems(record)
        for problem in problems:
            echo(f"{where}: {problem}", err=True)
        bad += bool(problems)
    click.echo(f"{total - bad} valid, {bad} invalid")
    if bad:
        sys.exit(1)


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show the first records as they would be stored, every problem "
              "and warning, and the counts; store nothing (and create nothing, not even the data directory).")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML mapping of the columns of a CSV, .xlsx, .ods or .xls file to record fields.")
@click.option("--encoding", help="Text encoding of a CSV file (default: UTF-8, with or without BOM).")
@click.option("--sheet", help="The sheet of a workbook to read (default: the mapping's, else the first).")
@click.option("--preview", type=click.IntRange(min=0), default=3, show_default=True,
              help="Records a dry run shows as they would be stored.")
@click.option("--message", default="", help="Revision message (default: 'imported from FILE').")
@user_errors
def import_command(file: Path, dry_run: bool, mapping: Path | None, encoding: str | None, sheet: str | None,
                   preview: int, message: str) -> None:
    """Import records from JSON Lines, or from a spreadsheet (CSV, .xlsx, .ods, .xls) with --mapping.

    Every bad line is reported with its line number and the column or field path; the good
    ones are imported, each in its own transaction. Exit code 1 when any line failed.
    """
    if not file.exists():
        raise click.ClickException(f"no such file: {file}")
    if mapping is None and file.suffix.lower() in (".csv", ".tsv", ".xlsx", ".xlsm", ".ods", ".xls"):
        raise click.ClickException("a spreadsheet import needs --mapping FILE.toml (see the README)")
    items = read_records(file, load_mapping(mapping) if mapping else None, sheet=sheet, encoding=encoding,
                         limits=FileLimits.from_config(settings()))
    with dry_run_catalogue() if dry_run else _current() as catalogue:
        report = catalogue.import_records(items, user="cli", message=message or f"imported from {file.name}",
                                          origin="import", dry_run=dry_run, preview=preview if dry_run else 0)
    print_report(report, dry_run)
    if report.failed:
        sys.exit(1)


@contextmanager
def _current() -> Iterator[Catalogue]:
    yield get_catalogue()


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True,
              help="File format of the export.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (default: stdout).")
@user_errors
def export_command(fmt: str, output: Path | None) -> None:
    """Export every live record, streamed."""
    records = get_catalogue().live_records()
    if output:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(stream(fmt, records))
        return
    sys.stdout.writelines(stream(fmt, records))
    sys.stdout.flush()


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@user_errors
def backup_command(path: Path) -> None:
    """Write a consistent copy of the database to PATH (safe while the server runs)."""
    if path.exists():
        raise click.ClickException(f"{path} exists already; choose a new file name")
    get_catalogue().backup(path)
    click.echo(f"Backup written to {path}")


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@user_errors
def stats_command(as_json: bool) -> None:
    """Collection figures: records, items counted by group records, by type and by condition status."""
    counts = get_catalogue().counts()
    if as_json:
        click.echo(json.dumps(counts, indent=2, sort_keys=True))
        return
    click.echo(f"records: {counts['records']} (deleted: {counts['deleted']}), "
               f"items counted by group records: {counts['group_items']}")
    for key in ("by_type", "by_status"):
        click.echo(key.replace("_", " ") + ":")
        for name, count in counts[key].items():
            click.echo(f"  {name:<22} {count}")


def _withholding_command(action: str, summary: str) -> click.Command:
    """The `withhold` or `release` command (one body, two verbs)."""

    @click.command(action, help=summary + " Every change is kept in the audit trail (see `history`).")
    @click.argument("record_id")
    @click.option("--revision", "revisions", type=WholeNumber(min=1), multiple=True, required=True,
                  help="The revision (give the option once per revision).")
    @click.option("--reason", required=True, help="Why (kept in the audit trail).")
    @click.option("--user", default="cli", show_default=True, help="Who decided, for the audit trail.")
    @user_errors
    def command(record_id: str, revisions: tuple[int, ...], reason: str, user: str) -> None:
        catalogue = get_catalogue()
        change = catalogue.withhold if action == "withhold" else catalogue.release
        for revision in revisions:
            change(record_id, revision, reason=reason, user=user)
            done = "withheld from the public" if action == "withhold" else "public again"
            click.echo(f"Revision {revision} of {record_id} is {done}.")

    return command


withhold_command = _withholding_command(
    "withhold", "Withhold revisions of a record from the public (content and edit message).")
release_command = _withholding_command("release", "Make withheld revisions of a record public again.")


def _problems(record: Any) -> list[str]:
    """Every problem of a record, as an import of it as a new record would report them."""
    try:
        prepare_new(record, origin="import")
    except ValidationError as error:
        return [str(problem) for problem in error.errors]
    return []


def _read_any_json(file: Path) -> Any:
    """A .json file holds one record or a list; anything else is read as JSON Lines."""
    if file.suffix.lower() == ".json":
        try:
            data = json.loads(file.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise click.ClickException(f"{file}: not valid JSON: {error}") from error
        items = data if isinstance(data, list) else [data]
        return [(f"{file}[{i}]", item) for i, item in enumerate(items)]
    return read_jsonl(file)


def _print_record(record: dict[str, Any]) -> None:
    """Every field of the record that is set, readable in a terminal (`show.record_lines`)."""
    for line in record_lines(record):
        echo(line)


COMMANDS: list[click.Command] = [init_command, show_command, history_command, withhold_command, release_command,
                                 validate_command, import_command, export_command, backup_command, stats_command]
