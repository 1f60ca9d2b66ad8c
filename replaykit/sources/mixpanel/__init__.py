"""The Mixpanel session-replay source: discover → sign → fetch, plus events.

    from replaykit.sources.mixpanel import MixpanelSource, MixpanelConfig

    config = MixpanelConfig.from_env(base_url="http://127.0.0.1:8080")  # or MP_* variables
    async with MixpanelSource(config) as mp:
        async with mp.fetch_chunks("replay-1") as chunks:
            async for chunk in chunks:
                ...

The source knows nothing of analysis: :class:`replaykit.MixpanelClient` (also
:mod:`replaykit.mixpanel`) composes it with the analyzer. The protocol is described in
``docs/mixpanel-replay-protocol.md``.
"""

import logging as _logging

from ._client import ClientLimits, MixpanelSource, RetryPolicy
from ._config import BASE_URL_ENV, MixpanelConfig, Timeouts
from ._discover import ReplayDescriptor
from ._download import FetchedReplay, safe_filename
from ._events import MixpanelEvent
from ._sign import SignedReplay

__all__ = [
    "BASE_URL_ENV",
    "ClientLimits",
    "FetchedReplay",
    "MixpanelConfig",
    "MixpanelEvent",
    "MixpanelSource",
    "ReplayDescriptor",
    "RetryPolicy",
    "SignedReplay",
    "Timeouts",
    "safe_filename",
]

# A library logs, it does not print: without this, Python's last-resort handler would write
# our warnings to stderr whenever the application has not configured logging.
_logging.getLogger("replaykit.mixpanel").addHandler(_logging.NullHandler())
