"""summary.py: what every front end prints (load line, scope names, missing ranges, headline numbers)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics import summary


def _day(date: str, active: int, engaged: int) -> dict[str, object]:
    return {"date": date, "total_active_users": active, "total_engaged_users": engaged}


@pytest.fixture(scope="module")
def two_of_three(tmp_path_factory: pytest.TempPathFactory) -> cm.Dataset:
    """Two one-day files of octo-org (2025-01-06 and 2025-01-09: two days missing between) and an empty file."""
    root = tmp_path_factory.mktemp("summary")
    (root / "a.json").write_text(json.dumps([_day("2025-01-06", 4, 2)]))
    (root / "b.json").write_text(json.dumps([_day("2025-01-09", 5, 3)]))
    (root / "c.json").write_text("")
    return cm.load(str(root), org="octo-org", on_invalid="quarantine")


def test_scope_name_joins_the_labels_present_in_scope_order() -> None:
    assert summary.scope_name({"enterprise": "e", "org": "o", "team": "t"}) == "e/o/t"
    assert summary.scope_name({"team": "t", "org": "o"}) == "o/t"  # the scope's order, not the dict's
    assert summary.scope_name({"enterprise": None, "org": "o", "team": ""}) == "o"  # empty is missing
    assert summary.scope_name({"enterprise": None, "org": None, "team": None}) == "all data"
    assert summary.scope_name({}) == "all data"


def test_scope_label_names_each_row_as_scope_name_does() -> None:
    rows = [
        {"enterprise": "e", "org": "o", "team": "t"},
        {"enterprise": None, "org": "o", "team": None},
        {"enterprise": "", "org": None, "team": "t"},
        {"enterprise": None, "org": None, "team": None},
        {"enterprise": "", "org": "", "team": ""},
    ]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(("enterprise", "org", "team"), pl.String), orient="row")
    assert frame.select(summary.scope_label())["scope"].to_list() == ["e/o/t", "o", "t", "all data", "all data"]
    # only the scope columns the frame has
    assert pl.DataFrame({"team": ["t", None]}).select(summary.scope_label(["team"]))["scope"].to_list() == [
        "t",
        "all data",
    ]
    assert pl.DataFrame({"x": [1]}).select(summary.scope_label([]))["scope"].to_list() == ["all data"]


def test_load_line_counts_files_loaded_and_names_the_files_not_loaded(two_of_three: cm.Dataset) -> None:
    assert summary.loaded_files(two_of_three) == 2
    assert summary.load_line(two_of_three) == (
        "2 of 3 file(s) loaded, 2 scope-day(s), 0 conflicting value(s) between exports, 0 day(s) quarantined, "
        "0 finding(s)"
    )
    lines = summary.not_loaded(two_of_three.sources)
    assert lines[0] == "1 file(s) not loaded:"
    assert len(lines) == 2
    assert lines[1].startswith("  /")  # the file's path, indented under the count
    assert lines[1].endswith("/c.json: not loaded: empty (the file is empty)")


def test_report_line_says_the_date_range_with_thousands_separators(two_of_three: cm.Dataset) -> None:
    assert summary.report_line(two_of_three) == (
        "3 file(s), 2 scope-day(s) from 2025-01-06 to 2025-01-09, 0 conflicting value(s) between exports, "
        "0 day(s) quarantined, 0 finding(s)"
    )
    many = dataclasses.replace(two_of_three, conflicts=pl.DataFrame({"x": range(1234)}))
    assert ", 1,234 conflicting value(s) between exports," in summary.report_line(many)
    assert ", 1234 conflicting value(s) between exports," in summary.load_line(many)


def test_not_loaded_lists_twenty_files_and_counts_the_rest() -> None:
    sources = pl.DataFrame(
        {
            "source": [f"f{i:02}.json" for i in range(23)] + ["ok.json"],
            "status": ["not loaded: empty"] * 23 + ["loaded with quarantined days"],
            "state": ["refused"] * 23 + ["partly_quarantined"],
            "message": [f"f{i:02}.json: $: the file is empty" for i in range(23)] + [None],
        }
    )
    lines = summary.not_loaded(sources)
    assert lines[0] == "23 file(s) not loaded:"
    # the file and the JSON path "$" are printed beside the message: left out of it
    assert lines[1] == "  f00.json: not loaded: empty (the file is empty)"
    assert lines[20] == "  f19.json: not loaded: empty (the file is empty)"
    assert lines[21:] == ["  ... and 3 more (ds.sources lists every file)"]


def test_missing_ranges_as_text(two_of_three: cm.Dataset) -> None:
    shown = summary.missing_ranges_text(cm.coverage(two_of_three))
    assert shown.select("org", "days_present", "days_missing", "missing_ranges").to_dicts() == [
        {"org": "octo-org", "days_present": 2, "days_missing": 2, "missing_ranges": "2025-01-07 to 2025-01-08"}
    ]
    one = pl.DataFrame({"missing_ranges": [[{"start": dt.date(2025, 2, 12), "end": dt.date(2025, 2, 12)}]]})
    assert summary.missing_ranges_text(one)["missing_ranges"].to_list() == ["2025-02-12"]
    no_ranges = pl.DataFrame({"days_missing": [0]})
    assert summary.missing_ranges_text(no_ranges) is no_ranges


def test_summary_table_and_the_top_languages_of_a_scope(two_of_three: cm.Dataset) -> None:
    row = summary.summary_table(two_of_three).row(0, named=True)
    # two days: active 4 and 5, engaged 2 and 3 (no feature block, so no acceptance or chat numbers)
    assert {
        k: row[k]
        for k in (
            "org",
            "days_with_data",
            "days_missing",
            "active_users_mean",
            "active_users_peak",
            "engaged_users_mean",
            "engaged_users_peak",
            "engagement_rate",
        )
    } == {
        "org": "octo-org",
        "days_with_data": 2,
        "days_missing": 2,
        "active_users_mean": 4.5,
        "active_users_peak": 5,
        "engaged_users_mean": 2.5,
        "engaged_users_peak": 3,
        "engagement_rate": 5 / 9,
    }
    assert cm.report.summary is summary.summary_table
    by_language = pl.DataFrame(
        {
            "enterprise": [None, None, None, None],
            "org": ["o", "o", "o", "p"],
            "team": [None, "t", None, None],
            "language": ["go", "go", "rust", "go"],
            "total_code_suggestions": [5, 99, None, 50],
        }
    )
    top = summary.top_languages(by_language, {"enterprise": None, "org": "o", "team": None}, 2)
    assert top.select("language", "total_code_suggestions").rows() == [("go", 5), ("rust", None)]


def test_front_ends_hold_no_copy_of_the_sentences() -> None:
    """The load line, the scope name and the missing-ranges text are written in summary.py only."""
    root = Path(cm.__file__).parent
    for name in ("__main__.py", "_cli_commands.py", "report.py", "_terminal.py"):
        text = (root / name).read_text()
        assert "conflicting value(s)" not in text, name
        assert '"all data"' not in text, name
        assert '" to "' not in text, name
        assert 'starts_with("loaded")' not in text, name
