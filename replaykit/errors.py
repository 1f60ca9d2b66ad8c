"""Every error replaykit raises, with its CLI exit code (``exit_code``).

All derive from :class:`ReplaykitError`; recordings that cannot be read raise a
:class:`RecordingError`, Mixpanel calls a :class:`MixpanelError`.
"""

from ._errors import (
    AnalysisTimeoutError,
    AuthenticationError,
    ConfigError,
    InvalidResponseError,
    MixpanelError,
    QueryError,
    RateLimitError,
    RecordingError,
    RecordingFormatError,
    RecordingNotFoundError,
    RecordingTooLargeError,
    ReplayFailure,
    ReplaykitError,
    ReplayNotFoundError,
    ServerError,
    SessionReplayAccessError,
    SignedURLExpiredError,
    TransientError,
    UnsupportedReplayFormatError,
    UsageError,
)

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
