"""Verdicts and texts of validation pinned where a mutation run found them unchecked.

A mutation run (mutmut, issue 10 §5) changed ``validation.py`` one operator, constant or argument
at a time; each test here pins what a user sees (a day's verdict, an error row, the report's text)
that one of those changes altered while the rest of the suite still passed. Expected values are
written out by hand from the inputs built here.
"""

from __future__ import annotations

import json
from typing import Any

import copilot_metrics as cm
from copilot_metrics.validation import TEXT_LIMIT, ValidationReport


def payload(*days: dict[str, Any]) -> bytes:
    return json.dumps(list(days)).encode()


def error_row(index: int) -> dict[str, Any]:
    return {"source": "a.json", "day_index": index, "date": "2024-06-24", "json_path": f"$[{index}].date",
            "rule": "format", "value": '"x"', "message": "'x' is not a 'date'"}


# ----------------------------------------------------------------------------- long texts are cut at TEXT_LIMIT


def test_a_value_whose_json_text_is_exactly_the_limit_is_kept_whole() -> None:
    text = "x" * (TEXT_LIMIT - 2)  # with its two quotes, the JSON text is TEXT_LIMIT characters long
    report = cm.validate(payload({"date": "2024-06-24", "total_active_users": text}))
    assert report.errors["value"].to_list() == [f'"{text}"']
    message = f"'{text}' is not of type 'integer'"
    assert report.errors["message"].to_list() == [message[: TEXT_LIMIT - 1] + "…"]


def test_a_value_one_character_over_the_limit_is_cut_with_an_ellipsis() -> None:
    text = "y" * (TEXT_LIMIT - 1)
    report = cm.validate(payload({"date": "2024-06-24", "total_active_users": text}))
    (value,) = report.errors["value"].to_list()
    assert value == '"' + "y" * (TEXT_LIMIT - 2) + "…"
    assert len(value) == TEXT_LIMIT


# ----------------------------------------------------------------------------- the report's text


def test_a_report_lists_twenty_errors_and_counts_the_rest() -> None:
    report = ValidationReport.from_rows([error_row(i) for i in range(21)], [], days_checked=21, days_valid=0)
    lines = str(report).split("\n")
    assert lines[0] == "0 of 21 day(s) valid, 21 error(s), 0 unknown field(s) kept"
    assert lines[1:21] == [f"  a.json: $[{i}].date: 'x' is not a 'date' [format]" for i in range(20)]
    assert lines[21:] == ["  ... and 1 more (see .errors)"]


def test_a_report_with_exactly_twenty_errors_has_no_more_line() -> None:
    report = ValidationReport.from_rows([error_row(i) for i in range(20)], [], days_checked=20, days_valid=0)
    lines = str(report).split("\n")
    assert len(lines) == 21
    assert lines[-1] == "  a.json: $[19].date: 'x' is not a 'date' [format]"


def test_repr_is_the_first_line_in_angle_brackets() -> None:
    good = ValidationReport.from_rows([], [], days_checked=2, days_valid=2)
    assert repr(good) == "<ValidationReport 2 of 2 day(s) valid, 0 error(s), 0 unknown field(s) kept>"
    bad = ValidationReport.from_rows([error_row(0), error_row(1)], [], days_checked=2, days_valid=0)
    assert repr(bad) == "<ValidationReport 0 of 2 day(s) valid, 2 error(s), 0 unknown field(s) kept>"


# ----------------------------------------------------------------------------- a day too deep to report error by error


def test_a_day_too_deep_to_report_gets_one_depth_error_row() -> None:
    text = '{"date":"2024-06-24","copilot_ide_chat":' + "[" * 1020 + "]" * 1020 + "}"
    report = cm.validate(f"[{text}]".encode())
    assert (report.days_checked, report.days_valid, report.ok) == (1, 0, False)
    assert report.errors.drop("source").rows() == [
        (0, "2024-06-24", "$[0]", "depth", "null", "nested too deep to report its errors one by one"),
    ]
