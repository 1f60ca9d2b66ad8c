"""The `replaykit` command line interface."""

from ._commands import cli, main

__all__ = ["cli", "main"]
