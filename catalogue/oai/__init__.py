"""The OAI-PMH 2.0 provider: argument checks, resumption tokens, errors, response builders
and the metadata formats (`oai_dc` and the native full record)."""
