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
    assert sorted(_commands.cli.commands) == sorted(["analyze", "events", *_commands.LAZY])


def test_base_url_variable_matches_the_source() -> None:
    assert _options.BASE_URL_ENV == BASE_URL_ENV
