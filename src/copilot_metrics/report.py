"""A self-contained HTML report of a dataset: summary numbers, every chart, findings, conflicts, coverage.

:func:`render` returns the report as one HTML string and :func:`write` saves it. The file opens
offline: the charts of :mod:`copilot_metrics.plot` are drawn to inline SVG by ``vl-convert``
(no JavaScript, no CDN), the style sheet is inline, and nothing refers to the network.

First an overview table puts every scope side by side. Then, for each scope (an org, a team, an
enterprise), the summary numbers over the whole range (days with data and missing, active and
engaged users as daily mean and peak, engagement rate, completion and line acceptance rates, chat
acceptance, PR summaries, and the activation rate when seats are given), then the trends per
period (adoption, feature adoption, completion volume and acceptance rates, chats and PR
summaries), the acceptance by language and by editor, the IDE chat by editor, the github.com chat
by model and the PR summaries by repository. Then, for the whole dataset: the coverage calendar
and table, the findings, the conflicts between exports, the quarantined days and the files read.
When the dataset holds GitHub's successor usage-metrics reports, a section "Usage-metrics reports"
follows (:func:`successor_section`): distinct active users per scope over the loaded range, per
ISO week and per month (partial periods marked) and per day (a chart with the known breaks drawn
as rules), code completion acceptance (``code_completion`` rows only), IDE-agent and any-agent
adoption (with the users whose flags are not reported), the continuity table (when legacy days
are loaded too: ``cm.continuity``) and the known breaks; every table says what it stands on
(report family, scope, days covered, ``min_users`` suppression).  A dataset without reports
gets the report it always got. The report says when and by which version it was generated, and
names no absolute path of the machine that made it (paths are relative to the folder the files share).

Needs the ``cli`` extra (``pip install "copilot-metrics[cli]"``: altair and vl-convert-python),
imported when a function is called.

Examples
--------
>>> import copilot_metrics as cm
>>> from copilot_metrics import report
>>> html = report.render(cm.load(cm.examples.sources()))  # doctest: +SKIP
>>> "<svg" in html  # doctest: +SKIP
True
"""

from __future__ import annotations

import datetime
import html
import os
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

import polars as pl

import copilot_metrics as cm
from copilot_metrics import usage
from copilot_metrics.summary import (
    MIN_USERS,
    SCOPE_COLUMNS,  # report.SCOPE_COLUMNS, kept
    has_reports,
    in_scope,
    missing_ranges_text,
    report_line,
    reports_line,
    scope_label,
    scope_name,
    scopes,
)
from copilot_metrics.summary import summary_table as summary

if TYPE_CHECKING:
    from copilot_metrics.plot import Chart

__all__ = ["chart_svg", "format_value", "render", "scope_name", "scopes", "summary", "table", "write"]

DEFAULT_TITLE = "GitHub Copilot metrics report"
#: Rows shown at most in the findings, conflicts, quarantine and files tables.
MAX_ROWS = 200
_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')


# --------------------------------------------------------------------------------------------
# HTML pieces
# --------------------------------------------------------------------------------------------


def chart_svg(chart: Chart) -> str:
    """Draw an Altair chart as inline SVG (through vl-convert): no script, no network.

    The SVG's namespace declarations are dropped (HTML puts an inline ``<svg>`` in the SVG
    namespace by itself), so the report holds no URL at all.
    """
    try:
        import vl_convert as vlc
    except ImportError as exc:  # pragma: no cover - exercised without the extra only
        raise cm.CopilotMetricsError(
            "the HTML report needs vl-convert-python", hint='pip install "copilot-metrics[cli]"'
        ) from exc
    svg = vlc.vegalite_to_svg(chart.to_dict())
    svg = _XMLNS.sub("", svg, count=2)
    return svg.replace("<svg ", '<svg role="img" ', 1)


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _number(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind in ("rate", "share"):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _kind(column: str) -> str:
    try:
        return str(cm.column_kind(column))
    except cm.CopilotMetricsError:
        return "other"


def format_value(value: Any, column: str) -> str:
    """A value of a metric or dataset column as text.

    Rates and shares as percentages, counts with thousands separators, means with one decimal,
    dates in ISO form, null as ``—``.

    >>> format_value(0.30312, "acceptance_rate"), format_value(1234567, "total_code_suggestions")
    ('30.3%', '1,234,567')
    """
    return _text(value, _kind(column))


def _text(value: Any, kind: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return _number(value, kind)


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return '<td class="null">—</td>'
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<td class="num">{_esc(_text(value, kind))}</td>'
    if isinstance(value, (str, list, dict)):
        text = str(value)
        return f'<td class="long">{_esc(text)}</td>' if len(text) > 40 else f"<td>{_esc(text)}</td>"
    return f"<td>{_esc(_text(value, kind))}</td>"


def table(
    frame: pl.DataFrame, *, limit: int | None = MAX_ROWS, empty: str = "None.", drop_null_columns: bool = False
) -> str:
    """A frame as an HTML table; rates and shares as percentages, counts with thousands separators.

    `drop_null_columns` leaves out the columns that are null on every row (an unused scope level).
    """
    if frame.is_empty():
        return f'<p class="empty">{_esc(empty)}</p>'
    if drop_null_columns:
        frame = frame.select(c for c in frame.columns if frame.get_column(c).null_count() < frame.height)
    shown = frame if limit is None else frame.head(limit)
    kinds = [_kind(c) for c in shown.columns]
    head = "".join(f"<th>{_esc(c)}</th>" for c in shown.columns)
    rows = "".join(
        "<tr>" + "".join(_cell(v, k) for v, k in zip(row, kinds, strict=True)) + "</tr>" for row in shown.iter_rows()
    )
    more = ""
    if shown.height < frame.height:
        more = f'<p class="note">Showing {shown.height:,} of {frame.height:,} rows.</p>'
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>{more}'


#: Column headings of the overview table.
OVERVIEW = {
    "days_with_data": "Days with data",
    "days_missing": "Days missing",
    "active_users_mean": "Active users (daily mean)",
    "active_users_peak": "Active users (peak)",
    "engaged_users_mean": "Engaged users (daily mean)",
    "engaged_users_peak": "Engaged users (peak)",
    "engagement_rate": "Engagement rate",
    "seat_days": "Seat-days",
    "activation_rate": "Activation rate",
    "total_code_suggestions": "Suggestions",
    "total_code_acceptances": "Acceptances",
    "acceptance_rate": "Acceptance rate",
    "line_acceptance_rate": "Line acceptance rate",
    "total_chats": "IDE chats",
    "chat_acceptance_rate": "IDE chat acceptance",
    "total_pr_summaries_created": "PR summaries",
}


def _overview_section(numbers: pl.DataFrame) -> str:
    """Every scope side by side: one row per scope, the headline numbers as columns."""
    kinds = {c: _kind(c) for c in numbers.columns}
    shown = numbers.select(
        scope_label().alias("Scope"),
        *(pl.col(c) for c in OVERVIEW if c in numbers.columns),
    )
    head = "".join(f"<th>{_esc(OVERVIEW.get(c, c))}</th>" for c in shown.columns)
    rows = "".join(
        "<tr>" + "".join(_cell(v, kinds.get(c, "other")) for c, v in zip(shown.columns, row, strict=True)) + "</tr>"
        for row in shown.iter_rows()
    )
    note = (
        "Whole loaded range of each scope. Scopes are never added together: a team is a subset of its org. "
        "Users are daily means and peaks of distinct counts; rates are ratios of sums."
    )
    return (
        f'<section id="overview"><h2>Overview</h2><p class="note">{_esc(note)}</p>'
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'
        "</section>"
    )


def _card(label: str, value: str, detail: str = "", css: str = "") -> str:
    detail_html = f'<div class="detail">{_esc(detail)}</div>' if detail else ""
    return (
        f'<div class="card {css}"><div class="label">{_esc(label)}</div>'
        f'<div class="value">{_esc(value)}</div>{detail_html}</div>'
    )


def _figure(chart: Callable[[], Chart], caption: str, data: pl.DataFrame, empty: str) -> str:
    if data.is_empty():
        return f'<p class="empty">{_esc(empty)}</p>'
    return f'<figure class="chart">{chart_svg(chart())}<figcaption>{_esc(caption)}</figcaption></figure>'


def _anchor(text: str) -> str:
    return "scope-" + (re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "all")


def _shorten_sources(frame: pl.DataFrame, root: str | None) -> pl.DataFrame:
    """``frame`` with the folder ``root`` taken out of every text: paths relative to it.

    The report names no absolute path of the machine that made it (sources, and messages that
    quote a path alike).
    """
    if root is None:
        return frame
    prefix = root.rstrip(os.sep) + os.sep
    return frame.with_columns(
        pl.col(c).str.replace_all(prefix, "", literal=True) for c, dtype in frame.schema.items() if dtype == pl.String
    )


def _common_root(ds: cm.Dataset) -> str | None:
    """The folder every absolute source path lies in (a single file's own folder), if any."""
    paths = [p for p in ds.sources.get_column("source").to_list() if p and Path(p).is_absolute()]
    if not paths:
        return None
    try:
        root = os.path.commonpath(paths) if len(paths) > 1 else str(Path(paths[0]).parent)
    except ValueError:
        return None
    if root in paths:  # one path, or every path the same file: its folder
        root = str(Path(root).parent)
    return root if root not in ("", os.sep) else None


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _scope_section(
    ds: cm.Dataset,
    scope: dict[str, str | None],
    numbers: dict[str, Any],
    every: str,
    top: int,
    seats: Any = None,
    days: dict[str, Any] | None = None,
) -> str:
    from copilot_metrics import plot

    name = scope_name(scope)
    n = numbers
    selected = days or {}

    def pct(column: str) -> str:
        return _number(n.get(column), "rate")

    def num(column: str) -> str:
        return _number(n.get(column), "")

    days_total = (n.get("days_with_data") or 0) + (n.get("days_missing") or 0)
    cards = [
        _card(
            "Days with data",
            num("days_with_data"),
            f"of {days_total:,} in range; {num('days_missing')} missing",
            "warn" if n.get("days_missing") else "",
        ),
        _card("Active users", num("active_users_mean"), f"daily mean; peak {num('active_users_peak')}"),
        _card("Engaged users", num("engaged_users_mean"), f"daily mean; peak {num('engaged_users_peak')}"),
        _card("Engagement rate", pct("engagement_rate"), "engaged / active user-days, days reporting both"),
        _card(
            "Acceptance rate",
            pct("acceptance_rate"),
            f"{num('total_code_acceptances')} of {num('total_code_suggestions')} suggestions",
        ),
        _card("Line acceptance rate", pct("line_acceptance_rate"), "lines accepted / lines suggested"),
        _card(
            "IDE chat acceptance", pct("chat_acceptance_rate"), f"(insertions + copies) / {num('total_chats')} chats"
        ),
        _card("PR summaries", num("total_pr_summaries_created"), "created on github.com"),
    ]
    if seats is not None:
        cards.append(
            _card("Activation rate", pct("activation_rate"), f"active user-days / {num('seat_days')} seat-days")
        )
    adoption = in_scope(cm.adoption(ds, every=every, **selected), scope)  # type: ignore[arg-type]
    per_period = in_scope(cm.acceptance(ds, by=None, every=every, **selected), scope)  # type: ignore[arg-type]
    chat_trend = in_scope(cm.chat(ds, by=None, every=every, **selected), scope)  # type: ignore[arg-type]
    dotcom_trend = in_scope(cm.dotcom_chat(ds, by=None, every=every, **selected), scope)  # type: ignore[arg-type]
    pr_trend = in_scope(cm.pull_requests(ds, by=None, every=every, **selected), scope)  # type: ignore[arg-type]
    by_language = in_scope(cm.acceptance(ds, by="language", **selected), scope)
    by_editor = in_scope(cm.acceptance(ds, by="editor", **selected), scope)
    chat = in_scope(cm.chat(ds, by="editor", **selected), scope)
    dotcom = in_scope(cm.dotcom_chat(ds, by="model", **selected), scope)
    by_repository = in_scope(cm.pull_requests(ds, by="repository", **selected), scope)
    activity = {
        name: frame
        for name, frame in (("chat", chat_trend), ("dotcom_chat", dotcom_trend), ("pull_requests", pr_trend))
        if not frame.is_empty()
    }
    partial = adoption.filter(~pl.col("period_complete")) if "period_complete" in adoption.columns else adoption.clear()
    partial_note = (
        " Hollow points, off the lines, are partial periods: "
        + ", ".join(
            f"{p:%Y-%m-%d} ({n} of its days in the loaded range)"
            for p, n in partial.select("period_start", "days_in_period").iter_rows()
        )
        + "; their means stand on those days only."
        if partial.height
        else " Every period lies whole inside the loaded range."
    )
    figures = [
        _figure(
            lambda: plot.adoption_trend(adoption, title=f"Active and engaged users per period ({every}) — {name}"),
            "Distinct users per day: the daily mean (solid) and the daily peak (dashed) of each period. "
            "A period without data is a gap in the lines, never a zero." + partial_note,
            adoption,
            "No adoption data.",
        ),
        _figure(
            lambda: plot.feature_adoption(adoption, title=f"Feature adoption per period ({every}) — {name}"),
            "Share of engaged users who used each feature (engaged user-days of the feature over all "
            "engaged user-days)." + partial_note,
            adoption,
            "No adoption data.",
        ),
        _figure(
            lambda: plot.acceptance_trend(per_period, title=f"Code completions per period ({every}) — {name}"),
            "Suggestions, acceptances and lines per period, and the acceptance rates: the period's Σ acceptances "
            "over its Σ suggestions (and lines)." + partial_note,
            per_period,
            "No code completion data in this scope.",
        ),
        _figure(
            lambda: plot.activity_trend(**activity, title=f"Chats and PR summaries per period ({every}) — {name}"),
            "IDE chats, github.com chats and PR summaries created, summed over each period's days." + partial_note,
            next(iter(activity.values()), pl.DataFrame()),
            "No chat or PR summary data in this scope.",
        ),
        _figure(
            lambda: plot.acceptance_by_language(by_language, top=top),
            "Rates are ratios of sums over the whole range (Σ acceptances / Σ suggestions), "
            "never means of daily rates.",
            by_language,
            "No code completion data in this scope.",
        ),
        _figure(
            lambda: plot.acceptance_by_editor(by_editor),
            "Code completions by editor.",
            by_editor,
            "No code completion data in this scope.",
        ),
        _figure(
            lambda: plot.chat_use(chat),
            "IDE chat: chats, and the insertion and copy events of their "
            "answers; the chat acceptance rate can exceed 100 %.",
            chat,
            "No IDE chat data in this scope.",
        ),
        _figure(
            lambda: plot.chat_use(dotcom),
            "github.com chat: chats by model.",
            dotcom,
            "No github.com chat data in this scope.",
        ),
        _figure(
            lambda: plot.pull_requests_by_repository(by_repository, top=top),
            "PR summaries created on github.com, by repository.",
            by_repository,
            "No PR summary data in this scope.",
        ),
    ]
    return (
        f'<section id="{_anchor(name)}"><h2>{_esc(name)}</h2>'
        f'<div class="cards">{"".join(cards)}</div>{"".join(figures)}</section>'
    )


# --------------------------------------------------------------------------------------------
# The successor usage-metrics reports
# --------------------------------------------------------------------------------------------

#: The ids of a successor scope (the usage metrics' first columns), then its labels.
_IDS = ("enterprise_id", "organization_id")
_LABELS = ("enterprise", "org")


def _successor_scope() -> pl.Expr:
    """A successor scope's display name (as :func:`~copilot_metrics.summary.successor_scope_name` writes it)."""
    ident = (
        pl.when(pl.col("organization_id").is_not_null())
        .then(pl.format("organization {}", pl.col("organization_id")))
        .otherwise(pl.format("enterprise {}", pl.col("enterprise_id")))
    )
    label = pl.coalesce("org", "enterprise")
    return pl.when(label.is_not_null()).then(pl.format("{} ({})", label, ident)).otherwise(ident).alias("Scope")


def _as_percent(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """``columns`` (shares, rates) as percentages with one decimal, null kept."""
    return frame.with_columns(
        pl.format("{}%", (pl.col(c) * 100).round(1)).alias(c) for c in columns if c in frame.columns
    )


def _period_text(frame: pl.DataFrame) -> pl.DataFrame:
    """A ``period`` column: ``whole``, or ``partial: k of n days covered`` (the rest in no loaded users window)."""
    total = pl.col("days_covered") + pl.col("days_uncovered")
    return frame.with_columns(
        pl.when(pl.col("days_uncovered") == 0)
        .then(pl.lit("whole"))
        .otherwise(pl.format("partial: {} of {} days covered", pl.col("days_covered"), total))
        .alias("period")
    )


def _breaks_in(lo: datetime.date | None, hi: datetime.date | None) -> pl.DataFrame:
    """The successor family's known breaks whose days meet ``lo``..``hi``."""
    frame = usage.breaks_frame("successor")
    if lo is None or hi is None:
        return frame.clear()
    return frame.filter((pl.col("first") <= hi) & (pl.col("last") >= lo))


def users_chart(daily: pl.DataFrame, breaks: pl.DataFrame, *, title: str) -> Chart:
    """Distinct active users per day (one point per day with a value) and the known breaks as rules.

    ``daily``: ``cm.active_users(ds, every="1d")`` (``period_start``, ``active_users``, scope
    ids and labels); ``breaks``: rows of :func:`copilot_metrics.usage.breaks_frame` (a rule on
    each break's first day, labelled with its name).  Days without a value (outside every loaded
    users window, or suppressed) get no point: unknown is never drawn as 0.
    """
    import altair as alt

    points = daily.filter(pl.col("active_users").is_not_null()).select(
        _successor_scope(), pl.col("period_start").alias("day"), "active_users"
    )
    base = alt.Chart(
        alt.Data(
            values=[
                {**r, "day": r["day"].isoformat()}  # type: ignore[no-untyped-call]
                for r in points.to_dicts()
            ]
        )
    )
    dots = base.mark_point(filled=True, size=40).encode(
        x=alt.X("day:T", title="day"),
        y=alt.Y("active_users:Q", title="distinct active users"),
        color=alt.Color("Scope:N", title="scope"),
        tooltip=["Scope:N", "day:T", "active_users:Q"],
    )
    layers: list[Any] = [dots]
    if breaks.height:
        marks = alt.Data(
            values=[
                {"break": b, "day": d.isoformat()}  # type: ignore[no-untyped-call]
                for b, d in breaks.select("break", "first").iter_rows()
            ]
        )
        rule = alt.Chart(marks).mark_rule(strokeDash=[4, 3], color="#b45309").encode(x="day:T")
        label = (
            alt.Chart(marks)
            .mark_text(align="left", dx=3, dy=-4, color="#b45309", fontSize=10)
            .encode(x="day:T", y=alt.value(0), text="break:N")
        )
        layers += [rule, label]
    return alt.layer(*layers).properties(title=title, width="container", height=220)  # type: ignore[no-any-return]


_USERS_NOTE = (
    "Distinct users with a user-report row, over each scope's loaded range (first to last day of its "
    "users windows). Days covered: inside a loaded users window (a day there without rows is 0 users); "
    "days uncovered: in no window, unknown, left out of the numbers (partial=True)."
)
_BREAKS_NOTE = (
    "Dates on which a series changes level or meaning for reasons outside adoption (cm.KNOWN_BREAKS). "
    "Trend tables name them in their break column; the daily users chart draws those in its range."
)
_BREAK_COLUMNS = ("break", "first", "last", "families", "in the users range", "series", "description")


def _stands_on(ds: cm.Dataset, min_users: int | None) -> str:
    kinds = sorted(set(ds.reports.get_column("kind").drop_nulls().to_list())) if "kind" in ds.reports.columns else []
    suppression = (
        "k-suppression off (min_users=None)"
        if min_users is None
        else f"k-suppression: a slice of fewer than {min_users} distinct users shows — (suppressed = yes)"
    )
    return (
        f"From GitHub's usage-metrics reports ({ds.reports.height:,} report(s): {', '.join(kinds) or 'none'}). "
        f"Users are distinct user ids (never logins), never summed across days or scopes; rates are ratios of "
        f"sums. {suppression}."
    )


def successor_section(
    ds: cm.Dataset,
    *,
    min_users: int | None = MIN_USERS,
    start: Any = None,
    end: Any = None,
    weekdays_only: bool = False,
) -> str:
    """The "Usage-metrics reports" section of the report (empty text when the dataset holds no report).

    Sub-sections, each with what it stands on: active users (whole range with ``partial=True``,
    per ISO week and per month with partial periods marked, per day as a chart with the known
    breaks as rules), code completion acceptance (``feature == "code_completion"`` rows only,
    aggregate reports when loaded, else user reports), agent adoption (IDE agent, any agent,
    ``users_unreported``), continuity (``cm.continuity``, when legacy days are loaded too) and
    the known breaks (:data:`copilot_metrics.KNOWN_BREAKS`).
    """
    if not has_reports(ds):
        return ""
    days = {"start": start, "end": end, "weekdays_only": weekdays_only}
    parts = [f'<p class="note">{_esc(_stands_on(ds, min_users))}</p>']
    lo: datetime.date | None = None
    hi: datetime.date | None = None
    if not ds.tables["user_days"].is_empty():
        whole = usage.active_users(ds, partial=True, min_users=min_users, **days)
        daily = usage.active_users(ds, every="1d", min_users=min_users, **days)
        if daily.height:
            lo, hi = daily.get_column("period_start").min(), daily.get_column("period_start").max()  # type: ignore[assignment]
        span = daily.group_by(*_IDS).agg(
            pl.col("period_start").min().alias("first day"), pl.col("period_start").max().alias("last day")
        )
        whole = whole.join(span, on=list(_IDS), how="left", nulls_equal=True)
        measures = ("active_users", "user_days", "dau_mean", "dau_peak", "stickiness")
        shown = whole.select(
            _successor_scope(),
            "first day",
            "last day",
            "days_covered",
            "days_uncovered",
            *measures,
            "suppressed",
            "break",
        )
        periods = [
            usage.active_users(ds, every=every, partial=True, min_users=min_users, **days)
            .pipe(_period_text)
            .select(
                _successor_scope(),
                pl.col("period_start").alias(label),
                "period",
                "active_users",
                "dau_mean",
                "dau_peak",
                "days_covered",
                "days_uncovered",
                "suppressed",
                "break",
            )
            for every, label in (("1w", "week (ISO, from Monday)"), ("1mo", "month"))
        ]
        breaks = _breaks_in(lo, hi)
        figure = _figure(
            lambda: users_chart(daily, breaks, title="Distinct active users per day"),
            "One point per day with users, from the user reports (user_days): days in no loaded users "
            "window and suppressed days have no point (unknown, never 0). Dashed rules: the known "
            f"breaks of the successor series in the range ({breaks.height}).",
            daily.filter(pl.col("active_users").is_not_null()),
            "No day with users to draw (every day outside the users windows, or suppressed).",
        )
        parts.append(
            '<section id="successor-active-users"><h3>Active users</h3>'
            f'<p class="note">{_esc(_USERS_NOTE)}</p>'
            f"{table(shown)}{figure}"
            f"<h4>Per ISO week</h4>{table(periods[0])}<h4>Per month</h4>{table(periods[1])}"
            '<p class="note">Partial periods (some days outside every users window) stand on their covered days '
            "only: compare them with care.</p></section>"
        )
    source = (
        "aggregate"
        if not ds.tables["agg_feature"].is_empty()
        else "users"
        if not ds.tables["user_feature"].is_empty()
        else None
    )
    if source is not None:
        name = "agg_feature" if source == "aggregate" else "user_feature"
        completion = usage.code_completion(ds, source=source, min_users=min_users, **days)  # type: ignore[arg-type]
        counted = (
            ds.tables[name]
            .filter(pl.col("feature") == "code_completion")
            .group_by(*_IDS)
            .agg(
                pl.col("date").n_unique().cast(pl.Int64).alias("days"),
                pl.col("date").min().alias("first day"),
                pl.col("date").max().alias("last day"),
            )
        )
        completion = completion.join(counted, on=list(_IDS), how="left", nulls_equal=True)
        shown = _as_percent(completion, ("acceptance_rate", "line_acceptance_rate")).select(
            _successor_scope(),
            pl.lit(f"{source} reports").alias("source"),
            "first day",
            "last day",
            "days",
            *(
                c
                for c in (
                    "suggestions",
                    "acceptances",
                    "acceptance_rate",
                    "lines_suggested",
                    "lines_accepted",
                    "line_acceptance_rate",
                    "users",
                    "suppressed",
                    "break",
                )
                if c in completion.columns
            ),
        )
        note = (
            f"From the {name} rows with feature = code_completion only (the {source} reports). The reports' "
            "top-level counters mix chat and agent events: their ratio is not an acceptance rate and is not "
            "shown. Acceptance rate = Σ acceptances / Σ suggestions; line acceptance = Σ lines added / Σ lines "
            "suggested; days: days with code_completion rows."
        )
        parts.append(
            f'<section id="successor-completion"><h3>Code completion acceptance</h3>'
            f'<p class="note">{_esc(note)}</p>{table(shown)}</section>'
        )
    if not ds.tables["user_days"].is_empty():
        rows = []
        for label, function in (
            ("IDE agent (used_agent)", usage.ide_agent_adoption),
            ("any agent (agent, CLI or app flags)", usage.any_agent_adoption),
        ):
            rows.append(
                function(ds, partial=True, min_users=min_users, **days).with_columns(pl.lit(label).alias("adoption"))
            )
        adoption = _as_percent(pl.concat(rows), ("adoption_share",)).select(
            _successor_scope(),
            "adoption",
            "active_users",
            "reporting_users",
            "adopting_users",
            "users_unreported",
            "adoption_share",
            "days_covered",
            "days_uncovered",
            "suppressed",
            "break",
        )
        note = (
            "Share = adopting users / reporting users, over each scope's loaded range (covered days only). "
            "users_unreported: active users whose flags are absent on all their days; they are not counted as "
            "not adopting."
        )
        parts.append(
            f'<section id="successor-adoption"><h3>Agent adoption</h3><p class="note">{_esc(note)}</p>'
            f"{table(adoption)}</section>"
        )
    parts.append(_continuity_part(ds, start, end))
    known = usage.breaks_frame().with_columns(
        pl.col("families").list.join(", "),
        pl.col("series").list.join(", "),
        (
            (pl.col("first") <= hi) & (pl.col("last") >= lo) if lo is not None and hi is not None else pl.lit(False)
        ).alias("in the users range"),
    )
    parts.append(
        '<section id="successor-breaks"><h3>Known breaks</h3><p class="note">'
        f"{_esc(_BREAKS_NOTE)}</p>"
        f"{table(known.select(*_BREAK_COLUMNS), limit=None)}</section>"
    )
    return '<section id="successor"><h2>Usage-metrics reports</h2>' + "".join(parts) + "</section>"


def _continuity_part(ds: cm.Dataset, start: Any, end: Any) -> str:
    """``cm.continuity`` as a table when legacy days are loaded beside the reports; empty otherwise."""
    if ds.days.is_empty():
        return ""
    note = (
        "Legacy and successor series of each paired scope side by side, over the days both families hold "
        "(overlap days); never spliced. Status: = same, ≈ approximate (the difference says how), ends (legacy "
        "only), new (successor only). Values are daily means of distinct counts, sums of events, or ratios of "
        "sums; they are not k-suppressed."
    )
    try:
        result = usage.continuity(ds, start=start, end=end)
    except cm.ContinuityError as exc:
        body = f'<p class="empty">{_esc(str(exc))}</p>'
    else:
        body = table(
            result.series.with_columns(pl.col("breaks").list.join(", ")).select(
                "pair",
                "series",
                "status",
                "overlap_days",
                "legacy_value",
                "successor_value",
                "ratio",
                "difference",
                "breaks",
            ),
            limit=None,
        )
    return f'<section id="successor-continuity"><h3>Continuity</h3><p class="note">{_esc(note)}</p>{body}</section>'


def _findings_section(ds: cm.Dataset, root: str | None) -> str:
    findings = ds.findings
    if findings.is_empty():
        return '<section id="findings"><h2>Findings</h2><p class="empty">No data-quality finding.</p></section>'
    by_rule = (
        findings.group_by(*(c for c in ("severity", "table", "rule") if c in findings.columns))
        .agg(
            pl.len().alias("findings"),
            *(
                (pl.col("date").min().alias("first_date"), pl.col("date").max().alias("last_date"))
                if "date" in findings.columns
                else ()
            ),
        )
        .sort("findings", descending=True)
    )
    detail = _shorten_sources(findings, root)
    return (
        '<section id="findings"><h2>Findings</h2>'
        f'<p class="note">{findings.height:,} data-quality finding(s): reported as found, never silently fixed.</p>'
        f"<h3>By rule</h3>{table(by_rule)}"
        f"<details><summary>Every finding ({findings.height:,})</summary>"
        f"{table(detail.drop('extras', strict=False), drop_null_columns=True)}</details></section>"
    )


def _conflicts_section(ds: cm.Dataset, root: str | None) -> str:
    note = "Values that differ between exports of the same day (late corrections): the most recent export is kept."
    rows = table(
        _shorten_sources(ds.conflicts, root), empty="No conflicting value between exports.", drop_null_columns=True
    )
    return f'<section id="conflicts"><h2>Conflicts between exports</h2><p class="note">{_esc(note)}</p>{rows}</section>'


def _coverage_section(ds: cm.Dataset) -> str:
    from copilot_metrics import plot

    coverage = cm.coverage(ds)
    shown = missing_ranges_text(coverage)
    figure = _figure(
        lambda: plot.coverage_calendar(coverage),
        "One cell per day from each scope's first to its last date; red cells are days no export holds.",
        coverage,
        "No day loaded.",
    )
    return f'<section id="coverage"><h2>Coverage</h2>{figure}{table(shown)}</section>'


def _files_section(ds: cm.Dataset, root: str | None) -> str:
    sources = _shorten_sources(ds.sources, root)
    keep = [
        c
        for c in (
            "source",
            *SCOPE_COLUMNS,
            "layout",
            "status",
            "days",
            "days_valid",
            "first_date",
            "last_date",
            "export_time",
            "days_kept",
            "days_identical",
            "days_superseded",
            "message",
        )
        if c in sources.columns
    ]
    quarantine = ds.quarantine.drop("day_json", strict=False)
    where = f" (paths relative to the folder they share, …{os.sep}{Path(root).name})" if root else ""
    return (
        f'<section id="quarantine"><h2>Quarantined days</h2>'
        f"{table(_shorten_sources(quarantine, root), empty='No day was set aside.', drop_null_columns=True)}"
        f'</section><section id="files"><h2>Files read</h2>'
        f'<p class="note">{ds.sources.height:,} file(s){_esc(where)}.</p>'
        f"<details><summary>Every file ({ds.sources.height:,})</summary>"
        f"{table(sources.select(keep), limit=None, drop_null_columns=True)}</details></section>"
    )


def render(
    ds: cm.Dataset,
    *,
    every: str = "1w",
    top: int = 15,
    title: str = DEFAULT_TITLE,
    seats: Any = None,
    generated: datetime.date | None = None,
    start: Any = None,
    end: Any = None,
    weekdays_only: bool = False,
    min_users: int | None = MIN_USERS,
) -> str:
    """Render the report of a dataset as one self-contained HTML document.

    Parameters
    ----------
    ds
        A loaded dataset (``cm.load``, ``cm.read_parquet``).
    every
        The period of the trend charts: ``"1d"``, ``"1w"`` (default), ``"1mo"`` or ``"1q"``.
    top
        Languages shown in the acceptance chart (the most suggested).
    title
        The report's title.
    seats
        Licensed seats, as ``cm.adoption`` takes them (a number, or a frame with ``seats`` and
        optionally ``date`` and scope columns): adds the activation rate (active user-days over
        seat-days) to the overview and to each scope.
    generated
        The date the report says it was generated on (default: today).
    start, end, weekdays_only
        The days the numbers and charts stand on, as in the metric functions (inclusive
        ``datetime.date`` or ``"YYYY-MM-DD"``; Monday to Friday only); the coverage, findings,
        conflicts and files sections show the whole dataset.
    min_users
        The k-suppression of the usage-metrics reports' section (:func:`successor_section`): a
        slice of fewer distinct users shows no number (``None``: off, said in the section).

    A dataset holding successor usage-metrics reports gets their section; one holding only
    reports (no legacy day) gets it without the legacy overview and scope sections.

    Raises
    ------
    CopilotMetricsError
        If the dataset holds neither a legacy day nor a report row.
    """
    if ds.days.is_empty() and not has_reports(ds):
        raise cm.CopilotMetricsError(
            "no valid day was loaded: nothing to report",
            hint="see the files and quarantined days with `copilot-metrics validate`",
        )
    root = _common_root(ds)
    days = {"start": start, "end": end, "weekdays_only": weekdays_only}
    scope_list = scopes(ds) if not ds.days.is_empty() else []
    sections = []
    if scope_list:
        numbers = summary(ds, seats=seats, **days)
        sections.append(_overview_section(numbers))
        for scope in scope_list:
            row = in_scope(numbers, scope).row(0, named=True)
            sections.append(_scope_section(ds, scope, row, every, top, seats, days))
    successor = successor_section(ds, min_users=min_users, **days)
    sections += [
        successor,
        _coverage_section(ds),
        _findings_section(ds, root),
        _conflicts_section(ds, root),
        _files_section(ds, root),
    ]
    loaded = report_line(ds) if scope_list else reports_line(ds)
    made = f"Generated on {(generated or datetime.date.today()).isoformat()} by copilot-metrics {cm.__version__}."
    names = [scope_name(s) for s in scope_list] or ["usage-metrics reports only"]
    subtitle = (
        f"<p>{_esc(loaded)}</p><p>Scopes: {_esc(', '.join(names))}. "
        f"Trends per period of {_esc(every)}.{_esc(_selection_text(start, end, weekdays_only))}</p>"
        f"<p class='generated'>{_esc(made)}</p>"
    )
    links = (
        ([("overview", "Overview")] if scope_list else [])
        + [(_anchor(scope_name(s)), scope_name(s)) for s in scope_list]
        + ([("successor", "Usage-metrics reports")] if successor else [])
        + [
            ("coverage", "Coverage"),
            ("findings", "Findings"),
            ("conflicts", "Conflicts"),
            ("quarantine", "Quarantine"),
            ("files", "Files"),
        ]
    )
    nav = "".join(f'<a href="#{a}">{_esc(text)}</a>' for a, text in links)
    page = resources.files("copilot_metrics").joinpath("templates").joinpath("report.html")
    template = Template(page.read_text("utf-8"))
    return template.substitute(
        title=_esc(title), subtitle=subtitle, nav=nav, body="\n".join(sections), version=_esc(cm.__version__)
    )


def _selection_text(start: Any, end: Any, weekdays_only: bool) -> str:
    """What the numbers stand on when days are selected (empty when all are)."""
    parts = [f"from {start}" if start else "", f"to {end}" if end else "", "weekdays only" if weekdays_only else ""]
    said = " ".join(p for p in parts if p)
    return f" Numbers and charts: days {said}." if said else ""


def write(ds: cm.Dataset, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write :func:`render`'s report to `path` (parent folders are created); return the path.

    Keyword options are those of :func:`render`.
    """
    document = render(ds, **options)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(document, encoding="utf-8")
    return target
