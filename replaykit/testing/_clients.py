"""Mixpanel clients for tests of code that takes a client factory.

The command line builds its client with a hook, ``replaykit.cli.main(client_factory=...)``;
:func:`fast_client_factory` makes one whose retries never wait (point the config's
``base_url`` at a :class:`~replaykit.testing.FakeMixpanel`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .._mixpanel_client import MixpanelClient
from ..sources.mixpanel import MixpanelConfig
from ..sources.mixpanel._http import RetryPolicy

__all__ = ["ClientFactory", "fast_client_factory"]

ClientFactory = Callable[[MixpanelConfig], MixpanelClient]


async def _no_wait(seconds: float) -> None:
    return None


def fast_client_factory(
    *, max_attempts: int = 3, sleep: Callable[[float], Awaitable[Any]] | None = None
) -> ClientFactory:
    """A factory of clients whose retries never wait: ``sleep`` (async) is called with
    each delay instead of sleeping (default: nothing is recorded)."""

    def factory(config: MixpanelConfig) -> MixpanelClient:
        retry = RetryPolicy(max_attempts=max_attempts, base_delay=0.5)
        return MixpanelClient(config, retry=retry, sleep=sleep or _no_wait, rand=lambda: 0.0)

    return factory
