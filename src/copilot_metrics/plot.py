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
* :func:`acceptance_trend`: completion volume and acceptance rates per period.
* :func:`activity_trend`: IDE chats, github.com chats and PR summaries per period.
* :func:`pull_requests_by_repository`: PR summaries created per repository.
* :func:`coverage_calendar`: one cell per day, days with data and missing days, per scope.

Missing days are gaps: a period without data keeps null values (never zeros), so its lines break
there, and periods absent from a daily or weekly frame are added back as nulls. The period charts
draw each known break (:data:`copilot_metrics.KNOWN_BREAKS`) in their range as a dashed vertical
rule with its name: the series changes meaning or level there for reasons outside adoption (the
legacy API closed on 2026-04-02), so the values either side of it are not comparable. A frame holding
several scopes (an org and its teams) is drawn as one panel per scope where the chart allows it;
the per-slice charts take one scope (filter the frame first). A scope is named as every front end
names it (:func:`copilot_metrics.summary.scope_name`): ``enterprise/org/team`` without the null or
empty parts, ``all data`` when none.

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

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import polars as pl

import copilot_metrics as cm
from copilot_metrics.breaks import BREAK_SEPARATOR, KNOWN_BREAKS, breaks_between
from copilot_metrics.metrics._selection import FAMILY
from copilot_metrics.summary import ALL_DATA, SCOPE_COLUMNS, scope_label
from copilot_metrics.tables import FEATURES as TABLE_FEATURES

if TYPE_CHECKING:
    import altair as alt

    Chart: TypeAlias = "alt.Chart | alt.LayerChart | alt.HConcatChart | alt.FacetChart | alt.VConcatChart"

__all__ = [
    "acceptance",
    "acceptance_by_editor",
    "acceptance_by_language",
    "acceptance_trend",
    "activity_trend",
    "adoption_trend",
    "chat_use",
    "coverage_calendar",
    "date_format",
    "feature_adoption",
    "pull_requests_by_repository",
]

#: Dimensions a per-slice chart can be drawn by, in the order they are looked for.
DIMENSIONS = ("language", "editor", "model", "repository")
#: Feature prefixes of ``cm.adoption`` columns and the names shown for them.
FEATURES = {name: feature.label for name, feature in TABLE_FEATURES.items()}
#: Okabe and Ito's colour-blind-safe palette: every series and status is told apart by people
#: with any common colour vision deficiency (and by shape or dash where two series meet).
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "grey": "#9E9E9E",
    "black": "#000000",
}
COLORS = {
    "active": PALETTE["blue"],
    "engaged": PALETTE["orange"],
    "suggested": "#BDBDBD",
    "accepted": PALETTE["blue"],
    "data": PALETTE["blue"],
    "missing": PALETTE["vermillion"],
    "break": PALETTE["black"],
}
#: The colours of the series of one chart, in order.
SERIES_COLORS = (
    PALETTE["blue"],
    PALETTE["orange"],
    PALETTE["green"],
    PALETTE["purple"],
    PALETTE["vermillion"],
    PALETTE["sky"],
)
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
        raise cm.CopilotMetricsError("charts need altair", hint='pip install "copilot-metrics[cli]"') from exc
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


def _with_scope(frame: pl.DataFrame) -> pl.DataFrame:
    for column in SCOPE_COLUMNS:
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(column))
    return frame.with_columns(scope_label())


def _one_scope(frame: pl.DataFrame, what: str) -> str:
    scopes = frame.get_column("scope").unique(maintain_order=True).to_list()
    if len(scopes) > 1:
        raise cm.CopilotMetricsError(
            f"{what}: the frame holds {len(scopes)} scopes ({', '.join(map(str, scopes[:5]))}); this chart draws one",
            hint="filter the frame to one scope first, e.g. frame.filter(pl.col('team').is_null())",
        )
    return str(scopes[0]) if scopes else ALL_DATA


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
    ranges = (
        frame.group_by("scope", *SCOPE_COLUMNS)
        .agg(
            pl.date_ranges(pl.col("period_start").min(), pl.col("period_start").max(), f"{step}d")
            .first()
            .alias("period_start")
        )
        .explode("period_start")
    )
    return ranges.join(frame.drop(*SCOPE_COLUMNS), on=["scope", "period_start"], how="left").sort(
        "scope", "period_start"
    )


def _facet_scopes(chart: Any, frame: pl.DataFrame, *, independent_y: bool = True) -> Any:
    """One panel per scope when the frame holds several; the chart as it is otherwise."""
    if frame.get_column("scope").n_unique() <= 1:
        return chart
    alt = _alt()
    header = alt.Header(labelOrient="top", labelAnchor="start", labelAngle=0, labelFontWeight="bold", labelFontSize=12)
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


def _period_points(
    alt: Any, field: str, domain: Sequence[str], colors: Sequence[str], data: pl.DataFrame
) -> dict[str, Any]:
    """Encodings of a point layer: filled in the series' colour, hollow on partial periods.

    A point of a partial period is white, outlined in its series' colour. One legend names the
    series and, when the data hold a partial period, ``partial period``. Besides the encodings,
    ``_marker`` is the expression of the fill field, ``_scale`` the outline's scale and ``_legend``
    the fill's legend, for the lines' colour to share (Vega-Lite then draws one legend).
    """
    partial = data.get_column("period").eq(PERIODS[1]).any() if "period" in data.columns else False
    keys = [*domain, PERIODS[1]] if partial else list(domain)
    fill = pl.when(pl.col("period") == PERIODS[1]).then(pl.lit(PERIODS[1])).otherwise(pl.col(field))
    scale = alt.Scale(domain=keys, range=[*colors[: len(domain)], "white"])
    outline = alt.Scale(domain=keys, range=[*colors[: len(domain)], "#57606a"])
    legend = alt.Legend(symbolType="circle", symbolStrokeColor="#57606a", symbolStrokeWidth=1.5, labelLimit=0)
    return {
        "_marker": fill,
        "_scale": outline,
        "_legend": legend,
        "fill": alt.Fill("_marker:N", title=None, scale=scale, legend=legend),
        # outlined in the series' colour; "partial period" is never a series, its grey outlines the legend's symbol
        "stroke": alt.Stroke(f"{field}:N", scale=outline, legend=None),
    }


def _step_days(frame: pl.DataFrame) -> int | None:
    """The smallest step between two periods of a scope, in days (None with a single period)."""
    steps = (
        frame.select("scope", "period_start")
        .unique()
        .sort("scope", "period_start")
        .select(pl.col("period_start").diff().over("scope").dt.total_days().alias("step"))
        .drop_nulls()
        .filter(pl.col("step") > 0)
        .get_column("step")
    )
    return None if steps.is_empty() else int(steps.min())  # type: ignore[arg-type]


def date_format(frame: pl.DataFrame) -> str:
    """The one date format of a period axis.

    With the year when the axis spans more than a year or the periods are months or quarters
    (``"%b %Y"``), day and month otherwise (``"%b %d"``).
    """
    dates = frame.get_column("period_start").drop_nulls()
    if dates.is_empty():
        return "%b %d"
    first, last = dates.min(), dates.max()
    span_days = (last - first).days if isinstance(first, datetime.date) and isinstance(last, datetime.date) else 0
    step = _step_days(frame) if "scope" in frame.columns else None
    return "%b %Y" if span_days > 365 or (step is not None and step >= 28) else "%b %d"


def _period_x(alt: Any, frame: pl.DataFrame) -> Any:
    """The period axis: a tick on each period's start (thinned where labels would overlap), one format."""
    starts = frame.get_column("period_start").drop_nulls().unique().sort().to_list()
    values = [alt.DateTime(year=d.year, month=d.month, date=d.day) for d in starts]
    return alt.X(
        "period_start:T",
        title="Period start",
        axis=alt.Axis(format=date_format(frame), labelAngle=0, labelOverlap=True, values=values or None),
    )


#: The period of a frame from the days between two of its periods (monthly and quarterly steps vary).
_STEP_PERIODS = {1: "1d", 7: "1w", **dict.fromkeys(range(28, 32), "1mo"), **dict.fromkeys(range(89, 93), "1q")}


def _breaks(*frames: pl.DataFrame) -> pl.DataFrame:
    """The known breaks a period chart of ``frames`` draws: ``break``, ``label``, ``date``, ``last``, ``description``.

    One row per break, in date order. A frame with a ``break`` column (every output of the
    metrics computed with ``every``) names the breaks in its periods; for a frame without it, the
    legacy breaks whose days meet the plotted range: the first period's start to the last
    period's last day. ``date`` is the break's first day (where its rule is drawn).
    """
    names: set[str] = set()
    for frame in frames:
        if "break" in frame.columns:
            named = frame.get_column("break").cast(pl.String).drop_nulls()
            names.update(named.str.split(BREAK_SEPARATOR).explode().to_list())
            continue
        starts = frame.get_column("period_start").drop_nulls()
        if starts.is_empty():
            continue
        first, last = starts.min(), starts.max()
        step = _step_days(frame)
        every = "1d" if step is None else _STEP_PERIODS.get(step, f"{step}d")
        end = pl.select(pl.lit(last).dt.offset_by(every) - pl.duration(days=1)).item()
        names.update(breaks_between(first, end, family=FAMILY))  # type: ignore[arg-type]
    chosen = [b for b in KNOWN_BREAKS if b.name in names]
    return pl.DataFrame(
        {
            "break": [b.name for b in chosen],
            "label": [b.name.replace("_", " ") for b in chosen],
            "date": [b.first for b in chosen],
            "last": [b.last for b in chosen],
            "description": [b.description for b in chosen],
        },
        schema={"break": pl.String, "label": pl.String, "date": pl.Date, "last": pl.Date, "description": pl.String},
    )


def _break_layers(alt: Any, breaks: pl.DataFrame) -> list[Any]:
    """A dashed rule and a label at each break of :func:`_breaks` (none without breaks)."""
    if breaks.is_empty():
        return []
    x = alt.X("date:T", title="Period start")
    tooltip = [
        alt.Tooltip("break:N", title="Known break"),
        alt.Tooltip("date:T", title="From", format="%Y-%m-%d"),
        alt.Tooltip("last:T", title="To", format="%Y-%m-%d"),
        alt.Tooltip("description:N", title="What changed"),
    ]
    rule = (
        alt.Chart(breaks)
        .mark_rule(color=COLORS["break"], strokeDash=[4, 3], strokeWidth=1.5)
        .encode(x=x, tooltip=tooltip)
    )
    label = (
        alt.Chart(breaks)
        .mark_text(
            color=COLORS["break"],
            angle=270,
            align="right",
            baseline="bottom",
            dx=-4,
            dy=-3,
            fontSize=10,
        )
        .encode(x=x, y=alt.value(0), text=alt.Text("label:N"), tooltip=tooltip)
    )
    return [rule, label]


def _titled(chart: Any, title: str | None, default: str, subtitle: str) -> Any:
    """The chart with ``title``, or with ``default`` and a subtitle saying how to read it."""
    alt = _alt()
    return chart.properties(title=title or alt.TitleParams(default, subtitle=subtitle, anchor="start"))


def _trend(
    long: pl.DataFrame,
    *,
    y_title: str,
    domain: Sequence[str],
    colors: Sequence[str],
    y_format: str | None = None,
    dash: tuple[str | None, Sequence[str]] | None = None,
    tooltip: Sequence[Any] = (),
    independent_y: bool = True,
    width: int = 640,
    height: int = 200,
    breaks: pl.DataFrame | None = None,
) -> Any:
    """Lines joining complete periods and a point per period (hollow when partial), one colour per series.

    ``long`` holds ``scope``, ``period_start``, ``period`` (:data:`PERIODS`), ``series``, ``value``
    and ``value_line`` (null on partial periods), and ``statistic`` when ``dash`` = (legend title,
    statistic names) draws each statistic with its own dash. ``breaks`` (:func:`_breaks`) adds a
    rule and a label layer, drawn on every scope's panel; none when it is empty.
    """
    alt = _alt()
    axis = alt.Axis(format=y_format) if y_format else alt.Axis(labelExpr=SI_LABELS)
    marks = _period_points(alt, "series", domain, colors, long)
    long = long.with_columns(marks.pop("_marker").alias("_marker"))
    fill_scale, legend = marks.pop("_scale"), marks.pop("_legend")
    # the data are the layer's, so that a facet splits them by scope (the breaks' layers have their own)
    base = alt.Chart(width=width, height=height).encode(
        x=_period_x(alt, long),
        tooltip=[
            alt.Tooltip("scope:N", title="Scope"),
            alt.Tooltip("period_start:T", title="Period start", format="%Y-%m-%d"),
            alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("value:Q", title=y_title, format=PERCENT_TIP if y_format else ",.1f"),
            alt.Tooltip("period:N", title="Period"),
            *tooltip,
        ],
    )
    # one legend names the series and partial periods: the lines' colour scale is the points' fill
    # scale, so that Vega-Lite merges the two legends
    line_encoding: dict[str, Any] = {
        "y": alt.Y("value_line:Q", title=y_title, axis=axis),
        "color": alt.Color("series:N", title=None, scale=fill_scale, legend=legend),
    }
    if dash is not None:
        names = list(dash[1])
        line_encoding["strokeDash"] = alt.StrokeDash(
            "statistic:N",
            title=dash[0],
            scale=alt.Scale(domain=names, range=[[1, 0], [5, 3]][: len(names)]),
            legend=alt.Legend(symbolType="stroke", symbolStrokeColor="#57606a", symbolStrokeWidth=2),
        )
    # the points are a layer of their own: on a line mark with points, the dash legend loses its strokes
    lines = base.mark_line(invalid="break-paths-show-domains", strokeWidth=2).encode(**line_encoding)
    points = base.mark_point(size=28, strokeWidth=1.5, opacity=1, invalid="filter").encode(
        y=alt.Y("value:Q", title=y_title, axis=axis), **marks
    )
    extra = _break_layers(alt, breaks) if breaks is not None else []
    return _facet_scopes(alt.layer(lines, points, *extra, data=long), long, independent_y=independent_y)


def _long_periods(data: pl.DataFrame, series: dict[str, str], extra: Sequence[str] = ()) -> pl.DataFrame:
    """``data`` (one row per scope and period) as one row per series: ``value`` and ``value_line``.

    ``series`` maps a column to its series name; periods absent from a daily or weekly frame come
    back as gaps (:func:`_fill_periods`), partial periods get no line (:func:`_mark_partial`).
    """
    columns = list(series)
    partial = ["period_complete"] if "period_complete" in data.columns else []
    keep = [c for c in extra if c in data.columns]
    frame = _fill_periods(data.select("scope", *SCOPE_COLUMNS, "period_start", *partial, *keep, *columns))
    frame = _mark_partial(frame, columns)
    values = frame.unpivot(
        index=["scope", "period_start", "period", *keep], on=columns, variable_name="column", value_name="value"
    )
    lines = frame.unpivot(
        index=["scope", "period_start"],
        on=[f"{c}_line" for c in columns],
        variable_name="column",
        value_name="value_line",
    ).with_columns(pl.col("column").str.strip_suffix("_line"))
    return values.join(lines, on=["scope", "period_start", "column"], how="left").with_columns(
        pl.col("value").cast(pl.Float64),
        pl.col("value_line").cast(pl.Float64),
        pl.col("column").replace_strict(series).alias("series"),
    )


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
    altair.LayerChart or altair.FacetChart
        Lines with points: x ``period_start`` (one date format, with the year when the axis spans
        more than a year), y the users, colour ``series`` (active or engaged), dash
        ``statistic`` (daily mean or daily peak; at ``every="1d"`` the mean and the peak are the
        day's value, drawn once as ``daily value``). Periods without data keep null users, so
        the lines break there; partial periods (``period_complete`` false) are hollow points that
        no line runs into. Each known break in the frame's periods (its ``break`` column) is a
        dashed rule at the break's first day, with its name.
    """
    what = "adoption_trend"
    data = _with_scope(_frame(frame))
    values = ["active_users_mean", "active_users_peak", "engaged_users_mean", "engaged_users_peak"]
    _require(data, ["period_start", *values], what, "cm.adoption(ds, every='1w')")
    alt = _alt()
    extra = ["days_in_period", "days_with_data", "days_missing"]
    daily = _step_days(data) == 1 or (
        data.height > 0 and "days_in_period" in data.columns and data.get_column("days_in_period").max() == 1
    )
    if daily:
        series = {"active_users_mean": "Active users|daily value", "engaged_users_mean": "Engaged users|daily value"}
        statistics = ["daily value"]
    else:
        series = {
            v: ("Active users|" if v.startswith("active") else "Engaged users|")
            + ("daily mean" if v.endswith("_mean") else "daily peak")
            for v in values
        }
        statistics = ["daily mean", "daily peak"]
    long = _long_periods(data, series, extra).with_columns(
        pl.col("series").str.split("|").list.get(1).alias("statistic"),
        pl.col("series").str.split("|").list.get(0).alias("series"),
    )
    chart = _trend(
        long,
        y_title="Users (distinct, per day)",
        domain=["Active users", "Engaged users"],
        colors=[COLORS["active"], COLORS["engaged"]],
        dash=(None, statistics),
        height=220,
        breaks=_breaks(data),
        tooltip=[
            alt.Tooltip("statistic:N", title="Statistic"),
            *(alt.Tooltip(f"{c}:Q", title=c.replace("_", " ").capitalize()) for c in extra if c in long.columns),
        ],
    )
    default = (
        "Active and engaged users per day" if daily else "Active and engaged users: daily mean and peak per period"
    )
    return _titled(  # type: ignore[no-any-return]
        chart,
        title,
        default,
        "Gaps are days without data; hollow points are partial periods.",
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
        the tooltip. Per period, each known break in the frame's periods is a dashed rule with its
        name.
    """
    alt = _alt()
    what = "feature_adoption"
    data = _with_scope(_frame(frame))
    present = [f for f in FEATURES if f"{f}_share" in data.columns]
    if not present:
        _require(data, ["completions_share"], what, "cm.adoption(ds, every='1w')")
    domain = [FEATURES[f] for f in present]
    if "period_start" in data.columns:
        # one line per feature; lines join complete periods only, a partial period is a hollow point
        trend = _trend(
            _long_periods(data, {f"{f}_share": FEATURES[f] for f in present}),
            y_title="Share of engaged users",
            domain=domain,
            colors=SERIES_COLORS,
            y_format=PERCENT,
            independent_y=False,
            breaks=_breaks(data),
        )
        return _titled(  # type: ignore[no-any-return]
            trend,
            title,
            "Feature adoption: share of engaged users who used each feature",
            "Engaged user-days of the feature over all engaged user-days; hollow points are partial periods.",
        )
    long = pl.concat(
        [
            data.select(
                "scope",
                *SCOPE_COLUMNS,
                pl.lit(FEATURES[f]).alias("feature"),
                pl.col(f"{f}_share").cast(pl.Float64).alias("share"),
                (
                    pl.col(f"{f}_engaged_users_mean")
                    if f"{f}_engaged_users_mean" in data.columns
                    else pl.lit(None, dtype=pl.Float64)
                )
                .cast(pl.Float64)
                .alias("engaged_users_mean"),
            )
            for f in present
        ]
    ).select("scope", "feature", "share", "engaged_users_mean")
    chart = (
        alt.Chart(long, width=480, height=alt.Step(22))
        .mark_bar()
        .encode(
            y=alt.Y("feature:N", title=None, sort=domain),
            x=alt.X("share:Q", title="Share of engaged users", axis=alt.Axis(format=PERCENT)),
            color=alt.Color(
                "feature:N", legend=None, scale=alt.Scale(domain=domain, range=list(SERIES_COLORS[: len(domain)]))
            ),
            tooltip=[
                alt.Tooltip("scope:N", title="Scope"),
                alt.Tooltip("feature:N", title="Feature"),
                alt.Tooltip("share:Q", title="Share of engaged users", format=PERCENT_TIP),
                alt.Tooltip("engaged_users_mean:Q", title="Engaged users (daily mean)", format=",.1f"),
            ],
        )
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
    """Two panels sharing the dimension axis: volume bars (overlaid) and rate points.

    Both panels have a legend. Beside the rates stands the volume their denominator counts (the
    first ``volume`` column), so that a rate over a few hundred events is not read as a leader.
    """
    alt = _alt()
    order = data.get_column(dim).cast(pl.String).to_list()
    y = alt.Y(f"{dim}:N", title=None, sort=order)  # the chart title names the dimension
    tooltip: list[Any] = [alt.Tooltip(f"{dim}:N", title=dim.capitalize())]
    tooltip += [alt.Tooltip(f"{c}:Q", title=label, format=",") for c, label, _ in volume]
    tooltip += [alt.Tooltip(f"{c}:Q", title=label, format=PERCENT_TIP) for c, label in rates]
    bars = alt.Scale(domain=[label for _, label, _ in volume], range=[colour for _, _, colour in volume])
    # one row per slice and volume column, so that the bars' colours have a legend
    long = data.unpivot(index=dim, on=[c for c, _, _ in volume], variable_name="measure", value_name="count")
    long = long.with_columns(pl.col("measure").replace_strict({c: label for c, label, _ in volume})).join(
        data, on=dim, how="left"
    )
    layers = [
        alt.Chart(long)
        .transform_filter(alt.datum.measure == label)
        .mark_bar(opacity=0.9 if i else 1.0, height=alt.RelativeBandSize(0.8 - 0.35 * i))
        .encode(
            y=y,
            x=alt.X("count:Q", title=volume_title, axis=alt.Axis(labelExpr=SI_LABELS, tickCount=5)),
            color=alt.Color("measure:N", title=None, scale=bars, legend=alt.Legend(orient="bottom")),
            tooltip=tooltip,
        )
        .properties(width=300, height=alt.Step(18))
        for i, (_, label, _) in enumerate(volume)
    ]
    volume_panel = alt.layer(*layers).properties(
        title=alt.TitleParams(" vs ".join(label for _, label, _ in volume), fontSize=12, fontWeight="normal")
    )
    names = [label for _, label in rates]
    denominator, denominator_label = volume[0][0], volume[0][1].lower()
    rate_long = data.select(dim, denominator, *(pl.col(c).cast(pl.Float64).alias(label) for c, label in rates)).unpivot(
        index=[dim, denominator], variable_name="rate", value_name="value"
    )
    rate_y = alt.Y(f"{dim}:N", title=None, sort=order, axis=alt.Axis(labels=False, ticks=False))
    points = (
        alt.Chart(rate_long)
        .mark_point(filled=True, size=70)
        .encode(
            y=rate_y,
            x=alt.X(
                "value:Q", title=rate_title, axis=alt.Axis(format=PERCENT, tickCount=5), scale=alt.Scale(zero=True)
            ),
            color=alt.Color(
                "rate:N",
                title=None,
                scale=alt.Scale(
                    domain=names, range=[PALETTE["blue"], PALETTE["vermillion"], PALETTE["green"]][: len(names)]
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            shape=alt.Shape("rate:N", title=None, scale=alt.Scale(domain=names), legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip(f"{dim}:N", title=dim.capitalize()),
                alt.Tooltip("rate:N", title="Rate"),
                alt.Tooltip("value:Q", title="Value", format=PERCENT_TIP),
                alt.Tooltip(f"{denominator}:Q", title=f"Over {denominator_label}", format=","),
            ],
        )
    )
    # the count each rate stands on, at the panel's right edge
    counts = (
        alt.Chart(data.select(dim, denominator))
        .mark_text(align="left", dx=6, fontSize=10, color="#59636e")
        .encode(y=rate_y, x=alt.value(260), text=alt.Text(f"{denominator}:Q", format=".3~s"))
    )
    rate_panel = alt.layer(points, counts).properties(
        width=260,
        height=alt.Step(18),
        title=alt.TitleParams(
            f"{rate_title} (right: {denominator_label} it stands on)", fontSize=12, fontWeight="normal"
        ),
    )
    return (  # type: ignore[no-any-return]
        alt.hconcat(volume_panel, rate_panel, spacing=8)
        .resolve_scale(color="independent", shape="independent")
        .properties(title=title)
    )


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
    _require(
        data,
        ["total_code_suggestions", "total_code_acceptances", "acceptance_rate"],
        what,
        f"cm.acceptance(ds, by={dim!r})",
    )
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
        data,
        dim,
        volume=[
            ("total_code_suggestions", "Suggestions", COLORS["suggested"]),
            ("total_code_acceptances", "Acceptances", COLORS["accepted"]),
        ],
        rates=rates,
        volume_title="Completions",
        rate_title="Rate (ratio of sums)",
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
        return (  # type: ignore[no-any-return]
            alt.Chart(data.select(dim, "total_chats", *extra))
            .mark_bar(color=COLORS["accepted"])
            .encode(
                y=alt.Y(f"{dim}:N", title=None, sort=order),
                x=alt.X("total_chats:Q", title="Chats", axis=alt.Axis(labelExpr=SI_LABELS, tickCount=5)),
                tooltip=[
                    alt.Tooltip(f"{dim}:N"),
                    alt.Tooltip("total_chats:Q", title="Chats", format=","),
                    *(alt.Tooltip(f"{c}:Q", title="Engaged users (daily mean)", format=",.1f") for c in extra),
                ],
            )
            .properties(width=480, height=alt.Step(18), title=title or default_title)
        )
    events = [c for c in ("total_chat_insertion_events", "total_chat_copy_events") if c in data.columns]
    data = data.select(
        dim,
        "total_chats",
        pl.sum_horizontal(*events).alias("insertions_and_copies")
        if events
        else pl.lit(None, dtype=pl.Int64).alias("insertions_and_copies"),
        "chat_acceptance_rate",
    )
    return _volume_and_rate(
        data,
        dim,
        volume=[
            ("total_chats", "Chats", COLORS["suggested"]),
            ("insertions_and_copies", "Insertions + copies", COLORS["accepted"]),
        ],
        rates=[("chat_acceptance_rate", "Chat acceptance rate")],
        volume_title="Events",
        rate_title="(insertions + copies) / chats",
        title=title or default_title,
    )


def acceptance_trend(frame: pl.DataFrame | pl.LazyFrame, *, title: str | None = None) -> Chart:
    """Code completion volume and acceptance rates per period.

    Parameters
    ----------
    frame
        ``cm.acceptance(ds, by=None, every=...)``: columns ``period_start``, the four sums
        (suggestions, acceptances, lines suggested, lines accepted), ``acceptance_rate`` and
        ``line_acceptance_rate``. Several scopes give one panel each.
    title
        Chart title.

    Returns
    -------
    altair.VConcatChart
        Top: the volume per period (suggestions, acceptances, lines suggested, lines accepted);
        bottom: the acceptance rate and the line acceptance rate (ratios of the period's sums),
        as percentages. Lines join complete periods; partial periods are hollow points. Each
        known break in the frame's periods is a dashed rule with its name, on both panels.
    """
    alt = _alt()
    what = "acceptance_trend"
    data = _with_scope(_frame(frame))
    volume = {
        "total_code_suggestions": "Suggestions",
        "total_code_acceptances": "Acceptances",
        "total_code_lines_suggested": "Lines suggested",
        "total_code_lines_accepted": "Lines accepted",
    }
    rates = {"acceptance_rate": "Acceptance rate", "line_acceptance_rate": "Line acceptance rate"}
    _require(data, ["period_start", *volume, *rates], what, "cm.acceptance(ds, by=None, every='1w')")
    breaks = _breaks(data)
    counts = _trend(
        _long_periods(data, volume),
        y_title="Completions per period",
        domain=list(volume.values()),
        colors=SERIES_COLORS,
        height=180,
        breaks=breaks,
    )
    ratios = _trend(
        _long_periods(data, rates),
        y_title="Rate (ratio of sums)",
        domain=list(rates.values()),
        colors=(PALETTE["blue"], PALETTE["vermillion"]),
        y_format=PERCENT,
        height=160,
        breaks=breaks,
    )
    chart = alt.vconcat(counts, ratios, spacing=16).resolve_scale(
        color="independent", fill="independent", stroke="independent"
    )
    return _titled(  # type: ignore[no-any-return]
        chart,
        title,
        "Code completions per period: volume and acceptance rates",
        "Rates are the period's Σ acceptances / Σ suggestions (and lines); hollow points are partial periods.",
    )


#: The event series of :func:`activity_trend`: argument -> (column, series name).
ACTIVITY = {
    "chat": ("total_chats", "IDE chats"),
    "dotcom_chat": ("total_chats", "github.com chats"),
    "pull_requests": ("total_pr_summaries_created", "PR summaries"),
}


def activity_trend(
    chat: pl.DataFrame | pl.LazyFrame | None = None,
    dotcom_chat: pl.DataFrame | pl.LazyFrame | None = None,
    pull_requests: pl.DataFrame | pl.LazyFrame | None = None,
    *,
    title: str | None = None,
) -> Chart:
    """Chats and PR summaries per period: one line per surface.

    Parameters
    ----------
    chat, dotcom_chat, pull_requests
        ``cm.chat(ds, by=None, every=...)``, ``cm.dotcom_chat(ds, by=None, every=...)``,
        ``cm.pull_requests(ds, by=None, every=...)`` (at least one), with the same ``every``.
        Several scopes give one panel each.
    title
        Chart title.

    Returns
    -------
    altair.LayerChart or altair.FacetChart
        IDE chats, github.com chats and PR summaries created, per period (Σ over the period's
        days); a period whose count is null (no day reports it) is a gap, partial periods are
        hollow points. Each known break in the frames' periods is a dashed rule with its name.
    """
    what = "activity_trend"
    given = {"chat": chat, "dotcom_chat": dotcom_chat, "pull_requests": pull_requests}
    frames = {name: _with_scope(_frame(f)) for name, f in given.items() if f is not None}
    if not frames:
        raise cm.CopilotMetricsError(
            f"{what}: give at least one of chat, dotcom_chat, pull_requests",
            hint="e.g. plot.activity_trend(chat=cm.chat(ds, by=None, every='1w'))",
        )
    keys = ["scope", *SCOPE_COLUMNS, "period_start"]
    wide: pl.DataFrame | None = None
    for name, data in frames.items():
        column, series = ACTIVITY[name]
        _require(data, ["period_start", column], what, f"cm.{name}(ds, by=None, every='1w')")
        part = data.select(
            *keys, *(["period_complete"] if "period_complete" in data.columns else []), pl.col(column).alias(series)
        )
        wide = part if wide is None else wide.join(part, on=keys, how="full", coalesce=True, nulls_equal=True)
        if "period_complete_right" in wide.columns:
            wide = wide.with_columns(
                pl.coalesce("period_complete", "period_complete_right").alias("period_complete")
            ).drop("period_complete_right")
    assert wide is not None
    names = [ACTIVITY[n][1] for n in frames]
    chart = _trend(
        _long_periods(wide, dict(zip(names, names, strict=True))),
        y_title="Events per period",
        domain=names,
        colors=(PALETTE["blue"], PALETTE["orange"], PALETTE["green"]),
        height=180,
        breaks=_breaks(*frames.values()),
    )
    return _titled(  # type: ignore[no-any-return]
        chart,
        title,
        "Chats and PR summaries per period",
        "Σ over the period's days; gaps are periods no day reports; hollow points are partial periods.",
    )


def pull_requests_by_repository(
    frame: pl.DataFrame | pl.LazyFrame, *, top: int | None = 15, title: str | None = None
) -> Chart:
    """PR summaries created per repository, with the repository's users in the tooltip.

    Parameters
    ----------
    frame
        ``cm.pull_requests(ds, by="repository")`` over the whole range, for one scope.
    top
        Keep the `top` repositories with the most summaries (``None``: all).
    title
        Chart title.

    Returns
    -------
    altair.Chart
        One bar per repository (a repository named ``""`` in the data is shown as ``(no name)``).
    """
    alt = _alt()
    what = "pull_requests_by_repository"
    data = _with_scope(_frame(frame))
    _require(data, ["repository", "total_pr_summaries_created"], what, "cm.pull_requests(ds, by='repository')")
    _whole_range(data, what)
    scope = _one_scope(data, what)
    data = data.sort("total_pr_summaries_created", "repository", descending=[True, False], nulls_last=True)
    if top is not None:
        data = data.head(top)
    data = data.with_columns(
        pl.when(pl.col("repository").fill_null("") == "")
        .then(pl.lit("(no name)"))
        .otherwise(pl.col("repository"))
        .alias("repository")
    )
    extra = [c for c in ("engaged_users_mean", "engaged_users_peak") if c in data.columns]
    order = data.get_column("repository").to_list()
    shown = f"top {top}" if top is not None and data.height == top else "all"
    return (  # type: ignore[no-any-return]
        alt.Chart(data.select("repository", "total_pr_summaries_created", *extra))
        .mark_bar(color=PALETTE["blue"])
        .encode(
            y=alt.Y("repository:N", title=None, sort=order),
            x=alt.X(
                "total_pr_summaries_created:Q",
                title="PR summaries created",
                axis=alt.Axis(labelExpr=SI_LABELS, tickCount=5),
            ),
            tooltip=[
                alt.Tooltip("repository:N", title="Repository"),
                alt.Tooltip("total_pr_summaries_created:Q", title="PR summaries", format=","),
                *(alt.Tooltip(f"{c}:Q", title=c.replace("_", " ").capitalize(), format=",.1f") for c in extra),
            ],
        )
        .properties(
            width=480,
            height=alt.Step(18),
            title=title or f"PR summaries by repository ({shown}, by summaries) — {scope}",
        )
    )


def _calendar_days(frame: pl.DataFrame) -> pl.DataFrame:
    rows = frame.select("scope", "first_date", "last_date", "missing_ranges").drop_nulls(["first_date", "last_date"])
    days = rows.select("scope", pl.date_ranges("first_date", "last_date", "1d").alias("date")).explode("date")
    missing = (
        rows.select("scope", "missing_ranges")
        .explode("missing_ranges")
        .drop_nulls("missing_ranges")
        .select(
            "scope",
            pl.date_ranges(
                pl.col("missing_ranges").struct.field("start"), pl.col("missing_ranges").struct.field("end"), "1d"
            ).alias("date"),
        )
        .explode("date")
        .with_columns(pl.lit(True).alias("missing"))
    )
    return (
        days.join(missing, on=["scope", "date"], how="left")
        .select(
            "scope",
            "date",
            (pl.col("date") - pl.duration(days=pl.col("date").dt.weekday() - 1)).alias("week_start"),
            pl.col("date").dt.weekday().alias("weekday_number"),
            pl.when(pl.col("missing").fill_null(False))
            .then(pl.lit("missing"))
            .otherwise(pl.lit("data"))
            .alias("status"),
        )
        .with_columns(
            pl.col("week_start").dt.strftime("%Y-%m-%d").alias("week"),
            pl.col("weekday_number").replace_strict(dict(enumerate(_WEEKDAYS, start=1))).alias("weekday"),
        )
        .sort("scope", "date")
    )


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
    # one label format: month-day, or the whole date when the weeks span more than a year
    first, last = (datetime.date.fromisoformat(weeks[i]) for i in (0, -1)) if weeks else (None, None)
    long_span = first is not None and last is not None and (last - first).days > 365
    chart = (
        alt.Chart(days, width=alt.Step(13), height=alt.Step(13))
        .mark_rect(stroke="white", strokeWidth=1.5, cornerRadius=2)
        .encode(
            x=alt.X(
                "week:O",
                title="Week starting",
                sort=weeks,
                axis=alt.Axis(
                    labelAngle=-60, labelOverlap=True, labelExpr="datum.value" if long_span else "slice(datum.value, 5)"
                ),
            ),
            y=alt.Y("weekday:O", title=None, sort=list(_WEEKDAYS)),
            color=alt.Color(
                "status:N",
                title=None,
                scale=alt.Scale(domain=["data", "missing"], range=[COLORS["data"], COLORS["missing"]]),
            ),
            tooltip=[
                alt.Tooltip("scope:N", title="Scope"),
                alt.Tooltip("date:T", title="Date", format="%a %Y-%m-%d"),
                alt.Tooltip("status:N", title="Status"),
            ],
        )
    )
    chart = _facet_scopes(chart, days, independent_y=False)
    return chart.properties(  # type: ignore[no-any-return]
        title=title or "Coverage: days with data and missing days (missing days are gaps, not zeros)"
    )
