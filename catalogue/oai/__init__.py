"""The OAI-PMH 2.0 provider: argument checks, sets, resumption tokens, response builders and
the verbs. Its metadata formats (`oai_dc`, the native full record) and the protocol's errors
are in `catalogue.formats`, shared with the harvester."""
