"""The HTML report: rendered by headless Chromium, asserted on the DOM it built.

The Chromium test skips when no Chromium is installed (CI installs it; see `.ci/run`). The
structure and escaping checks below run everywhere on the file itself.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import _bundle_data as data
import pytest

from replaykit import ReplayBundle

HOSTILE_LABEL = '<script>alert("label")</script>'
HOSTILE_TARGET = '"><img src=x onerror=alert(1)>'
HOSTILE_URL = "http://evil.test/<script>alert(2)</script>?q=</style>"
VOID = {"meta", "br", "img", "input", "link", "hr", "col", "wbr", "source", "area", "base"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and all(
                v in child.attrs.get(k.rstrip("_"), "").split() for k, v in attrs.items()
            ):
                found.append(child)
            found.extend(child.all(tag, **attrs))
        return found

    def by_id(self, ident: str) -> Node:
        (node,) = [n for n in self.all() if n.attrs.get("id") == ident]
        return node

    def content(self) -> str:
        return "".join(self.text) + "".join(c.content() for c in self.children)


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, text: str) -> None:
        self.stack[-1].text.append(text)


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    return builder.root


def hostile_bundle() -> ReplayBundle:
    nav = "navigation"
    evil = data.replay(
        "evil-1",
        [
            (0, nav, {"url": HOSTILE_URL}),
            (100, "click", {"target": HOSTILE_TARGET, "label": HOSTILE_LABEL}),
            (300, "click", {"target": HOSTILE_TARGET, "label": HOSTILE_LABEL}),
            (500, "click", {"target": HOSTILE_TARGET, "label": HOSTILE_LABEL}),
            (2000, "console_error", {"message": "<b>not bold</b>"}),
        ],
        signals=[
            (100, "rage_click", {"target": HOSTILE_TARGET, "url": HOSTILE_URL}),
            (100, "dead_click", {"target": HOSTILE_TARGET, "url": HOSTILE_URL}),
            (1000, "idle", {"duration_ms": 800, "url": HOSTILE_URL}),
        ],
        end_after=5000,
    )
    calm = [
        data.replay(
            f"calm-{i}",
            [(0, nav, {"url": "http://shop.test/home"}), (200, "click", {"target": "a.x"})],
            start=data.T0 + i * data.DAY,
            signals=[(200, "dead_click", {"target": "a.x", "url": "http://shop.test/home"})],
        )
        for i in range(3)
    ]
    return ReplayBundle.from_replays([evil, *calm])


def check_report_dom(root: Node, sessions: int) -> None:
    """What the report must contain, on a DOM (the file's or the browser's)."""
    (value,) = [n for n in root.all("div", class_="stat") if n.attrs.get("data-stat") == "sessions"]
    assert value.all("span", class_="value")[0].content() == str(sessions)
    assert root.all("div", class_="stat")[0].content()
    for section in ("signals-over-time", "signals-by-page", "frustrating-targets"):
        node = root.by_id(section)
        svgs = node.all("svg")
        assert len(svgs) == 1, section
        assert svgs[0].all("rect"), section  # bars were drawn
    timelines = root.by_id("timelines").all("figure", class_="timeline")
    assert len(timelines) == sessions
    evil = next(f for f in timelines if f.attrs["data-replay-id"] == "evil-1")
    (svg,) = evil.all("svg")
    assert len(svg.all("line", class_="action")) == 5
    assert len(svg.all("circle", class_="signal")) == 2 and svg.all("rect", class_="signal")
    # Hostile text is text: no element, handler or resource came out of it.
    assert not root.all("script") and not root.all("img") and not root.all("iframe")
    for node in root.all():
        assert not any(name.startswith("on") for name in node.attrs), node.tag
        assert "src" not in node.attrs and "href" not in node.attrs, node.tag
    text = root.content()
    assert HOSTILE_LABEL in text and HOSTILE_TARGET in text


def test_report_structure_and_escaping(tmp_path: Path) -> None:
    html = hostile_bundle().report_html()
    assert "<script" not in html and "url(" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    check_report_dom(parse(html), sessions=4)


def test_report_of_an_empty_bundle_still_renders() -> None:
    html = ReplayBundle.from_replays([]).report_html()
    root = parse(html)
    for section in ("signals-over-time", "signals-by-page", "frustrating-targets"):
        assert len(root.by_id(section).all("svg")) == 1
    assert "No sessions" in root.by_id("timelines").content()


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed")
    report = hostile_bundle().write_report(tmp_path / "report.html")
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    root = parse(result.stdout)
    # The browser built a document with our sections: its DOM, not our string.
    assert root.all("body") and root.by_id("headline")
    check_report_dom(root, sessions=4)
