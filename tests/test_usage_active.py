"""usage.active_users over a hand-made users report: 3 users over 9 days (fixtures/usage_metrics/README.md).

Days (2026-06-01 is a Monday): 01 {101, 102}, 02 {101}, 03 {}, 04 {101, 103}, 05 {102: all zero},
06 {}, 07 {103: completions only}, 08 {101, 102, 103}, 09 {102}.  Daily counts 2 1 0 2 1 0 1 3 1.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from copilot_metrics import successor
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.usage import active_users

FIXTURE = Path(__file__).parent / "fixtures" / "usage_metrics" / "three_users_nine_days_users_28_day.ndjson"


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    read = successor.read_bytes(FIXTURE.read_bytes(), FIXTURE.name)
    return {**read.tables, "reports": read.reports}


def one(frame: pl.DataFrame) -> dict[str, object]:
    assert frame.height == 1
    return frame.row(0, named=True)


def test_whole_window_distinct_users_and_user_days(tables: dict[str, pl.DataFrame]) -> None:
    row = one(active_users(tables, min_users=None))
    assert (row["organization_id"], row["enterprise_id"]) == ("77001", "4242")
    assert row["active_users"] == 3
    assert row["user_days"] == 2 + 1 + 0 + 2 + 1 + 0 + 1 + 3 + 1  # 11
    assert row["dau_mean"] == pytest.approx(11 / 9)
    assert row["dau_peak"] == 3  # 06-08
    assert row["stickiness"] == pytest.approx((11 / 9) / 3)
    assert (row["days_covered"], row["days_uncovered"]) == (9, 0)
    assert row["suppressed"] is None  # min_users=None: suppression off, marked by null


def test_active_rules(tables: dict[str, pl.DataFrame]) -> None:
    # 102's all-zero row on 06-05 is active only under "row"; 103's completion-only row on 06-07
    # also drops under "interacting"
    assert one(active_users(tables, active="any_activity", min_users=None))["user_days"] == 10
    interacting = one(active_users(tables, active="interacting", min_users=None))
    assert (interacting["active_users"], interacting["user_days"]) == (3, 9)
    with pytest.raises(CopilotMetricsError, match="active="):
        active_users(tables, active="engaged")  # type: ignore[arg-type]


def test_weeks_partial_null_unless_partial(tables: dict[str, pl.DataFrame]) -> None:
    weeks = active_users(tables, every="1w", min_users=None)
    assert weeks["period_start"].to_list() == [date(2026, 6, 1), date(2026, 6, 8)]
    w23, w24 = weeks.rows(named=True)
    # W23 06-01..06-07 wholly covered: 101, 102, 103; daily 2 1 0 2 1 0 1
    assert (w23["active_users"], w23["user_days"], w23["dau_peak"]) == (3, 7, 2)
    assert w23["dau_mean"] == pytest.approx(1.0)
    assert w23["stickiness"] == pytest.approx(1 / 3)
    # W24 06-08..06-14: only 08 and 09 in the users window
    assert (w24["days_covered"], w24["days_uncovered"]) == (2, 5)
    assert [w24[c] for c in ("active_users", "user_days", "dau_mean", "dau_peak", "stickiness")] == [None] * 5
    partial = active_users(tables, every="1w", partial=True, min_users=None).row(1, named=True)
    assert (partial["active_users"], partial["user_days"], partial["dau_peak"]) == (3, 4, 3)
    assert partial["dau_mean"] == pytest.approx(4 / 2)  # over the covered days only


def test_month_partial(tables: dict[str, pl.DataFrame]) -> None:
    june = one(active_users(tables, every="1mo", min_users=None))
    assert (june["period_start"], june["days_covered"], june["days_uncovered"]) == (date(2026, 6, 1), 9, 21)
    assert june["active_users"] is None
    june = one(active_users(tables, every="1mo", partial=True, min_users=None))
    assert (june["active_users"], june["user_days"]) == (3, 11)


def test_a_covered_day_without_rows_is_zero_users(tables: dict[str, pl.DataFrame]) -> None:
    # a users report whose window reaches 06-14 (no rows after 06-09): W24 is whole, its 5 empty days are 0
    reports = tables["reports"].with_columns(pl.lit(date(2026, 6, 14)).alias("window_end"))
    w24 = active_users({**tables, "reports": reports}, every="1w", min_users=None).row(1, named=True)
    assert (w24["days_covered"], w24["days_uncovered"]) == (7, 0)
    assert (w24["active_users"], w24["user_days"], w24["dau_peak"]) == (3, 4, 3)
    assert w24["dau_mean"] == pytest.approx(4 / 7)


def test_trailing_window(tables: dict[str, pl.DataFrame]) -> None:
    out = active_users(tables, window=7, min_users=None)
    assert out["date"].to_list() == [date(2026, 6, d) for d in range(1, 10)]
    last = out.row(8, named=True)  # 06-03..06-09: 101 (04, 08), 103 (04, 07, 08), 102 (05, 08, 09)
    assert (last["active_users"], last["user_days"], last["days_covered"]) == (3, 8, 7)
    first = out.row(4, named=True)  # 06-05: 05-30 and 05-31 lie outside the users window
    assert (first["days_uncovered"], first["active_users"]) == (2, None)
    assert active_users(tables, window=7, partial=True, min_users=None).row(4, named=True)["active_users"] == 3
    with pytest.raises(CopilotMetricsError, match="not both"):
        active_users(tables, every="1w", window=7)


def test_weekdays_only_and_dates(tables: dict[str, pl.DataFrame]) -> None:
    row = one(active_users(tables, weekdays_only=True, min_users=None))
    assert (row["days_covered"], row["user_days"]) == (7, 10)  # Sunday 06-07 (103) left out
    row = one(active_users(tables, start="2026-06-08", end="2026-06-09", min_users=None))
    assert (row["active_users"], row["user_days"], row["days_covered"]) == (3, 4, 2)
    row = one(active_users(tables, start="2026-06-05", end="2026-06-12", min_users=None))
    assert (row["days_covered"], row["days_uncovered"], row["active_users"]) == (5, 3, None)


def test_k_suppression_after_aggregation(tables: dict[str, pl.DataFrame]) -> None:
    row = one(active_users(tables))  # min_users=5 by default; 3 users
    assert row["suppressed"] is True
    assert [row[c] for c in ("active_users", "user_days", "dau_mean", "dau_peak", "stickiness")] == [None] * 5
    assert row["days_covered"] == 9  # keys and coverage kept
    assert one(active_users(tables, min_users=3))["suppressed"] is False
    assert one(active_users(tables, min_users=3))["active_users"] == 3


def test_by_language_slices_with_known_zeros(tables: dict[str, pl.DataFrame]) -> None:
    out = active_users(tables, by="language", every="1w", partial=True, min_users=None)
    got = {(r["period_start"].day, r["language"]): (r["active_users"], r["user_days"]) for r in out.rows(named=True)}
    # python W23: 101 on 01, 02, 04 and 102 on 01 (102's zero row on 05 has no language row); c#: 103 on 04, 07, 08
    assert got == {(1, "python"): (2, 4), (1, "c#"): (1, 2), (8, "python"): (2, 3), (8, "c#"): (1, 1)}
    days = active_users(tables, by="language", every="1d", start="2026-06-01", end="2026-06-04", min_users=None)
    c_sharp = days.filter(pl.col("language") == "c#")
    # c# is seen in the selection (06-04), so its quiet covered days are 0 users, not missing
    assert c_sharp["active_users"].to_list() == [0, 0, 0, 1]
    assert days.filter(pl.col("language") == "python")["active_users"].to_list() == [2, 1, 0, 1]
    with pytest.raises(CopilotMetricsError, match="cannot slice"):
        active_users(tables, by="repository")
