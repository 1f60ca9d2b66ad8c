"""The replaykit exception tree.

Every error replaykit raises on purpose derives from :class:`ReplaykitError` and carries
the CLI exit code it maps to::

    ReplaykitError                      exit 1  (general)
    ├── RecordingError                  exit 1  a recording could not be read
    │   ├── RecordingFormatError        exit 1  bytes are not a recording in a known format
    │   ├── RecordingTooLargeError      exit 1  input (or its decompressed form) over the cap
    │   ├── RecordingNotFoundError      exit 4  a path that does not exist / matched nothing
    │   └── AnalysisTimeoutError        exit 1  analysis ran past AnalyzerOptions.max_seconds
    ├── UsageError                      exit 3  invalid arguments (bad option values)
    └── MixpanelError                   exit 1  a Mixpanel call failed (base of the below)
        ├── ConfigError                 exit 1  credentials/project/region missing or invalid
        ├── AuthenticationError         exit 2  401, or a 403 on the Query/App API
        ├── SessionReplayAccessError    exit 2  403 SESSION_RECORDING_SENSITIVE_DATA
        ├── QueryError                  exit 3  400, 404, 422, other 4xx: request rejected
        ├── ReplayNotFoundError         exit 4  chunk 0 of a replay is 404 on the CDN
        ├── SignedURLExpiredError       exit 1  CDN 403 even after re-signing
        ├── UnsupportedReplayFormatError exit 1 not a web rrweb replay (status 501)
        ├── InvalidResponseError        exit 1  a 2xx body that is not what the API documents
        └── TransientError              exit 1  network failure/timeout, after retries
            ├── ServerError             exit 1  5xx, after retries
            └── RateLimitError          exit 5  429, after retries

Exit codes used by the CLI: 0 ok, 1 general, 2 auth/usage (click), 3 invalid arguments,
4 not found, 5 rate limited, 130 interrupted.

Errors say which replay and where in the data they failed; they never carry a signed URL
or a credential. Mixpanel errors also carry ``status`` (the HTTP status, when one was
received), ``code`` (a stable upper-case string) and ``details`` (a small dict).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import msgspec

__all__ = [
    "AnalysisTimeoutError",
    "AuthenticationError",
    "ConfigError",
    "InvalidResponseError",
    "MixpanelError",
    "QueryError",
    "RateLimitError",
    "RecordingError",
    "RecordingFormatError",
    "RecordingNotFoundError",
    "RecordingTooLargeError",
    "ReplayFailure",
    "ReplayNotFoundError",
    "ReplaykitError",
    "ServerError",
    "SessionReplayAccessError",
    "SignedURLExpiredError",
    "TransientError",
    "UnsupportedReplayFormatError",
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


class AnalysisTimeoutError(RecordingError):
    """Analyzing one replay took longer than its time budget (``AnalyzerOptions.max_seconds``).

    The budget counts wall time spent inside the analyzer and the signal detectors, not
    time spent waiting for input; it is checked once per chunk and every 4,096 events, so
    a replay may overrun it by that much work. The replay's partial results are dropped.
    ``seconds`` is the budget that ran out.
    """

    def __init__(
        self, message: str, *, replay_id: str | None = None, seconds: float | None = None
    ) -> None:
        super().__init__(message, replay_id=replay_id)
        self.seconds = seconds


class UsageError(ReplaykitError, ValueError):
    """The library or CLI was called with invalid arguments (also a ``ValueError``)."""

    exit_code: ClassVar[int] = 3


# --- Mixpanel ------------------------------------------------------------------------------


class MixpanelError(ReplaykitError):
    """Base of the errors of the Mixpanel source.

    ``status`` is the HTTP status that caused it (``None`` when no response arrived),
    ``code`` a stable identifier (class default, e.g. ``"REPLAY_NOT_FOUND"``) and
    ``details`` a small dict of context (replay id, retention, ...). None of them ever holds
    a signed URL's query string or a credential.
    """

    code: ClassVar[str] = "MIXPANEL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        replay_id: str | None = None,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, replay_id=replay_id)
        self.status = status
        self.details: dict[str, Any] = dict(details or {})


class ConfigError(MixpanelError):
    """Credentials, project id, region or base URL are missing or invalid.

    Raised before any request is sent, e.g. ``MP_REGION=mars`` or a plain ``http://`` base
    URL that is not a loopback host (credentials would travel in clear text).
    """

    code: ClassVar[str] = "CONFIG_ERROR"


class AuthenticationError(MixpanelError):
    """Mixpanel answered 401 (credentials rejected) or 403 (no access to the project).

    A 403 that names ``SESSION_RECORDING_SENSITIVE_DATA`` is the more specific
    :class:`SessionReplayAccessError`; a 403 from the CDN means an expired signature.
    """

    exit_code: ClassVar[int] = 2
    code: ClassVar[str] = "AUTHENTICATION_FAILED"


class SessionReplayAccessError(MixpanelError):
    """403 naming ``SESSION_RECORDING_SENSITIVE_DATA``: the account may not view replays.

    ``details`` holds ``project_id``, ``flag`` and ``permission_required``
    (``"sensitive_data_replay"``), the permission an admin has to grant.
    """

    exit_code: ClassVar[int] = 2
    code: ClassVar[str] = "SESSION_REPLAY_ACCESS_ERROR"


class QueryError(MixpanelError):
    """The Query or App API rejected the request (400, 404, 422, other 4xx but 401/403/429).

    Also raised for an Insights answer of 200 whose body carries ``error`` or lacks
    ``series``. The message holds the server's error text, cut short.
    """

    exit_code: ClassVar[int] = 3
    code: ClassVar[str] = "QUERY_ERROR"


class ReplayNotFoundError(MixpanelError):
    """The CDN has no first chunk for the replay (404 on chunk 0 for every retention tried).

    ``details``: ``replay_id``, ``retention_days`` (the suffixes tried).
    """

    exit_code: ClassVar[int] = 4
    code: ClassVar[str] = "REPLAY_NOT_FOUND"


class SignedURLExpiredError(MixpanelError):
    """The CDN kept answering 403 after the replay was signed again.

    ``details``: ``replay_id``, ``signed_at`` and ``expires_at`` (epoch ms) of the last
    signature.
    """

    code: ClassVar[str] = "SIGNED_URL_EXPIRED"


class UnsupportedReplayFormatError(MixpanelError):
    """The replay is not a web rrweb recording (e.g. a mobile replay); ``status`` is 501.

    ``details``: ``replay_id``, ``format`` (``"non-rrweb"`` or ``"mobile"``).
    """

    code: ClassVar[str] = "UNSUPPORTED_REPLAY_FORMAT"


class InvalidResponseError(MixpanelError):
    """A 2xx answer whose body is not what the API documents (not JSON, wrong shape)."""

    code: ClassVar[str] = "INVALID_RESPONSE"


class TransientError(MixpanelError):
    """A failure that may pass: connection error, reset, timeout (after the retries).

    ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one.
    """

    code: ClassVar[str] = "TRANSIENT_ERROR"

    def __init__(
        self,
        message: str,
        *,
        replay_id: str | None = None,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, replay_id=replay_id, status=status, details=details)
        self.retry_after = retry_after


class ServerError(TransientError):
    """Mixpanel (or the CDN) answered 5xx on every attempt."""

    code: ClassVar[str] = "SERVER_ERROR"


class RateLimitError(TransientError):
    """Mixpanel (or the CDN) answered 429 on every attempt, or asked to wait too long."""

    exit_code: ClassVar[int] = 5
    code: ClassVar[str] = "RATE_LIMITED"


class ReplayFailure(msgspec.Struct, frozen=True, kw_only=True):
    """Why a replay could not be analyzed: the error's class name, message and exit code.

    ``skipped`` is true for a file a directory scan found that is not a recording at all.
    """

    error: str
    message: str
    exit_code: int
    skipped: bool = False

    @classmethod
    def of(cls, exc: ReplaykitError, *, skipped: bool = False) -> ReplayFailure:
        """The record of ``exc`` (its message without the replay id it is filed under)."""
        return cls(
            error=type(exc).__name__,
            message=exc.message,
            exit_code=exc.exit_code,
            skipped=skipped,
        )
