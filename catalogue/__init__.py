"""A catalogue and search engine for cultural heritage that was destroyed, damaged or is at
risk: harvest, catalogue with revisions, full-text search, web and OAI-PMH export.

`create_app` builds the web application and is the one place that lists what it is made
of: every blueprint, every command and every site-wide hook. `import catalogue` loads no
Flask: the command line, the harvesters and the Python API (`catalogue.service`) run
without a web app.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Config, Flask

__version__ = "0.1.0"


def configure(config: Config, test_config: Mapping[str, Any] | None = None) -> None:
    """Fill a Flask `Config` rooted at the instance folder, the one way the web app and the
    command line read their settings: the defaults of `catalogue.config`, then the instance
    folder's ``config.py``, then ``CATALOGUE_*`` environment variables (or, in tests, only
    `test_config`); ``DATA`` made an absolute path."""
    config.from_object("catalogue.config")
    if test_config is None:
        config.from_pyfile("config.py", silent=True)
        config.from_prefixed_env("CATALOGUE")
    else:
        config.from_mapping(test_config)
    config["DATA"] = str(Path(os.fspath(config["DATA"])).expanduser().resolve())


def create_app(test_config: Mapping[str, Any] | None = None, *, serving: bool = True) -> Flask:
    """Build the web application; nothing happens at import time (Flask application factory).

    Serving needs SECRET_KEY (refused in production without one); an app that serves no
    pages (`flask --app catalogue` commands in tests, tools) is built with ``serving=False``.
    """
    # Flask and the web package are imported here, not at the top, so that `import catalogue`
    # (the command line, harvesters, the Python API) loads no Flask.
    from flask import Flask
    from flask_wtf.csrf import CSRFError, CSRFProtect
    from werkzeug.exceptions import HTTPException

    from . import cli
    from .access import Throttle
    from .errors import NotFound
    from .search import SearchLimits
    from .web import (
        admin,
        api,
        api_write,
        auth,
        edit,
        error_pages,
        export,
        headers,
        home,
        i18n,
        idle,
        oai,
        records,
        search,
        site,
        stats,
    )

    app = Flask(__name__, instance_relative_config=True, template_folder="web/templates",
                static_folder="web/static")
    configure(app.config, test_config)
    # settings read (and checked) at start-up: a bad one is one clear line, not a failure later
    app.extensions["search_limits"] = SearchLimits.from_config(app.config)
    app.extensions[auth.THROTTLE] = Throttle.from_config(app.config)

    # site-wide hooks
    i18n.init_app(app)  # the English/Azerbaijani switch (Flask-Babel, ?lang= and its cookie)
    headers.init_app(app)  # security headers on every response
    site.init_app(app)  # template helpers and the row-id URL converter
    app.before_request(auth.load_user)  # g.user from the session cookie
    app.teardown_appcontext(idle)  # the thread's store connection back to the pool (PostgreSQL)
    csrf = CSRFProtect(app)  # every form POST carries a CSRF token, except:
    csrf.exempt(oai.bp)  # OAI-PMH (harvesters post no forms)
    csrf.exempt(api_write.bp)  # the write API (a bearer token, no cookie)
    app.register_error_handler(CSRFError, auth.csrf_failed)
    app.register_error_handler(HTTPException, error_pages.http_error)
    app.register_error_handler(NotFound, error_pages.not_found)

    for area in (home, search, records, stats, api, api_write, auth, edit, admin, oai, export):
        app.register_blueprint(area.bp)
    for command in cli.COMMANDS:  # the commands of `catalogue`, also as `flask --app catalogue COMMAND`
        app.cli.add_command(command)

    if serving:
        auth.configure_secret_key(app)
    return app
