"""`catalogue serve`: the web app behind waitress, a production WSGI server. The one
command that builds the web app, and so the one that needs SECRET_KEY in production."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from typing import Any

import click
import waitress
from flask import Flask

from ..processes import limit_malloc_arenas
from ..service import SHARED_KEY, shared
from .balance import LeastConnections
from .context import serving_app
from .lanes import STAFF_THREADS, dispatcher
from .output import user_errors
from .records import load_demo
from .workers import listening_sockets, release_threads, run_workers

#: The server's name in its Server header.
IDENT = "heritage-catalogue"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1),
              help="Request threads (of each worker process).")
@click.option("--staff-threads", default=STAFF_THREADS, show_default=True, type=click.IntRange(0),
              help="More request threads (of each worker process) kept for requests with a bearer token "
                   "or a signed-in session, so that staff are not queued behind the public's searches.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1),
              help="Server processes accepting on the same port, each with its own searcher over the same "
                   "data directory (more than 1 uses more cores; a worker that ends is restarted).")
@user_errors
def serve_command(host: str, port: int, threads: int, staff_threads: int, workers: int) -> None:
    """Serve the web app with a production WSGI server (waitress).

    With --workers N, N processes share the port, each with --threads request threads and
    its own searcher; SIGTERM or Ctrl+C stops them all. Requests of staff (a bearer token, a
    signed-in session) go first, to --staff-threads threads of their own when the others are busy."""
    limit_malloc_arenas()  # before waitress starts its threads (workers inherit it)
    app = serving_app()  # production: refused here without CATALOGUE_SECRET_KEY
    server = listen(app, host, port, threads, staff_threads)
    catalogue = shared(app.extensions, app.config)
    if app.config.get("DEMO_ON_EMPTY") and catalogue.is_empty():
        click.echo(f"The data directory {catalogue.data_dir} is empty: loading the demo collection.")
        load_demo(catalogue)
    if workers > 1:
        serve_in_workers(app, server, threads, staff_threads, workers)
        return
    catalogue.open_index()  # before the first request, which then needs not wait for it
    warm_up(catalogue)
    for where in listening_on(server):
        click.echo(f"Serving on {where} (Ctrl+C to stop)")
    server.run()


def serve_in_workers(app: Flask, server: Any, threads: int, staff: int, workers: int) -> None:
    """Serve on `server`'s bound sockets from `workers` forked processes (see `workers`). The
    parent lets go of its catalogue and request threads first: each worker opens its own
    (`threads` request threads and `staff` kept for staff)."""
    shared(app.extensions, app.config).close()
    app.extensions.pop(SHARED_KEY, None)
    release_threads(server)
    sockets, balance = listening_sockets(server), LeastConnections(workers)

    def start(number: int) -> None:
        worker = serve_sockets(app, sockets, threads, staff)
        catalogue = shared(app.extensions, app.config)
        try:
            catalogue.open_index()
            warm_up(catalogue)
            balance.join(worker, number)  # (not before: connections go to the workers ready)
            click.echo(f"worker {number} ready (pid {os.getpid()})")
            worker.run()
        finally:
            catalogue.close()

    for where in listening_on(server):
        click.echo(f"Serving on {where} with {workers} worker processes (Ctrl+C to stop)")
    run_workers(workers, start, balance.leave)


#: A word no record holds: its search makes the word lists that typo tolerance and "did you
#: mean" read (at 1,000,000 records about a second, `catalogue.search.lexicons.lexicons_of`).
UNHEARD_OF = "qxzvw"


def warm_up(catalogue: Any) -> None:
    """Searches before a server or worker accepts requests, so that its first requests do not
    pay for opening the searcher, loading the search code and making the word lists (seconds
    on a busy machine or a large index). An index being rebuilt is not waited for."""
    with contextlib.suppress(Exception):
        catalogue.search("", page_size=1, highlight=False)
        catalogue.search(UNHEARD_OF, page_size=1, highlight=False)


def listen(app: Flask, host: str, port: int, threads: int, staff: int = STAFF_THREADS) -> Any:
    """A waitress server bound to host:port, not yet serving, with `threads` request threads
    and `staff` more for staff: a busy port or an unknown host fails here, before anything is
    announced or loaded."""
    logging.basicConfig()  # waitress reports its own trouble (e.g. a full task queue) through logging
    try:
        return waitress.create_server(app, host=host, port=port, threads=threads, ident=IDENT,
                                      _dispatcher=dispatcher(app, threads, staff))
    except OSError as error:
        hint = "; another program uses it (choose another --port)" if error.errno == errno.EADDRINUSE else ""
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror or error}{hint}") from None
    except ValueError as error:  # waitress: a host name that does not resolve
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None


def serve_sockets(app: Flask, sockets: list[Any], threads: int, staff: int = STAFF_THREADS) -> Any:
    """A waitress server of `app` on sockets bound before (by the parent of workers), not yet
    running, with `threads` request threads and `staff` more for staff."""
    return waitress.create_server(app, sockets=sockets, threads=threads, ident=IDENT,
                                  _dispatcher=dispatcher(app, threads, staff))


def listening_on(server: Any) -> list[str]:
    """The URLs a bound waitress server answers on (one per socket; the real port for --port 0)."""
    sockets = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
    return [f"http://{f'[{host}]' if ':' in str(host) else host}:{port}/" for host, port in sockets]


COMMANDS: list[click.Command] = [serve_command]
