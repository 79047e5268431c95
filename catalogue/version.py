"""The catalogue's version, in a module of its own so that the harvester's User-Agent and
the API description can name it without importing the `catalogue` package's app factory
(which imports the web and the command line)."""

__version__ = "0.1.0"
