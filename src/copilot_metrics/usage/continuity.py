"""Continuity across the 2026 break: legacy and successor series side by side, never spliced (SUCCESSOR.md §4, §5.8).

:data:`MAPPING` declares the legacy <-> successor mapping once: each series, its legacy and
successor sources, its status (``=``, ``≈``, ``ends``, ``new``) and the stated difference.
:func:`continuity` pairs legacy scopes with successor scopes and computes, per pair and series,
both values over the days both families hold.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Literal

import polars as pl

from copilot_metrics.breaks import breaks_between, period_bounds, with_breaks
from copilot_metrics.errors import ContinuityError, CopilotMetricsError
from copilot_metrics.metrics._selection import DateLike, Frames, as_date, check_arguments, check_every
from copilot_metrics.metrics.columns import ratio
from copilot_metrics.usage._frames import IDS, USER, frames_of, user_of
from copilot_metrics.usage._periods import total
from copilot_metrics.usage.chat import is_chat

__all__ = ["MAPPING", "Continuity", "MappedSeries", "continuity"]

Status = Literal["=", "≈", "ends", "new"]
How = Literal["mean", "sum", "ratio", "days"]
#: A side's daily values: (input frames) -> scope columns, ``date``, ``_num``, ``_den`` (or None: no input).
Getter = Callable[[Mapping[str, pl.LazyFrame]], "pl.LazyFrame | None"]
_LEGACY_SCOPE = ("enterprise", "org")
_GEN, _ACC = "code_generation_activity_count", "code_acceptance_activity_count"
_UIC = "user_initiated_interaction_count"


@dataclasses.dataclass(frozen=True)
class MappedSeries:
    """One row of the legacy <-> successor mapping.

    ``how`` combines a side's daily values over days: ``mean`` (distinct users of a day: the
    daily mean), ``sum`` (events), ``ratio`` (Σ numerator / Σ denominator), ``days`` (days with
    data).  ``needs_users``: the successor side exists only with users reports (without them the
    series ``ends``).
    """

    name: str
    legacy: str
    successor: str
    status: Status
    difference: str
    how: How = "sum"
    legacy_daily: Getter | None = None
    successor_daily: Getter | None = None
    needs_users: bool = False


def _den(den: pl.Expr | None) -> pl.Expr:
    return (den if den is not None else pl.lit(None, pl.Float64)).cast(pl.Float64).alias("_den")


def _legacy(table: str, num: pl.Expr, den: pl.Expr | None = None) -> Getter:
    def get(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame | None:
        if table not in t:
            return None
        lf = t[table].filter(pl.col("team").is_null())
        return lf.group_by(*_LEGACY_SCOPE, "date").agg(num.alias("_num"), _den(den))

    return get


def _successor(
    table: str, num: pl.Expr, den: pl.Expr | None = None, rows: pl.Expr | None = None, users: bool = False
) -> Getter:
    def get(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame | None:
        if table not in t:
            return None
        lf = t[table] if rows is None else t[table].filter(rows)
        if users:
            lf = lf.with_columns(user_of(lf))
        return lf.group_by(*IDS, "date").agg(num.alias("_num"), _den(den))

    return get


def _sum(column: str) -> pl.Expr:
    return total(column).cast(pl.Float64)


def _distinct(rows: pl.Expr) -> pl.Expr:
    return pl.col(USER).filter(rows).n_unique().cast(pl.Float64)


def _dau(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame | None:
    """The successor DAU: the aggregate's ``daily_active_users``, or distinct user rows without aggregates."""
    if "agg_days" in t:
        return _successor("agg_days", pl.col("daily_active_users").first().cast(pl.Float64))(t)
    return _successor("user_days", pl.col(USER).n_unique().cast(pl.Float64), users=True)(t)


_CC = pl.col("feature") == "code_completion"
_COMPLETIONS_ACC = (pl.col("total_code_acceptances"), pl.col("total_code_suggestions"))

#: The legacy <-> successor mapping (SUCCESSOR.md §4), one row per series, declared once.
MAPPING: tuple[MappedSeries, ...] = (
    MappedSeries(
        "date",
        "date",
        "day",
        "=",
        "UTC days on both sides",
        "days",
        _legacy("days", pl.len().cast(pl.Float64)),
        _successor("agg_days", pl.len().cast(pl.Float64)),
    ),
    MappedSeries(
        "active_users",
        "total_active_users",
        "daily_active_users (or DAU of user rows)",
        "≈",
        "legacy: any feature incl. passive, github.com; successor: IDE telemetry, CLI apart, + server-side users "
        "(June 2026), + Copilot app (July 2026)",
        "mean",
        _legacy("days", pl.col("total_active_users").first().cast(pl.Float64)),
        _dau,
    ),
    MappedSeries(
        "engaged_users",
        "total_engaged_users",
        "user rows with interactions > 0 or acceptances > 0",
        "≈",
        "no engaged count in aggregates; completion-only users have no interaction",
        "mean",
        _legacy("days", pl.col("total_engaged_users").first().cast(pl.Float64)),
        _successor("user_days", _distinct((pl.col(_UIC) > 0) | (pl.col(_ACC) > 0)), users=True),
        True,
    ),
    MappedSeries(
        "completions_engaged_users",
        "copilot_ide_code_completions.total_engaged_users",
        "users with code_completion acceptances > 0",
        "≈",
        "user reports only; copilot_feature_engagement counts users on 2 of 28 days",
        "mean",
        _legacy("days", pl.col("completions_engaged_users").first().cast(pl.Float64)),
        _successor("user_feature", _distinct(pl.col(_ACC) > 0), rows=_CC, users=True),
        True,
    ),
    MappedSeries(
        "completions_by_editor_model",
        "completions per editor, per model; custom models",
        "-",
        "ends",
        "successor IDE rows have no feature, model arrays exclude completions",
    ),
    MappedSeries(
        "code_suggestions",
        "total_code_suggestions",
        "code_completion code_generation_activity_count",
        "≈",
        "legacy counts partial acceptances, successor each accept action once",
        "sum",
        _legacy("completions", _sum("total_code_suggestions")),
        _successor("agg_feature", _sum(_GEN), rows=_CC),
    ),
    MappedSeries(
        "code_acceptances",
        "total_code_acceptances",
        "code_completion code_acceptance_activity_count",
        "≈",
        "legacy counts partial acceptances, successor each accept action once",
        "sum",
        _legacy("completions", _sum("total_code_acceptances")),
        _successor("agg_feature", _sum(_ACC), rows=_CC),
    ),
    MappedSeries(
        "code_lines_suggested",
        "total_code_lines_suggested",
        "code_completion loc_suggested_to_add_sum",
        "≈",
        "lines of code only from IDE and plugin versions above minimums",
        "sum",
        _legacy("completions", _sum("total_code_lines_suggested")),
        _successor("agg_feature", _sum("loc_suggested_to_add_sum"), rows=_CC),
    ),
    MappedSeries(
        "code_lines_accepted",
        "total_code_lines_accepted",
        "code_completion loc_added_sum",
        "≈",
        "lines of code only from IDE and plugin versions above minimums",
        "sum",
        _legacy("completions", _sum("total_code_lines_accepted")),
        _successor("agg_feature", _sum("loc_added_sum"), rows=_CC),
    ),
    MappedSeries(
        "acceptance_rate",
        "total_code_acceptances / total_code_suggestions",
        "code_completion acceptances / generations",
        "≈",
        "only over feature code_completion (the top-level pair mixes chat and agent)",
        "ratio",
        _legacy("completions", _sum("total_code_acceptances"), _sum("total_code_suggestions")),
        _successor("agg_feature", _sum(_ACC), _sum(_GEN), rows=_CC),
    ),
    MappedSeries(
        "line_acceptance_rate",
        "total_code_lines_accepted / total_code_lines_suggested",
        "code_completion loc_added_sum / loc_suggested_to_add_sum",
        "≈",
        "only over feature code_completion; lines of code only from recent IDE and plugin versions",
        "ratio",
        _legacy("completions", _sum("total_code_lines_accepted"), _sum("total_code_lines_suggested")),
        _successor("agg_feature", _sum("loc_added_sum"), _sum("loc_suggested_to_add_sum"), rows=_CC),
    ),
    MappedSeries(
        "ide_chat_engaged_users",
        "copilot_ide_chat.total_engaged_users",
        "users with used_chat",
        "≈",
        "monthly_active_chat_users is not daily",
        "mean",
        _legacy("days", pl.col("ide_chat_engaged_users").first().cast(pl.Float64)),
        _successor("user_days", _distinct(pl.col("used_chat").fill_null(False)), users=True),
        True,
    ),
    MappedSeries(
        "chats",
        "total_chats",
        "Σ user_initiated_interaction_count over chat features",
        "≈",
        "taxonomy and model names (legacy 'default') differ",
        "sum",
        _legacy("ide_chat", _sum("total_chats")),
        _successor("agg_feature", _sum(_UIC), rows=is_chat(pl.col("feature"))),
    ),
    MappedSeries(
        "chat_insertions_copies",
        "total_chat_insertion_events + total_chat_copy_events",
        "Σ code_acceptance_activity_count over chat features",
        "≈",
        "insertion and copy are not separable",
        "sum",
        _legacy(
            "ide_chat",
            (pl.col("total_chat_insertion_events").fill_null(0) + pl.col("total_chat_copy_events").fill_null(0))
            .sum()
            .cast(pl.Float64),
        ),
        _successor("agg_feature", _sum(_ACC), rows=is_chat(pl.col("feature"))),
    ),
    MappedSeries(
        "chat_acceptance_rate",
        "(insertions + copies) / total_chats",
        "-",
        "ends",
        "different meaning: the successor's chat_apply_rate is a new series",
    ),
    MappedSeries("dotcom_chat", "copilot_dotcom_chat", "-", "ends", "github.com chat is excluded"),
    MappedSeries(
        "pr_summaries",
        "copilot_dotcom_pull_requests",
        "-",
        "ends",
        "successor PR data is the PR lifecycle, not summaries",
    ),
    *(
        MappedSeries(name, "-", successor, "new", "successor only")
        for name, successor in (
            ("chat_apply_rate", "chat acceptances / interactions (chat_usage)"),
            ("agent", "agent_edit, chat_panel_agent_mode, used_agent"),
            ("cli", "copilot_cli, totals_by_cli, used_cli"),
            ("code_review", "*_copilot_code_review_users, used_copilot_code_review_*"),
            ("cloud_agent", "*_copilot_cloud_agent_users, used_copilot_cloud_agent"),
            ("copilot_app", "daily_active_copilot_app_users, totals_by_copilot_app"),
            ("third_party_agents", "totals_by_3rd_party_agent"),
            ("pr_lifecycle", "pull_requests, repo_days (pr_lifecycle)"),
            ("ai_credits", "ai_credits_used"),
            ("adoption_phases", "ai_adoption_phase, totals_by_ai_adoption_phase"),
            ("distinct_users_over_periods", "distinct user_id over weeks and months (active_users)"),
            ("teams", "user_teams (team_usage)"),
            ("repositories", "repo_days"),
        )
    ),
)


@dataclasses.dataclass(frozen=True)
class Continuity:
    """The result of :func:`continuity`.

    ``pairs``: one row per paired scope (``pair`` label, legacy and successor scope, levels).
    ``series``: per pair and series of :data:`MAPPING`: ``status``, ``difference``,
    ``overlap_days``, ``legacy_value``, ``successor_value`` (over the overlap days only),
    ``ratio`` (successor / legacy, informative) and ``breaks``.  ``daily``: per pair, series and
    period, each family's value over its own days in the period, side by side, with
    ``legacy_days``, ``successor_days``, ``overlap_days`` and ``break``; never spliced into one.
    """

    pairs: pl.DataFrame
    series: pl.DataFrame
    daily: pl.DataFrame

    def summary(self) -> str:
        """One line per pair and series: status, overlap days, both values."""
        lines = []
        for row in self.series.iter_rows(named=True):
            values = f"legacy {_show(row['legacy_value'])} | successor {_show(row['successor_value'])}"
            lines.append(
                f"{row['pair']}: {row['series']} {row['status']} ({row['overlap_days']} overlap days) {values}"
            )
        return "\n".join(lines)


def _show(value: float | None) -> str:
    return "-" if value is None else f"{value:,.4g}"


def _scopes(tables: Mapping[str, pl.LazyFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    legacy = pl.DataFrame(schema={"enterprise": pl.String, "org": pl.String})
    if "days" in tables:
        legacy = tables["days"].filter(pl.col("team").is_null()).select(*_LEGACY_SCOPE).unique().collect()
    parts = [
        tables[n].select(*IDS, pl.col("enterprise").alias("_enterprise"), pl.col("org").alias("_org"))
        for n in ("agg_days", "user_days", "agg_feature")
        if n in tables
    ]
    successor = pl.DataFrame(schema={**dict.fromkeys(IDS, pl.String), "_enterprise": pl.String, "_org": pl.String})
    if parts:
        successor = (
            pl.concat(parts)
            .group_by(list(IDS))
            .agg(pl.col("_enterprise").drop_nulls().first(), pl.col("_org").drop_nulls().first())
            .collect()
        )
    return legacy.sort(pl.all(), nulls_last=False), successor.sort(pl.all(), nulls_last=False)


def _pairs(
    tables: Mapping[str, pl.LazyFrame], scopes: Mapping[str, Mapping[str, str]] | None, allow_level_mismatch: bool
) -> pl.DataFrame:
    legacy, successor = _scopes(tables)
    rows: list[dict[str, str | None]] = []
    legacy_labels = tuple(str(r["org"] or r["enterprise"]) for r in legacy.iter_rows(named=True))
    successor_labels = tuple(
        f"{r['_org'] or r['_enterprise'] or '?'} (enterprise_id {r['enterprise_id']}, organization_id "
        f"{r['organization_id']})"
        for r in successor.iter_rows(named=True)
    )
    for scope in legacy.iter_rows(named=True):
        level = "organization" if scope["org"] is not None else "enterprise"
        label = scope["org"] if scope["org"] is not None else scope["enterprise"]
        if scopes is not None:
            if label not in scopes:
                continue
            wanted = scopes[label]
            bad = [k for k in wanted if k not in IDS]
            if bad:
                raise CopilotMetricsError(
                    f"scopes[{label!r}] names {bad}, not successor scope ids",
                    column="scopes",
                    hint="map a label to {'organization_id': ...} or {'enterprise_id': ...}",
                )
            found = successor.filter(*(pl.col(k) == v for k, v in wanted.items()))
            if "organization_id" not in wanted:
                found = found.filter(pl.col("organization_id").is_null())
        else:
            found = successor.filter(
                (pl.col("_org") == label) | ((pl.col("_enterprise") == label) & pl.col("_org").is_null())
            )
        for match in found.iter_rows(named=True):
            other = "organization" if match["organization_id"] is not None else "enterprise"
            if other != level and not allow_level_mismatch:
                raise ContinuityError.level_mismatch(
                    str(label),
                    level,
                    f"organization_id {match['organization_id']}"
                    if other == "organization"
                    else f"enterprise_id {match['enterprise_id']}",
                    other,
                )
            rows.append(
                {
                    "pair": label,
                    "legacy_enterprise": scope["enterprise"],
                    "legacy_org": scope["org"],
                    "legacy_level": level,
                    "enterprise_id": match["enterprise_id"],
                    "organization_id": match["organization_id"],
                    "successor_level": other,
                }
            )
    if not rows:
        raise ContinuityError.no_common_scope(legacy_labels, successor_labels)
    return pl.DataFrame(
        rows,
        schema=dict.fromkeys(
            (
                "pair",
                "legacy_enterprise",
                "legacy_org",
                "legacy_level",
                "enterprise_id",
                "organization_id",
                "successor_level",
            ),
            pl.String,
        ),
    )


def _combine(how: How, num: str, den: str) -> pl.Expr:
    if how == "ratio":
        return ratio(pl.col(num).sum(), pl.col(den).sum())
    if how == "mean":
        return pl.col(num).mean()
    return pl.when(pl.col(num).count() > 0).then(pl.col(num).sum())


def continuity(
    ds: Frames,
    *,
    scopes: Mapping[str, Mapping[str, str]] | None = None,
    start: DateLike = None,
    end: DateLike = None,
    every: str | None = "1d",
    allow_level_mismatch: bool = False,
    min_users: int | None = 5,
) -> Continuity:
    """Legacy and successor series side by side, per scope pair, over the days both families hold.

    ``ds`` holds the legacy tables (``days``, ``completions``, ``ide_chat``) and the successor
    tables (``agg_days``, ``agg_feature``, ``user_days``, ``user_feature``...).  A legacy scope
    (an org, or an enterprise; teams have no successor twin) is paired with the successor scope
    of the same label (``org``, or ``enterprise`` for an enterprise report), or with the
    successor scope ``scopes`` maps its label to (``{"octo-org": {"organization_id": "..."}}``).

    For every series of :data:`MAPPING` and every pair, ``.series`` gives the declared status
    (``=``, ``≈`` with the stated ``difference``, ``ends``, ``new``; a ``≈`` series that needs
    users reports ``ends`` when the pair has none), ``overlap_days`` (days on which both families
    have a value), ``legacy_value`` and ``successor_value`` over those days only (``mean`` of a
    daily distinct count, Σ of events, ratio of sums for a rate; null without overlap, and for
    ``ends``/``new``), ``ratio`` and the ``breaks`` (:data:`~.breaks.KNOWN_BREAKS`) falling in
    the pair's loaded range.  ``.daily`` has each family's values per period of ``every``, side
    by side.  Nothing is spliced: no row holds one family's value in the other's column.

    The successor side of a series read from user rows (engaged users, completion and chat users,
    DAU counted from user rows) is k-suppressed after aggregation, as every user-derived figure:
    a ``.series`` row over fewer than ``min_users`` distinct users on its overlap days, or a
    ``.daily`` period over fewer than ``min_users`` distinct users, keeps its keys with a null
    ``successor_value`` (and ``ratio``) and ``suppressed`` true; ``suppressed`` is false for the
    other rows, and null on every row with ``min_users=None`` (suppression off).

    Raises
    ------
    ContinuityError
        No legacy scope has a successor scope; a legacy org paired with a successor enterprise
        (or the reverse) unless ``allow_level_mismatch=True``.
    """
    check_arguments(start=start, end=end)
    check_every(every)
    if not isinstance(allow_level_mismatch, bool):
        raise TypeError(f"allow_level_mismatch must be True or False, not {type(allow_level_mismatch).__name__}")
    lo, hi = as_date(start, "start"), as_date(end, "end")
    tables = {name: (f.lazy() if isinstance(f, pl.DataFrame) else f) for name, f in frames_of(ds).items()}
    for name in list(tables):
        if "date" in tables[name].collect_schema().names():
            if lo is not None:
                tables[name] = tables[name].filter(pl.col("date") >= lo)
            if hi is not None:
                tables[name] = tables[name].filter(pl.col("date") <= hi)
    pairs = _pairs(tables, scopes, allow_level_mismatch)
    pair_frame = pairs.lazy()
    users_of = _users_by_day(tables, pair_frame, min_users)
    has_users = set()
    if "user_days" in tables:
        users = tables["user_days"].select(*IDS).unique().join(pair_frame, on=list(IDS), nulls_equal=True)
        has_users = set(users.select("pair").collect()["pair"].to_list())
    daily_parts, series_rows = [], []
    for item in MAPPING:
        legacy = item.legacy_daily(tables) if item.legacy_daily else None
        successor = item.successor_daily(tables) if item.successor_daily else None
        sides = []
        if legacy is not None:
            sides.append(
                legacy.join(
                    pair_frame.rename({"legacy_enterprise": "enterprise", "legacy_org": "org"}),
                    on=list(_LEGACY_SCOPE),
                    nulls_equal=True,
                ).select("pair", "date", pl.col("_num").alias("_lnum"), pl.col("_den").alias("_lden"))
            )
        if successor is not None:
            sides.append(
                successor.join(pair_frame, on=list(IDS), nulls_equal=True).select(
                    "pair", "date", pl.col("_num").alias("_snum"), pl.col("_den").alias("_sden")
                )
            )
        frame = pl.LazyFrame(schema={"pair": pl.String, "date": pl.Date})
        for side in sides:
            frame = frame.join(side, on=["pair", "date"], how="full", coalesce=True)
        for column in ("_lnum", "_lden", "_snum", "_sden"):
            if column not in frame.collect_schema().names():
                frame = frame.with_columns(pl.lit(None, pl.Float64).alias(column))
        frame = frame.with_columns(
            (pl.col("_lnum").is_not_null() & pl.col("_snum").is_not_null()).alias("_both"),
            pl.lit(item.name).alias("series"),
        )
        user_rows = users_of is not None and _from_user_rows(item, tables)
        daily_parts.append(
            _suppressed_daily(_daily(frame, item.how, every, users_of if user_rows else None), user_rows, min_users)
        )
        overlap = (
            frame.filter("_both")
            .group_by("pair")
            .agg(
                pl.len().cast(pl.Int64).alias("overlap_days"),
                _combine(item.how, "_lnum", "_lden").cast(pl.Float64).alias("legacy_value"),
                _combine(item.how, "_snum", "_sden").cast(pl.Float64).alias("successor_value"),
            )
        )
        if item.how == "days":
            overlap = overlap.with_columns(
                pl.col("overlap_days").cast(pl.Float64).alias("legacy_value"),
                pl.col("overlap_days").cast(pl.Float64).alias("successor_value"),
            )
        if user_rows and users_of is not None:
            overlap = overlap.join(
                _distinct_users(frame.filter("_both").select("pair", "date"), users_of, ["pair"]), on="pair", how="left"
            )
        ranges = frame.group_by("pair").agg(pl.col("date").min().alias("_first"), pl.col("date").max().alias("_last"))
        got = (
            pairs.lazy()
            .select("pair")
            .join(overlap, on="pair", how="left")
            .join(ranges, on="pair", how="left")
            .collect()
        )
        for row in got.iter_rows(named=True):
            status: Status = item.status
            difference = item.difference
            if item.needs_users and row["pair"] not in has_users:
                status, difference = "ends", f"needs users reports, none loaded for this scope ({difference})"
            days = row["overlap_days"] or 0
            keep = status in ("=", "≈") and days > 0
            first, last = row["_first"], row["_last"]
            names = [] if first is None else breaks_between(first, last, None, (item.name, item.legacy, item.successor))
            hidden = user_rows and min_users is not None and keep and (row.get("_users") or 0) < min_users
            series_rows.append(
                {
                    "pair": row["pair"],
                    "series": item.name,
                    "legacy": item.legacy,
                    "successor": item.successor,
                    "status": status,
                    "difference": difference,
                    "overlap_days": days,
                    "legacy_value": row["legacy_value"] if keep else None,
                    "successor_value": row["successor_value"] if keep and not hidden else None,
                    "breaks": names,
                    "suppressed": None if min_users is None else hidden,
                }
            )
    series = pl.DataFrame(
        series_rows,
        schema={
            "pair": pl.String,
            "series": pl.String,
            "legacy": pl.String,
            "successor": pl.String,
            "status": pl.String,
            "difference": pl.String,
            "overlap_days": pl.Int64,
            "legacy_value": pl.Float64,
            "successor_value": pl.Float64,
            "breaks": pl.List(pl.String),
            "suppressed": pl.Boolean,
        },
    )
    series = series.with_columns(ratio(pl.col("successor_value"), pl.col("legacy_value")).alias("ratio"))
    series = series.select(*series.columns[:-3], "ratio", "breaks", "suppressed")
    order = {item.name: i for i, item in enumerate(MAPPING)}
    key = "period_start" if every else "date"
    daily = (
        pl.concat(daily_parts)
        .with_columns(pl.col("series").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        .sort("pair", "_o", key)
        .drop("_o")
        .collect()
    )
    return Continuity(pairs=pairs, series=series, daily=daily)


def _daily(frame: pl.LazyFrame, how: How, every: str | None, users_of: pl.LazyFrame | None) -> pl.LazyFrame:
    key: list[str] = ["period_start"] if every else ["date"]
    if every:
        frame = frame.with_columns(pl.col("date").dt.truncate(every).alias("period_start"))
    out = frame.group_by("pair", "series", *key).agg(
        _combine(how, "_lnum", "_lden").cast(pl.Float64).alias("legacy_value"),
        _combine(how, "_snum", "_sden").cast(pl.Float64).alias("successor_value"),
        pl.col("_lnum").count().cast(pl.Int64).alias("legacy_days"),
        pl.col("_snum").count().cast(pl.Int64).alias("successor_days"),
        pl.col("_both").sum().cast(pl.Int64).alias("overlap_days"),
    )
    if users_of is not None:
        days = frame.filter(pl.col("_snum").is_not_null()).select("pair", "date", *key[:1] if every else [])
        out = out.join(_distinct_users(days, users_of, ["pair", *key]), on=["pair", *key], how="left")
    lo, hi = period_bounds(every)
    return with_breaks(out, lo, hi)


def _users_by_day(
    tables: Mapping[str, pl.LazyFrame],
    pairs: pl.LazyFrame,
    min_users: int | None,
) -> pl.LazyFrame | None:
    """``(pair, date, user)`` of the successor user rows, for k-suppression (None: suppression off)."""
    if min_users is not None and (isinstance(min_users, bool) or not isinstance(min_users, int)):
        raise TypeError(f"min_users must be an int or None, not {type(min_users).__name__}")
    if min_users is not None and min_users < 1:
        raise CopilotMetricsError(
            f"min_users={min_users} is below 1", column="min_users", hint="use min_users=None to turn suppression off"
        )
    if min_users is None or "user_days" not in tables:
        return None
    rows = tables["user_days"]
    return rows.with_columns(user_of(rows)).join(pairs, on=list(IDS), nulls_equal=True).select("pair", "date", USER)


def _from_user_rows(item: MappedSeries, tables: Mapping[str, pl.LazyFrame]) -> bool:
    """The successor side of ``item`` is read from user rows (so it is k-suppressed)."""
    return item.needs_users or (item.successor_daily is _dau and "agg_days" not in tables)


def _distinct_users(days: pl.LazyFrame, users_of: pl.LazyFrame, by: list[str]) -> pl.LazyFrame:
    """Distinct users of the user rows on ``days``' (pair, date), per ``by``, as ``_users``."""
    return (
        days.unique()
        .join(users_of, on=["pair", "date"])
        .group_by(*by)
        .agg(pl.col(USER).n_unique().cast(pl.Int64).alias("_users"))
    )


def _suppressed_daily(out: pl.LazyFrame, user_rows: bool, min_users: int | None) -> pl.LazyFrame:
    """The ``.daily`` rows with ``suppressed`` (and the successor value hidden below ``min_users`` users)."""
    if min_users is None:
        return out.with_columns(pl.lit(None, pl.Boolean).alias("suppressed"))
    if not user_rows:
        return out.with_columns(pl.lit(False).alias("suppressed"))
    hidden = pl.col("successor_value").is_not_null() & (pl.col("_users").fill_null(0) < min_users)
    return out.with_columns(
        pl.when(hidden).then(None).otherwise(pl.col("successor_value")).alias("successor_value"),
        hidden.alias("suppressed"),
    ).drop("_users")
