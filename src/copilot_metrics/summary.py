"""What every front end prints about a dataset, written once (core install only: no click, no rich).

The command line (``copilot-metrics``), ``python -m copilot_metrics``, the terminal tables of
:mod:`copilot_metrics._terminal` and the HTML report (:mod:`copilot_metrics.report`) all say the
same things about a loaded dataset; they take them from here:

* what was loaded, on one line (:func:`load_line`; the report's variant with the date range,
  :func:`report_line`), and the files not loaded and why (:func:`not_loaded`);
* a scope's display name, ``enterprise/org/team`` without the missing parts, ``all data`` when
  none (:func:`scope_name`, and :func:`scope_label` as a Polars expression);
* ``cm.coverage``'s missing ranges as text (:func:`missing_ranges_text`);
* the headline numbers per scope (:func:`summary_table`), and a scope's rows of a metric frame
  (:func:`in_scope`, :func:`top_languages`);
* the successor usage-metrics reports' headline per scope (:func:`successor_headline`: active
  users, code completion acceptance, agent adoption) and what each number stands on
  (:func:`successor_lines`), when the dataset holds reports (:func:`has_reports`).

>>> scope_name({"enterprise": None, "org": "octo-org", "team": "octo-team"})
'octo-org/octo-team'
>>> scope_name({"enterprise": None, "org": None, "team": None})
'all data'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from copilot_metrics import metrics, sidetables, usage
from copilot_metrics.dataset import Dataset
from copilot_metrics.tables import SCOPE, TABLES

__all__ = [
    "ALL_DATA",
    "MIN_USERS",
    "NOT_LOADED_SHOWN",
    "SCOPE_COLUMNS",
    "has_reports",
    "holds_data",
    "in_scope",
    "load_line",
    "loaded",
    "loaded_files",
    "missing_ranges_text",
    "not_loaded",
    "report_line",
    "reports_line",
    "scope_label",
    "scope_name",
    "scopes",
    "successor_headline",
    "successor_lines",
    "successor_scope_name",
    "summary_table",
    "top_languages",
    "without_place",
]

#: The scope columns, in the order a scope's name joins them.
SCOPE_COLUMNS: tuple[str, ...] = SCOPE

#: The name of the scope without any label (every column null or empty).
ALL_DATA = "all data"

#: Files not loaded listed at most by :func:`not_loaded` (the rest are counted).
NOT_LOADED_SHOWN = 20


# --------------------------------------------------------------------------------------------
# Scopes
# --------------------------------------------------------------------------------------------


def scope_name(scope: Mapping[str, Any]) -> str:
    """``enterprise/org/team`` without the missing (null or empty) parts; ``all data`` when none.

    >>> scope_name({"enterprise": "octo-corp", "org": "octo-org"})
    'octo-corp/octo-org'
    """
    return "/".join(str(value) for key in SCOPE_COLUMNS if (value := scope.get(key))) or ALL_DATA


def scope_label(columns: Sequence[str] = SCOPE_COLUMNS) -> pl.Expr:
    """:func:`scope_name` of each row as an expression (of the scope ``columns`` the frame has), named ``scope``.

    >>> frame = pl.DataFrame({"org": ["octo-org", None, ""], "team": ["t", None, None]})
    >>> frame.select(scope_label(["org", "team"]))["scope"].to_list()
    ['octo-org/t', 'all data', 'all data']
    """
    parts = [
        pl.when(pl.col(c).cast(pl.String) != "").then(pl.col(c).cast(pl.String)) for c in SCOPE_COLUMNS if c in columns
    ]
    if not parts:
        return pl.lit(ALL_DATA).alias("scope")
    label = pl.concat_str(parts, separator="/", ignore_nulls=True)
    return pl.when(label.str.len_chars() > 0).then(label).otherwise(pl.lit(ALL_DATA)).alias("scope")


def scopes(ds: Dataset) -> list[dict[str, str | None]]:
    """The scopes of the dataset's days, sorted (nulls first), as ``{enterprise, org, team}`` dicts."""
    return [
        {k: row[k] for k in SCOPE_COLUMNS}
        for row in ds.days.select(*SCOPE_COLUMNS)
        .unique()
        .sort(list(SCOPE_COLUMNS), nulls_last=False)
        .iter_rows(named=True)
    ]


def in_scope(frame: pl.DataFrame, scope: Mapping[str, str | None]) -> pl.DataFrame:
    """The rows of ``frame`` (with the scope columns) of one scope; a null label matches null only."""
    return frame.filter(
        pl.all_horizontal(pl.col(k).eq_missing(pl.lit(scope.get(k), dtype=pl.String)) for k in SCOPE_COLUMNS)
    )


def top_languages(by_language: pl.DataFrame, scope: Mapping[str, str | None], top: int) -> pl.DataFrame:
    """The ``top`` rows of one scope of ``cm.acceptance(..., by=(scope columns, "language"))``, most suggested first.

    Rows without suggestions (null) come last.
    """
    return in_scope(by_language, scope).sort("total_code_suggestions", descending=True, nulls_last=True).head(top)


# --------------------------------------------------------------------------------------------
# What was loaded
# --------------------------------------------------------------------------------------------


def loaded() -> pl.Expr:
    """True on the rows of ``ds.sources`` whose file was loaded: its ``state`` is ``loaded`` or ``partly_quarantined``.

    A file whose every day was set aside is ``quarantined``; a ``skipped`` or ``refused`` file is
    not loaded either (:data:`copilot_metrics.sidetables.State`).
    """
    return sidetables.loaded()


def loaded_files(ds: Dataset) -> int:
    """Files loaded (see :func:`loaded`)."""
    return ds.sources.filter(loaded()).height


def _outcome(ds: Dataset, count: Callable[[int], str]) -> str:
    return (
        f"{count(ds.conflicts.height)} conflicting value(s) between exports, {count(ds.quarantine.height)} "
        f"day(s) quarantined, {count(ds.findings.height)} finding(s)"
    )


def load_line(ds: Dataset) -> str:
    """What was loaded, on one line: the first line the command line prints after a load.

    ``13 of 15 file(s) loaded, 306 scope-day(s), 2 conflicting value(s) between exports, 0 day(s)
    quarantined, 4 finding(s)``.
    """
    return f"{loaded_files(ds)} of {ds.sources.height} file(s) loaded, {ds.days.height} scope-day(s), " + _outcome(
        ds, str
    )


def report_line(ds: Dataset) -> str:
    """What was loaded, as the HTML report's subtitle says it: every file read, the days' first and last date.

    ``15 file(s), 306 scope-day(s) from 2025-01-01 to 2025-06-09, 2 conflicting value(s) between
    exports, 0 day(s) quarantined, 4 finding(s)`` (counts with thousands separators).
    """
    first, last = str(ds.days.get_column("date").min()), str(ds.days.get_column("date").max())
    return f"{ds.sources.height:,} file(s), {ds.days.height:,} scope-day(s) from {first} to {last}, " + _outcome(
        ds, "{:,}".format
    )


def reports_line(ds: Dataset) -> str:
    """What was loaded, as the HTML report's subtitle says it when the dataset holds reports only (no legacy day).

    ``1 file(s), 1 usage-metrics report(s) from 2026-05-10 to 2026-05-11, 0 conflicting value(s)
    between exports, 0 day(s) quarantined, 26 finding(s)``.
    """
    first, last = str(ds.reports.get_column("first_date").min()), str(ds.reports.get_column("last_date").max())
    return (
        f"{ds.sources.height:,} file(s), {ds.reports.height:,} usage-metrics report(s) from {first} to {last}, "
        + _outcome(ds, "{:,}".format)
    )


def without_place(message: str, source: str | None, json_path: str | None = "$") -> str:
    """``message`` without the file and the JSON path it starts with, when they are printed beside it.

    >>> without_place("a.json: $: the file is empty", "a.json")
    'the file is empty'
    >>> without_place("a.json: $[3]: cut short", "a.json")
    '$[3]: cut short'
    """
    for prefix in (source, json_path):
        if prefix and message.startswith(f"{prefix}: "):
            message = message[len(prefix) + 2 :]
    return message


def not_loaded(sources: pl.DataFrame) -> list[str]:
    """The files of ``ds.sources`` not loaded (skipped, unreadable, not an export, every day set aside), and why.

    A count line, then one line per file (at most :data:`NOT_LOADED_SHOWN`, each starting with
    two spaces); nothing when every file loaded.
    """
    rows = sources.filter(~loaded()).sort("source")
    if rows.height == 0:
        return []
    lines = [f"{rows.height} file(s) not loaded:"]
    for row in rows.head(NOT_LOADED_SHOWN).iter_rows(named=True):
        why = without_place(row["message"] or "", row["source"])
        lines.append(f"  {row['source']}: {row['status']}" + (f" ({why})" if why else ""))
    if rows.height > NOT_LOADED_SHOWN:
        lines.append(f"  ... and {rows.height - NOT_LOADED_SHOWN} more (ds.sources lists every file)")
    return lines


# --------------------------------------------------------------------------------------------
# Coverage and the headline numbers
# --------------------------------------------------------------------------------------------


def missing_ranges_text(coverage: pl.DataFrame) -> pl.DataFrame:
    """``cm.coverage``'s frame with ``missing_ranges`` as text: ``2025-02-12, 2025-03-01 to 2025-03-04``.

    A frame without ``missing_ranges`` is returned as it is.

    >>> import datetime as dt
    >>> gaps = [{"start": dt.date(2025, 2, 12), "end": dt.date(2025, 2, 12)},
    ...         {"start": dt.date(2025, 3, 1), "end": dt.date(2025, 3, 4)}]
    >>> missing_ranges_text(pl.DataFrame({"missing_ranges": [gaps, []]}))["missing_ranges"].to_list()
    ['2025-02-12, 2025-03-01 to 2025-03-04', '']
    """
    if "missing_ranges" not in coverage.columns:
        return coverage
    element = pl.element()
    start = element.struct.field("start").dt.strftime("%Y-%m-%d")
    end = element.struct.field("end").dt.strftime("%Y-%m-%d")
    return coverage.with_columns(
        pl.col("missing_ranges")
        .list.eval(pl.when(start == end).then(start).otherwise(pl.concat_str(start, pl.lit(" to "), end)))
        .list.join(", ")
        .alias("missing_ranges")
    )


def summary_table(
    ds: Dataset, *, seats: Any = None, start: Any = None, end: Any = None, weekdays_only: bool = False
) -> pl.DataFrame:
    """The headline numbers per scope over the whole range, one row per scope.

    Columns: the scope columns, ``days_with_data``, ``days_missing``, ``active_users_mean``,
    ``active_users_peak``, ``engaged_users_mean``, ``engaged_users_peak``, ``engagement_rate``
    (from ``cm.adoption``; with ``seats``, as ``cm.adoption`` takes them, also ``seat_days``
    and ``activation_rate``), ``total_code_suggestions``, ``acceptance_rate``,
    ``line_acceptance_rate`` (``cm.acceptance``), ``total_chats``, ``chat_acceptance_rate``
    (``cm.chat``) and ``total_pr_summaries_created`` (``cm.pull_requests``). A number the
    metric functions do not give is null. ``start``, ``end`` and ``weekdays_only`` select days as
    in the metric functions.
    """
    days = {"start": start, "end": end, "weekdays_only": weekdays_only}
    adoption_columns: tuple[str, ...] = (
        "days_with_data",
        "days_missing",
        "active_users_mean",
        "active_users_peak",
        "engaged_users_mean",
        "engaged_users_peak",
        "engagement_rate",
    )
    if seats is not None:
        adoption_columns += ("seat_days", "activation_rate")

    def adoption(frames: Dataset, by: Sequence[str]) -> pl.DataFrame:
        return metrics.adoption(frames, by=by, seats=seats, **days)

    picks: list[tuple[Callable[..., pl.DataFrame], Sequence[str]]] = [
        (adoption, adoption_columns),
        (
            metrics.acceptance,
            ("total_code_suggestions", "total_code_acceptances", "acceptance_rate", "line_acceptance_rate"),
        ),
        (metrics.chat, ("total_chats", "chat_acceptance_rate")),
        (metrics.pull_requests, ("total_pr_summaries_created",)),
    ]
    out = pl.DataFrame(scopes(ds), schema=dict.fromkeys(SCOPE_COLUMNS, pl.String), orient="row")
    for function, columns in picks:
        frame = function(ds, by=SCOPE_COLUMNS, **({} if function is adoption else days))
        have = [c for c in columns if c in frame.columns]
        out = out.join(frame.select(*SCOPE_COLUMNS, *have), on=list(SCOPE_COLUMNS), how="left", nulls_equal=True)
        out = out.with_columns(pl.lit(None).alias(c) for c in columns if c not in have)
    return out


# --------------------------------------------------------------------------------------------
# The successor usage-metrics reports
# --------------------------------------------------------------------------------------------

#: The k of the k-suppression the front ends apply by default (``min_users`` of the usage metrics).
MIN_USERS = 5
_IDS = ("enterprise_id", "organization_id")
_LABELS = ("enterprise", "org")


def has_reports(ds: Dataset) -> bool:
    """True when the dataset holds rows of a successor usage-metrics report (any of its tables)."""
    return any(not ds.tables[name].is_empty() for name in ds.tables if name not in SUCCESSOR_FREE)


#: The legacy tables (every other table of a dataset is a successor report's).
SUCCESSOR_FREE: frozenset[str] = frozenset(TABLES)


def holds_data(ds: Dataset) -> bool:
    """True when the dataset holds a legacy day or a successor report row: something to summarise."""
    return not ds.days.is_empty() or has_reports(ds)


def successor_scope_name(row: Mapping[str, Any]) -> str:
    """A successor scope as text: its label and its ids, ``octo-org (organization 77001)``.

    >>> successor_scope_name({"enterprise": None, "org": "acme", "enterprise_id": "4242", "organization_id": "77001"})
    'acme (organization 77001)'
    >>> successor_scope_name({"enterprise": None, "org": None, "enterprise_id": "4242", "organization_id": None})
    'enterprise 4242'
    """
    label = row.get("org") or row.get("enterprise")
    ident = (
        f"organization {row['organization_id']}"
        if row.get("organization_id")
        else f"enterprise {row.get('enterprise_id')}"
    )
    return f"{label} ({ident})" if label else ident


def _join(out: pl.DataFrame | None, frame: pl.DataFrame) -> pl.DataFrame:
    if out is None:
        return frame
    labels = [c for c in _LABELS if c in frame.columns]
    joined = out.join(frame, on=list(_IDS), how="full", coalesce=True, nulls_equal=True, suffix="_r")
    return joined.with_columns(pl.coalesce(c, f"{c}_r").alias(c) for c in labels).drop(f"{c}_r" for c in labels)


def _completion_days(ds: Dataset, name: str) -> pl.DataFrame:
    return (
        ds.tables[name]
        .filter(pl.col("feature") == "code_completion")
        .group_by(list(_IDS))
        .agg(pl.col("date").n_unique().cast(pl.Int64).alias("completion_days"))
    )


def successor_headline(ds: Dataset, *, min_users: int | None = MIN_USERS) -> pl.DataFrame:
    """The successor reports' headline numbers per scope (ids, then labels), one row per scope.

    * Active users (``cm.active_users(ds, partial=True)`` over the whole loaded range, from
      ``user_days``): ``active_users`` (distinct users), ``dau_mean``, ``dau_peak``, the range
      ``users_first``..``users_last``, ``days_covered`` (inside a loaded users window) and
      ``days_uncovered`` (in none: the numbers stand on the covered days only),
      ``users_suppressed`` (fewer than ``min_users`` users: the numbers are null);
    * code completion acceptance (``cm.code_completion``, ``feature == "code_completion"`` rows
      only): ``completion_source`` (``aggregate`` when the dataset holds aggregate reports,
      else ``users``), ``completion_days``, ``suggestions``, ``acceptances``,
      ``acceptance_rate``, ``lines_suggested``, ``lines_accepted``, ``line_acceptance_rate``;
    * agent adoption (``usage.ide_agent_adoption`` / ``usage.any_agent_adoption``, whole range,
      ``partial=True``): ``ide_agent_users``, ``any_agent_users`` (adopting), their
      ``*_reporting`` users, ``*_share`` and ``*_unreported`` (users whose flags are absent on
      all their days: never counted as not adopting).

    Empty (no row) when the dataset holds no report.
    """
    out: pl.DataFrame | None = None
    if not ds.tables["user_days"].is_empty():
        active = usage.active_users(ds, partial=True, min_users=min_users)
        span = (
            usage.active_users(ds, every="1d", min_users=None)
            .group_by(list(_IDS))
            .agg(pl.col("period_start").min().alias("users_first"), pl.col("period_start").max().alias("users_last"))
        )
        out = _join(
            out,
            active.select(
                *_IDS,
                *_LABELS,
                "active_users",
                "dau_mean",
                "dau_peak",
                "days_covered",
                "days_uncovered",
                pl.col("suppressed").alias("users_suppressed"),
            ).join(span, on=list(_IDS), how="left", nulls_equal=True),
        )
        for name, function in (("ide_agent", usage.ide_agent_adoption), ("any_agent", usage.any_agent_adoption)):
            shares = function(ds, partial=True, min_users=min_users)
            out = _join(
                out,
                shares.select(
                    *_IDS,
                    *_LABELS,
                    pl.col("adopting_users").alias(f"{name}_users"),
                    pl.col("reporting_users").alias(f"{name}_reporting"),
                    pl.col("adoption_share").alias(f"{name}_share"),
                    pl.col("users_unreported").alias(f"{name}_unreported"),
                ),
            )
    source = (
        "aggregate"
        if not ds.tables["agg_feature"].is_empty()
        else "users"
        if not ds.tables["user_feature"].is_empty()
        else None
    )
    if source is not None:
        completion = usage.code_completion(ds, source=source, min_users=min_users)  # type: ignore[arg-type]
        days = _completion_days(ds, "agg_feature" if source == "aggregate" else "user_feature")
        out = _join(
            out,
            completion.select(
                *_IDS,
                *_LABELS,
                pl.lit(source).alias("completion_source"),
                "suggestions",
                "acceptances",
                "acceptance_rate",
                "lines_suggested",
                "lines_accepted",
                "line_acceptance_rate",
            ).join(days, on=list(_IDS), how="left", nulls_equal=True),
        )
    if out is None:
        return pl.DataFrame(schema=dict.fromkeys((*_IDS, *_LABELS), pl.String))
    return out.sort(list(_IDS), nulls_last=False)


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value:.1%}"


def _n(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"


def _suppression(min_users: int | None) -> str:
    return "suppression off" if min_users is None else f"slices under {min_users} users suppressed"


def successor_lines(ds: Dataset, *, min_users: int | None = MIN_USERS) -> list[str]:
    """The successor headline (:func:`successor_headline`) as text: per scope, one line per figure.

    Each line says what the figure stands on: the report family, the scope, the days covered,
    the suppression.  Empty when the dataset holds no report.
    """
    head = successor_headline(ds, min_users=min_users)
    lines: list[str] = []
    for row in head.iter_rows(named=True):
        lines.append(f"Usage-metrics reports, {successor_scope_name(row)}:")
        if row.get("users_first") is not None:
            lines.append(
                f"  active users: {_n(row['active_users'])} distinct (daily mean {_n(row['dau_mean'])}, peak "
                f"{_n(row['dau_peak'])}) from the user reports, {row['users_first']} to {row['users_last']}: "
                f"{row['days_covered']} day(s) inside users windows, {row['days_uncovered']} in none (not counted); "
                f"{_suppression(min_users)}{' (suppressed here)' if row['users_suppressed'] else ''}"
            )
        if row.get("completion_source") is not None:
            lines.append(
                f"  code completion acceptance: {_pct(row['acceptance_rate'])} ({_n(row['acceptances'])} of "
                f"{_n(row['suggestions'])} suggestions), lines {_pct(row['line_acceptance_rate'])} "
                f"({_n(row['lines_accepted'])} of {_n(row['lines_suggested'])}): code_completion rows only of the "
                f"{row['completion_source']} reports, {row['completion_days']} day(s)"
            )
        if row.get("users_first") is not None:
            lines.append(
                f"  agent adoption: IDE agent {_n(row['ide_agent_users'])} of {_n(row['ide_agent_reporting'])} "
                f"reporting users ({_pct(row['ide_agent_share'])}), any agent {_n(row['any_agent_users'])} of "
                f"{_n(row['any_agent_reporting'])} ({_pct(row['any_agent_share'])}); users_unreported "
                f"{_n(row['ide_agent_unreported'])} and {_n(row['any_agent_unreported'])} (flags absent: not "
                f"counted as no); {_suppression(min_users)}"
            )
    return lines
