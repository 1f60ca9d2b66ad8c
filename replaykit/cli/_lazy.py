"""Commands whose modules load only when they run.

The bundle commands need Polars and the Mixpanel commands httpx, each a few hundred
milliseconds to import: ``replaykit --help`` and ``replaykit analyze FILE`` should pay for
neither. A :class:`LazyGroup` lists such a command by name with a one-line summary and
imports ``module:attribute`` on first use (running it, its ``--help``, or
``group.commands[name]``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any, NamedTuple

import click

__all__ = ["LazyCommand", "LazyGroup"]


class LazyCommand(NamedTuple):
    """Where a command lives (``"package.module:attribute"``) and its one-line summary
    (what ``--help`` lists; a test pins it to the command's own docstring)."""

    target: str
    summary: str


class _Commands(MutableMapping[str, click.Command]):
    """A group's commands: loaded ones, and lazy ones imported when first looked up."""

    def __init__(self, lazy: dict[str, LazyCommand], settings: dict[str, Any]) -> None:
        self._loaded: dict[str, click.Command] = {}
        self._lazy = dict(lazy)
        self._settings = settings

    def pending(self, name: str) -> LazyCommand | None:
        """The lazy command ``name`` while it is not imported yet."""
        return self._lazy.get(name)

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded and name in self._lazy:
            module, _, attribute = self._lazy[name].target.partition(":")
            command: click.Command = getattr(importlib.import_module(module), attribute)
            command.context_settings = {**self._settings, **command.context_settings}
            self._loaded[name] = command
            del self._lazy[name]
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._lazy.pop(name, None)
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if self._lazy.pop(name, None) is None:
            del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from [*self._loaded, *self._lazy]  # a snapshot: looking up loads

    def __len__(self) -> int:
        return len(self._loaded) + len(self._lazy)


class LazyGroup(click.Group):
    """A click group some of whose commands (``lazy``) are imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, LazyCommand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands(lazy, dict(self.context_settings))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their summaries, importing none of the lazy ones."""
        assert isinstance(self.commands, _Commands)
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows: list[tuple[str, str]] = []
        for name in names:
            lazy = self.commands.pending(name)
            if lazy is not None:
                stand_in = click.Command(name, help=lazy.summary)  # click's own shortening
                rows.append((name, stand_in.get_short_help_str(limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
