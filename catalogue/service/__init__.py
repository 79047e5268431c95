"""The one door to the data. The web pages, the API, the command line and the harvesters
read and write through `Catalogue` (records, revisions, counts, exports, upkeep), its
`accounts` and its `harvests`; none of them imports the store or the search index.

- `catalogue`: the `Catalogue` class, its reads and its one write path;
- `rules`: what every write shares (`prepare_new`, the one check of a new record);
- `imports`: imports and their dry runs, classified by one `plan`;
- `accounts`: accounts, API tokens and the sign-in throttle;
- `harvests`: the harvest state (sources, runs, pending changes), for reading;
- `results`: a search result as JSON, the one shape of the API and the CLI.
"""

from ..store import Revision, StoredRecord, Withholding
from .accounts import Accounts
from .catalogue import DB_NAME, INDEX_NAME, PLACES_LISTED, SHARED_KEY, Catalogue, Statistics, shared
from .harvests import HarvestLedger
from .imports import IMPORT_BATCH, ImportReport
from .results import result_json
from .rules import SERVER_PROVENANCE, prepare_new

__all__ = [
    "DB_NAME",
    "IMPORT_BATCH",
    "INDEX_NAME",
    "PLACES_LISTED",
    "SERVER_PROVENANCE",
    "SHARED_KEY",
    "Accounts",
    "Catalogue",
    "HarvestLedger",
    "ImportReport",
    "Revision",
    "Statistics",
    "StoredRecord",
    "Withholding",
    "prepare_new",
    "result_json",
    "shared",
]
