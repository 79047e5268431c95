"""Default settings. Override them in the instance folder's `config.py` or with
environment variables prefixed ``CATALOGUE_`` (``CATALOGUE_DATA=/srv/catalogue``)."""

#: The data directory: the SQLite store and the search index folder live here.
DATA = "catalogue-data"
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
#: Sign-in attempts allowed per client address (Flask-Limiter notation).
LOGIN_RATE_LIMIT = "10 per minute"
#: CSRF tokens last as long as the sign-in, so a long edit is never rejected for its age.
WTF_CSRF_TIME_LIMIT = None
