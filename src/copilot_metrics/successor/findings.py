"""Findings over the merged successor tables: what only several rows, tables or files show.

:func:`merged_findings` is called once by the loader, on the merged report tables (after
precedence and shards), and returns rows in ``ds.findings``' columns.  No row is changed or
dropped for a finding.  The rules, declared with their severity in
:data:`copilot_metrics.findings.RULES`:

* ``breakdown_sum_differs`` (warning): the breakdowns expected to sum, per (scope, day) of the
  aggregate tables and per (scope, day, user) of the user tables, on the additive counters both
  sides carry (:data:`SUMS`): Σ``totals_by_feature`` = the top level (C7), and, per feature,
  Σ``totals_by_language_feature`` = that feature's ``totals_by_feature`` row (C6).  One finding
  per comparison that differs (the top level; each feature).  Compared only where both arrays
  were written (not ``absent``/``null`` in the record's ``shape``); a counter null on either side
  is not compared.  The model arrays are chat-only (never completions) and the top-N arrays are
  not exhaustive: they are not expected to sum and are never checked.
* ``ide_plus_cli_differs`` (warning): the top level (C7) = Σ``totals_by_ide`` + the
  ``copilot_cli`` and ``copilot_app`` feature rows (IDE rows exclude the CLI and the app).
* ``reported_window_calendar_like`` (info): once per scope whose weekly/monthly active users
  restart like calendar windows (:func:`calendar_restarts`, the evidence
  :func:`copilot_metrics.usage.reported.reported_active_users` shows); dated on the first
  restart, the restart dates in ``value``.
* ``dau_differs_from_user_rows``: per scope and day, aggregate ``daily_active_users`` against the
  distinct user rows of the same scope and day (as :func:`copilot_metrics.usage.reported.reconcile`
  compares them, windows from :func:`users_windows`): only where the day has an aggregate record
  and lies inside a loaded users window (a window day without rows is 0 users); warning when
  the rows exceed the DAU, info when fewer.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from copilot_metrics.findings import RULES, Rule
from copilot_metrics.tables import FINDING_SCHEMA

__all__ = ["MERGED_RULES", "SUMS", "calendar_restarts", "merged_findings", "users_windows"]

#: The rules :func:`merged_findings` makes: recomputed on the merged tables by every merge (a load,
#: or an incremental merge into a base), never carried over from a side.
MERGED_RULES: tuple[Rule, ...] = (
    "breakdown_sum_differs",
    "ide_plus_cli_differs",
    "reported_window_calendar_like",
    "dau_differs_from_user_rows",
)

_C7 = (
    "user_initiated_interaction_count",
    "code_generation_activity_count",
    "code_acceptance_activity_count",
    "loc_suggested_to_add_sum",
    "loc_suggested_to_delete_sum",
    "loc_added_sum",
    "loc_deleted_sum",
)
_C6 = _C7[1:]
_IDS = ("enterprise_id", "organization_id")
#: The features whose activity the IDE rows leave out (``ide_plus_cli_differs``).
_BEYOND_IDE = ("copilot_cli", "copilot_app")

#: The breakdowns expected to sum (table suffix of the parts, of the whole, the counters compared);
#: ``feature``: compared per feature.  Each holds for ``agg_*`` and ``user_*`` tables alike.
SUMS: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    ("feature", "days", _C7, False),
    ("language_feature", "feature", _C6, True),
)


def _present(array: str) -> pl.Expr:
    """True on the records that wrote ``array`` (neither absent nor null in ``shape``)."""
    marks = pl.col("shape").fill_null(pl.lit([], pl.List(pl.String)))
    return ~(marks.list.contains(f"{array}:absent") | marks.list.contains(f"{array}:null"))


def _sums(frame: pl.LazyFrame, keys: list[str], columns: tuple[str, ...]) -> pl.LazyFrame:
    """Σ of each column over ``keys``; null when every value is null (not a known 0)."""
    return frame.group_by(keys).agg(*(pl.when(pl.col(c).count() > 0).then(pl.col(c).sum()).alias(c) for c in columns))


def _differences(columns: tuple[str, ...]) -> tuple[pl.Expr, pl.Expr]:
    """(any counter differs, ``"<counter> <parts> vs <whole>"`` joined by ``"; "``).

    Over the columns ``<c>`` (the whole) and ``<c>_parts`` (the parts' sum: missing is a known 0).
    """
    differ = [(pl.col(f"{c}_parts").fill_null(0) != pl.col(c)).fill_null(False) for c in columns]
    text = pl.concat_str(
        [
            pl.when(d).then(pl.format(f"{c} {{}} vs {{}}", pl.col(f"{c}_parts").fill_null(0), pl.col(c)))
            for d, c in zip(differ, columns, strict=True)
        ],
        separator="; ",
        ignore_nulls=True,
    )
    return pl.any_horizontal(differ), text


def _finding_rows(
    frame: pl.LazyFrame,
    rule: Rule,
    table: str,
    json_path: pl.Expr,
    message: pl.Expr,
    value: pl.Expr,
    severity: pl.Expr | None = None,
) -> pl.LazyFrame:
    return frame.select(
        pl.col("source").cast(pl.String),
        pl.col("enterprise").cast(pl.String),
        pl.col("org").cast(pl.String),
        pl.lit(None, pl.String).alias("team"),
        pl.col("date"),
        pl.lit(table).alias("table"),
        json_path.alias("json_path"),
        pl.lit(rule).alias("rule"),
        (pl.lit(RULES[rule][0]) if severity is None else severity).alias("severity"),
        message.alias("message"),
        value.cast(pl.String).alias("value"),
    )


def _family(tables: Mapping[str, pl.DataFrame], prefix: str) -> list[pl.LazyFrame]:
    """``breakdown_sum_differs`` and ``ide_plus_cli_differs`` of one family (``agg`` or ``user``)."""
    top = tables[f"{prefix}_days"].lazy()
    if not tables[f"{prefix}_days"].height:
        return []
    names = top.collect_schema().names()
    # a user row's key: its id, or its pseudonym in a pseudonymized dataset
    user = [c for c in ("user_id", "user_pid") if c in names][:1] if prefix == "user" else []
    key = [*_IDS, "date", *user]
    where = "user row" if user else "day"
    out: list[pl.LazyFrame] = []
    for part, _whole, columns, per_feature in SUMS:
        array = f"totals_by_{part}"
        parts = tables[f"{prefix}_{part}"].lazy()
        wholes = top.filter(_present(array) & _present("totals_by_feature"))
        if per_feature:
            days = wholes.select(*key, "source", "enterprise", "org")
            features = tables[f"{prefix}_feature"].lazy().join(days.select(key), on=key, nulls_equal=True)
            joined = (
                features.select(*key, "feature", *columns)
                .join(
                    _sums(parts, [*key, "feature"], columns).rename({c: f"{c}_parts" for c in columns}),
                    on=[*key, "feature"],
                    how="left",
                    nulls_equal=True,
                )
                .join(days, on=key, nulls_equal=True)
            )
            path = pl.format(f"$.{array}[feature={{}}]", pl.col("feature"))
            label = pl.format(
                f"Σ{array} of feature {{}} differs from its totals_by_feature row on the {where} {{}}",
                pl.col("feature"),
                pl.col("date"),
            )
        else:
            joined = wholes.select(*key, "source", "enterprise", "org", *columns).join(
                _sums(parts, key, columns).rename({c: f"{c}_parts" for c in columns}),
                on=key,
                how="left",
                nulls_equal=True,
            )
            path = pl.lit(f"$.{array}")
            label = pl.format(f"Σ{array} differs from the top level on the {where} {{}}", pl.col("date"))
        differ, text = _differences(columns)
        out.append(
            _finding_rows(
                joined.filter(differ).with_columns(text.alias("_text")),
                "breakdown_sum_differs",
                f"{prefix}_{part}",
                path,
                pl.format("{}: {} (rows kept as written)", label, "_text"),
                pl.col("_text"),
            )
        )
    # the top level = Σtotals_by_ide + the features the IDE rows leave out
    wholes = top.filter(_present("totals_by_ide") & _present("totals_by_feature"))
    beyond = tables[f"{prefix}_feature"].lazy().filter(pl.col("feature").is_in(_BEYOND_IDE)).select(*key, *_C7)
    parts = pl.concat([tables[f"{prefix}_ide"].lazy().select(*key, *_C7), beyond], how="vertical_relaxed")
    joined = wholes.select(*key, "source", "enterprise", "org", *_C7).join(
        _sums(parts, key, _C7).rename({c: f"{c}_parts" for c in _C7}), on=key, how="left", nulls_equal=True
    )
    differ, text = _differences(_C7)
    out.append(
        _finding_rows(
            joined.filter(differ).with_columns(text.alias("_text")),
            "ide_plus_cli_differs",
            f"{prefix}_days",
            pl.lit("$.totals_by_ide"),
            pl.format(
                f"Σtotals_by_ide + copilot_cli + copilot_app differs from the top level on the {where} {{}}: {{}} "
                "(rows kept as written)",
                pl.col("date"),
                "_text",
            ),
            pl.col("_text"),
        )
    )
    return out


def calendar_restarts(ids: tuple[str, ...] = _IDS) -> tuple[pl.Expr, pl.Expr]:
    """(``week_restart``, ``month_restart``) over ``agg_days`` rows sorted by scope ``ids`` and date.

    ``week_restart``: a Sunday whose WAU fell from the day before to equal that day's DAU (a
    calendar week from Sunday, not a trailing 7 days); ``month_restart``: a 1st whose MAU fell
    from the day before (a month to date, not a trailing 28 days).  "The day before" counts
    only when that day is loaded.  (:func:`copilot_metrics.usage.reported.reported_active_users`
    shows them; ``reported_window_calendar_like`` reports them.)
    """
    ids_ = list(ids)

    def before(column: str) -> pl.Expr:
        return pl.when(pl.col("date").diff().over(ids_) == pl.duration(days=1)).then(pl.col(column).shift().over(ids_))

    fell = {c: (pl.col(c) < before(c)).fill_null(False) for c in ("weekly_active_users", "monthly_active_users")}
    return (
        (
            (pl.col("date").dt.weekday() == 7)
            & fell["weekly_active_users"]
            & (pl.col("weekly_active_users") == pl.col("daily_active_users")).fill_null(False)
        ).alias("week_restart"),
        ((pl.col("date").dt.day() == 1) & fell["monthly_active_users"]).alias("month_restart"),
    )


def users_windows(user_days: pl.LazyFrame, reports: pl.LazyFrame | None) -> pl.LazyFrame:
    """The loaded users windows: scope ids, ``_lo``, ``_hi`` (one row per window, repeats allowed).

    A user row's ``report_start_day``..``report_end_day`` (its own day on a 1-day report), and
    every ``reports`` row of grain ``user``: a day inside one without rows is 0 users.
    """
    rows = user_days.select(
        *_IDS, pl.coalesce("report_start_day", "date").alias("_lo"), pl.coalesce("report_end_day", "date").alias("_hi")
    )
    parts = [rows.unique()]
    if reports is not None:
        parts.append(
            reports.filter(pl.col("grain") == "user")
            .select(*_IDS, pl.col("window_start").alias("_lo"), pl.col("window_end").alias("_hi"))
            .drop_nulls(["_lo", "_hi"])
        )
    return pl.concat(parts, how="vertical_relaxed").unique()


def _calendar_like(tables: Mapping[str, pl.DataFrame]) -> pl.LazyFrame:
    """``reported_window_calendar_like``: once per scope, with the dates WAU or MAU restarted."""
    restarts = (
        tables["agg_days"]
        .lazy()
        .sort([*_IDS, "date"], nulls_last=False)
        .with_columns(*calendar_restarts())
        .filter(pl.col("week_restart") | pl.col("month_restart"))
    )
    what = (
        pl.when(pl.col("week_restart") & pl.col("month_restart"))
        .then(pl.lit("week and month"))
        .when(pl.col("week_restart"))
        .then(pl.lit("week"))
        .otherwise(pl.lit("month"))
    )
    scopes = (
        restarts.sort("date")
        .with_columns(pl.format("{} ({})", pl.col("date"), what).alias("_restart"))
        .group_by(_IDS)
        .agg(
            pl.col("source", "enterprise", "org", "date").first(), pl.col("_restart").str.join(", ").alias("_restarts")
        )
    )
    return _finding_rows(
        scopes,
        "reported_window_calendar_like",
        "agg_days",
        pl.lit("$.weekly_active_users"),
        pl.format(
            "weekly/monthly active users restart like calendar windows on {}: GitHub's snapshots, kept as "
            "reported, never trailing 7/28-day counts (cm.reported_active_users)",
            "_restarts",
        ),
        pl.col("_restarts"),
    )


def _dau(tables: Mapping[str, pl.DataFrame], reports: pl.DataFrame) -> pl.LazyFrame:
    """``dau_differs_from_user_rows``: aggregate DAU against the distinct user rows of each covered day.

    As :func:`copilot_metrics.usage.reported.reconcile` compares them (unsuppressed): a day
    inside a loaded users window without rows is 0 users; a day outside every window is not
    compared.
    """
    key = [*_IDS, "date"]
    user_days = tables["user_days"].lazy()
    covered = (
        users_windows(user_days, reports.lazy())
        .with_columns(pl.date_ranges("_lo", "_hi").alias("date"))
        .explode("date")
        .select(key)
        .unique()
    )
    user = "user_pid" if "user_pid" in tables["user_days"].columns else "user_id"
    rows = user_days.group_by(key).agg(pl.col(user).n_unique().cast(pl.Int64).alias("_users"))
    differ = (
        tables["agg_days"]
        .lazy()
        .filter(pl.col("daily_active_users").is_not_null())
        .join(covered, on=key, nulls_equal=True)
        .join(rows, on=key, how="left", nulls_equal=True)
        .with_columns(pl.col("_users").fill_null(0))
        .filter(pl.col("_users") != pl.col("daily_active_users"))
    )
    return _finding_rows(
        differ,
        "dau_differs_from_user_rows",
        "agg_days",
        pl.lit("$.daily_active_users"),
        pl.format(
            "{} user rows of the same scope on {} vs daily_active_users {} (both kept; cm.reconcile)",
            "_users",
            "date",
            "daily_active_users",
        ),
        pl.format("{} vs {}", "_users", "daily_active_users"),
        severity=pl.when(pl.col("_users") > pl.col("daily_active_users"))
        .then(pl.lit(RULES["dau_differs_from_user_rows"][0]))
        .otherwise(pl.lit("info")),
    )


def merged_findings(tables: Mapping[str, pl.DataFrame], reports: pl.DataFrame) -> pl.DataFrame:
    """The findings of the merged successor tables (module docstring), in ``ds.findings``' columns.

    ``tables`` are the merged successor tables by name, ``reports`` the merged ``reports`` rows
    (their users windows: days of a window without rows are 0 users).
    """
    found: list[pl.LazyFrame] = [FINDING_SCHEMA.to_frame().lazy()]
    for prefix in ("agg", "user"):
        found.extend(_family(tables, prefix))
    if tables["agg_days"].height:
        found.append(_calendar_like(tables))
        if tables["user_days"].height:
            found.append(_dau(tables, reports))
    return pl.concat([f.select(FINDING_SCHEMA.names()).cast(FINDING_SCHEMA) for f in found]).collect()
