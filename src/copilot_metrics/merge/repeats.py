"""Dates one file holds more than once: the later copy is the file's, each earlier copy a version of its own.

A file that holds the same date twice keeps its later copy; each earlier copy competes as a
version ranked just below the file's own (labelled ``file.json$[3]``), so a differing earlier
copy is a conflict, and each is a ``duplicate_date_in_file`` finding (:func:`split_repeats`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from copilot_metrics.explode import explode_days
from copilot_metrics.findings import RULES
from copilot_metrics.tables import FINDING_SCHEMA, SCOPE

__all__ = ["COPY_SUFFIX", "split_repeats"]

#: The JSON path that labels an earlier copy of a date inside a file: ``file.json$[3]``, ``...$.data[3]``.
COPY_SUFFIX = r"\$(?:\.[^\[\]$]+)?\[\d+\]$"


def split_repeats(
    days: Sequence[Any],
    valid: Sequence[int],
    *,
    source: str,
    scope: Mapping[str, str | None],
    json_base: str = "$",
) -> tuple[dict[str, pl.DataFrame], list[tuple[str, int, dict[str, pl.DataFrame]]], pl.DataFrame]:
    """Separate the copies of a date that one file holds more than once.

    The file's last copy of each date is its version of the day (a file is written in order,
    so the later copy is the more recent one); each earlier copy becomes a version of its own,
    labelled with its JSON path (``file.json$[3]``), ranked just below the file's own copy, so
    an earlier copy that differs is listed in ``ds.conflicts`` and never reaches the tables.

    Parameters
    ----------
    days:
        The file's day objects, as decoded.
    valid:
        Indices of the days that passed the schema (the others are quarantined).
    source, scope:
        The file's label and scope labels.
    json_base:
        JSON path of the day array in the file (``$`` or ``$.data`` for a wrapped array).

    Returns
    -------
    tuple
        The tables of the last copies; ``(label, occurrence, tables)`` of every earlier copy
        (occurrence 1 for the copy just before the last, 2 before that, ...); and one
        ``duplicate_date_in_file`` finding per earlier copy (grain: file, date, copy), whose
        value says whether it is identical to the kept copy.
    """
    copies_after: dict[str, int] = {}
    last_index: dict[str, int] = {}
    occurrence: dict[int, int] = {}
    last_of: dict[int, int] = {}
    for index in reversed(valid):  # one step per day object of the file, on this rare path only
        date = days[index]["date"]
        last_index.setdefault(date, index)
        occurrence[index] = copies_after.get(date, 0)
        copies_after[date] = occurrence[index] + 1
        last_of[index] = last_index[date]
    kept = [i for i in valid if occurrence[i] == 0]
    earlier = [i for i in valid if occurrence[i] > 0]
    tables = explode_days([days[i] for i in kept], source=source, scope=dict(scope))
    copies: list[tuple[str, int, dict[str, pl.DataFrame]]] = []
    for index in earlier:
        label = f"{source}{json_base}[{index}]"
        copies.append((label, occurrence[index], explode_days([days[index]], source=label, scope=dict(scope))))
    severity, message = RULES["duplicate_date_in_file"]
    rows = [
        {
            "source": source, **{k: scope.get(k) for k in SCOPE},
            "date": dt.date.fromisoformat(days[index]["date"]), "table": "days",
            "json_path": f"{json_base}[{index}]", "rule": "duplicate_date_in_file", "severity": severity,
            "message": message,
            "value": ("identical to " if days[index] == days[last_of[index]] else "differs from ")
            + f"{json_base}[{last_of[index]}], the copy kept",
        }
        for index in earlier
    ]
    findings = pl.DataFrame(rows, schema=FINDING_SCHEMA, orient="row") if rows else FINDING_SCHEMA.to_frame()
    return tables, copies, findings
