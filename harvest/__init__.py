"""Harvesting end to end: reading other archives (OAI-PMH) and files (CSV, workbooks, JSON Lines) and
applying their records through the catalogue's one write path (`catalogue.service.Catalogue`).
Above the service, below the web and the command line; harvesters never touch the index.

- `client`, `transport`, `addresses`: HTTP with limits, reaching only allowed networks;
- `safexml`, `oai`, `checkpoints`: the OAI-PMH client, its safe parsing and its dates;
- `sources`: registered sources; `runs`, `leases`: runs, one per source at a time;
- `lists`: one OAI-PMH harvest; `apply`: records applied page by page; `pending`: upstream
  changes held back by local edits;
- `tables`: the one entry point of file imports, over the readers `csvfile`, `sheets`
  (.xlsx, .ods, .xls, checked before they are opened) and `jsonlfile` (the formats themselves
  are in `catalogue.formats`); `imports`: uploaded files imported as logged runs.
"""
