"""The `replaykit` command line interface.

:func:`main` is the console script. Ctrl-C while the commands are still being imported
(the first few tenths of a second) is reported like any other interruption: one line,
exit 130, no traceback.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._commands import cli as cli

__all__ = ["cli", "main"]


def main(argv: list[str] | None = None, **hooks: Any) -> Any:
    """Run ``replaykit ARGV`` (see :func:`._commands.main` for ``hooks``)."""
    try:
        from ._commands import main as run
    except KeyboardInterrupt:
        sys.stderr.write("replaykit: interrupted\n")
        sys.stderr.flush()
        sys.exit(130)
    return run(argv, **hooks)


def __getattr__(name: str) -> Any:
    if name == "cli":
        from ._commands import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
