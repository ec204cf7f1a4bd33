"""Column kinds: how every column of the metrics outputs and of the tables aggregates.

:func:`column_kind` names each column's kind; :data:`RATES`, :data:`PAIRED` and :data:`SHARES`
say what each rate and share is a ratio of, so that :func:`~copilot_metrics.metrics.rollup` and
the report recompute them from sums.
"""

from __future__ import annotations

import re
from typing import Literal

import polars as pl

from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.tables import BOOKKEEPING, FEATURES, SCOPE, TABLES

__all__ = ["FEATURE_BLOCKS", "PAIRED", "RATES", "SHARES", "ColumnKind", "column_kind", "rate_expr", "ratio"]

ColumnKind = Literal[
    "scope",
    "period",
    "calendar",
    "dimension",
    "additive",
    "days",
    "user_days",
    "distinct",
    "rate",
    "share",
    "change",
    "trend",
    "attribute",
    "bookkeeping",
    # the successor usage-metrics reports' measures that are not additive (SUCCESSOR.md §5.2)
    "snapshot",
    "average",
    "quantile",
    "flag",
]

#: feature name -> its block in the API's JSON
FEATURE_BLOCKS: dict[str, str] = {name: feature.block for name, feature in FEATURES.items()}

#: The tables' own columns, from their declaration: a measure counting users (``*_users``) is a
#: distinct count; the other integer measures are event counts; the model's
#: ``is_custom_model``/``custom_model_training_date`` describe a row.
_TABLE_MEASURES = {m: dtype for spec in TABLES.values() for m, dtype in spec.measures.items()}
_TABLE_DISTINCT = {m for m in _TABLE_MEASURES if m.endswith("_users")}
_TABLE_ATTRIBUTES = {m for m, dtype in _TABLE_MEASURES.items() if m not in _TABLE_DISTINCT and dtype != pl.Int64()}
_ADDITIVE = {m for m in _TABLE_MEASURES if m not in _TABLE_DISTINCT | _TABLE_ATTRIBUTES} | {"rows_excluded"}
#: rate column -> (numerator columns, denominator column)
RATES: dict[str, tuple[tuple[str, ...], str]] = {
    "acceptance_rate": (("total_code_acceptances",), "total_code_suggestions"),
    "line_acceptance_rate": (("total_code_lines_accepted",), "total_code_lines_suggested"),
    "chat_acceptance_rate": (("total_chat_insertion_events", "total_chat_copy_events"), "total_chats"),
    "chats_per_engaged_user_day": (("total_chats",), "engaged_user_days"),
    "summaries_per_engaged_user_day": (("total_pr_summaries_created",), "engaged_user_days"),
    "engagement_rate": (("engaged_user_days",), "active_user_days"),
    "activation_rate": (("active_user_days",), "seat_days"),
    **{f"{f}_share": ((f"{f}_engaged_user_days",), "engaged_user_days") for f in FEATURE_BLOCKS},
}
#: rates whose two sums are taken over the days reporting both counts -> the ``*_days_unreported``
#: columns that must all be 0 (every day reported both) for :func:`rollup` to recompute them from
#: the output's sums; ``None``: never recomputable from them (the days holding the events are not
#: in the output)
PAIRED: dict[str, tuple[str, ...] | None] = {
    "engagement_rate": ("active_users_days_unreported", "engaged_users_days_unreported"),
    "activation_rate": ("active_users_days_unreported",),
    **{f"{f}_share": (f"{f}_engaged_users_days_unreported", "engaged_users_days_unreported") for f in FEATURE_BLOCKS},
    "chats_per_engaged_user_day": None,
    "summaries_per_engaged_user_day": None,
}
SHARES: dict[str, str] = {"share_of_acceptances": "total_code_acceptances"}
_KINDS: dict[str, ColumnKind] = {
    **dict.fromkeys(SCOPE, "scope"),
    **dict.fromkeys(("period_start", "date"), "period"),
    **dict.fromkeys(("days_in_period", "period_complete", "break"), "calendar"),
    **dict.fromkeys(sorted({d for spec in TABLES.values() for d in spec.dimensions}), "dimension"),
    **dict.fromkeys(_ADDITIVE, "additive"),
    **dict.fromkeys(_TABLE_DISTINCT, "distinct"),
    **dict.fromkeys(_TABLE_ATTRIBUTES, "attribute"),
    **dict.fromkeys(BOOKKEEPING, "bookkeeping"),
    **dict.fromkeys(("days_with_data", "days_missing"), "days"),
    **dict.fromkeys(
        ("active_user_days", "engaged_user_days", "seat_days", *(f"{f}_engaged_user_days" for f in FEATURE_BLOCKS)),
        "user_days",
    ),
    **dict.fromkeys(RATES, "rate"),
    **dict.fromkeys(SHARES, "share"),
}
_TREND = re.compile(r".+_trend_\d+d(_days)?$")


_REPORT_SCOPE = ("enterprise_id", "organization_id", "enterprise", "org")
_REPORT_BOOKKEEPING = ("source", "extras", "shape", "report_id")


def _report_kind(table: str, name: str) -> ColumnKind:
    """The kind of column ``name`` of successor table ``table`` in this module's terms."""
    from copilot_metrics.successor.registry import TABLES as REPORT_TABLES

    declared = REPORT_TABLES[table].kinds.get(name)
    if declared is None:
        raise CopilotMetricsError(
            f"successor table {table!r} has no column {name!r}",
            table=table,
            column=name,
            hint="cm.successor.TABLES[table].columns lists its columns",
        )
    if name in _REPORT_BOOKKEEPING:
        return "bookkeeping"
    if declared == "key":
        return "scope" if name in _REPORT_SCOPE else "period" if name == "date" else "dimension"
    kind: ColumnKind = declared  # type: ignore[assignment]  # the registry's other kinds are ColumnKinds
    return kind


def _report_kinds() -> dict[str, set[ColumnKind]]:
    from copilot_metrics.successor.registry import TABLES as REPORT_TABLES

    kinds: dict[str, set[ColumnKind]] = {}
    for table, spec in REPORT_TABLES.items():
        for column in spec.columns:
            kinds.setdefault(column.name, set()).add(_report_kind(table, column.name))
    return kinds


def column_kind(name: str, table: str | None = None) -> ColumnKind:
    """Return how column ``name`` of a metrics output, or of a table, aggregates.

    ``table`` names a successor usage-metrics table (``agg_days``, ``user_ide``...): its
    declared kind is answered (:data:`copilot_metrics.successor.TABLES`); without it, a column
    only the successor tables hold is answered when its kind is the same in all of them
    (``phase`` and ``phase_number`` are a dimension of ``agg_adoption_phase`` but an attribute
    of ``user_days``: without ``table`` they are ``"dimension"``).  Their kinds are those above and ``"snapshot"`` (a
    windowed count as GitHub reported it: ``weekly_active_users``...), ``"average"``,
    ``"quantile"`` (medians, p90) and ``"flag"`` (``used_agent``...); their ids and
    dimensions are ``"dimension"``, ``enterprise_id``/``organization_id`` ``"scope"``,
    ``report_id`` ``"bookkeeping"``.

    Kinds:

    ``"scope"``
        ``enterprise``, ``org``, ``team``: always kept, never aggregated over.
    ``"period"``
        ``period_start`` of the metrics outputs, ``date`` of the tables.
    ``"calendar"``
        ``days_in_period`` and ``period_complete`` of the outputs computed with ``every``: how
        much of the period lies inside the scope's loaded range; ``break``: the known breaks
        falling in the period. The same on every slice of a scope and period; summed
        (``days_in_period``), all true (``period_complete``) or the breaks of all the periods
        (``break``, in date order) when periods are aggregated away.
    ``"dimension"``
        ``editor``, ``model``, ``language``, ``repository``.
    ``"additive"``
        event counts (suggestions, acceptances, lines, chats, insertion and copy events, PR
        summaries, in the tables and in the outputs; ``rows_excluded``): summed over days and
        slices.
    ``"days"``
        ``days_with_data``, ``days_missing``, ``*_days_reported``, ``*_days_unreported``: summed
        over periods, not over slices.
    ``"user_days"``
        ``*_user_days`` and ``seat_days``: Σ of daily distinct counts; summed over periods,
        never over sibling slices (a person in two slices would count twice).
    ``"distinct"``
        ``*_mean`` and ``*_peak`` of distinct-user counts, and the tables' daily distinct counts
        (``total_active_users``, ``total_engaged_users``, ``<feature>_engaged_users``): never
        summed.
    ``"rate"``
        ratios of two sums, recomputed from the sums (see the function docstrings).
    ``"share"``
        ``share_of_acceptances``: a slice's part of its scope and period's total, recomputed.
    ``"change"``
        ``*_mean_change``: difference from the previous period.
    ``"trend"``
        ``*_trend_<n>d`` and ``*_trend_<n>d_days`` from :func:`trend`.
    ``"attribute"``
        ``is_custom_model``, ``custom_model_training_date``: describe a table row, not a sum.
    ``"bookkeeping"``
        ``source``, ``extras``, ``shape``: where a table row came from and what its JSON held.

    Raises
    ------
    CopilotMetricsError
        For a column that no function of this module emits and no table holds.

    Examples
    --------
    >>> column_kind("engaged_users_mean"), column_kind("total_code_acceptances")
    ('distinct', 'additive')
    >>> column_kind("total_engaged_users"), column_kind("engaged_users_days_reported")
    ('distinct', 'days')
    """
    if table is not None:
        from copilot_metrics.successor.registry import TABLES as REPORT_TABLES

        if table not in REPORT_TABLES:
            raise CopilotMetricsError(
                f"{table!r} is not a successor table",
                table=table,
                hint="table= names a table of cm.successor.TABLES; legacy columns need none",
            )
        return _report_kind(table, name)
    if name in _KINDS:
        return _KINDS[name]
    reported = _report_kinds().get(name)
    if reported is not None:
        return "dimension" if "dimension" in reported else min(reported)  # one kind, but phase and phase_number
    if name.endswith("_mean_change"):
        return "change"
    if name.endswith(("_mean", "_peak")):
        return "distinct"
    if name.endswith(("_days_reported", "_days_unreported")):
        return "days"
    if _TREND.match(name):
        return "trend"
    raise CopilotMetricsError(
        f"column {name!r} is not a column of the metrics functions or of the tables",
        column=name,
        hint="column_kind knows the columns emitted by adoption, acceptance, chat, dotcom_chat, "
        "pull_requests and trend, and the columns of the tables (cm.TABLES)",
    )


def ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """Return numerator / denominator as Float64; null when the denominator is 0 or null."""
    return pl.when(denominator != 0).then(numerator.cast(pl.Float64) / denominator.cast(pl.Float64))


def rate_expr(name: str) -> pl.Expr:
    """The rate column ``name`` (:data:`RATES`) recomputed from its sums, in the frame."""
    numerators, denominator = RATES[name]
    numerator = pl.sum_horizontal(numerators) if len(numerators) > 1 else pl.col(numerators[0])
    return ratio(numerator, pl.col(denominator)).alias(name)
