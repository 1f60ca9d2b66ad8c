"""The replaykit exception tree.

Every error replaykit raises on purpose derives from :class:`ReplaykitError` and carries
the CLI exit code it maps to::

    ReplaykitError                      exit 1  (general)
    ├── RecordingError                  exit 1  a recording could not be read
    │   ├── RecordingFormatError        exit 1  bytes are not a recording in a known format
    │   ├── RecordingTooLargeError      exit 1  input (or its decompressed form) over the cap
    │   └── RecordingNotFoundError      exit 4  a path that does not exist / matched nothing
    └── UsageError                      exit 3  invalid arguments (bad option values)

Exit codes used by the CLI: 0 ok, 1 general, 2 auth/usage (click), 3 invalid arguments,
4 not found, 5 rate limited, 130 interrupted.

Errors say which replay and where in the data they failed; they never carry a signed URL
or a credential.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "RecordingError",
    "RecordingFormatError",
    "RecordingNotFoundError",
    "RecordingTooLargeError",
    "ReplaykitError",
    "UsageError",
]


class ReplaykitError(Exception):
    """Base of every error replaykit raises on purpose; `exit_code` is the CLI's exit code."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, replay_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.replay_id = replay_id

    def __str__(self) -> str:
        if self.replay_id is not None:
            return f"{self.replay_id}: {self.message}"
        return self.message


class RecordingError(ReplaykitError):
    """A recording could not be read or decoded."""


class RecordingFormatError(RecordingError):
    """The bytes are not a recording in any supported format (or the forced one).

    `offset` is the byte offset (or element index, see the message) where decoding failed,
    when known.
    """

    def __init__(
        self, message: str, *, replay_id: str | None = None, offset: int | None = None
    ) -> None:
        super().__init__(message, replay_id=replay_id)
        self.offset = offset


class RecordingTooLargeError(RecordingError):
    """The input, or what it decompresses to, is larger than `max_input_bytes`."""


class RecordingNotFoundError(RecordingError):
    """A path does not exist, or a directory or glob matched no recording."""

    exit_code: ClassVar[int] = 4


class UsageError(ReplaykitError):
    """The library or CLI was called with invalid arguments."""

    exit_code: ClassVar[int] = 3
