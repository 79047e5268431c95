"""`catalogue serve`: the web app behind waitress, a production WSGI server. The one
command that builds the web app, and so the one that needs SECRET_KEY in production."""

from __future__ import annotations

import errno
import logging
from typing import Any

import click
import waitress
from flask import Flask

from ..service import shared
from .context import serving_app
from .output import user_errors
from .records import load_demo


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1), help="Worker threads.")
@user_errors
def serve_command(host: str, port: int, threads: int) -> None:
    """Serve the web app with a production WSGI server (waitress)."""
    app = serving_app()  # production: refused here without CATALOGUE_SECRET_KEY
    server = listen(app, host, port, threads)
    catalogue = shared(app.extensions, app.config)
    if app.config.get("DEMO_ON_EMPTY") and catalogue.is_empty():
        click.echo(f"The data directory {catalogue.data_dir} is empty: loading the demo collection.")
        load_demo(catalogue)
    catalogue.open_index()  # before the first request, which then needs not wait for it
    for where in listening_on(server):
        click.echo(f"Serving on {where} (Ctrl+C to stop)")
    server.run()


def listen(app: Flask, host: str, port: int, threads: int) -> Any:
    """A waitress server bound to host:port, not yet serving: a busy port or an unknown host
    fails here, before anything is announced or loaded."""
    logging.basicConfig()  # waitress reports its own trouble (e.g. a full task queue) through logging
    try:
        return waitress.create_server(app, host=host, port=port, threads=threads, ident="heritage-catalogue")
    except OSError as error:
        hint = "; another program uses it (choose another --port)" if error.errno == errno.EADDRINUSE else ""
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror or error}{hint}") from None
    except ValueError as error:  # waitress: a host name that does not resolve
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None


def listening_on(server: Any) -> list[str]:
    """The URLs a bound waitress server answers on (one per socket; the real port for --port 0)."""
    sockets = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
    return [f"http://{f'[{host}]' if ':' in str(host) else host}:{port}/" for host, port in sockets]


COMMANDS: list[click.Command] = [serve_command]
