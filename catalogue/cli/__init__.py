"""The `catalogue` command: a thin layer over the service (`catalogue.service.Catalogue`).

Each area's commands are module-level click commands in their own module, listed once in
`COMMANDS`; `create_app` registers the same list, so they also run as `flask --app
catalogue COMMAND`. Only `serve` builds the web app.
"""

from __future__ import annotations

import click

from . import harvest, places, records, search, serve, store, users

#: Every command and command group, in the order of the README.
COMMANDS: list[click.Command] = [*records.COMMANDS, *serve.COMMANDS, *search.COMMANDS,
                                 *harvest.COMMANDS, *users.COMMANDS, *places.COMMANDS, *store.COMMANDS]


@click.group()
@click.version_option(package_name="heritage-catalogue")
def main() -> None:
    """Catalogue of cultural heritage that was destroyed, damaged or is at risk.

    The data directory is CATALOGUE_DATA (default ./catalogue-data); every setting can be
    given as a CATALOGUE_* environment variable or in instance/config.py.
    """


for _command in COMMANDS:
    main.add_command(_command)
