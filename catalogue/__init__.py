"""A catalogue and search engine for cultural heritage that was destroyed, damaged or is
at risk: harvest, catalogue with revisions, full-text search, web and OAI-PMH export."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(test_config: dict[str, Any] | None = None, *, serving: bool = True) -> Flask:
    """Build the web application; nothing happens at import time (Flask application factory).

    Serving needs SECRET_KEY (refused in production without one); the command line builds
    the app with ``serving=False`` and only `catalogue serve` applies that policy.
    """
    from flask import Flask  # here, not at the top: the harvester and the service import this package

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object("catalogue.config")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("CATALOGUE")
    else:
        app.config.from_mapping(test_config)
    app.config["DATA"] = str(Path(os.fspath(app.config["DATA"])).expanduser().resolve())

    from . import auth, web

    web.init_app(app)
    if serving:
        auth.configure_secret_key(app)
    return app
