"""Running the Mixpanel client from click: the shared options, the config they make, and
one client on one event loop in a helper thread (:mod:`replaykit._portal` drives it, as it
drives :mod:`replaykit.sync`).

What the CLI builds its client with is a hook, not a module global: :func:`replaykit.cli.main`
takes ``client_factory=`` (tests pass a mock or a fast-retrying client; see
:mod:`replaykit.testing`) and hands it down in click's context object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

import msgspec
from anyio.from_thread import BlockingPortal, start_blocking_portal

from .._errors import ConfigError
from .._mixpanel_client import MixpanelClient
from .._portal import call, iterate_gen, iterate_stage
from ..sources.mixpanel import MixpanelConfig
from ._options import ClientFactory, Hooks, hooks, mixpanel_options

__all__ = [
    "ClientFactory",
    "Hooks",
    "MissingSettings",
    "call",
    "config_from",
    "hooks",
    "iterate_gen",
    "iterate_stage",
    "mixpanel_options",
    "open_client",
]

F = TypeVar("F", bound=Callable[..., Any])


class MissingSettings(ConfigError):
    """Mixpanel settings the command needs are not set anywhere (a usage error: exit 2)."""

    exit_code: ClassVar[int] = 2


_FLAGS = {
    "project_id": "--project-id",
    "region": "--region",
    "base_url": "--base-url",
    "replay_env": "--env",
}
_CREDENTIALS_HINT = (
    "credentials (MP_USERNAME and MP_SECRET, or MP_OAUTH_TOKEN, or `replaykit login`)"
)


def config_from(params: dict[str, Any]) -> MixpanelConfig:
    """The config from the shared options (pops them from ``params``), env and file.

    Settings missing everywhere are reported together, by their flag names, as a usage
    error (:class:`MissingSettings`, exit 2); other config errors name the flags too."""
    settings = {
        "config_file": params.pop("config_file", None),
        "account": params.pop("account", None),
        "replay_env": params.pop("replay_env", None),
        "base_url": params.pop("base_url", None),
        "project_id": params.pop("project_id", None),
        "region": params.pop("region", None),
    }
    try:
        return MixpanelConfig.from_env(**settings)
    except ConfigError as exc:
        missing = _missing(settings, exc)
        if missing:
            raise MissingSettings(f"missing Mixpanel settings: {', '.join(missing)}") from None
        message = exc.message
        for field, flag in _FLAGS.items():
            message = message.replace(field, flag)
        raise ConfigError(message) from None


def _missing(settings: dict[str, Any], exc: ConfigError) -> list[str]:
    """The settings ``exc`` (and a second look without it) says are missing, as flags."""
    text = exc.message
    project = text.startswith("no Mixpanel project id")
    credentials = text.startswith("no Mixpanel credentials")
    if not (project or credentials):
        return []
    if project:  # checked first: are the credentials missing as well?
        try:
            MixpanelConfig.from_env(**{**settings, "project_id": 1})
        except ConfigError as again:
            credentials = again.message.startswith("no Mixpanel credentials")
    missing = []
    if project:
        missing.append("--project-id (or MP_PROJECT_ID)")
    if credentials:
        missing.append(_CREDENTIALS_HINT)
    return missing


@contextmanager
def open_client(
    config: MixpanelConfig, *, max_files: int | None = None
) -> Iterator[tuple[BlockingPortal, MixpanelClient]]:
    """A client living on one event loop in a helper thread, closed on the way out.

    ``max_files`` caps the chunk files walked per replay (``--max-files``)."""
    factory = hooks().client_factory or MixpanelClient
    with start_blocking_portal() as portal:
        client = portal.call(_make_client, factory, config)
        if max_files is not None:
            limits = msgspec.structs.replace(client.limits, max_files=max_files)
            client.limits = limits
            client._session.limits = limits
        try:
            yield portal, client
        finally:
            portal.call(client.aclose)


async def _make_client(factory: ClientFactory, config: MixpanelConfig) -> MixpanelClient:
    return factory(config)
