"""Aggregations with correct statistics: adoption, completions acceptance, chat, pull requests.

Every function takes a :class:`~copilot_metrics.Dataset` (or a mapping of table name to Polars
``DataFrame``/``LazyFrame``, so Parquet scans work), never mutates it, computes with Polars
expressions only, and returns a Polars ``DataFrame``.

The rules (see ``DOMAIN.md``, "What the numbers mean"):

* **Scopes are never merged.** Every output row carries ``enterprise``, ``org`` and ``team``:
  a team is a subset of its org, so adding their rows would count events and people twice.
  ``by=None`` therefore gives one total row per scope (and period).
* **Rates are ratios of sums** over the slice and period, never means of daily ratios. A zero
  (or null) denominator gives null, never 0 or NaN. Rates are fractions, not percentages.
* **Distinct-user counts are never summed** over sibling slices. Over time they are reported
  as a daily mean, a daily peak, or as explicitly named *user-days* (``*_user_days``: the sum
  of the daily counts, additive over days but not over slices).
* **Missing days are gaps, not zeros.** They are excluded from means and counted in
  ``days_missing``.
* **Missing is never zero.** A distinct-user statistic (``*_mean``, ``*_peak``, and the Σ
  ``*_user_days``) is taken over the days that *report* that count, and only those:

  - a day reports a slice's count when the array that would hold the slice is present that day
    (its feature block is an object, not ``null`` or missing, and holds the array, e.g.
    ``copilot_ide_code_completions.languages`` for a language; for a nested slice, every
    parent object on the way down holds its child array too, e.g. an editor's ``models``) and
    the count itself is present (not ``null``, key not missing);
  - a name absent from an array that is present counts 0 users that day (the array lists
    every slice with activity); a parent absent from its present array likewise gives its
    children 0;
  - **known zeros**: an object that reports 0 engaged users and lacks its array (how the API
    writes a feature nobody used that day: ``{"total_engaged_users": 0}``) reports every slice
    below it as 0, users and events alike, at every level (feature block, editor, model,
    repository). An absent array under an object that reports users, or no count, leaves the
    slices below it unreported; a block that is ``null`` or missing reports nothing. E.g. day A
    with one github.com chat model of 1 user, day B ``"copilot_dotcom_chat":
    {"total_engaged_users": 0}``: the model's mean is 0.5 over 2 reported days, as the feature's;
  - the days with data that do not report the count are left out of the mean and the peak,
    and counted: ``<stat>_days_reported`` is the number of days the mean and the peak are
    taken over (mean = ``*_user_days`` / ``<stat>_days_reported``), ``<stat>_days_unreported``
    the days of the period with a day row that do not report it (the two add up to the days
    with data);
  - over no reported day, the mean, the peak and the user-days are null, never 0.

  Event counts (suggestions, acceptances, lines, chats, PR summaries) are Σ of the values
  present; a sum over values that are all absent is null, not 0. A slice without any row in
  the period sums to 0 when a day of the period reports its rows (every array down to the rows
  present, even empty, or under an object reporting 0 users: a day of known zeros), and to
  null otherwise. Rates built on a null sum are null.

  A ratio of two counts that days report separately (``engagement_rate``: engaged over active
  user-days; ``<feature>_share``; ``activation_rate``: active users over seats;
  ``chats_per_engaged_user_day``, ``summaries_per_engaged_user_day``: events over engaged
  user-days) takes both sums over the same days: those that report both (the numerator's and
  the denominator's value present that day), so a day reporting one count only moves neither
  sum. E.g. day A (10 active, 5 engaged) and day B (10 active, engaged absent) give
  ``engagement_rate`` 5 / 10, not 5 / 20. The user-day columns shown beside such a rate are
  still over the days reporting their own count, so the rate need not equal their quotient.
* Every column a function here emits, and every column of the tables, has a kind
  (:func:`column_kind`), and :func:`rollup` re-aggregates an output or a table to a coarser
  grain from those kinds, refusing (with :class:`~copilot_metrics.errors.RollupError`) to sum
  a distinct-user count.

Periods (``every``): ``None`` (the whole selected range, no ``period_start`` column), ``"1d"``,
``"1w"`` (ISO weeks, starting Monday), ``"1mo"`` (calendar months), ``"1q"`` (calendar
quarters). With ``every``, ``period_start`` (``Date``) is the first calendar day of the period.
``start``/``end`` (inclusive, ``datetime.date`` or ISO ``"YYYY-MM-DD"``) select days;
``weekdays_only=True`` keeps Monday to Friday only (and counts only weekdays as missing).

**Known breaks.** Every output computed with ``every`` ends with a ``break`` column (as
:func:`trend` does): the known breaks (:data:`copilot_metrics.KNOWN_BREAKS`) of the legacy
series whose days fall in the row's calendar period, by name, joined by ``"; "`` in date order;
null when none does. E.g. ``legacy_closed`` (the legacy API closed on 2026-04-02) on the ISO week
of 2026-03-30 or the month of April 2026: a period holding a break is not comparable with the
periods before it. :func:`rollup` keeps it with the periods, and names every break of the
periods it aggregates away.

An argument of the wrong type (``by=123``, ``start=20250101``, ``window="7"``) raises
``TypeError``, and a number out of range (``seats=-1``, ``min_suggestions=-1``) ``ValueError``,
naming the argument, before any table is read.
"""

from __future__ import annotations

from copilot_metrics.metrics.adoption import adoption
from copilot_metrics.metrics.columns import ColumnKind, column_kind
from copilot_metrics.metrics.coverage import coverage
from copilot_metrics.metrics.features import LANGUAGE_ALIASES, acceptance, chat, dotcom_chat, pull_requests
from copilot_metrics.metrics.rollup import rollup
from copilot_metrics.metrics.trend import trend

__all__ = [
    "LANGUAGE_ALIASES",
    "ColumnKind",
    "acceptance",
    "adoption",
    "chat",
    "column_kind",
    "coverage",
    "dotcom_chat",
    "pull_requests",
    "rollup",
    "trend",
]
