"""Blocking wrappers for scripts and notebooks without an event loop.

Local files are analyzed on the calling thread (no event loop: nothing would run beside
it). Mixpanel calls run the async API on one event loop in a helper thread (an anyio
blocking portal). Both hand back coarse items: whole analyzed replays, never single events.
:class:`MixpanelClient` is the blocking Mixpanel client: one loop and one connection
pool for all of its calls.

    import replaykit.sync as rk
    for replay in rk.analyze("recordings/"):
        print(replay.markdown())
"""

from __future__ import annotations

import builtins
import os
import queue
import threading
import weakref
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import anyio
from anyio.from_thread import BlockingPortal
from anyio.streams.memory import MemoryObjectReceiveStream

from . import _api
from ._portal import call, iterate_gen, iterate_stage
from .analysis._actions import Action
from .analysis._options import AnalyzerOptions
from .analysis._signal import Signal
from .analysis._signal_config import SignalConfig
from .rrweb._decode import DEFAULT_MAX_INPUT_BYTES
from .rrweb._model import EventChunk
from .sources._local import LocalSource, Recording

if TYPE_CHECKING:
    # Annotations only: the Mixpanel source (and httpx) load with the first client, so
    # analyzing local files never imports them.
    from ._mixpanel_client import MixpanelClient as _AsyncMixpanelClient
    from .sources.mixpanel._config import MixpanelConfig
    from .sources.mixpanel._discover import ReplayDescriptor
    from .sources.mixpanel._download import FetchedReplay
    from .sources.mixpanel._events import MixpanelEvent
    from .sources.mixpanel._sign import SignedReplay

__all__ = ["MixpanelClient", "actions", "analyze", "analyze_recording", "signals"]

T = TypeVar("T")


def analyze(
    paths: _api.PathArg | Sequence[_api.PathArg] | LocalSource,
    *,
    options: AnalyzerOptions | None = None,
    signals: _api.SignalsArg = False,
    format: str = "auto",
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    on_error: Literal["raise", "record"] = "raise",
    keep_events: bool = False,
) -> Iterator[_api.AnalyzedReplay]:
    """Blocking twin of :func:`replaykit.analyze`: yields one analyzed replay at a time.

    Runs on the calling thread (decoding and analysis in one loop): local files need no
    event loop, and a thread hop per chunk would only add wall time."""
    return _api.analyze_files(
        paths,
        options=options,
        signals=signals,
        format=format,
        max_input_bytes=max_input_bytes,
        on_error=on_error,
        keep_events=keep_events,
    )


def analyze_recording(
    recording: Recording | _api.PathArg,
    *,
    options: AnalyzerOptions | None = None,
    signals: _api.SignalsArg = False,
    format: str = "auto",
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    keep_events: bool = False,
    max_kept_events: int = _api.DEFAULT_MAX_KEPT_EVENTS,
) -> _api.AnalyzedReplay:
    """Blocking twin of :func:`replaykit.analyze_recording` (on the calling thread)."""
    return _api.analyze_file(
        recording,
        options=options,
        signals=signals,
        format=format,
        max_input_bytes=max_input_bytes,
        keep_events=keep_events,
        max_kept_events=max_kept_events,
    )


def actions(
    recording: Recording | _api.PathArg,
    *,
    options: AnalyzerOptions | None = None,
    format: str = "auto",
) -> list[Action]:
    """All actions of one recording, in time order."""
    return analyze_recording(recording, options=options, format=format).actions


def signals(
    recording: Recording | _api.PathArg,
    *,
    config: SignalConfig | str | None = None,
    options: AnalyzerOptions | None = None,
    format: str = "auto",
) -> list[Signal]:
    """All frustration signals of one recording, in time order (preset name or config)."""
    replay = analyze_recording(
        recording,
        options=options,
        signals=config if config is not None else True,
        format=format,
    )
    return replay.signals


# --- Mixpanel --------------------------------------------------------------------------------


def _portal_thread() -> tuple[BlockingPortal, threading.Thread]:
    """A blocking portal on an event loop in a daemon thread.

    A daemon thread, unlike ``start_blocking_portal``'s executor thread, never keeps a
    script alive at exit when a client was not closed.
    """
    handed: queue.Queue[BlockingPortal | BaseException] = queue.Queue()

    async def serve() -> None:
        async with BlockingPortal() as portal:
            handed.put(portal)
            await portal.sleep_until_stopped()

    def run() -> None:
        try:
            anyio.run(serve)
        except BaseException as exc:  # pragma: no cover - the loop failed to start
            handed.put(exc)

    thread = threading.Thread(target=run, name="replaykit-mixpanel", daemon=True)
    thread.start()
    got = handed.get()
    if isinstance(got, BaseException):  # pragma: no cover
        raise got
    return got, thread


def _shutdown(portal: BlockingPortal, thread: threading.Thread, client: Any) -> None:
    try:
        if client is not None:
            portal.call(client.aclose)
        portal.call(portal.stop)
    except RuntimeError:  # the loop is gone already (interpreter exit)
        pass
    if thread is not threading.current_thread():
        thread.join(timeout=5)


class MixpanelClient:
    """Blocking twin of :class:`replaykit.MixpanelClient`, for scripts and notebooks.

    One event loop in one helper thread (a daemon thread: an unclosed client never keeps
    a script from exiting) runs one async client with its one connection pool; every
    method blocks until done. Methods that produce many items return iterators that fetch
    as you go; leaving one early (``break``, an exception, dropping it) cancels the work
    behind it and releases its connections::

        import replaykit.sync as rk

        with rk.MixpanelClient() as mp:                  # credentials: MP_* / ~/.mp / file
            for replay in mp.replays_for_user("user-42", limit=5):
                print(replay.replay_id, replay.distinct_id, len(replay.mixpanel_events))

    Arguments are those of :class:`replaykit.MixpanelClient` (``config``, ``transport``,
    ``retry``, ``limits``, ...). Use it from one thread at a time.
    """

    def __init__(self, config: MixpanelConfig | None = None, **kwargs: Any) -> None:
        self._portal, self._thread = _portal_thread()
        client = None
        try:
            client = self._portal.call(_make_client, config, kwargs)
        finally:
            self._finalizer = weakref.finalize(self, _shutdown, self._portal, self._thread, client)
        assert client is not None
        self._client: _AsyncMixpanelClient = client

    @property
    def config(self) -> MixpanelConfig:
        """The client's configuration (``repr`` never shows credentials)."""
        return self._client.config

    def __repr__(self) -> str:
        state = "closed" if not self._finalizer.alive else "open"
        return f"sync.MixpanelClient({self._client!r}, {state})"

    def __enter__(self) -> MixpanelClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool and stop the helper thread. Idempotent."""
        self._finalizer()

    def _call(self, func: Callable[..., Any], *args: Any) -> Any:
        if not self._finalizer.alive:
            raise RuntimeError("this MixpanelClient is closed; create a new one")
        return call(self._portal, func, *args)

    def _gen(self, make: Callable[[], AsyncGenerator[T, None]]) -> Iterator[T]:
        agen = self._call(_wrap, make)
        yield from iterate_gen(self._portal, agen, open=lambda: self._finalizer.alive)

    def _stage(
        self, make: Callable[[], AbstractAsyncContextManager[MemoryObjectReceiveStream[T]]]
    ) -> Iterator[T]:
        if not self._finalizer.alive:
            raise RuntimeError("this MixpanelClient is closed; create a new one")
        stage = self._portal.call(_wrap, make)
        yield from iterate_stage(self._portal, stage)

    # --- sequential calls ------------------------------------------------------------------

    def discover(self, **kwargs: Any) -> Iterator[ReplayDescriptor]:
        """Replays in a date range, newest first (see :meth:`replaykit.MixpanelClient.discover`)."""
        return self._gen(lambda: self._client.discover(**kwargs))

    def list(self, **kwargs: Any) -> builtins.list[ReplayDescriptor]:
        """:meth:`discover` as a list (``distinct_id=``, ``replay_ids=``, dates, ``limit``)."""
        return builtins.list(self.discover(**kwargs))

    list_replays = list  # the reference client's name

    def sign(self, replay_ids: str | Iterable[str]) -> builtins.list[SignedReplay]:
        """A :class:`SignedReplay` per id, in order (bulk calls)."""
        return builtins.list(self._gen(lambda: self._client.sign(replay_ids)))

    def sign_replay(self, replay_id: str) -> SignedReplay:
        """Sign one replay."""
        result: SignedReplay = self._call(self._client.sign_replay, replay_id)
        return result

    def describe(self, replay_id: str) -> ReplayDescriptor:
        """Look one replay up by id (its retention, start time)."""
        result: ReplayDescriptor = self._call(self._client.describe, replay_id)
        return result

    def events(self, replays: Any, **kwargs: Any) -> Iterator[MixpanelEvent]:
        """The Mixpanel events of each replay's user during it (see the async client)."""
        return self._gen(lambda: self._client.events(replays, **kwargs))

    # --- concurrent stages ------------------------------------------------------------------

    def fetch_chunks(
        self, replay: str | ReplayDescriptor | SignedReplay, *, retention_days: int | None = None
    ) -> Iterator[EventChunk]:
        """One replay's decoded event chunks, in order, while later files download."""
        return self._stage(lambda: self._client.fetch_chunks(replay, retention_days=retention_days))

    def fetch(
        self, replay: str | ReplayDescriptor | SignedReplay, *, retention_days: int | None = None
    ) -> builtins.list[EventChunk]:
        """One replay's decoded event chunks, all of them (:meth:`fetch_chunks` as a list)."""
        return builtins.list(self.fetch_chunks(replay, retention_days=retention_days))

    def analyze(self, replays: Any, **kwargs: Any) -> Iterator[_api.AnalyzedReplay]:
        """Fetch and analyze replays, in completion order (see the async client's
        ``analyze``: ``mixpanel_events=True`` joins the users' events)."""
        return self._stage(lambda: self._client.analyze(replays, **kwargs))

    def replays_for_user(self, distinct_id: str, **kwargs: Any) -> Iterator[_api.AnalyzedReplay]:
        """A user's newest replays, analyzed, with the user's Mixpanel events joined."""
        return self._stage(lambda: self._client.replays_for_user(distinct_id, **kwargs))

    def download(
        self, replays: Any, out_dir: str | os.PathLike[str], **kwargs: Any
    ) -> Iterator[FetchedReplay]:
        """Write each replay's events to ``out_dir/<id>.json`` (atomic, resumable)."""
        return self._stage(lambda: self._client.download(replays, out_dir, **kwargs))


async def _make_client(config: MixpanelConfig | None, kwargs: dict[str, Any]) -> Any:
    from ._mixpanel_client import MixpanelClient as AsyncClient

    return AsyncClient(config, **kwargs)


async def _wrap(make: Callable[[], T]) -> T:
    # Async generators and stages are created on the loop thread: they bind to it.
    return make()
