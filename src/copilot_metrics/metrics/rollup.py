"""Re-aggregating an output, or a table, to a coarser grain, from the kinds of its columns."""

from __future__ import annotations

import polars as pl

from copilot_metrics.breaks import BREAK_SEPARATOR
from copilot_metrics.errors import CopilotMetricsError, RollupError
from copilot_metrics.metrics._selection import By, check_arguments
from copilot_metrics.metrics.columns import PAIRED, RATES, SHARES, ColumnKind, column_kind, rate_expr, ratio
from copilot_metrics.tables import SCOPE, TRAINING_DATE

__all__ = ["rollup"]

#: The successor reports' measures that are not additive (refused by name and kind).
_NOT_ADDITIVE = ("snapshot", "average", "quantile", "flag")
#: The legacy tables' attributes, left out of a rollup (the successor reports' attributes are refused).
_LEGACY_ATTRIBUTES = ("is_custom_model", TRAINING_DATE)


def rollup(frame: pl.DataFrame | pl.LazyFrame, by: By = None) -> pl.DataFrame:
    """Re-aggregate an output of this module, or a table, to a coarser grain.

    The result keeps the scope columns present (scopes are never merged) and the columns of
    ``by`` (dimensions, and ``period_start`` or a table's ``date`` to keep the periods or days);
    the other dimension and period columns are aggregated away. By :func:`column_kind`:

    * ``additive`` columns are summed (Σ of the values present; null when every value of the
      group is null: absent values are not zeros);
    * ``days`` and ``user_days`` columns are summed the same way when only periods are
      aggregated away (they are additive over time), but raise :class:`RollupError` when a
      dimension is (summing a distinct count over sibling slices counts people twice);
    * ``rate`` and ``share`` columns are recomputed from the summed columns (which must be in
      the frame). A rate taken over the days reporting both its counts (:mod:`copilot_metrics.metrics` docstring):
      ``engagement_rate``, ``<feature>_share`` and ``activation_rate`` are recomputed only where
      every day reported both (the ``*_days_unreported`` columns of both counts, which must be
      in the frame, sum to 0; for ``activation_rate``, also no row with active users lacks
      ``seat_days``), and are null otherwise; ``chats_per_engaged_user_day`` and
      ``summaries_per_engaged_user_day`` raise :class:`RollupError` (drop them first);
    * ``distinct`` columns (``*_mean``, ``*_peak``, and the tables' ``total_active_users``,
      ``total_engaged_users`` and ``<feature>_engaged_users``), ``change`` and ``trend``
      columns cannot be re-aggregated: :class:`RollupError` is raised. Drop them first (and
      take the users at the coarser grain from the metrics function, which reads them from the
      table counting that grain);
    * ``attribute`` and ``bookkeeping`` columns (``is_custom_model``, ``source``, ``shape``...)
      describe single rows: they are left out of the result;
    * of the successor usage-metrics tables, every column that is not additive (``distinct``,
      ``snapshot``, ``average``, ``quantile``, ``flag``, ``attribute``; ``column_kind``) raises
      :class:`RollupError` naming the column and its kind; their ids, dimensions and
      bookkeeping (``report_id``) behave as above.

    Examples
    --------
    >>> import copilot_metrics as cm
    >>> ds = cm.load(cm.examples.sources())
    >>> per_editor_language = cm.acceptance(ds, by=("editor", "language"))
    >>> per_editor = cm.rollup(per_editor_language.drop("engaged_user_days", "engaged_users_mean",
    ...                                                 "engaged_users_peak", "engaged_users_days_reported",
    ...                                                 "engaged_users_days_unreported"), by="editor")
    >>> per_editor.columns[:4]
    ['enterprise', 'org', 'team', 'editor']
    >>> per_language = cm.rollup(ds.completions.drop("total_engaged_users"), by="language")
    >>> per_language.columns[3:6]
    ['language', 'total_code_suggestions', 'total_code_acceptances']
    """
    check_arguments(frame=frame, by=by)
    lf = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    names = lf.collect_schema().names()
    kinds = {n: column_kind(n) for n in names}
    keys = _group_keys(kinds, by)
    summed = [n for n in names if kinds[n] in ("additive", "days", "user_days")]
    _refuse(kinds, keys, summed)
    periods = [n for n in keys if kinds[n] == "period"]
    out = _sums(lf, kinds, keys, summed).with_columns(_recomputed(kinds, [*(k for k in SCOPE if k in keys), *periods]))
    left_out = ("dimension", "period", "attribute", "bookkeeping")
    out = out.select([n for n in names if n in keys or kinds[n] not in left_out])
    return (out.sort(keys, nulls_last=False) if keys else out).collect()


def _group_keys(kinds: dict[str, ColumnKind], by: By) -> list[str]:
    """The columns the result keeps: the scope columns present and those of ``by``, in the frame's order."""
    wanted = (by,) if isinstance(by, str) else tuple(by or ())
    for n in wanted:
        if n not in kinds or kinds[n] not in ("scope", "period", "dimension"):
            raise CopilotMetricsError(
                f"rollup: cannot group by {n!r}",
                column=n,
                hint="by takes the scope, period (period_start, date) and dimension columns of the frame",
            )
    return [n for n in kinds if kinds[n] == "scope" or (n in wanted)]


def _refuse(kinds: dict[str, ColumnKind], keys: list[str], summed: list[str]) -> None:
    """Raise :class:`RollupError` for a column the coarser grain cannot be computed from the frame for."""
    names = list(kinds)
    dropped_dims = [n for n in names if kinds[n] == "dimension" and n not in keys]
    distinct = [n for n in names if kinds[n] == "distinct"]
    distinct += [n for n in names if kinds[n] == "user_days" and dropped_dims]
    slice_days = [n for n in names if kinds[n] == "days" and dropped_dims]
    hint = (
        f"drop the columns {[*distinct, *slice_days]} before rollup, and take the users at the coarser grain "
        "from the metrics function (adoption, acceptance, chat, ...), which reads them from the table "
        "counting that grain"
    )
    if distinct:
        error = RollupError.distinct_count(distinct[0])
        error.hint = hint
        raise error
    if slice_days:
        raise RollupError(
            f"column {slice_days[0]!r} counts days of a slice: summing it over slices {dropped_dims} counts days twice",
            column=slice_days[0],
            hint=hint,
        )
    for n in names:
        kind = kinds[n]
        if kind in _NOT_ADDITIVE or (kind == "attribute" and n not in _LEGACY_ATTRIBUTES):
            raise RollupError(
                f"column {n!r} is of kind {kind!r}: only additive columns can be summed over days or slices",
                column=n,
                hint="drop it before rollup; a snapshot, average, quantile or flag of a coarser grain is "
                "not computed from the rows' values",
            )
        if kind in ("change", "trend"):
            raise RollupError(
                f"column {n!r} ({kind}) cannot be re-aggregated",
                column=n,
                hint="drop it before rollup and recompute it at the coarser grain",
            )
    for n in names:
        if kinds[n] == "rate" and n in PAIRED and PAIRED[n] is None:
            raise RollupError(
                f"rollup: {n!r} cannot be recomputed from the sums: its two sums cover the days "
                "holding both the events and the users, which the output does not give",
                column=n,
                hint="drop it before rollup and take it from the metrics function at the coarser grain",
            )
        needed = (
            RATES[n][0] + (RATES[n][1],) + (PAIRED.get(n) or ())
            if kinds[n] == "rate"
            else ((SHARES[n],) if kinds[n] == "share" else ())
        )
        missing = [c for c in needed if c not in summed]
        if missing:
            raise RollupError(
                f"rollup: cannot recompute {n!r} without {missing}",
                column=n,
                hint="keep the summed columns the rate is a ratio of",
            )


def _sums(lf: pl.LazyFrame, kinds: dict[str, ColumnKind], keys: list[str], summed: list[str]) -> pl.LazyFrame:
    """The ``summed`` columns summed per group of ``keys``, the calendar columns, and ``_seat_gap``.

    A sum over values that are all null is null.  The calendar columns hold one value per scope
    and period, repeated on each of its slices: kept with the periods, else summed
    (``days_in_period``), all true (``period_complete``) or joined (``break``: each break named
    once, in date order) over them.  ``_seat_gap``: a row of
    the group has active users but no ``seat_days`` (a day without seats).
    """
    names = list(kinds)
    periods = [n for n in keys if kinds[n] == "period"]
    sums = [pl.when(pl.col(n).is_not_null().any()).then(pl.col(n).sum()).alias(n) for n in summed]
    calendar = [n for n in names if kinds[n] == "calendar"]
    if periods:
        sums += [pl.col(n).first().alias(n) for n in calendar]
    if "activation_rate" in names:
        sums.append((pl.col("seat_days").is_null() & pl.col("active_user_days").is_not_null()).any().alias("_seat_gap"))
    grouped = lf.group_by(keys).agg(sums) if keys else lf.select(sums)
    if calendar and not periods:
        period_columns = [n for n in names if kinds[n] == "period"]
        per_period = lf.select(*keys, *period_columns, *calendar).unique().sort(period_columns, nulls_last=False)
        whole = [
            (
                pl.col(n).sum() if n == "days_in_period" else _breaks_of_periods(n) if n == "break" else pl.col(n).all()
            ).alias(n)
            for n in calendar
        ]
        grouped = (
            grouped.join(per_period.group_by(keys).agg(whole), on=keys, how="left", nulls_equal=True)
            if keys
            else pl.concat([grouped, per_period.select(whole)], how="horizontal")
        )
    return grouped


def _breaks_of_periods(name: str) -> pl.Expr:
    """The breaks named in ``name`` over the group's periods (sorted by date): each once, in order; null if none."""
    names = pl.col(name).str.split(BREAK_SEPARATOR).list.explode(keep_nulls=False, empty_as_null=False)
    joined = names.unique(maintain_order=True).str.join(BREAK_SEPARATOR)
    return pl.when(joined != "").then(joined)


def _recomputed(kinds: dict[str, ColumnKind], partition: list[str]) -> list[pl.Expr]:
    """The rates and shares, from the sums; a paired rate only where every day reported both its counts.

    ``partition``: the scope and period columns a share's total is taken over.
    """

    def exact(rate: str) -> pl.Expr:
        """Every day of the group reported both counts of the paired ``rate``."""
        conditions = [pl.col(c) == 0 for c in PAIRED[rate] or ()]
        return pl.all_horizontal(*conditions, *((~pl.col("_seat_gap"),) if rate == "activation_rate" else ()))

    return [
        *(
            pl.when(exact(n)).then(rate_expr(n)).alias(n) if PAIRED.get(n) else rate_expr(n)
            for n in kinds
            if kinds[n] == "rate"
        ),
        *(
            ratio(pl.col(SHARES[n]), _total(pl.col(SHARES[n]), partition)).alias(n)
            for n in kinds
            if kinds[n] == "share"
        ),
    ]


def _total(column: pl.Expr, partition: list[str]) -> pl.Expr:
    return column.sum().over(partition) if partition else column.sum()
