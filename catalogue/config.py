"""Default settings (every setting the catalogue reads is defined here, each documented in
README, Configuration). Override them in the instance folder's `config.py` or with
environment variables prefixed ``CATALOGUE_`` (``CATALOGUE_DATA=/srv/catalogue``).

`configure` reads them, the one way the web app and the command line do."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

#: The data directory: the search index folder and (unless DATABASE_URL names another) the SQLite store live here.
DATA = "catalogue-data"
#: The store: empty for the SQLite file in DATA (``catalogue.sqlite3``), ``sqlite:///path`` for
#: another SQLite file, or ``postgresql://user:password@host/database`` for a PostgreSQL database
#: shared by several web nodes (needs ``pip install 'heritage-catalogue[postgresql]'``).
DATABASE_URL = ""
#: Name shown in the page header and in OAI-PMH Identify.
REPOSITORY_NAME = "Heritage catalogue"
#: The repository identifier in OAI identifiers (``oai:<id>:<record id>``); a domain name.
REPOSITORY_ID = "heritage-catalogue.example.org"
#: Contact address published in OAI-PMH Identify.
ADMIN_EMAIL = "admin@heritage-catalogue.example.org"
#: Public base URL (``https://catalogue.example.org``) for permanent links; empty: taken from the request.
BASE_URL = ""
#: Records per OAI-PMH ListRecords/ListIdentifiers page.
OAI_PAGE_SIZE = 100
#: Seconds a resumption token stays valid.
OAI_TOKEN_TTL = 24 * 3600
#: Map tile URL template for record maps; empty: maps show the geometry without tiles.
TILE_URL = ""
#: Credit line of the map tiles, shown under each map (the tile provider's terms usually ask for one).
TILE_ATTRIBUTION = ""
#: Search results per page.
PAGE_SIZE = 20
#: What one search may cost (README, Configuration). Longest query in characters, the same
#: for the search page, the API and `catalogue search`:
SEARCH_MAX_QUERY_LENGTH = 1000
#: Most typing errors a fuzzy word (``tombz~``, ``tombz~2``) forgives; 0 turns typo tolerance off.
SEARCH_MAX_EDIT_DISTANCE = 2
#: Longest word (in letters) searched with typo tolerance; longer words are searched as written.
SEARCH_MAX_FUZZY_WORD_LENGTH = 30
#: Most typo-tolerant words in one query; a query with no hits is retried with typo
#: tolerance only when it has no more words than this.
SEARCH_MAX_FUZZY_TERMS = 8
#: Most index words that the prefixes, wildcards, ranges and fuzzy words of one query may stand for.
SEARCH_MAX_EXPANSION_TERMS = 20000
#: Milliseconds a query may take to match; a query that needs longer is searched as plain
#: words (given half as long again), else answered with no hits and a notice.
SEARCH_TIME_BUDGET_MS = 400
#: Megabytes of decoded postings, positions and facet sets a process keeps for the searches
#: of all its threads (least recently used dropped first): the larger part of a serving
#: process's memory; smaller saves memory, larger saves disk reads (README, Configuration).
SEARCH_CACHE_MB = 96
#: Milliseconds a write waits for search to catch up before it returns (the store has the
#: change either way; search then follows in the background). 0: never wait.
INDEX_WAIT_MS = 200
#: Milliseconds a count of the collection (home and statistics pages) may take for the first
#: request after a change to wait for it: a count that took longer is answered from the
#: change before while one thread counts again. 0: never wait once counted.
COUNT_WAIT_MS = 100
#: Largest accepted request body (bytes).
MAX_CONTENT_LENGTH = 16 * 1024 * 1024
#: Largest file an import reads (bytes): an upload of the web import, a file given to
#: ``catalogue import``. The web import form accepts a request this large (plus the form).
IMPORT_MAX_BYTES = 50 * 1024 * 1024
#: Largest unpacked content of an .xlsx or .ods workbook (bytes, its zip members together):
#: a workbook beyond it (a zip bomb) is refused before any spreadsheet reader opens it.
IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
#: Load the demo collection into an empty data directory when serving.
DEMO_ON_EMPTY = True
#: Networks (CIDRs, comma-separated: ``10.1.0.0/16,127.0.0.1/32``) a harvest may reach beyond the
#: public Internet; loopback, private, link-local and other non-public addresses are refused otherwise.
HARVEST_ALLOW_NETWORKS = ""
#: A harvest started on the admin page runs in a background thread (the page returns at once);
#: false: the request waits for it to finish (tests, single-threaded deployments).
HARVEST_IN_BACKGROUND = True

#: ``production`` or ``development``; empty: production unless TESTING, DEBUG or DEMO_ON_EMPTY.
#: Production refuses to start without SECRET_KEY; development generates one into DATA.
ENV = ""
#: Signs sessions, CSRF tokens and OAI-PMH resumption tokens; set it in production (see ENV) and,
#: the same on every web node, whenever DATABASE_URL names a PostgreSQL store (required then).
SECRET_KEY = None
#: Session cookies: HttpOnly (Flask's default), SameSite=Lax; set SESSION_COOKIE_SECURE=true behind HTTPS.
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
#: Seconds a sign-in lasts.
PERMANENT_SESSION_LIFETIME = 8 * 3600
#: Sign-in attempts allowed per client address, e.g. "10 per minute" or "100 per hour".
LOGIN_RATE_LIMIT = "10 per minute"
#: Consecutive failed sign-ins of one name before it is locked out; the first lock-out
#: lasts LOGIN_LOCKOUT_SECONDS and doubles with each further failure, up to the maximum.
LOGIN_LOCKOUT_AFTER = 5
LOGIN_LOCKOUT_SECONDS = 60
LOGIN_LOCKOUT_MAX_SECONDS = 3600
#: CSRF tokens last as long as the sign-in, so a long edit is never rejected for its age.
WTF_CSRF_TIME_LIMIT = None


class Settings(Protocol):
    """What `configure` fills: a Flask `Config` (a dict of settings that reads them from
    objects, files and the environment)."""

    def __getitem__(self, name: str) -> Any: ...
    def __setitem__(self, name: str, value: Any) -> None: ...
    def from_object(self, obj: object | str) -> None: ...
    def from_pyfile(self, filename: str, silent: bool = False) -> bool: ...
    def from_prefixed_env(self, prefix: str = "FLASK") -> bool: ...
    def from_mapping(self, mapping: Mapping[str, Any] | None = None) -> bool: ...


def configure(config: Settings, test_config: Mapping[str, Any] | None = None) -> None:
    """Fill a Flask `Config` rooted at the instance folder, the one way the web app and the
    command line read their settings: the defaults above, then the instance folder's
    ``config.py``, then ``CATALOGUE_*`` environment variables (or, in tests, only
    `test_config`); ``DATA`` made an absolute path."""
    config.from_object(__name__)
    if test_config is None:
        config.from_pyfile("config.py", silent=True)
        config.from_prefixed_env("CATALOGUE")
    else:
        config.from_mapping(test_config)
    config["DATA"] = str(Path(os.fspath(config["DATA"])).expanduser().resolve())
