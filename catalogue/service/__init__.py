"""The one door to the data. The web pages, the API, the command line and the harvesters
read and write through `Catalogue` (records, revisions, counts, exports, upkeep), its
`accounts`, its `harvests` and its `published` records; none of them imports the store or the
search index.

- `catalogue`: the `Catalogue` class, its reads and its one write path;
- `rules`: what every write shares (`prepare_new`, the one check of a new record);
- `imports`: imports and their dry runs, classified by one `plan`;
- `accounts`: accounts, API tokens and the sign-in throttle;
- `harvests`: the harvest state (sources, runs, leases, what each source delivered, pending
  changes), which harvest/ reads and writes;
- `published`: the records as OAI-PMH publishes them, for the provider;
- `search_json`: a search result as JSON, the one shape of the API and the CLI.
- `uploads`: saved mappings and uploaded files of imports in the web;
"""

from ..store import Revision, StoredRecord, Withholding
from .accounts import Accounts
from .catalogue import DB_NAME, INDEX_NAME, SHARED_KEY, Catalogue, shared
from .figures import PLACES_LISTED, Statistics
from .harvests import HarvestLedger
from .imports import IMPORT_BATCH, ImportReport
from .rules import SERVER_PROVENANCE, prepare_new
from .search_json import result_json
from .sources import CitedSource
from .uploads import SavedMapping, Upload, Uploads

__all__ = [
    "DB_NAME",
    "IMPORT_BATCH",
    "INDEX_NAME",
    "PLACES_LISTED",
    "SERVER_PROVENANCE",
    "SHARED_KEY",
    "Accounts",
    "Catalogue",
    "CitedSource",
    "HarvestLedger",
    "ImportReport",
    "Revision",
    "SavedMapping",
    "Statistics",
    "StoredRecord",
    "Upload",
    "Uploads",
    "Withholding",
    "prepare_new",
    "result_json",
    "shared",
]
