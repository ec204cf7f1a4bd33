"""Tables and text that fit a terminal: no word broken, friendly headers (core only: no rich, no click).

The terminal summaries (``copilot-metrics report``, ``coverage``, ``metrics --format table`` and
``python -m copilot_metrics``) lay their tables out here. A column is never narrower than its
longest word (header or cell: a scope name, a number, a date), so nothing is cut mid-word; a
header or a cell with spaces wraps between its words. When the columns do not fit the width,
the table is split into parts, each repeating the key columns (the scope, the period, the
dimension), so that every value is still shown; the parts are balanced. :func:`layout` computes
the parts and the column widths, :func:`render` draws them as text (``copilot_metrics.cli``
draws the same layout with rich), :func:`wrap` wraps a line of text at spaces.

>>> print(render(plan("", [Column("name", ["octo-org"]), Column("users", ["3"], numeric=True)], 40)))
┏━━━━━━━━━━┳━━━━━━━┓
┃ name     ┃ users ┃
┡━━━━━━━━━━╇━━━━━━━┩
│ octo-org │     3 │
└──────────┴───────┘
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sys
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from copilot_metrics.summary import SCOPE_COLUMNS as _SCOPE
from copilot_metrics.summary import scope_label

__all__ = [
    "COVERAGE_HEADERS",
    "LANGUAGE_HEADERS",
    "PIPE_WIDTH",
    "SUMMARY_HEADERS",
    "Column",
    "Plan",
    "cell_len",
    "columns_of",
    "friendly",
    "plan",
    "render",
    "terminal_width",
    "text",
    "wrap",
]

#: Width of one column's padding (one space each side) and its border on the left.
_OVERHEAD = 3

#: Short headers of the summary per scope (``report``, ``python -m copilot_metrics``): every word
#: short enough that the summary fits 80 columns in two parts and never breaks a word.
SUMMARY_HEADERS = {
    "scope": "scope",
    "days_with_data": "days",
    "days_missing": "missing",
    "active_users_mean": "active mean",
    "active_users_peak": "active peak",
    "engaged_users_mean": "engaged mean",
    "engaged_users_peak": "engaged peak",
    "engagement_rate": "engagement",
    "seat_days": "seat-days",
    "activation_rate": "activation",
    "acceptance_rate": "accept rate",
    "line_acceptance_rate": "line accept rate",
    "chat_acceptance_rate": "chat accept rate",
    "total_pr_summaries_created": "PR summaries",
}

#: Headers of the per-language completion acceptance table.
LANGUAGE_HEADERS = {
    "language": "language",
    "total_code_suggestions": "suggested",
    "total_code_acceptances": "accepted",
    "acceptance_rate": "accept rate",
    "line_acceptance_rate": "line accept rate",
    "engaged_users_mean": "users mean",
    "engaged_users_peak": "users peak",
}

#: Headers of the coverage table.
COVERAGE_HEADERS = {
    "scope": "scope",
    "first_date": "first day",
    "last_date": "last day",
    "days_present": "days",
    "days_missing": "missing",
    "missing_ranges": "missing days",
}


def cell_len(value: str) -> int:
    """The columns ``value`` takes in a terminal (wide East Asian characters take two, combining marks none)."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in value
    )


def _longest_word(value: str) -> int:
    return max((cell_len(word) for word in value.split()), default=0)


def wrap(value: str, width: int, indent: str = "") -> list[str]:
    """``value`` wrapped at spaces to ``width`` columns; a word longer than the width is never broken.

    Lines after the first start with ``indent``.

    >>> wrap("22 of 22 file(s) loaded, 306 scope-day(s)", 20)
    ['22 of 22 file(s)', 'loaded, 306', 'scope-day(s)']
    """
    if width <= 0 or cell_len(value) <= width:
        return [value]
    return textwrap.wrap(value, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False) or [
        value
    ]


#: The width tables are laid out for on a file or a pipe (``COLUMNS`` unset): their natural width, mostly.
PIPE_WIDTH = 240


def terminal_width() -> int | None:
    """The width to lay out for: ``COLUMNS`` when set, else the terminal's; None for a file or a pipe."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        stream = sys.stdout
        return os.get_terminal_size(stream.fileno()).columns if stream.isatty() else None
    except (AttributeError, ValueError, OSError):  # no file descriptor (a test runner's buffer), or closed
        return None


def friendly(column: str, headers: dict[str, str] | None = None) -> str:
    """A column's header: ``headers[column]``, else its name with spaces for underscores.

    >>> friendly("total_code_suggestions"), friendly("period_start")
    ('total code suggestions', 'period')
    """
    if headers and column in headers:
        return headers[column]
    if column == "period_start":
        return "period"
    return column.replace("_", " ")


def text(value: Any, kind: str = "other") -> str:
    """A value as a person reads it.

    Rates and shares as percentages, counts with separators, means with one decimal, dates in
    ISO form, null as ``—``.

    >>> text(0.30312, "rate"), text(1234567), text(207.2777), text(None), text(True)
    ('30.3%', '1,234,567', '207.3', '—', 'yes')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if kind in ("rate", "share") and isinstance(value, (int, float)):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(text(v) for v in value)
    return str(value)


def _kind(column: str) -> str:
    from copilot_metrics.errors import CopilotMetricsError
    from copilot_metrics.metrics import column_kind

    try:
        return str(column_kind(column))
    except CopilotMetricsError:
        return "other"


@dataclass(eq=False)
class Column:
    """One column to lay out: its header, its cells as text, and whether it holds numbers (right-aligned)."""

    header: str
    cells: list[str]
    numeric: bool = False
    key: bool = False
    minimum: int = field(init=False)
    natural: int = field(init=False)

    def __post_init__(self) -> None:
        self.minimum = max([_longest_word(self.header), *(_longest_word(c) for c in self.cells), 1])
        self.natural = max([cell_len(self.header), *(cell_len(c) for c in self.cells), 1])


def columns_of(frame: pl.DataFrame, headers: dict[str, str] | None = None, keys: Sequence[str] = ()) -> list[Column]:
    """The columns of ``frame`` as text, ``enterprise``/``org``/``team`` as one ``scope`` column first.

    ``keys`` name the columns repeated in every part of a split table (the scope always is).
    """
    out: list[Column] = []
    if any(c in frame.columns for c in _SCOPE):
        scopes = frame.select(scope_label(frame.columns)).get_column("scope").to_list()
        out.append(Column(friendly("scope", headers), scopes, key=True))
    for name in frame.columns:
        if name in _SCOPE:
            continue
        dtype = frame.schema[name]
        kind = _kind(name)
        cells = [text(v, kind) for v in frame.get_column(name).to_list()]
        out.append(Column(friendly(name, headers), cells, numeric=dtype.is_numeric(), key=name in keys))
    return out


@dataclass
class Plan:
    """A table laid out for a width: its title and its parts, each a list of (column, content width)."""

    title: str
    parts: list[list[tuple[Column, int]]]
    rows: int
    width: int


def _cost(columns: Sequence[Column]) -> int:
    return 1 + sum(c.minimum + _OVERHEAD for c in columns)


def _split(keys: list[Column], rest: list[Column], width: int) -> list[list[Column]]:
    """``rest`` cut into the fewest consecutive groups that fit beside ``keys``, the widest as narrow as can be.

    A column too wide to fit even alone beside the keys gets a part of its own.
    """
    n = len(rest)
    before = [0]
    for column in rest:
        before.append(before[-1] + column.minimum + _OVERHEAD)
    base = _cost(keys)

    def cost(i: int, j: int) -> int:
        return base + before[j] - before[i]

    def fits(i: int, j: int) -> bool:
        return cost(i, j) <= width or j - i == 1

    parts, i = 0, 0
    while i < n:  # the fewest parts: each as long as it fits
        j = i + 1
        while j < n and fits(i, j + 1):
            j += 1
        parts, i = parts + 1, j
    # among the splits into that many parts, the one whose widest part is narrowest
    best: dict[tuple[int, int], tuple[int, int]] = {(0, 0): (0, 0)}
    for k in range(1, parts + 1):
        for j in range(k, n + 1):
            options = [
                (max(best[(k - 1, i)][0], cost(i, j)), i) for i in range(k - 1, j) if (k - 1, i) in best and fits(i, j)
            ]
            if options:
                best[(k, j)] = min(options)
    groups: list[list[Column]] = []
    j = n
    for k in range(parts, 0, -1):
        i = best[(k, j)][1]
        groups.insert(0, rest[i:j])
        j = i
    return groups


def _widths(columns: list[Column], width: int) -> list[int]:
    """Each column's content width: its minimum, then towards its natural width as the room allows."""
    widths = [c.minimum for c in columns]
    room = width - _cost(columns)
    for index in sorted(range(len(columns)), key=lambda i: columns[i].natural - columns[i].minimum):
        grow = min(columns[index].natural - widths[index], max(room, 0))
        widths[index] += grow
        room -= grow
    return widths


def plan(title: str, columns: list[Column], width: int) -> Plan:
    """Lay ``columns`` out in ``width`` terminal columns: one table, or parts repeating the key columns."""
    rows = len(columns[0].cells) if columns else 0
    keys = [c for c in columns if c.key]
    rest = [c for c in columns if not c.key]
    groups = [rest] if _cost(columns) <= width or not rest else _split(keys, rest, width)
    parts = []
    for group in groups:
        shown = [c for c in columns if c.key or any(c is g for g in group)]  # the frame's own order
        parts.append(list(zip(shown, _widths(shown, width), strict=True)))
    return Plan(title, parts, rows, width)


def _line(cells: list[list[str]], part: list[tuple[Column, int]], bar: str) -> list[str]:
    height = max((len(c) for c in cells), default=1)
    lines = []
    for i in range(height):
        pieces = []
        for lines_of_cell, (column, w) in zip(cells, part, strict=True):
            piece = lines_of_cell[i] if i < len(lines_of_cell) else ""
            pad = " " * max(w - cell_len(piece), 0)
            pieces.append(f" {pad}{piece} " if column.numeric else f" {piece}{pad} ")
        lines.append(bar + bar.join(pieces) + bar)
    return lines


def _border(part: list[tuple[Column, int]], left: str, fill: str, middle: str, right: str) -> str:
    return left + middle.join(fill * (w + 2) for _, w in part) + right


def render(layout: Plan) -> str:
    """The plan as text: the title wrapped to the width, then each part as a box-drawn table."""
    out = wrap(layout.title, layout.width) if layout.title else []
    for number, part in enumerate(layout.parts):
        if number:
            out.append(f"({number + 1} of {len(layout.parts)}, continued)")
        out.append(_border(part, "┏", "━", "┳", "┓"))
        out += _line([wrap(c.header, w) for c, w in part], part, "┃")
        out.append(_border(part, "┡", "━", "╇", "┩"))
        for row in range(layout.rows):
            out += _line([wrap(c.cells[row], w) for c, w in part], part, "│")
        out.append(_border(part, "└", "─", "┴", "┘"))
    return "\n".join(out)
