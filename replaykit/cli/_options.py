"""The options every Mixpanel command shares and the hooks commands build outside-world
objects with; light to import: ``replaykit --help`` and ``replaykit analyze FILE`` load
neither the Mixpanel client nor httpx (:mod:`._runtime` does, when a command talks to
Mixpanel)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from .._mixpanel_client import MixpanelClient
    from ..sources.mixpanel import MixpanelConfig

__all__ = ["BASE_URL_ENV", "ClientFactory", "Hooks", "hooks", "mixpanel_options"]

F = TypeVar("F", bound=Callable[..., Any])
ClientFactory = Callable[["MixpanelConfig"], "MixpanelClient"]

# replaykit.sources.mixpanel's BASE_URL_ENV (importing it would load httpx); a test pins it.
BASE_URL_ENV = "REPLAYKIT_MIXPANEL_BASE_URL"


def mixpanel_options(func: F) -> F:
    """The options every Mixpanel command shares (endpoint, project, region, config)."""
    options = [
        click.option(
            "--base-url",
            envvar=BASE_URL_ENV,
            metavar="URL",
            help="One origin serving every Mixpanel path (a proxy, the local fake). "
            f"Plain http only to loopback hosts. [env: {BASE_URL_ENV}]",
        ),
        click.option(
            "--project-id",
            type=click.IntRange(min=1, max=2**31 - 1),
            help="Mixpanel project id. [env: MP_PROJECT_ID]",
        ),
        click.option(
            "--region",
            type=click.Choice(["us", "eu", "in"]),
            help="Data residency region. [env: MP_REGION; default us]",
        ),
        click.option(
            "--env",
            "replay_env",
            type=click.Choice(["prod", "dev"]),
            help="Replay environment to sign for (Mixpanel's replay_env). [default: prod]",
        ),
        click.option(
            "--account",
            envvar="MP_ACCOUNT",
            metavar="NAME",
            help="A mixpanel-headless / `replaykit login` account in ~/.mp/config.toml "
            "[env: MP_ACCOUNT; default: the file's active account when no MP_* "
            "credentials are set].",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False),
            help="TOML config file with a [mixpanel] table. "
            "[env: REPLAYKIT_MIXPANEL_CONFIG; default ~/.config/replaykit/mixpanel.toml]",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@dataclass(frozen=True)
class Hooks:
    """What a command builds its outside-world objects with (click's context object).

    ``client_factory`` makes the Mixpanel client from a config; ``open_browser`` opens the
    sign-in page of ``login``. The defaults are the real ones."""

    client_factory: ClientFactory | None = None
    open_browser: Callable[[str], object] | None = None


def hooks() -> Hooks:
    """The running command's hooks (the defaults outside :func:`replaykit.cli.main`)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(Hooks) if ctx is not None else None
    return found or Hooks()
