"""A catalogue and search engine for cultural heritage that was destroyed, damaged or is at
risk: harvest, catalogue with revisions, full-text search, web and OAI-PMH export.

`create_app` builds the web application and is the one place that lists what it is made
of: every blueprint, every command and every site-wide hook. `import catalogue` loads no
Flask: the command line, the harvesters and the Python API (`catalogue.service`) run
without a web app.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .config import configure
from .errors import NotFound, SearchUnavailable, StorageFull
from .search import SearchLimits
from .version import __version__

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["__version__", "configure", "create_app"]


def create_app(test_config: Mapping[str, Any] | None = None, *, serving: bool = True) -> Flask:
    """Build the web application; nothing happens at import time (Flask application factory).

    Serving needs SECRET_KEY (refused in production without one); an app that serves no
    pages (`flask --app catalogue` commands in tests, tools) is built with ``serving=False``.
    """
    # Imported here, not at the top, so that `import catalogue` (the command line, harvesters,
    # the Python API) loads no Flask:
    from flask import Flask  # deferred: only the web app loads Flask
    from flask_wtf.csrf import CSRFError, CSRFProtect  # deferred: only the web app loads Flask
    from werkzeug.exceptions import HTTPException  # deferred: only the web app loads Flask

    from . import cli  # deferred: the app factory sits above the commands it registers
    from .access import Throttle  # deferred: access hashes a dummy password (0.2 s) when imported
    from .web import (  # deferred: the app factory sits above the web package it assembles
        admin,
        api,
        api_write,
        auth,
        claim_text,
        edit,
        error_pages,
        export,
        headers,
        home,
        i18n,
        idle,
        imports,
        json_provider,
        maps,
        oai,
        places,
        records,
        search,
        site,
        stats,
    )

    app = Flask(__name__, instance_relative_config=True, template_folder="web/templates",
                static_folder="web/static")
    app.json = json_provider.JSONProvider(app)  # JSON answers written by orjson
    configure(app.config, test_config)
    # settings read (and checked) at start-up: a bad one is one clear line, not a failure later
    app.extensions["search_limits"] = SearchLimits.from_config(app.config)
    app.extensions[auth.THROTTLE] = Throttle.from_config(app.config)

    # site-wide hooks
    i18n.init_app(app)  # the English/Azerbaijani switch (Flask-Babel, ?lang= and its cookie)
    headers.init_app(app)  # security headers on every response
    site.init_app(app)  # template helpers and the row-id URL converter
    claim_text.init_app(app)  # condition statuses worded as claims (record, search results)
    app.before_request(auth.load_user)  # g.user from the session cookie
    app.before_request(api_write.check_token)  # g.api_user from a bearer token; 401 for an unknown one
    app.before_request(imports.upload_limit)  # an import upload may be larger (before CSRF reads the form)
    app.teardown_appcontext(idle)  # the thread's store connection back to the pool (PostgreSQL)
    csrf = CSRFProtect(app)  # every form POST carries a CSRF token, except:
    csrf.exempt(oai.bp)  # OAI-PMH (harvesters post no forms)
    csrf.exempt(api_write.bp)  # the write API (a bearer token, no cookie)
    app.register_error_handler(CSRFError, auth.csrf_failed)
    app.register_error_handler(HTTPException, error_pages.http_error)
    app.register_error_handler(NotFound, error_pages.not_found)
    app.register_error_handler(SearchUnavailable, error_pages.search_unavailable)  # 503 while search is rebuilt
    app.register_error_handler(StorageFull, error_pages.storage_full)  # 503: a full disk stored nothing

    for area in (home, search, records, stats, api, api_write, auth, edit, admin, imports, oai, export, maps, places):
        app.register_blueprint(area.bp)
    app.register_blueprint(places.api_bp)  # /api/places: the read API of place authorities
    for command in cli.COMMANDS:  # the commands of `catalogue`, also as `flask --app catalogue COMMAND`
        app.cli.add_command(command)

    if serving:
        auth.configure_secret_key(app)
    return app
