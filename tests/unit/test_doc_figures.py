"""Figures in the docs come from one place: a measured figure a page states is marked
``1371<!-- figure: quota.ours_real.total_calls -->`` and must be what docs/benchmarks.json (written by
`make bench`) says, rounded as the page writes it. ``a / b`` marks a ratio of two measured values."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "docs" / "benchmarks.json"
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
MARKED = re.compile(r"(?P<figure>\d+(?:\.\d+)?)<!--\s*figure:\s*(?P<source>[^>]+?)\s*-->")
# Figures measured by `make bench` that a page must not state without a mark: the stale ones found before.
UNMARKED_STALE = ("1268", "3.6 times", "129 MB")


def value(source: dict[str, Any], path: str) -> float:
    node: Any = source
    for part in path.split("."):
        node = node[part]
    return float(node)


def evaluate(source: dict[str, Any], expression: str) -> float:
    """A path into the source, or ``a / b`` of two paths."""
    parts = [part.strip() for part in expression.split("/")]
    if len(parts) == 2:
        return value(source, parts[0]) / value(source, parts[1])
    [path] = parts
    return value(source, path)


def problems(text: str, source: dict[str, Any], page: str) -> list[str]:
    """Each marked figure of ``text`` that the source does not give, rounded as the page writes it."""
    found = []
    for match in MARKED.finditer(text):
        figure, expression = match["figure"], " ".join(match["source"].split())
        decimals = len(figure.partition(".")[2])
        try:
            expected = f"{evaluate(source, expression):.{decimals}f}"
        except (KeyError, TypeError, ValueError) as exc:
            found.append(f"{page}: {figure} marked with {expression!r}, which the source does not hold ({exc!r})")
            continue
        if expected != figure:
            found.append(f"{page}: states {figure} for {expression}; {SOURCE.name} says {expected}")
    return found


@pytest.fixture(scope="module")
def source() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SOURCE.read_text())
    return loaded


def test_every_marked_figure_is_the_sources(source: dict[str, Any]) -> None:
    found = [problem for page in PAGES for problem in problems(page.read_text(), source, page.name)]
    assert found == []
    # and the pages do mark their measured figures (how it works states the quota-scale run's)
    assert len(MARKED.findall((ROOT / "docs" / "how-it-works.md").read_text())) >= 5


def test_a_stale_unmarked_figure_is_not_stated() -> None:
    hand_written = [page for page in PAGES if page.name != "benchmarks.md"]  # written by `make bench` itself
    assert [(page.name, stale) for page in hand_written for stale in UNMARKED_STALE if stale in page.read_text()] == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("makes 1268<!-- figure: quota.ours_real.total_calls --> calls", "states 1268 for quota.ours_real.total_calls"),
        (
            "3.6<!-- figure: quota.sequential_real.wall_s / quota.ours_real.wall_s --> times",
            "states 3.6 for quota.sequential_real.wall_s / quota.ours_real.wall_s",
        ),
        ("129<!-- figure: quota.ours_real.peak_rss_mb --> MB", "says 140"),
        ("7<!-- figure: quota.nothing_here -->", "which the source does not hold"),
    ],
)
def test_the_check_catches_a_figure_the_source_does_not_state(source: dict[str, Any], text: str, problem: str) -> None:
    [found] = problems(text, source, "page.md")
    assert problem in found


def test_a_figure_the_source_states_passes(source: dict[str, Any]) -> None:
    text = "1371<!-- figure: quota.ours_real.total_calls --> calls, 3.44<!-- figure:\nquota.sequential_real.wall_s /"
    text += " quota.ours_real.wall_s --> times"
    assert problems(text, source, "page.md") == []
