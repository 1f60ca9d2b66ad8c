"""The local source: recordings in files, directories or globs, no account needed."""

from __future__ import annotations

import glob
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import anyio
import msgspec

from .._errors import RecordingNotFoundError

__all__ = ["RECORDING_SUFFIXES", "LocalSource", "Recording"]

# File endings a directory scan picks up; a file named explicitly is read whatever its name.
RECORDING_SUFFIXES: tuple[str, ...] = (
    ".json",
    ".jsonl",
    ".ndjson",
    ".json.gz",
    ".jsonl.gz",
    ".ndjson.gz",
    ".gz",
)


class Recording(msgspec.Struct, frozen=True, kw_only=True):
    """One recording a source found.

    ``replay_id`` is the file name without its recording suffix. ``explicit`` is true when
    the user named the file itself (a failure to read it is an error) and false when a
    directory scan or glob found it (a file that is not a recording is skipped, reported).
    """

    replay_id: str
    path: str
    size: int
    explicit: bool = True


def _replay_id(path: Path) -> str:
    name = path.name
    for suffix in sorted(RECORDING_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _is_candidate(path: Path) -> bool:
    name = path.name
    return not name.startswith(".") and name.endswith(RECORDING_SUFFIXES)


class LocalSource:
    """Recordings from files, directories (walked recursively, sorted) and glob patterns.

    Iterate it with ``async for recording in LocalSource("recordings/")`` or, in plain
    code, ``for recording in source.recordings()``. Paths are expanded lazily, one
    directory entry at a time; nothing is read until a recording is analyzed.

    A path that does not exist, or a directory or glob that matches no recording, raises
    :class:`~replaykit.RecordingNotFoundError` when iteration reaches it.
    """

    def __init__(self, paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> None:
        if isinstance(paths, str | os.PathLike):
            paths = [paths]
        self.paths: list[str] = [os.fspath(p) for p in paths]

    def __repr__(self) -> str:
        return f"LocalSource({self.paths!r})"

    def recordings(self) -> Iterator[Recording]:
        """Yield every recording, in argument order (directories sorted by path)."""
        for raw in self.paths:
            path = Path(raw)
            if path.is_file():
                yield Recording(replay_id=_replay_id(path), path=raw, size=path.stat().st_size)
            elif path.is_dir():
                found = False
                for root, dirs, files in os.walk(path):
                    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                    for name in sorted(files):
                        child = Path(root, name)
                        if _is_candidate(child) and child.is_file():
                            found = True
                            yield Recording(
                                replay_id=_replay_id(child),
                                path=str(child),
                                size=child.stat().st_size,
                                explicit=False,
                            )
                if not found:
                    raise RecordingNotFoundError(f"no recordings in directory {raw}")
            elif glob.has_magic(raw):
                matches = sorted(glob.glob(raw, recursive=True))
                matched = [Path(m) for m in matches if Path(m).is_file()]
                if not matched:
                    raise RecordingNotFoundError(f"no recordings match {raw}")
                for child in matched:
                    yield Recording(
                        replay_id=_replay_id(child),
                        path=str(child),
                        size=child.stat().st_size,
                        explicit=False,
                    )
            else:
                raise RecordingNotFoundError(f"no such file or directory: {raw}")

    async def __aiter__(self) -> AsyncIterator[Recording]:
        # Directory walks touch the disk: run each step in a worker thread so a slow
        # network mount never blocks the event loop.
        iterator = self.recordings()
        sentinel = object()
        while True:
            item = await anyio.to_thread.run_sync(next, iterator, sentinel)
            if item is sentinel:
                return
            assert isinstance(item, Recording)
            yield item
