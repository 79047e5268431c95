"""Default settings. Override them in the instance folder's `config.py` or with
environment variables prefixed ``CATALOGUE_`` (``CATALOGUE_DATA=/srv/catalogue``)."""

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
#: Largest accepted request body (bytes).
MAX_CONTENT_LENGTH = 16 * 1024 * 1024
#: Load the demo collection into an empty data directory when serving.
DEMO_ON_EMPTY = True
#: Networks (CIDRs, comma-separated: ``10.1.0.0/16,127.0.0.1/32``) a harvest may reach beyond the
#: public Internet; loopback, private, link-local and other non-public addresses are refused otherwise.
HARVEST_ALLOW_NETWORKS = ""

#: ``production`` or ``development``; empty: production unless TESTING, DEBUG or DEMO_ON_EMPTY.
#: Production refuses to start without SECRET_KEY; development generates one into DATA.
ENV = ""
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
