"""Harvesters: read records from other archives and files and yield them, with where they
came from, to the catalogue's single write path. They never touch the search index."""
