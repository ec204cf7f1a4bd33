"""Charts of the metric frames: Altair charts with titles, named axes and rates as percentages.

Each function takes the frame a metric function returns (``cm.adoption``, ``cm.acceptance``,
``cm.chat``, ``cm.dotcom_chat``, ``cm.coverage``) and returns an Altair chart; nothing is computed
again here, the charts only reshape what the metrics computed. Columns are read by name, so frames
with more columns than these charts use are fine.

* :func:`adoption_trend`: active and engaged users per period, daily mean and daily peak.
* :func:`feature_adoption`: the share of engaged users who used each feature, per period.
* :func:`acceptance`, :func:`acceptance_by_language`, :func:`acceptance_by_editor`: suggestions
  and acceptances (volume) beside the acceptance rates.
* :func:`chat_use`: chats (volume) beside the chat acceptance rate, by editor or model.
* :func:`coverage_calendar`: one cell per day, days with data and missing days, per scope.

Missing days are gaps: a period without data keeps null values (never zeros), so its lines break
there, and periods absent from a daily or weekly frame are added back as nulls. A frame holding
several scopes (an org and its teams) is drawn as one panel per scope where the chart allows it;
the per-slice charts take one scope (filter the frame first).

Altair is an optional dependency (``pip install "copilot-metrics[cli]"``); it is imported when a
function is called. Render a chart with ``chart.save("chart.html")`` or, offline, as SVG through
``vl-convert`` (see :mod:`copilot_metrics.report`).

Examples
--------
>>> import copilot_metrics as cm
>>> from copilot_metrics import plot
>>> ds = cm.load(cm.examples.sources())
>>> chart = plot.adoption_trend(cm.adoption(ds, every="1w"))
>>> [layer["mark"]["type"] for layer in chart.to_dict()["spec"]["layer"]]
['line', 'point']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import polars as pl

import copilot_metrics as cm

if TYPE_CHECKING:
    import altair as alt

    Chart: TypeAlias = "alt.Chart | alt.LayerChart | alt.HConcatChart | alt.FacetChart | alt.VConcatChart"

__all__ = [
    "acceptance",
    "acceptance_by_editor",
    "acceptance_by_language",
    "adoption_trend",
    "chat_use",
    "coverage_calendar",
    "feature_adoption",
]

SCOPE_COLUMNS = ("enterprise", "org", "team")
#: Dimensions a per-slice chart can be drawn by, in the order they are looked for.
DIMENSIONS = ("language", "editor", "model", "repository")
#: Feature prefixes of ``cm.adoption`` columns and the names shown for them.
FEATURES = {
    "completions": "Code completions",
    "ide_chat": "IDE chat",
    "dotcom_chat": "github.com chat",
    "pull_requests": "PR summaries",
}
COLORS = {
    "active": "#0969da",
    "engaged": "#1a7f37",
    "suggested": "#afb8c1",
    "accepted": "#0969da",
    "data": "#2da44e",
    "missing": "#cf222e",
}
PERCENT = ".0%"
#: Axis labels of counts: 0, 50k, 1.5M (d3's SI prefixes, without a "0k" at the origin).
SI_LABELS = "datum.value == 0 ? '0' : format(datum.value, '~s')"
PERCENT_TIP = ".1%"
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _alt() -> Any:
    try:
        import altair
    except ImportError as exc:  # pragma: no cover - exercised without the extra only
        raise cm.CopilotMetricsError(
            "charts need altair", hint='pip install "copilot-metrics[cli]"'
        ) from exc
    return altair


def _frame(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    return frame.collect() if isinstance(frame, pl.LazyFrame) else frame


def _require(frame: pl.DataFrame, columns: Sequence[str], what: str, made_by: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise cm.CopilotMetricsError(
            f"{what}: the frame has no column {', '.join(repr(c) for c in missing)}",
            column=missing[0],
            hint=f"pass the frame returned by {made_by}",
        )


def scope_label() -> pl.Expr:
    """An expression naming each row's scope: ``enterprise/org/team`` without the nulls.

    Rows without any scope label are named ``all data``.
    """
    parts = [pl.col(c) for c in SCOPE_COLUMNS]
    label = pl.concat_str(parts, separator="/", ignore_nulls=True)
    return pl.when(label.str.len_chars() > 0).then(label).otherwise(pl.lit("all data")).alias("scope")


def _with_scope(frame: pl.DataFrame) -> pl.DataFrame:
    for column in SCOPE_COLUMNS:
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(column))
    return frame.with_columns(scope_label())


def _one_scope(frame: pl.DataFrame, what: str) -> str:
    scopes = frame.get_column("scope").unique(maintain_order=True).to_list()
    if len(scopes) > 1:
        raise cm.CopilotMetricsError(
            f"{what}: the frame holds {len(scopes)} scopes ({', '.join(map(str, scopes[:5]))}); "
            "this chart draws one",
            hint="filter the frame to one scope first, e.g. frame.filter(pl.col('team').is_null())",
        )
    return str(scopes[0]) if scopes else "all data"


def _fill_periods(frame: pl.DataFrame) -> pl.DataFrame:
    """Add back the periods missing from a daily or weekly frame, as rows of nulls.

    A period absent from the frame is a gap; without a row, a line would be drawn straight
    across it. Monthly and quarterly frames are left as they are.
    """
    if frame.height < 2:
        return frame
    steps = (
        frame.sort("scope", "period_start")
        .select(pl.col("period_start").diff().over("scope").dt.total_days().alias("step"))
        .drop_nulls()
        .filter(pl.col("step") > 0)
        .get_column("step")
    )
    if steps.is_empty():
        return frame
    step = int(steps.min())  # type: ignore[arg-type]
    if step not in (1, 7) or (steps % step != 0).any():
        return frame
    ranges = frame.group_by("scope", *SCOPE_COLUMNS).agg(
        pl.date_ranges(pl.col("period_start").min(), pl.col("period_start").max(), f"{step}d").first()
        .alias("period_start")
    ).explode("period_start")
    return ranges.join(frame.drop(*SCOPE_COLUMNS), on=["scope", "period_start"], how="left").sort(
        "scope", "period_start"
    )


def _facet_scopes(chart: Any, frame: pl.DataFrame, *, independent_y: bool = True) -> Any:
    """One panel per scope when the frame holds several; the chart as it is otherwise."""
    if frame.get_column("scope").n_unique() <= 1:
        return chart
    alt = _alt()
    header = alt.Header(labelOrient="top", labelAnchor="start", labelAngle=0, labelFontWeight="bold",
                        labelFontSize=12)
    faceted = chart.facet(row=alt.Row("scope:N", title=None, header=header))
    if independent_y:
        faceted = faceted.resolve_scale(y="independent")
    return faceted


def _dimension(frame: pl.DataFrame, by: str | None, what: str) -> str:
    if by is not None:
        _require(frame, [by], what, "the metric function called with that 'by'")
        return by
    for column in DIMENSIONS:
        if column in frame.columns:
            return column
    raise cm.CopilotMetricsError(
        f"{what}: the frame has none of the columns {', '.join(DIMENSIONS)}",
        hint="compute it by one dimension, e.g. cm.acceptance(ds, by='language')",
    )


def _whole_range(frame: pl.DataFrame, what: str) -> None:
    if "period_start" in frame.columns:
        raise cm.CopilotMetricsError(
            f"{what}: the frame has one row per period; this chart shows the whole range",
            column="period_start",
            hint="compute it with every=None, or filter one period and drop 'period_start'",
        )


#: Legend entries of the period marks: a complete period is a filled point on the line, a partial
#: one (running past the scope's loaded range, ``period_complete`` false) a hollow point off it.
PERIODS = ("complete period", "partial period")


def _mark_partial(frame: pl.DataFrame, values: Sequence[str]) -> pl.DataFrame:
    """Add ``period`` (:data:`PERIODS`) and, for the lines, ``<value>_line``: null on partial periods.

    A frame without ``period_complete`` (made before it existed) has complete periods only.
    """
    complete = pl.col("period_complete").fill_null(True) if "period_complete" in frame.columns else pl.lit(True)
    return frame.with_columns(
        pl.when(complete).then(pl.lit(PERIODS[0])).otherwise(pl.lit(PERIODS[1])).alias("period"),
        *(pl.when(complete).then(pl.col(v)).alias(f"{v}_line") for v in values),
    )


def _period_marks(alt: Any) -> dict[str, Any]:
    """The encodings telling complete from partial periods on a point layer."""
    return {
        "fillOpacity": alt.FillOpacity("period:N", title=None, scale=alt.Scale(domain=list(PERIODS), range=[1, 0]),
                                       legend=alt.Legend(symbolType="circle", symbolStrokeColor="#57606a")),
    }


# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------


def adoption_trend(frame: pl.DataFrame | pl.LazyFrame, *, title: str | None = None) -> Chart:
    """Active and engaged users per period: the daily mean (solid) and the daily peak (dashed).

    Parameters
    ----------
    frame
        ``cm.adoption(ds, every=...)`` (``"1d"``, ``"1w"``, ``"1mo"`` or ``"1q"``): columns
        ``period_start``, ``active_users_mean``, ``active_users_peak``, ``engaged_users_mean``
        and ``engaged_users_peak``. Several scopes give one panel each, with its own y scale.
    title
        Chart title; a default says what is drawn.

    Returns
    -------
    altair.Chart or altair.FacetChart
        A line chart with points: x ``period_start``, y ``users``, colour ``series`` (active or
        engaged), dash ``statistic`` (daily mean or daily peak). Periods without data keep null
        users, so the lines break there.
    """
    alt = _alt()
    what = "adoption_trend"
    data = _with_scope(_frame(frame))
    values = ["active_users_mean", "active_users_peak", "engaged_users_mean", "engaged_users_peak"]
    _require(data, ["period_start", *values], what, "cm.adoption(ds, every='1w')")
    extra = [c for c in ("days_in_period", "days_with_data", "days_missing") if c in data.columns]
    partial = ["period_complete"] if "period_complete" in data.columns else []
    data = _fill_periods(data.select("scope", *SCOPE_COLUMNS, "period_start", *extra, *partial, *values))
    data = _mark_partial(data, values)
    long = data.unpivot(index=["scope", "period_start", "period", *extra], on=values, variable_name="measure",
                        value_name="users").with_columns(
        pl.when(pl.col("measure").str.starts_with("active")).then(pl.lit("Active users"))
        .otherwise(pl.lit("Engaged users")).alias("series"),
        pl.when(pl.col("measure").str.ends_with("_mean")).then(pl.lit("daily mean"))
        .otherwise(pl.lit("daily peak")).alias("statistic"),
    )
    # the lines join complete periods only: a partial period is a hollow point, not a plunge or spike
    lines_of = data.select("scope", "period_start", *(f"{v}_line" for v in values)).unpivot(
        index=["scope", "period_start"], variable_name="measure", value_name="users_line").with_columns(
        pl.col("measure").str.strip_suffix("_line"))
    long = long.join(lines_of, on=["scope", "period_start", "measure"], how="left").drop("measure")
    tooltip = [
        alt.Tooltip("scope:N", title="Scope"),
        alt.Tooltip("period_start:T", title="Period start", format="%Y-%m-%d"),
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("statistic:N", title="Statistic"),
        alt.Tooltip("users:Q", title="Users", format=",.1f"),
        alt.Tooltip("period:N", title="Period"),
        *(alt.Tooltip(f"{c}:Q", title=c.replace("_", " ").capitalize()) for c in extra),
    ]
    series = alt.Scale(domain=["Active users", "Engaged users"], range=[COLORS["active"], COLORS["engaged"]])
    base = alt.Chart(long, width=640, height=220).encode(
        x=alt.X("period_start:T", title="Period start", axis=alt.Axis(labelAngle=0, labelOverlap=True)),
        y=alt.Y("users:Q", title="Users (distinct, per day)"),
        color=alt.Color("series:N", title=None, scale=series),
        tooltip=tooltip,
    )
    # the points are a layer of their own: on a line mark with points, the dash legend loses its strokes
    lines = base.mark_line(invalid="break-paths-show-domains", strokeWidth=2).encode(
        y=alt.Y("users_line:Q", title="Users (distinct, per day)"),
        strokeDash=alt.StrokeDash("statistic:N", title=None, scale=alt.Scale(
            domain=["daily mean", "daily peak"], range=[[1, 0], [5, 3]]),
            legend=alt.Legend(symbolType="stroke", symbolStrokeColor="#57606a", symbolStrokeWidth=2)),
    )
    points = base.mark_point(filled=True, size=24, strokeWidth=1.5, invalid="filter").encode(
        stroke=alt.Stroke("series:N", scale=series, legend=None), **_period_marks(alt))
    chart = alt.layer(lines, points)
    chart = _facet_scopes(chart, long)
    return chart.properties(  # type: ignore[no-any-return]
        title=title or "Active and engaged users: daily mean and peak per period (gaps are days without data; "
        "hollow points are partial periods)"
    )


def feature_adoption(frame: pl.DataFrame | pl.LazyFrame, *, title: str | None = None) -> Chart:
    """The share of engaged users who used each feature (code completions, IDE chat, ...).

    A feature's share is its engaged user-days over all engaged user-days, as ``cm.adoption``
    computes it (``<feature>_share``): it says which part of the people engaging with Copilot
    use that feature. Features whose columns the frame lacks are left out.

    Parameters
    ----------
    frame
        ``cm.adoption(ds, every=...)``: one line per feature over ``period_start``; or
        ``cm.adoption(ds)`` (whole range): one bar per feature. Several scopes give one panel
        each.
    title
        Chart title.

    Returns
    -------
    altair.Chart or altair.FacetChart
        Rates as percentages (axis format ``%``); the mean engaged users of each feature are in
        the tooltip.
    """
    alt = _alt()
    what = "feature_adoption"
    data = _with_scope(_frame(frame))
    present = [f for f in FEATURES if f"{f}_share" in data.columns]
    if not present:
        _require(data, ["completions_share"], what, "cm.adoption(ds, every='1w')")
    per_period = "period_start" in data.columns
    if per_period:
        data = _mark_partial(data, [])
    index = ["scope", *SCOPE_COLUMNS] + (["period_start", "period"] if per_period else [])
    parts = [
        data.select(
            *index,
            pl.lit(FEATURES[f]).alias("feature"),
            pl.col(f"{f}_share").cast(pl.Float64).alias("share"),
            (pl.col(f"{f}_engaged_users_mean") if f"{f}_engaged_users_mean" in data.columns
             else pl.lit(None, dtype=pl.Float64)).cast(pl.Float64).alias("engaged_users_mean"),
        )
        for f in present
    ]
    long = pl.concat(parts)
    domain = [FEATURES[f] for f in present]
    color = alt.Color("feature:N", title=None, scale=alt.Scale(domain=domain), sort=domain)
    tooltip: list[Any] = [
        alt.Tooltip("scope:N", title="Scope"),
        alt.Tooltip("feature:N", title="Feature"),
        alt.Tooltip("share:Q", title="Share of engaged users", format=PERCENT_TIP),
        alt.Tooltip("engaged_users_mean:Q", title="Engaged users (daily mean)", format=",.1f"),
    ]
    if per_period:
        long = pl.concat(
            [_fill_periods(long.filter(pl.col("feature") == name).drop("feature")).with_columns(
                pl.lit(name).alias("feature")) for name in domain]
        ).select("scope", "period_start", "period", "feature", "share", "engaged_users_mean").with_columns(
            pl.when(pl.col("period") != PERIODS[1]).then(pl.col("share")).alias("share_line"))
        base = alt.Chart(long, width=640, height=200).encode(
            x=alt.X("period_start:T", title="Period start", axis=alt.Axis(labelAngle=0, labelOverlap=True)),
            y=alt.Y("share:Q", title="Share of engaged users", axis=alt.Axis(format=PERCENT)),
            color=color,
            tooltip=[tooltip[0], alt.Tooltip("period_start:T", title="Period start", format="%Y-%m-%d"),
                     *tooltip[1:], alt.Tooltip("period:N", title="Period")],
        )
        # lines join complete periods only; a partial period is a hollow point
        chart = alt.layer(
            base.mark_line(invalid="break-paths-show-domains", strokeWidth=2).encode(
                y=alt.Y("share_line:Q", title="Share of engaged users", axis=alt.Axis(format=PERCENT))),
            base.mark_point(filled=True, size=30, strokeWidth=1.5, invalid="filter").encode(
                stroke=alt.Stroke("feature:N", scale=alt.Scale(domain=domain), legend=None), **_period_marks(alt)),
        )
    else:
        long = long.select("scope", "feature", "share", "engaged_users_mean")
        chart = alt.Chart(long, width=480, height=alt.Step(22)).mark_bar().encode(
            y=alt.Y("feature:N", title=None, sort=domain),
            x=alt.X("share:Q", title="Share of engaged users", axis=alt.Axis(format=PERCENT)),
            color=alt.Color("feature:N", legend=None, scale=alt.Scale(domain=domain)),
            tooltip=tooltip,
        )
    chart = _facet_scopes(chart, long, independent_y=False)
    return chart.properties(  # type: ignore[no-any-return]
        title=title or "Feature adoption: share of engaged users who used each feature"
    )


def _volume_and_rate(
    data: pl.DataFrame,
    dim: str,
    *,
    volume: Sequence[tuple[str, str, str]],
    rates: Sequence[tuple[str, str]],
    volume_title: str,
    rate_title: str,
    title: str,
) -> Chart:
    """Two panels sharing the dimension axis: volume bars (overlaid) and rate points."""
    alt = _alt()
    order = data.get_column(dim).cast(pl.String).to_list()
    y = alt.Y(f"{dim}:N", title=None, sort=order)  # the chart title names the dimension
    base = alt.Chart(data).properties(width=300, height=alt.Step(18))
    tooltip: list[Any] = [alt.Tooltip(f"{dim}:N", title=dim.capitalize())]
    tooltip += [alt.Tooltip(f"{c}:Q", title=label, format=",") for c, label, _ in volume]
    tooltip += [alt.Tooltip(f"{c}:Q", title=label, format=PERCENT_TIP) for c, label in rates]
    layers = [
        base.mark_bar(color=colour, opacity=0.9 if i else 1.0, height=alt.RelativeBandSize(0.8 - 0.35 * i))
        .encode(y=y, x=alt.X(f"{c}:Q", title=volume_title, axis=alt.Axis(labelExpr=SI_LABELS, tickCount=5)),
                tooltip=tooltip)
        for i, (c, _, colour) in enumerate(volume)
    ]
    volume_panel = alt.layer(*layers).properties(
        title=alt.TitleParams(" vs ".join(label for _, label, _ in volume), fontSize=12, fontWeight="normal")
    )
    names = [label for _, label in rates]
    rate_long = data.select(dim, *(pl.col(c).cast(pl.Float64).alias(label) for c, label in rates)).unpivot(
        index=dim, variable_name="rate", value_name="value"
    )
    rate_panel = alt.Chart(rate_long).mark_point(filled=True, size=70).encode(
        y=alt.Y(f"{dim}:N", title=None, sort=order, axis=alt.Axis(labels=False, ticks=False)),
        x=alt.X("value:Q", title=rate_title, axis=alt.Axis(format=PERCENT, tickCount=5),
                scale=alt.Scale(zero=True)),
        color=alt.Color("rate:N", title=None, scale=alt.Scale(
            domain=names, range=[COLORS["accepted"], COLORS["engaged"], "#8250df"][: len(names)])),
        shape=alt.Shape("rate:N", title=None, scale=alt.Scale(domain=names)),
        tooltip=[alt.Tooltip(f"{dim}:N", title=dim.capitalize()), alt.Tooltip("rate:N", title="Rate"),
                 alt.Tooltip("value:Q", title="Value", format=PERCENT_TIP)],
    ).properties(width=260, height=alt.Step(18), title=alt.TitleParams(
        rate_title, fontSize=12, fontWeight="normal"))
    return alt.hconcat(volume_panel, rate_panel, spacing=8).properties(title=title)  # type: ignore[no-any-return]


def acceptance(
    frame: pl.DataFrame | pl.LazyFrame, *, by: str | None = None, top: int | None = 15, title: str | None = None
) -> Chart:
    """Completion suggestions and acceptances beside the acceptance rates, one row per slice.

    Parameters
    ----------
    frame
        ``cm.acceptance(ds, by=...)`` over the whole range, for one scope: columns
        ``total_code_suggestions``, ``total_code_acceptances``, ``acceptance_rate`` and, when
        present, ``line_acceptance_rate``.
    by
        The dimension column; by default the first of ``language``, ``editor``, ``model``,
        ``repository`` the frame has.
    top
        Keep the `top` slices with the most suggestions (``None``: all).
    title
        Chart title.

    Returns
    -------
    altair.HConcatChart
        Left: suggestions (grey) and acceptances (blue) as overlaid bars, sorted by suggestions.
        Right: the acceptance rate and the line acceptance rate, as percentages. A slice with no
        suggestions has a null rate and no point.
    """
    what = "acceptance chart"
    data = _with_scope(_frame(frame))
    dim = _dimension(data, by, what)
    _require(data, ["total_code_suggestions", "total_code_acceptances", "acceptance_rate"], what,
             f"cm.acceptance(ds, by={dim!r})")
    _whole_range(data, what)
    scope = _one_scope(data, what)
    data = data.sort("total_code_suggestions", dim, descending=[True, False], nulls_last=True)
    if top is not None:
        data = data.head(top)
    rates = [("acceptance_rate", "Acceptance rate")]
    if "line_acceptance_rate" in data.columns:
        rates.append(("line_acceptance_rate", "Line acceptance rate"))
    data = data.select(dim, "total_code_suggestions", "total_code_acceptances", *(c for c, _ in rates))
    shown = f"top {top} by suggestions" if top is not None and data.height == top else "by suggestions"
    return _volume_and_rate(
        data, dim,
        volume=[("total_code_suggestions", "Suggestions", COLORS["suggested"]),
                ("total_code_acceptances", "Acceptances", COLORS["accepted"])],
        rates=rates, volume_title="Completions", rate_title="Rate (ratio of sums)",
        title=title or f"Code completion acceptance by {dim} ({shown}) — {scope}",
    )


def acceptance_by_language(
    frame: pl.DataFrame | pl.LazyFrame, *, top: int | None = 15, title: str | None = None
) -> Chart:
    """:func:`acceptance` of ``cm.acceptance(ds, by="language")``: the top languages by suggestions."""
    return acceptance(frame, by="language", top=top, title=title)


def acceptance_by_editor(
    frame: pl.DataFrame | pl.LazyFrame, *, top: int | None = None, title: str | None = None
) -> Chart:
    """:func:`acceptance` of ``cm.acceptance(ds, by="editor")``: every editor."""
    return acceptance(frame, by="editor", top=top, title=title)


def chat_use(
    frame: pl.DataFrame | pl.LazyFrame, *, by: str | None = None, top: int | None = 15, title: str | None = None
) -> Chart:
    """Chats, and the code they put into files, per editor (IDE chat) or model (github.com chat).

    Parameters
    ----------
    frame
        ``cm.chat(ds, by="editor")`` (chats, insertion and copy events, chat acceptance rate)
        or ``cm.dotcom_chat(ds)`` (chats only), over the whole range, for one scope.
    by
        The dimension column (default: the first of ``language``, ``editor``, ``model``,
        ``repository`` the frame has).
    top
        Keep the `top` slices with the most chats (``None``: all).
    title
        Chart title.

    Returns
    -------
    altair.HConcatChart or altair.LayerChart
        Chats (grey) with insertion plus copy events (blue) overlaid, and the chat acceptance
        rate (insertions + copies over chats, which can exceed 100 %) as a percentage. Without
        a rate column (github.com chat) only the chats are drawn.
    """
    alt = _alt()
    what = "chat chart"
    data = _with_scope(_frame(frame))
    dim = _dimension(data, by, what)
    _require(data, ["total_chats"], what, f"cm.chat(ds, by={dim!r}) or cm.dotcom_chat(ds)")
    _whole_range(data, what)
    scope = _one_scope(data, what)
    data = data.sort("total_chats", dim, descending=[True, False], nulls_last=True)
    if top is not None:
        data = data.head(top)
    surface = "IDE chat" if "chat_acceptance_rate" in data.columns else "github.com chat"
    default_title = f"{surface} use by {dim} — {scope}"
    if "chat_acceptance_rate" not in data.columns:
        order = data.get_column(dim).cast(pl.String).to_list()
        extra = [c for c in ("engaged_users_mean",) if c in data.columns]
        return alt.Chart(data.select(dim, "total_chats", *extra)).mark_bar(color=COLORS["accepted"]).encode(  # type: ignore[no-any-return]
            y=alt.Y(f"{dim}:N", title=None, sort=order),
            x=alt.X("total_chats:Q", title="Chats", axis=alt.Axis(labelExpr=SI_LABELS, tickCount=5)),
            tooltip=[alt.Tooltip(f"{dim}:N"), alt.Tooltip("total_chats:Q", title="Chats", format=","),
                     *(alt.Tooltip(f"{c}:Q", title="Engaged users (daily mean)", format=",.1f") for c in extra)],
        ).properties(width=480, height=alt.Step(18), title=title or default_title)
    events = [c for c in ("total_chat_insertion_events", "total_chat_copy_events") if c in data.columns]
    data = data.select(
        dim, "total_chats", pl.sum_horizontal(*events).alias("insertions_and_copies") if events
        else pl.lit(None, dtype=pl.Int64).alias("insertions_and_copies"), "chat_acceptance_rate"
    )
    return _volume_and_rate(
        data, dim,
        volume=[("total_chats", "Chats", COLORS["suggested"]),
                ("insertions_and_copies", "Insertions + copies", COLORS["accepted"])],
        rates=[("chat_acceptance_rate", "Chat acceptance rate")],
        volume_title="Events", rate_title="(insertions + copies) / chats",
        title=title or default_title,
    )


def _calendar_days(frame: pl.DataFrame) -> pl.DataFrame:
    rows = frame.select("scope", "first_date", "last_date", "missing_ranges").drop_nulls(["first_date", "last_date"])
    days = rows.select(
        "scope", pl.date_ranges("first_date", "last_date", "1d").alias("date")
    ).explode("date")
    missing = rows.select("scope", "missing_ranges").explode("missing_ranges").drop_nulls("missing_ranges").select(
        "scope", pl.date_ranges(pl.col("missing_ranges").struct.field("start"),
                                pl.col("missing_ranges").struct.field("end"), "1d").alias("date")
    ).explode("date").with_columns(pl.lit(True).alias("missing"))
    return days.join(missing, on=["scope", "date"], how="left").select(
        "scope",
        "date",
        (pl.col("date") - pl.duration(days=pl.col("date").dt.weekday() - 1)).alias("week_start"),
        pl.col("date").dt.weekday().alias("weekday_number"),
        pl.when(pl.col("missing").fill_null(False)).then(pl.lit("missing")).otherwise(pl.lit("data"))
        .alias("status"),
    ).with_columns(
        pl.col("week_start").dt.strftime("%Y-%m-%d").alias("week"),
        pl.col("weekday_number").replace_strict(dict(enumerate(_WEEKDAYS, start=1))).alias("weekday"),
    ).sort("scope", "date")


def coverage_calendar(frame: pl.DataFrame | pl.LazyFrame, *, title: str | None = None) -> Chart:
    """A calendar of the days each scope has data for, with its missing days marked.

    Parameters
    ----------
    frame
        ``cm.coverage(ds)``: per scope, ``first_date``, ``last_date`` and ``missing_ranges``.
    title
        Chart title.

    Returns
    -------
    altair.Chart or altair.FacetChart
        One cell per day from the scope's first to its last date: x the week (starting on
        Monday), y the weekday, colour ``status`` (``data`` or ``missing``). Several scopes give
        one row each.
    """
    alt = _alt()
    what = "coverage_calendar"
    data = _with_scope(_frame(frame))
    _require(data, ["first_date", "last_date", "missing_ranges"], what, "cm.coverage(ds)")
    days = _calendar_days(data)
    weeks = days.get_column("week").unique().sort().to_list()
    chart = alt.Chart(days, width=alt.Step(13), height=alt.Step(13)).mark_rect(
        stroke="white", strokeWidth=1.5, cornerRadius=2
    ).encode(
        x=alt.X("week:O", title="Week starting", sort=weeks,
                axis=alt.Axis(labelAngle=-60, labelOverlap=True, labelExpr="slice(datum.value, 5)")),
        y=alt.Y("weekday:O", title=None, sort=list(_WEEKDAYS)),
        color=alt.Color("status:N", title=None, scale=alt.Scale(
            domain=["data", "missing"], range=[COLORS["data"], COLORS["missing"]])),
        tooltip=[alt.Tooltip("scope:N", title="Scope"), alt.Tooltip("date:T", title="Date", format="%a %Y-%m-%d"),
                 alt.Tooltip("status:N", title="Status")],
    )
    chart = _facet_scopes(chart, days, independent_y=False)
    return chart.properties(  # type: ignore[no-any-return]
        title=title or "Coverage: days with data and missing days (missing days are gaps, not zeros)"
    )
