"""Dates one file holds more than once: the later copy is the file's, each earlier copy a version of its own.

A file that holds the same date twice keeps its later copy; each earlier copy competes as a version ranked just
below the file's own (its ``copy_path`` ``$[3]`` in ``ds.versions``, labelled ``file.json$[3]``), so a differing
earlier copy is a conflict, and each is a ``duplicate_date_in_file`` finding (:func:`split_repeats`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from copilot_metrics import _schema
from copilot_metrics.explode import explode_days
from copilot_metrics.findings import RULES
from copilot_metrics.merge.versions import day_digests
from copilot_metrics.sidetables import FINDING_SCHEMA, copy_label, finding_row, frame_of
from copilot_metrics.tables import SCOPE

__all__ = ["split_repeats", "split_versions"]


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
        label = copy_label(source, f"{json_base}[{index}]")
        copies.append((label, occurrence[index], explode_days([days[index]], source=label, scope=dict(scope))))
    findings = frame_of(
        [
            _repeat_finding(
                source,
                scope,
                days[index]["date"],
                json_base,
                index,
                last_of[index],
                same=days[index] == days[last_of[index]],
            )
            for index in earlier
        ],
        FINDING_SCHEMA,
    )
    return tables, copies, findings


def _repeat_finding(
    source: str, scope: Mapping[str, str | None], date: str, json_base: str, index: int, kept: int, *, same: bool
) -> tuple[Any, ...]:
    """The ``duplicate_date_in_file`` finding of the earlier copy ``index`` of a date whose kept copy is ``kept``."""
    severity, message = RULES["duplicate_date_in_file"]
    value = f"{'identical to' if same else 'differs from'} {json_base}[{kept}], the copy kept"
    return finding_row(
        source,
        scope,
        dt.date.fromisoformat(date),
        "days",
        f"{json_base}[{index}]",
        "duplicate_date_in_file",
        severity,
        message,
        value,
    )


def split_versions(
    days: Sequence[Any],
    valid: Sequence[int],
    *,
    source: str,
    scope: Mapping[str, str | None],
    json_base: str = "$",
    unknown: Sequence[list[tuple[_schema.JsonPath, dict[str, Any]]]] | None = None,
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame]:
    """:func:`split_repeats` with each distinct version flattened once, its copies labelled.

    The same copies, labels, occurrences and findings as :func:`split_repeats`, at the cost of
    the file's distinct versions instead of one flattening per copy: a year of responses
    appended to one file holds each date hundreds of times.

    Parameters
    ----------
    days:
        The file's valid day objects, in file order (``days[n]`` is the day at index ``valid[n]``);
        copies of the same bytes may be one object (the scanner parses a range once).
    valid:
        Their indices in the file.
    source, scope, json_base:
        As :func:`split_repeats`.
    unknown:
        Per day, its objects holding unknown keys (:func:`copilot_metrics._schema.unknown_keys`);
        computed when omitted.

    Returns
    -------
    tuple
        The tables of the file's distinct versions (by exact JSON text), each flattened once
        under the label of its first copy in the order :func:`split_repeats` returns them (the
        file's own copies first, then the earlier copies in file order); the registry of every
        copy in that order (scope, ``date``, ``digest``, ``source``: its label, ``file``,
        ``copy_path``: null for the file's own copy, else the earlier copy's JSON path, ``occurrence``,
        ``stored``: its rows are in the tables), what
        :meth:`copilot_metrics.merge.Merger.add_versions` takes; and the
        ``duplicate_date_in_file`` findings of :func:`split_repeats`.
    """
    dates = [day["date"] for day in days]
    day_of = [dt.date.fromisoformat(date) for date in dates]
    copies_after: dict[str, int] = {}
    last_of: dict[str, int] = {}  # per date, the position (in ``days``) of its last copy
    occurrence = [0] * len(days)
    for n in range(len(days) - 1, -1, -1):
        date = dates[n]
        last_of.setdefault(date, n)
        occurrence[n] = copies_after.get(date, 0)
        copies_after[date] = occurrence[n] + 1
    # the order split_repeats adds them in: the kept copies, then the earlier ones, each in file order
    order = [n for n in range(len(days)) if occurrence[n] == 0] + [n for n in range(len(days)) if occurrence[n] > 0]
    paths = {n: None if occurrence[n] == 0 else f"{json_base}[{valid[n]}]" for n in order}
    labels = {n: copy_label(source, paths[n]) for n in order}
    texts: dict[int, bytes] = {}  # by object: the copies of one byte range are one object
    first: dict[tuple[str, bytes], int] = {}
    version_of = [0] * len(days)
    for n in order:
        day = days[n]
        text = texts.get(id(day))
        if text is None:
            text = texts[id(day)] = _schema.json_bytes(day)
        version_of[n] = first.setdefault((dates[n], text), n)
    distinct = [n for n in order if version_of[n] == n]
    scope = dict(scope)
    tables = explode_days(
        [days[n] for n in distinct],
        source=[labels[n] for n in distinct],
        scope=scope,
        unknown=None if unknown is None else [unknown[n] for n in distinct],
    )
    digests = day_digests(tables, by_source=True)
    digest_of = dict(
        zip(
            zip(digests["date"].to_list(), digests["source"].to_list(), strict=True),
            digests["digest"].to_list(),
            strict=True,
        )
    )
    registry = pl.DataFrame(
        {
            **{k: [scope.get(k)] * len(order) for k in SCOPE},
            "date": [day_of[n] for n in order],
            "digest": [digest_of[day_of[n], labels[version_of[n]]] for n in order],
            "source": [labels[n] for n in order],
            "file": [source] * len(order),
            "copy_path": [paths[n] for n in order],
            "occurrence": [occurrence[n] for n in order],
            "stored": [version_of[n] == n for n in order],
        },
        schema={
            **dict.fromkeys(SCOPE, pl.String),
            "date": pl.Date,
            "digest": pl.UInt64,
            "source": pl.String,
            "file": pl.String,
            "copy_path": pl.String,
            "occurrence": pl.Int64,
            "stored": pl.Boolean,
        },
    )
    rows = []
    for n in order[len(last_of) :]:  # the earlier copies, in file order
        kept = days[last_of[dates[n]]]
        rows.append(
            _repeat_finding(
                source,
                scope,
                dates[n],
                json_base,
                valid[n],
                valid[last_of[dates[n]]],
                same=days[n] is kept or days[n] == kept,
            )
        )
    return tables, registry, frame_of(rows, FINDING_SCHEMA)
