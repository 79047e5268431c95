"""Record formats both ways, shared by the harvester and the OAI-PMH provider: Dublin Core
(`dc`), the native heritage XML (`native`), the spreadsheet import mapping (`csvmap`, with
`maprows` making records of rows, `positions` reading coordinates and `text` reading HTML as
text), JSON Lines
(`jsonl`), the bulk exports (`exports`), JSON-LD (`jsonld`) and citations (`citation`); and
the OAI-PMH protocol's constants and errors (`oaipmh`). Below the service: no SQL, no
search index, no web."""
