"""Mixpanel session replays: the client that finds, fetches and analyzes them, and its parts.

    from replaykit.mixpanel import MixpanelClient

    async with MixpanelClient() as mp:                       # credentials from MP_* or ~/.mp
        async with mp.replays_for_user("user-42") as replays:
            async for replay in replays:
                print(replay.markdown())

:class:`MixpanelSource` is the source alone (discover, sign, fetch, download, events);
:class:`MixpanelClient` adds analysis. The blocking twin is
:class:`replaykit.sync.MixpanelClient`.
"""

from ._mixpanel_client import MixpanelClient
from .sources.mixpanel import (
    BASE_URL_ENV,
    ClientLimits,
    FetchedReplay,
    MixpanelConfig,
    MixpanelEvent,
    MixpanelSource,
    ReplayDescriptor,
    RetryPolicy,
    SignedReplay,
    Timeouts,
    safe_filename,
)

__all__ = [
    "BASE_URL_ENV",
    "ClientLimits",
    "FetchedReplay",
    "MixpanelClient",
    "MixpanelConfig",
    "MixpanelEvent",
    "MixpanelSource",
    "ReplayDescriptor",
    "RetryPolicy",
    "SignedReplay",
    "Timeouts",
    "safe_filename",
]
