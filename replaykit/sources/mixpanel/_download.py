"""Download: write each replay's raw rrweb events to ``DIR/<safe id>.json``, atomically.

A replay's file holds one JSON array: the events of every chunk file in order, one per
line, exactly as recorded (nothing dropped or re-encoded), ready for rrweb-player. It is
written to a hidden temporary file in the same directory and renamed into place only when
the walk completed, so a file that exists is complete: a later run skips it (resumable),
and an interrupted run leaves no half-written file under the final name.

Replay ids come from the network and are treated as hostile: :func:`safe_filename` maps
every id to one plain name inside the directory (no separators, no ``..``, no control
characters, no device names, bounded length), and distinct ids never share a name, not
even on a case-insensitive file system.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

import anyio
import msgspec

from ..._errors import RecordingFormatError, ReplayFailure, ReplaykitError
from ._fetch import Delivery

__all__ = ["FetchedReplay", "ReplayWriter", "safe_filename"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_HASHED = re.compile(r"(?:^|-)[0-9a-f]{16}$")  # how a hashed name's stem ends
_MAX_STEM = 100
_STALE_S: Final = 600.0  # a temporary file nobody wrote to for this long is a dead run's
_RESERVED: Final = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
)
_RAWS = msgspec.json.Decoder(list[msgspec.Raw])


class FetchedReplay(msgspec.Struct, frozen=True, kw_only=True):
    """One replay of a download: the file written, or why it failed.

    ``files`` is the number of CDN chunk files, ``events`` the rrweb events written and
    ``bytes`` the file's size. ``resumed`` is true when the file existed from an earlier run
    and nothing was fetched. ``truncated`` is true when the walk stopped at ``max_files``.
    ``failure`` is set (and ``path`` is ``None``) when the replay could not be fetched.
    """

    replay_id: str
    path: str | None = None
    files: int = 0
    events: int = 0
    bytes: int = 0
    resumed: bool = False
    truncated: bool = False
    failure: ReplayFailure | None = None


def safe_filename(replay_id: str) -> str:
    """A file name for ``replay_id`` that is safe on every common file system.

    Ids made of lower-case letters, digits, ``.``, ``_`` and ``-`` are kept as they are
    (Mixpanel's ids are lower-case UUIDs); anything else (separators, ``..``, control
    characters, reserved device names, upper case, very long ids) is replaced and a hash
    of the original id is appended, so distinct ids never share a file:

    - a kept id never ends like a hashed name (``-`` and 16 hex digits), so no id can
      take another's hashed name;
    - upper case always gets a hash, so ``Abc`` and ``abc`` stay apart where the file
      system ignores case (macOS, Windows).
    """
    stem = _UNSAFE.sub("_", replay_id)
    plain = (
        stem == replay_id
        and 0 < len(stem) <= _MAX_STEM
        and not stem.startswith(".")
        and stem == stem.lower()
        and not _HASHED.search(stem)
        and stem.split(".")[0].upper() not in _RESERVED
    )
    if not plain:
        digest = hashlib.sha256(replay_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        stem = f"{stem.lstrip('.')[:_MAX_STEM]}-{digest}" if stem.strip("._") else digest
    return f"{stem}.json"


def _elements(body: bytes, index: int, replay_id: str) -> list[msgspec.Raw]:
    if body[:2] == b"\x1f\x8b":  # gzip the server did not label with Content-Encoding
        body = gzip.decompress(body)
    try:
        return _RAWS.decode(body)
    except msgspec.DecodeError:
        pass
    raise RecordingFormatError(f"chunk file {index} is not a JSON array", replay_id=replay_id)


class ReplayWriter:
    """Writes one replay's chunk files into its final file via a temporary one."""

    def __init__(self, out_dir: Path, replay_id: str) -> None:
        self.replay_id = replay_id
        self.path = out_dir / safe_filename(replay_id)
        self._temp = out_dir / f".{self.path.name}.{secrets.token_hex(4)}.part"
        self.events = 0
        self.bytes = 0

    def exists(self) -> bool:
        """True when a complete file from an earlier run is already in place."""
        return self.path.is_file()

    async def write(self, run: Callable[[Delivery], Awaitable[None]]) -> None:
        """Run the walk ``run(deliver)`` into the temporary file; rename it when done.

        A file system error (no space, no permission) raises :class:`ReplaykitError`
        naming the file: it fails this replay, not the run.
        """
        try:
            await self._write(run)
        except OSError as exc:
            error = ReplaykitError(
                f"cannot write {self.path.name}: {exc.strerror or type(exc).__name__}",
                replay_id=self.replay_id,
            )
        else:
            return
        raise error  # outside the handler: the OSError is not chained

    async def _write(self, run: Callable[[Delivery], Awaitable[None]]) -> None:
        await anyio.to_thread.run_sync(self._sweep)
        done = False
        try:
            # "x": never through a file (or symlink) that is already there.
            async with await anyio.open_file(self._temp, "xb") as fh:
                await fh.write(b"[")

                async def deliver(index: int, body: bytes) -> None:
                    elements = await anyio.to_thread.run_sync(
                        _elements, body, index, self.replay_id
                    )
                    if elements:
                        sep = b"\n" if self.events == 0 else b",\n"
                        await fh.write(sep + b",\n".join(elements))
                        self.events += len(elements)

                await run(deliver)
                await fh.write(b"\n]\n" if self.events else b"]\n")
                await fh.flush()
                await anyio.to_thread.run_sync(os.fsync, fh.wrapped.fileno())
            await anyio.to_thread.run_sync(os.replace, self._temp, self.path)
            self.bytes = self.path.stat().st_size
            done = True
        finally:
            if not done:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._discard)

    def _discard(self) -> None:
        self._temp.unlink(missing_ok=True)

    def _sweep(self) -> None:
        """Delete this replay's temporary files left by runs that died (killed, crashed).

        Only stale ones: a temporary file written to in the last ``_STALE_S`` seconds may
        belong to another run writing the same directory right now.
        """
        now = time.time()
        for stale in self.path.parent.glob(f".{self.path.name}.*.part"):
            try:
                if now - stale.stat().st_mtime > _STALE_S:
                    stale.unlink()
            except FileNotFoundError:
                pass
