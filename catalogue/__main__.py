"""`python -m catalogue` runs the command line, like the `catalogue` script."""

from catalogue.cli import main

main()
