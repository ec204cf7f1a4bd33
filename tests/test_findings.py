"""Data-quality findings (issue 3): one test per rule of cm.FINDING_RULES, exact rows; findings
report, they never change the tables."""

from __future__ import annotations

import datetime
from typing import Any

import orjson
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import copilot_metrics as cm
from copilot_metrics.tables import FINDING_SCHEMA

D = datetime.date(2024, 6, 24)
SRC = "<bytes #1>"
CC = "$[date=2024-06-24].copilot_ide_code_completions"


def load(days: list[dict[str, Any]], **kwargs: Any) -> cm.Dataset:
    return cm.load(orjson.dumps(days), org="octo", **kwargs)


def found(ds: cm.Dataset, rule: str) -> pl.DataFrame:
    return ds.findings.filter(pl.col("rule") == rule)


def expect(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """Finding rows from (date, table, json_path, rule, value) tuples; the message is checked apart."""
    return pl.DataFrame(
        [
            {
                "source": SRC,
                "enterprise": None,
                "org": "octo",
                "team": None,
                "date": d,
                "table": t,
                "json_path": p,
                "rule": r,
                "severity": cm.FINDING_RULES[r][0],
                "value": v,
            }
            for d, t, p, r, v in rows
        ],
        schema={k: v for k, v in FINDING_SCHEMA.items() if k != "message"},
        orient="row",
    )


def check(ds: cm.Dataset, rule: str, rows: list[tuple[Any, ...]]) -> None:
    got = found(ds, rule)
    assert got.schema == FINDING_SCHEMA
    assert got["message"].null_count() == 0
    assert_frame_equal(got.drop("message").sort("json_path"), expect(rows).sort("json_path"))


def leaf(name: str, **counts: int) -> dict[str, Any]:
    return {"name": name, **counts}


def completions_day(leaves: list[dict[str, Any]], **day: Any) -> dict[str, Any]:
    return {
        "date": "2024-06-24",
        **day,
        "copilot_ide_code_completions": {
            "editors": [{"name": "jetbrains", "models": [{"name": "default", "languages": leaves}]}]
        },
    }


LEAF = f"{CC}.editors[name=jetbrains].models[name=default].languages[name="


def test_every_rule_is_documented_once_with_a_severity() -> None:
    assert set(cm.FINDING_RULES) >= {
        "acceptances_exceed_suggestions",
        "lines_accepted_exceed_suggested",
        "child_engaged_exceeds_parent",
        "engaged_exceeds_active",
        "duplicate_row",
        "unknown_field",
        "training_date_not_a_date",
        "dates_not_in_order",
    }
    for severity, text in cm.FINDING_RULES.values():
        assert severity in {"info", "warning", "error"}
        assert text


def test_acceptances_exceed_suggestions_including_zero_suggestions() -> None:
    ds = load(
        [
            completions_day(
                [
                    leaf("kotlin", total_code_suggestions=0, total_code_acceptances=4),  # seen on real JetBrains rows
                    leaf("java", total_code_suggestions=10, total_code_acceptances=11),
                    leaf("go", total_code_suggestions=10, total_code_acceptances=10),  # equal: fine
                    leaf("rust", total_code_acceptances=3),  # suggestions absent: unknown, not a finding
                ]
            )
        ]
    )
    check(
        ds,
        "acceptances_exceed_suggestions",
        [
            (D, "completions", f"{LEAF}kotlin].total_code_acceptances", "acceptances_exceed_suggestions", "4 > 0"),
            (D, "completions", f"{LEAF}java].total_code_acceptances", "acceptances_exceed_suggestions", "11 > 10"),
        ],
    )


def test_lines_accepted_exceed_suggested() -> None:
    ds = load(
        [
            completions_day(
                [
                    leaf("kotlin", total_code_lines_suggested=0, total_code_lines_accepted=1),
                    leaf("java", total_code_lines_suggested=5, total_code_lines_accepted=5),
                ]
            )
        ]
    )
    check(
        ds,
        "lines_accepted_exceed_suggested",
        [
            (D, "completions", f"{LEAF}kotlin].total_code_lines_accepted", "lines_accepted_exceed_suggested", "1 > 0"),
        ],
    )


def test_child_engaged_exceeds_parent_at_every_level() -> None:
    day = {
        "date": "2024-06-24",
        "total_active_users": 50,
        "total_engaged_users": 5,
        "copilot_ide_code_completions": {
            "total_engaged_users": 6,  # block above the day's total
            "languages": [{"name": "go", "total_engaged_users": 7}],  # language above block
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 8,  # editor above block
                    "models": [
                        {
                            "name": "default",
                            "total_engaged_users": 9,  # model above editor
                            "languages": [{"name": "go", "total_engaged_users": 10}],
                        }
                    ],
                }
            ],
        },  # leaf above model
        "copilot_ide_chat": {
            "total_engaged_users": 4,
            "editors": [
                {"name": "vscode", "total_engaged_users": 4, "models": [{"name": "default", "total_engaged_users": 4}]}
            ],
        },
        "copilot_dotcom_chat": {"total_engaged_users": 2, "models": [{"name": "default", "total_engaged_users": 3}]},
        "copilot_dotcom_pull_requests": {
            "total_engaged_users": 1,
            "repositories": [
                {"name": "a/b", "total_engaged_users": 1, "models": [{"name": "default", "total_engaged_users": 2}]}
            ],
        },
    }
    ds = load([day])
    r = "child_engaged_exceeds_parent"
    dc = "$[date=2024-06-24].copilot_dotcom_chat"
    pr = "$[date=2024-06-24].copilot_dotcom_pull_requests"
    check(
        ds,
        r,
        [
            (D, "days", f"{CC}.total_engaged_users", r, "6 > 5"),
            (D, "completions_languages", f"{CC}.languages[name=go].total_engaged_users", r, "7 > 6"),
            (D, "completions_editors", f"{CC}.editors[name=vscode].total_engaged_users", r, "8 > 6"),
            (
                D,
                "completions_models",
                f"{CC}.editors[name=vscode].models[name=default].total_engaged_users",
                r,
                "9 > 8",
            ),
            (
                D,
                "completions",
                f"{CC}.editors[name=vscode].models[name=default].languages[name=go].total_engaged_users",
                r,
                "10 > 9",
            ),
            (D, "dotcom_chat", f"{dc}.models[name=default].total_engaged_users", r, "3 > 2"),
            (D, "pull_requests", f"{pr}.repositories[name=a/b].models[name=default].total_engaged_users", r, "2 > 1"),
        ],
    )


def test_engaged_exceeds_active() -> None:
    ds = load(
        [
            {"date": "2024-06-24", "total_active_users": 3, "total_engaged_users": 4},
            {"date": "2024-06-25", "total_active_users": 4, "total_engaged_users": 4},
            {"date": "2024-06-26", "total_engaged_users": 4},
        ]
    )
    check(
        ds,
        "engaged_exceeds_active",
        [
            (D, "days", "$[date=2024-06-24].total_engaged_users", "engaged_exceeds_active", "4 > 3"),
        ],
    )


def test_unknown_field_is_reported_at_its_path() -> None:
    ds = load(
        [
            {
                "date": "2024-06-24",
                "seats": 7,
                "copilot_ide_chat": {
                    "editors": [{"name": "vscode", "models": [{"name": "default", "total_chat_retries": 1}]}]
                },
            }
        ]
    )
    check(
        ds,
        "unknown_field",
        [
            (D, None, "$[0].seats", "unknown_field", None),
            (D, None, "$[0].copilot_ide_chat.editors[0].models[0].total_chat_retries", "unknown_field", None),
        ],
    )


def test_training_date_not_a_date_keeps_the_value_verbatim() -> None:
    ds = load(
        [
            {
                "date": "2024-06-24",
                "copilot_dotcom_chat": {
                    "models": [
                        {"name": "mine", "is_custom_model": True, "custom_model_training_date": "Q1 2024"},
                        {"name": "ok", "is_custom_model": True, "custom_model_training_date": "2024-02-01"},
                        {"name": "default", "custom_model_training_date": None},
                    ]
                },
            }
        ]
    )
    check(
        ds,
        "training_date_not_a_date",
        [
            (
                D,
                "dotcom_chat",
                "$[date=2024-06-24].copilot_dotcom_chat.models[name=mine].custom_model_training_date",
                "training_date_not_a_date",
                "Q1 2024",
            ),
        ],
    )
    assert ds.dotcom_chat["custom_model_training_date"].to_list() == [None, datetime.date(2024, 2, 1), None]


def test_dates_not_in_order() -> None:
    ds = load([{"date": "2024-06-25"}, {"date": "2024-06-24"}])
    check(ds, "dates_not_in_order", [(None, "days", "$", "dates_not_in_order", None)])
    assert found(load([{"date": "2024-06-24"}, {"date": "2024-06-25"}]), "dates_not_in_order").height == 0


def test_duplicate_rows_are_a_finding_when_quarantined() -> None:
    day = completions_day([leaf("go", total_code_suggestions=1), leaf("go", total_code_suggestions=2)])
    ds = load([day, {"date": "2024-06-25"}], on_invalid="quarantine")
    check(ds, "duplicate_row", [(D, "completions", f"{LEAF}go]", "duplicate_row", None)])
    assert ds.findings.filter(pl.col("rule") == "negative_count").height == 0


def test_clean_official_example_has_no_findings() -> None:
    from pathlib import Path

    ds = cm.load(Path(__file__).resolve().parent / "fixtures" / "explode_official_example.json")
    assert ds.findings.height == 0


@pytest.mark.parametrize("contracts", [True, False])
def test_findings_never_change_the_tables(contracts: bool) -> None:
    days = [
        completions_day(
            [
                leaf(
                    "kotlin",
                    total_engaged_users=9,
                    total_code_suggestions=0,
                    total_code_acceptances=4,
                    total_code_lines_suggested=1,
                    total_code_lines_accepted=2,
                )
            ],
            total_active_users=1,
            total_engaged_users=2,
            extra_key="x",
        )
    ]
    ds = load(days, contracts=contracts)
    assert ds.findings.height > 0
    assert ds.to_api() == days
    row = ds.completions.row(0, named=True)
    assert (row["total_code_suggestions"], row["total_code_acceptances"]) == (0, 4)
    assert ds.days.select("total_active_users", "total_engaged_users").row(0) == (1, 2)


def test_training_date_key_nested_inside_an_unknown_value_is_not_a_finding() -> None:
    ds = load(
        [
            {
                "date": "2024-06-24",
                "copilot_dotcom_chat": {"models": [{"name": "m", "meta": {"custom_model_training_date": "whenever"}}]},
            }
        ]
    )
    assert found(ds, "training_date_not_a_date").height == 0
    assert found(ds, "unknown_field")["json_path"].to_list() == ["$[0].copilot_dotcom_chat.models[0].meta"]


def test_with_contracts_skipped_duplicates_and_negative_counts_are_still_findings() -> None:
    day = completions_day([leaf("go", total_code_suggestions=1), leaf("go", total_code_suggestions=-2)])
    ds = load([day], contracts=False)
    assert ds.completions["total_code_suggestions"].to_list() == [1, -2]  # kept, not fixed
    check(ds, "duplicate_row", [(D, "completions", f"{LEAF}go]", "duplicate_row", None)])
    check(ds, "negative_count", [(D, "completions", f"{LEAF}go].total_code_suggestions", "negative_count", "-2")])
