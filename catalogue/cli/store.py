"""`catalogue migrate-store`: move a catalogue to another store (SQLite to PostgreSQL, and back)."""

from __future__ import annotations

import click

from ..service import Catalogue
from .context import get_catalogue, settings
from .output import echo, user_errors


@click.command("migrate-store")
@click.argument("target_url")
@click.option("--from", "source_url", metavar="URL",
              help="Copy from the store at URL instead of the configured one "
                   "(CATALOGUE_DATABASE_URL, else the SQLite file in CATALOGUE_DATA).")
@user_errors
def migrate_store_command(target_url: str, source_url: str | None) -> None:
    """Copy the whole catalogue into the empty store TARGET_URL and verify the copy.

    TARGET_URL is sqlite:///relative/file, sqlite:////absolute/file or
    postgresql://user:password@host/database. Every revision, withholding, user, API token,
    sign-in counter, harvest source, run, harvest state, pending change, saved import mapping
    and uploaded import file is copied with
    its ids and change numbers, then checked: row counts, a checksum of each record's
    revision chain and of every other table. A target holding data is refused. Changes made
    while the copy runs are not copied: stop the web nodes and harvests first.
    """
    if source_url:
        with Catalogue(settings()["DATA"], database_url=source_url, with_index=False) as source:
            report = source.migrate_store(target_url)
    else:
        report = get_catalogue().migrate_store(target_url)
    rows = ", ".join(f"{count} {table}" for table, count in report.counts.items() if count) or "no rows"
    echo(f"Copied {report.source} to {report.target}: {rows}.")
    echo(f"Verified: every table's row count and checksum, and the revision chains of {report.chains} records, "
         f"match; the change sequence goes on from {report.seq}.")
    echo(f"To use the copy, set CATALOGUE_DATABASE_URL={report.target}")


COMMANDS: list[click.Command] = [migrate_store_command]
