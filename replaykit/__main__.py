"""`python -m replaykit` runs the CLI."""

from .cli import main

main()
