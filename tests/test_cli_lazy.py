"""`replaykit --help` and `replaykit analyze FILE` import neither Polars nor httpx: the bundle
and Mixpanel commands load when they run (issue 13 §1)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from replaykit.cli import _commands, _options
from replaykit.sources.mixpanel._config import BASE_URL_ENV

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "examples" / "recordings" / "tracelane-shop-checkout-console.json"


@pytest.mark.parametrize(
    "args",
    [["--help"], ["analyze", str(SHOP)], ["analyze", str(SHOP), "-o", "table", "--signals"]],
    ids=["help", "analyze", "analyze-table-signals"],
)
def test_light_commands_import_neither_polars_nor_httpx(args: list[str]) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from replaykit.cli import main
        try:
            main({args!r})
        except SystemExit as exc:
            assert not exc.code, exc.code
        heavy = sorted(m for m in ("polars", "httpx") if m in sys.modules)
        print("HEAVY", heavy, file=sys.stderr)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stderr, result.stderr
    assert result.stdout


def test_lazy_summaries_are_the_commands_own() -> None:
    for name, lazy in _commands.LAZY.items():
        command = _commands.cli.commands[name]  # imports it
        first = (command.help or "").split("\n\n")[0].replace("\n", " ").strip()
        assert lazy.summary == first, name
    assert sorted(_commands.cli.commands) == sorted(_commands.LAZY)
    assert {"analyze", "events"} <= set(_commands.LAZY)


def test_base_url_variable_matches_the_source() -> None:
    assert _options.BASE_URL_ENV == BASE_URL_ENV


def test_import_replaykit_loads_nothing_heavy() -> None:
    # Every public name loads on first use: the console script is inside its Ctrl-C guard
    # a few milliseconds after start (issue 12: Ctrl-C in the first ~0.3 s).
    script = (
        "import sys, replaykit\n"
        "print(sorted(m for m in ('msgspec', 'polars', 'httpx', 'replaykit.analysis')"
        " if m in sys.modules))\n"
        "replaykit.analyze\n"
        "print('replaykit.analysis' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["[]", "True"]


@pytest.mark.parametrize("delay_s", [0.1, 0.2, 0.35])
def test_ctrl_c_while_starting_is_one_line(delay_s: float) -> None:
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "replaykit", "analyze", str(SHOP), "--signals", "-o", "table"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A runner started in the background may ignore SIGINT; the child must not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler),
    )
    time.sleep(delay_s)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    # Interrupted (130, or killed before Python's handler existed) or already done.
    assert proc.returncode in (0, 130, -signal.SIGINT), (proc.returncode, err)
    if proc.returncode == 130:
        assert err.strip().splitlines()[-1] == "replaykit: interrupted"


def test_help_does_not_load_the_analyzer() -> None:
    script = (
        "import sys\n"
        "from replaykit.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('replaykit.analysis' in sys.modules, 'replaykit.rrweb' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "Commands:" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "False False"
