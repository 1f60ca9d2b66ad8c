"""Download: write each replay's raw rrweb events to ``DIR/<safe id>.json``, atomically.

A replay's file holds one JSON array: the events of every chunk file in order, one per
line, exactly as recorded (nothing dropped or re-encoded), ready for rrweb-player. It is
written to a hidden temporary file in the same directory and renamed into place only when
the walk completed, so a file that exists is complete: a later run skips it (resumable),
and an interrupted run leaves no half-written file under the final name.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

import anyio
import msgspec

from ..._api import ReplayFailure
from ..._errors import RecordingFormatError
from ._fetch import Delivery

__all__ = ["FetchedReplay", "ReplayWriter", "safe_filename"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_MAX_STEM = 100
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

    Ids made of letters, digits, ``.``, ``_`` and ``-`` are kept as they are; anything
    else (separators, ``..``, control characters, reserved device names, very long ids)
    is replaced and a short hash of the original id is appended, so distinct ids never
    share a file.
    """
    stem = _UNSAFE.sub("_", replay_id)
    plain = (
        stem == replay_id
        and 0 < len(stem) <= _MAX_STEM
        and not stem.startswith(".")
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
        """Run the walk ``run(deliver)`` into the temporary file; rename it when done."""
        for stale in self.path.parent.glob(f".{self.path.name}.*.part"):
            stale.unlink(missing_ok=True)  # left by an interrupted earlier run
        done = False
        try:
            async with await anyio.open_file(self._temp, "wb") as fh:
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
