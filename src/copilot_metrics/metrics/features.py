"""The feature metrics: code completions (:func:`acceptance`), IDE chat, github.com chat, pull requests.

Each feature is derived from its declaration (:data:`copilot_metrics.tables.FEATURES`).
"""

from __future__ import annotations

import polars as pl

from copilot_metrics.findings import ROW_RULES, json_path
from copilot_metrics.metrics._reported import (
    ENGAGED,
    Feature,
    distinct_stats,
    feature_of,
    known_zero_events,
    paired_sums,
    sum_present,
)
from copilot_metrics.metrics._selection import (
    By,
    DateLike,
    Every,
    Frames,
    as_date,
    check_arguments,
    check_every,
    dims_of,
    findings_of,
    finish,
    keys_of,
    lazy,
    select_days,
    with_calendar,
)
from copilot_metrics.metrics.columns import rate_expr, ratio
from copilot_metrics.tables import FEATURES, SCOPE

__all__ = ["LANGUAGE_ALIASES", "acceptance", "chat", "dotcom_chat", "pull_requests"]

#: Language aliases seen in real archives -> the VS Code language identifier they stand for.
#: Used by ``acceptance(..., normalize_languages=True)``; exact, case-sensitive match on the
#: stored name; the stored tables are never changed.
LANGUAGE_ALIASES: dict[str, str] = {
    "c#": "csharp",
    "cs": "csharp",
    "c++": "cpp",
    "cxx": "cpp",
    "js": "javascript",
    "jsx": "javascriptreact",
    "ts": "typescript",
    "tsx": "typescriptreact",
    "py": "python",
    "golang": "go",
    "rb": "ruby",
    "rs": "rust",
    "kt": "kotlin",
    "yml": "yaml",
    "md": "markdown",
    "sh": "shellscript",
    "bash": "shellscript",
    "shell": "shellscript",
    "ps1": "powershell",
    "tf": "terraform",
}

#: The findings on a completions row that ``exclude_findings`` leaves out of the sums.
_FINDING_RULES = {rule: row for rule, row in ROW_RULES.items() if row.table == "completions"}

_COMPLETIONS, _IDE_CHAT, _DOTCOM_CHAT, _PULL_REQUESTS = (feature_of(name) for name in FEATURES)


def _normalized(lf: pl.LazyFrame, normalize_languages: bool) -> pl.LazyFrame:
    if not normalize_languages or "language" not in lf.collect_schema().names():
        return lf
    return lf.with_columns(pl.col("language").replace(LANGUAGE_ALIASES))


def _feature_frame(
    ds: Frames,
    feature: Feature,
    dims: tuple[str, ...],
    every: str | None,
    start: DateLike,
    end: DateLike,
    weekdays_only: bool,
    *,
    normalize_languages: bool = False,
    exclude_findings: bool = False,
    per_user_day: tuple[str, str] | None = None,
) -> pl.LazyFrame:
    """Sums of the feature's event counts and its engaged users at the grain (scope, period, dims).

    ``per_user_day`` = (event count column, rate name): adds the rate Σ events / Σ engaged users,
    both over the slice's days that hold the events and report the users (:func:`paired_sums`).
    """
    check_every(every)
    lo, hi = as_date(start, "start"), as_date(end, "end")
    keys = [*keys_of(every), *dims]

    def select(name: str) -> pl.LazyFrame:
        return _normalized(select_days(lazy(ds, name), lo, hi, weekdays_only, every), normalize_languages)

    leaf = select(feature.leaf)
    if exclude_findings:
        leaf = _flag_findings(ds, leaf)
        kept = ~pl.col("_flagged")
        aggs = [
            *(sum_present(pl.col(c), kept).alias(c) for c in feature.sums),
            pl.col("_flagged").sum().cast(pl.Int64).alias("rows_excluded"),
        ]
    else:
        aggs = [sum_present(pl.col(c)).alias(c) for c in feature.sums]
    counts = leaf.group_by(keys).agg(*aggs, pl.len().cast(pl.Int64).alias("_rows"))

    table = feature.distinct.get(frozenset(dims))
    if table is None:
        out = counts.drop("_rows").with_columns(pl.lit(None, dtype).alias(name) for name, dtype in ENGAGED.items())
        if per_user_day is not None:
            out = out.with_columns(pl.lit(None, pl.Float64).alias(per_user_day[1]))
        return with_calendar(out, ds, lo, hi, weekdays_only, every)
    days = select_days(lazy(ds, "days"), lo, hi, weekdays_only, every)
    daily, add_engaged = distinct_stats(days, select, feature, table, keys, every)
    slices = pl.concat([counts.select(keys), daily.select(keys)], how="vertical").unique()
    out = add_engaged(slices.join(counts, on=keys, how="left", nulls_equal=True))
    out = known_zero_events(out, days, select, feature, dims, keys, every)
    if exclude_findings:
        out = out.with_columns(pl.col("rows_excluded").fill_null(0))
    if per_user_day is not None:
        events, rate = per_user_day
        # one value per slice and day: the day's events (null when no row holds them) and users
        per_day = (
            leaf.group_by([*keys, "date"])
            .agg(sum_present(pl.col(events)).alias("_events"))
            .join(daily, on=[*keys, "date"], how="inner", nulls_equal=True)
        )
        numerator, denominator = paired_sums(pl.col("_events"), pl.col("_users"))
        pairs = per_day.group_by(keys).agg(numerator.alias("_num"), denominator.alias("_den"))
        out = (
            out.join(pairs, on=keys, how="left", nulls_equal=True)
            .with_columns(ratio(pl.col("_num"), pl.col("_den")).alias(rate))
            .drop("_num", "_den")
        )
    return with_calendar(out, ds, lo, hi, weekdays_only, every)


def _flag_findings(ds: Frames, leaf: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``_flagged``: the completions row has an acceptance finding (see :func:`acceptance`)."""
    findings = findings_of(ds)
    if findings is None:
        flagged = pl.any_horizontal(row.condition().fill_null(False) for row in _FINDING_RULES.values())
        return leaf.with_columns(flagged.alias("_flagged"))
    paths = (
        findings.filter((pl.col("table") == "completions") & pl.col("rule").is_in(list(_FINDING_RULES)))
        .select(*SCOPE, "date", "json_path")
        .unique()
        .with_columns(pl.lit(True).alias("_hit"))
    )
    on = [*SCOPE, "date", "json_path"]
    out = leaf
    for i, row in enumerate(_FINDING_RULES.values()):
        out = (
            out.with_columns(json_path("completions", row.column))
            .join(paths.rename({"_hit": f"_hit{i}"}), on=on, how="left", nulls_equal=True)
            .drop("json_path")
        )
    hits = [f"_hit{i}" for i in range(len(_FINDING_RULES))]
    return out.with_columns(pl.any_horizontal(pl.col(h).fill_null(False) for h in hits).alias("_flagged")).drop(hits)


def acceptance(
    ds: Frames,
    by: By = ("language",),
    every: Every | None = None,
    *,
    min_suggestions: int | None = None,
    normalize_languages: bool = False,
    exclude_findings: bool = False,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """Code-completion acceptance per scope, period and ``by`` (``editor``, ``model``, ``language``).

    Grain: one row per scope, period (with ``every``) and combination of the ``by`` dimensions
    that has rows. Counts come from the leaf ``completions`` rows (editor, model, language, day).

    Columns
    -------
    total_code_suggestions, total_code_acceptances, total_code_lines_suggested, total_code_lines_accepted
        Σ over the slice's rows and the period's days; null when no row holds the value (a
        slice known only from ``completions_languages``, or rows without the key; with
        ``exclude_findings=True``, a slice whose every row is excluded).
    acceptance_rate
        ``Σ total_code_acceptances / Σ total_code_suggestions`` (null when Σ suggestions is 0;
        above 1 when acceptances exceed suggestions, as in some real JetBrains rows).
    line_acceptance_rate
        ``Σ total_code_lines_accepted / Σ total_code_lines_suggested`` (null when 0).
    share_of_acceptances
        The slice's ``total_code_acceptances`` / the Σ over every slice of its scope and period
        (computed before ``min_suggestions`` hides rows).
    engaged_user_days, engaged_users_mean, engaged_users_peak, engaged_users_days_[un]reported
        Distinct completion users, from the table whose grain is exactly ``by``:
        no dimension -> ``days.completions_engaged_users``; ``language`` ->
        ``completions_languages`` (users of the language across all editors, from
        ``copilot_ide_code_completions.languages``); ``editor`` -> ``completions_editors``;
        ``editor, model`` -> ``completions_models``; ``editor, model, language`` -> the leaf
        ``completions`` rows. Over the days that report the count (:mod:`copilot_metrics.metrics` docstring, "Missing
        is never zero": e.g. a day without the ``languages`` array does not report any
        language's users; a language absent from a present array counts 0):
        ``engaged_user_days`` = Σ of the daily values; ``_mean`` = that Σ /
        ``engaged_users_days_reported``; ``_peak`` = the largest daily value;
        ``engaged_users_days_unreported`` = the period's days with data left out. Null over
        no reported day. For any other grain (e.g. ``model`` alone, or ``editor, language``) no
        table counts distinct users, and summing finer counts would count people twice: the
        five columns are null.
    rows_excluded
        Only with ``exclude_findings=True``: leaf rows left out of the sums.
    break
        With ``every`` only, last: the known legacy breaks in the period (e.g.
        ``legacy_closed`` in the period holding 2026-04-02), joined by ``"; "``; null when none
        (:mod:`copilot_metrics.metrics` docstring, "Known breaks"). The same in :func:`chat`,
        :func:`dotcom_chat` and :func:`pull_requests`.

    Parameters
    ----------
    ds:
        A :class:`~copilot_metrics.Dataset`, or a mapping of table name to DataFrame/LazyFrame.
    by:
        Dimension columns (``editor``, ``model``, ``language``) and scope columns; scope columns
        are always kept. ``None``: one row per scope and period.
    every:
        ``None`` (whole range), ``"1d"``, ``"1w"``, ``"1mo"`` or ``"1q"``.
    start, end:
        First and last day to include (inclusive).
    weekdays_only:
        Keep Monday to Friday only.
    min_suggestions:
        Hide output rows whose Σ ``total_code_suggestions`` is below this.
    normalize_languages:
        Rename languages through :data:`LANGUAGE_ALIASES` before grouping (``c#`` -> ``csharp``,
        ...), at query time only. When two aliases of one language appear on the same day in
        the same slice, that day's engaged users are the larger of their counts (distinct
        counts cannot be added: a lower bound).
    exclude_findings:
        Leave out of the sums the leaf rows with a finding ``acceptances_exceed_suggestions`` or
        ``lines_accepted_exceed_suggested`` (``ds.findings`` rows of table ``completions``,
        matched on scope, date and JSON path; an input without findings evaluates the same two
        conditions on the rows). Engaged-user columns are not affected. Compare with the
        default (``False``) to see the difference; ``rows_excluded`` counts what was left out.

    Examples
    --------
    >>> import copilot_metrics as cm
    >>> ds = cm.load(cm.examples.sources())
    >>> by_language = acceptance(ds, by="language")
    >>> by_language.filter(pl.col("team").is_null(), pl.col("language") == "python")["acceptance_rate"].item() < 1
    True
    """
    check_arguments(
        by=by,
        start=start,
        end=end,
        min_suggestions=min_suggestions,
        weekdays_only=weekdays_only,
        normalize_languages=normalize_languages,
        exclude_findings=exclude_findings,
    )
    dims = dims_of(by, _COMPLETIONS.dims, "acceptance")
    out = _feature_frame(
        ds,
        _COMPLETIONS,
        dims,
        every,
        start,
        end,
        weekdays_only,
        normalize_languages=normalize_languages,
        exclude_findings=exclude_findings,
    )
    out = out.with_columns(
        rate_expr("acceptance_rate"),
        rate_expr("line_acceptance_rate"),
        ratio(pl.col("total_code_acceptances"), pl.col("total_code_acceptances").sum().over(keys_of(every))).alias(
            "share_of_acceptances"
        ),
    )
    if min_suggestions is not None:
        out = out.filter(pl.col("total_code_suggestions") >= min_suggestions)
    columns = [
        *_COMPLETIONS.sums,
        "acceptance_rate",
        "line_acceptance_rate",
        "share_of_acceptances",
        *ENGAGED,
        *(("rows_excluded",) if exclude_findings else ()),
    ]
    return finish(out, every, dims, columns)


# ----------------------------------------------------------------------------- chat and PRs


def chat(
    ds: Frames,
    by: By = ("editor",),
    every: Every | None = None,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """IDE chat per scope, period and ``by`` (``editor``, ``model``), from ``ide_chat`` rows.

    Columns
    -------
    total_chats, total_chat_insertion_events, total_chat_copy_events
        Σ over the slice's rows and the period's days; null when no row holds the value.
    chat_acceptance_rate
        ``(Σ insertion events + Σ copy events) / Σ total_chats``; can exceed 1; null when 0.
    engaged_user_days, engaged_users_mean, engaged_users_peak, engaged_users_days_[un]reported
        Distinct IDE chat users from the table whose grain is exactly ``by`` (none ->
        ``days.ide_chat_engaged_users``; ``editor`` -> ``ide_chat_editors``; ``editor, model``
        -> ``ide_chat``), over the days that report the count (:mod:`copilot_metrics.metrics` docstring: a day whose
        ``copilot_ide_chat`` holds only totals, no ``editors`` array, reports no editor; an
        editor absent from a present array counts 0): Σ of the daily values; Σ /
        ``engaged_users_days_reported``; the largest daily value; the days with data left out.
        Null over no reported day, and for ``model`` alone (no table counts those users).
    chats_per_engaged_user_day
        ``Σ total_chats / Σ engaged users``, both over the slice's days that hold a
        ``total_chats`` value and report the engaged count (e.g. a day whose
        ``copilot_ide_chat`` holds only totals has users but no chats: it is in neither sum);
        null when no day has both.
    break
        With ``every`` only, last: the known legacy breaks in the period, as in :func:`acceptance`.
    """
    check_arguments(by=by, start=start, end=end, weekdays_only=weekdays_only)
    dims = dims_of(by, _IDE_CHAT.dims, "chat")
    out = _feature_frame(
        ds,
        _IDE_CHAT,
        dims,
        every,
        start,
        end,
        weekdays_only,
        per_user_day=("total_chats", "chats_per_engaged_user_day"),
    ).with_columns(rate_expr("chat_acceptance_rate"))
    columns = [*_IDE_CHAT.sums, "chat_acceptance_rate", *ENGAGED, "chats_per_engaged_user_day"]
    return finish(out, every, dims, columns)


def dotcom_chat(
    ds: Frames,
    by: By = ("model",),
    every: Every | None = None,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """Copilot chat on github.com per scope, period and ``by`` (``model``), from ``dotcom_chat`` rows.

    Columns
    -------
    total_chats
        Σ over the slice's rows and the period's days; null when no row holds the value.
    engaged_user_days, engaged_users_mean, engaged_users_peak, engaged_users_days_[un]reported
        Distinct users (none -> ``days.dotcom_chat_engaged_users``; ``model`` -> the
        ``dotcom_chat`` rows), over the days that report the count (:mod:`copilot_metrics.metrics` docstring: a day
        whose ``copilot_dotcom_chat`` has no ``models`` array, or a model row without
        ``total_engaged_users``, does not report; a model absent from a present array counts
        0): Σ of the daily values; Σ / ``engaged_users_days_reported``; the largest daily
        value; the days with data left out. Null over no reported day.
    chats_per_engaged_user_day
        ``Σ total_chats / Σ engaged users``, both over the slice's days that hold a
        ``total_chats`` value and report the engaged count; null when no day has both.
    break
        With ``every`` only, last: the known legacy breaks in the period, as in :func:`acceptance`.
    """
    check_arguments(by=by, start=start, end=end, weekdays_only=weekdays_only)
    dims = dims_of(by, _DOTCOM_CHAT.dims, "dotcom_chat")
    out = _feature_frame(
        ds,
        _DOTCOM_CHAT,
        dims,
        every,
        start,
        end,
        weekdays_only,
        per_user_day=("total_chats", "chats_per_engaged_user_day"),
    )
    columns = ["total_chats", *ENGAGED, "chats_per_engaged_user_day"]
    return finish(out, every, dims, columns)


def pull_requests(
    ds: Frames,
    by: By = ("repository",),
    every: Every | None = None,
    *,
    start: DateLike = None,
    end: DateLike = None,
    weekdays_only: bool = False,
) -> pl.DataFrame:
    """Pull-request summaries per scope, period and ``by`` (``repository``, ``model``).

    Columns
    -------
    total_pr_summaries_created
        Σ over the slice's ``pull_requests`` rows and the period's days; null when no row holds
        the value.
    engaged_user_days, engaged_users_mean, engaged_users_peak, engaged_users_days_[un]reported
        Distinct users (none -> ``days.pull_requests_engaged_users``; ``repository`` ->
        ``pull_requests_repositories``; ``repository, model`` -> ``pull_requests``), over the
        days that report the count (:mod:`copilot_metrics.metrics` docstring: the ``repositories`` array, and for a
        model its repository's ``models`` array, present; a name absent from a present array
        counts 0): Σ of the daily values; Σ / ``engaged_users_days_reported``; the largest
        daily value; the days with data left out. Null over no reported day, and for ``model``
        alone (no table counts a model's users across repositories).
    summaries_per_engaged_user_day
        ``Σ total_pr_summaries_created / Σ engaged users``, both over the slice's days that hold
        a ``total_pr_summaries_created`` value and report the engaged count; null when no day
        has both.
    break
        With ``every`` only, last: the known legacy breaks in the period, as in :func:`acceptance`.
    """
    check_arguments(by=by, start=start, end=end, weekdays_only=weekdays_only)
    dims = dims_of(by, _PULL_REQUESTS.dims, "pull_requests")
    out = _feature_frame(
        ds,
        _PULL_REQUESTS,
        dims,
        every,
        start,
        end,
        weekdays_only,
        per_user_day=("total_pr_summaries_created", "summaries_per_engaged_user_day"),
    )
    columns = ["total_pr_summaries_created", *ENGAGED, "summaries_per_engaged_user_day"]
    return finish(out, every, dims, columns)
