"""Ctrl-C: ``python -m replaykit`` as a real process, interrupted while it waits on the network.

The fake runs in this process and stalls one request for good (a chunk mid-walk, or the
discovery query). Once the CLI is provably inside that wait, it gets SIGINT and must exit
130 within a second, print no traceback, keep every file it finished, leave no partial
or temporary file, and leave no connection open at the fake.

Regression: the CLI used to hang here forever. Polars starts threads at import that do
not block SIGINT; when the kernel handed Ctrl-C to one of them, the main thread, asleep
in ``portal.call()`` with no timeout, never woke to raise ``KeyboardInterrupt``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _fakenet import LOGIN, RECORDINGS, STEEL, cli_env, serving

from replaykit.testing import FakeMixpanel

DEADLINE_S = 1.0  # from SIGINT to the process being gone


@pytest.fixture
def fake() -> Iterator[FakeMixpanel]:
    with serving() as server:
        yield server


def spawn(fake: FakeMixpanel, tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in {**os.environ, **cli_env(fake, tmp_path)}.items() if v is not None}
    argv = [sys.executable, "-m", "replaykit", *args, "--base-url", fake.base_url]
    # A test runner started in the background of a shell may ignore SIGINT, and the child
    # would inherit that (Python then installs no handler at all). A caught signal is
    # reset to its default across exec, so catch it here while the child starts.
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the CLI never reached the stalled request"
        time.sleep(0.005)
    time.sleep(0.05)  # well inside the wait


def interrupt(proc: subprocess.Popen[bytes]) -> tuple[float, str, str]:
    """SIGINT, then (seconds until the process was gone, stdout, stderr)."""
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"still running 10 s after SIGINT; stderr: {err.decode()[-2000:]}")
    elapsed = time.monotonic() - sent
    out, err = proc.communicate()
    return elapsed, out.decode(), err.decode()


def assert_clean_exit(proc: subprocess.Popen[bytes], elapsed: float, stderr: str) -> None:
    assert proc.returncode == 130, stderr
    assert elapsed < DEADLINE_S, f"took {elapsed:.2f} s to stop"
    assert "Traceback" not in stderr and stderr.strip().endswith("replaykit: interrupted")


def test_ctrl_c_mid_fetch(fake: FakeMixpanel, tmp_path: Path) -> None:
    # LOGIN (3 files) finishes; STEEL stalls for good at its 6th of 17 files.
    fake.inject("cdn", "delay", delay=60, replay_id=STEEL, chunk=5, times=None)
    out = tmp_path / "out"
    proc = spawn(fake, tmp_path, "fetch", LOGIN, STEEL, "--out-dir", str(out))
    done = out / f"{LOGIN}.json"

    def steel_in_progress() -> bool:
        return done.exists() and any(p.name.startswith(f".{STEEL}") for p in out.iterdir())

    wait_for(steel_in_progress, proc)
    elapsed, stdout, stderr = interrupt(proc)
    assert_clean_exit(proc, elapsed, stderr)
    # The finished replay is reported and intact; the interrupted one left nothing.
    assert [json.loads(line)["replay_id"] for line in stdout.splitlines()] == [LOGIN]
    assert os.listdir(out) == [done.name]
    assert json.loads(done.read_text()) == json.loads((RECORDINGS / done.name).read_text())
    assert fake.wait_for_connections(0, 2.0), f"{fake.open_connections} still open"
    assert fake.server_errors == []


def test_ctrl_c_during_a_listing(fake: FakeMixpanel, tmp_path: Path) -> None:
    """The other way the CLI waits on the loop: an async generator (``list``), which must
    be idle again (its pending step cancelled and finished) before it is closed."""
    fake.inject("insights", "delay", delay=60, times=None)
    proc = spawn(fake, tmp_path, "list")
    wait_for(lambda: fake.peak_concurrency("insights") >= 1, proc)
    elapsed, stdout, stderr = interrupt(proc)
    assert_clean_exit(proc, elapsed, stderr)
    assert stdout == ""
    assert fake.wait_for_connections(0, 2.0), f"{fake.open_connections} still open"
