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
