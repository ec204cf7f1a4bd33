"""Contracts (issue 3): one pandera model per table; negative counts and repeated natural keys
raise ContractError naming table, column, key and file, or send the day to ds.quarantine."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics.tables import TABLES

D1, D2 = "2024-06-24", "2024-06-25"


def _leaf(lang: str, suggestions: int) -> dict[str, Any]:
    return {"name": lang, "total_code_suggestions": suggestions, "total_code_acceptances": 1}


def _day(date: str, leaves: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    editors = [{"name": "vscode", "models": [{"name": "default", "languages": leaves}]}]
    return {
        "date": date,
        "total_active_users": 4,
        "copilot_ide_code_completions": {"total_engaged_users": 2, "editors": editors},
        "copilot_ide_chat": {"editors": [{"name": "vscode", "total_engaged_users": 1}]},
        **extra,
    }


NEGATIVE = [_day(D1, [_leaf("go", 5), _leaf("rust", -3)]), _day(D2, [_leaf("go", 7)])]
DUPLICATE = [_day(D1, [_leaf("go", 5)]), _day(D2, [_leaf("go", 7), _leaf("go", 8)])]


def test_every_table_has_a_public_model() -> None:
    assert set(cm.contracts.MODELS) == set(TABLES)


def test_negative_count_raises_contract_error_naming_table_column_key_and_file() -> None:
    with pytest.raises(cm.ContractError) as info:
        cm.load(orjson.dumps(NEGATIVE), org="octo")
    err = info.value
    assert err.table == "completions"
    assert err.column == "total_code_suggestions"
    assert err.file == "<bytes #1>"
    assert err.key == {
        "enterprise": None,
        "org": "octo",
        "team": None,
        "date": D1,
        "editor": "vscode",
        "model": "default",
        "language": "rust",
    }
    message = str(err)
    for part in ("<bytes #1>", "'completions'", "'total_code_suggestions'", "'rust'", "-3"):
        assert part in message
    assert err.attrs()["table"] == "completions"
    cases = err.failure_cases
    assert cases.height == 1
    assert cases.row(0, named=True)["value"] == "-3"


def test_negative_count_in_a_file_names_that_file() -> None:
    # a file path, not bytes: the error names it
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export-2024-06.json"
        path.write_bytes(orjson.dumps(NEGATIVE))
        with pytest.raises(cm.ContractError) as info:
            cm.load(path)
    assert info.value.file is not None
    assert info.value.file.endswith("export-2024-06.json")
    assert "export-2024-06.json" in str(info.value)


def test_duplicate_editor_model_language_rows_in_a_day_raise_contract_error() -> None:
    with pytest.raises(cm.ContractError) as info:
        cm.load(orjson.dumps(DUPLICATE))
    err = info.value
    assert err.table == "completions"
    assert err.key == {
        "enterprise": None,
        "org": None,
        "team": None,
        "date": D2,
        "editor": "vscode",
        "model": "default",
        "language": "go",
    }
    assert err.column is not None
    assert "editor" in err.column
    assert "language" in err.column
    assert err.failure_cases.height == 2  # both copies


@pytest.mark.parametrize(
    ("days", "bad_date", "rule"), [(NEGATIVE, D1, "negative_count"), (DUPLICATE, D2, "duplicate_row")]
)
def test_quarantine_sets_the_offending_day_aside_from_every_table(
    days: list[dict[str, Any]], bad_date: str, rule: str
) -> None:
    ds = cm.load(orjson.dumps(days), org="octo", on_invalid="quarantine")
    good_date = D2 if bad_date == D1 else D1
    q = ds.quarantine
    assert q.height == 1
    row = q.row(0, named=True)
    assert row["stage"] == "contract"
    assert row["date"] == bad_date
    assert row["org"] == "octo"
    assert row["source"] == "<bytes #1>"
    assert len(row["reasons"]) >= 1
    assert all(r is not None and "completions" in r for r in row["reasons"])
    # the day is rebuilt verbatim from the tables before they drop it
    original = next(d for d in days if d["date"] == bad_date)
    assert json.loads(row["day_json"]) == original
    for name, frame in ds.tables.items():
        assert bad_date not in frame["date"].cast(pl.String).to_list(), name
    assert ds.days["date"].to_list() == [datetime.date.fromisoformat(good_date)]
    assert ds.completions.height == 1
    assert ds.ide_chat_editors.height == 1
    assert ds.to_api() == [d for d in days if d["date"] == good_date]
    found = ds.findings.filter(pl.col("rule") == rule)
    assert found.height == 1
    assert found.row(0, named=True)["table"] == "completions"
    assert found.row(0, named=True)["severity"] == "error"


def test_negative_count_finding_points_at_the_value() -> None:
    ds = cm.load(orjson.dumps(NEGATIVE), on_invalid="quarantine")
    found = ds.findings.filter(pl.col("rule") == "negative_count").select("json_path", "value").rows()
    assert found == [
        (
            "$[date=2024-06-24].copilot_ide_code_completions.editors[name=vscode]"
            ".models[name=default].languages[name=rust].total_code_suggestions",
            "-3",
        )
    ]
    assert ds.findings.filter(pl.col("rule") == "duplicate_row").height == 0


def test_contracts_can_be_skipped() -> None:
    ds = cm.load(orjson.dumps(NEGATIVE), contracts=False)
    assert ds.completions["total_code_suggestions"].to_list() == [5, -3, 7]


def test_users_validate_their_own_frame_with_the_public_models() -> None:
    ds = cm.load(orjson.dumps(DUPLICATE[:1]))
    mine = ds.completions.clone()
    cm.contracts.MODELS["completions"].validate(mine)  # valid: no exception
    import pandera.errors  # imported by the models above (quietly, should PySpark be installed)

    negative = mine.with_columns(pl.lit(-1, pl.Int64).alias("total_code_acceptances"))
    with pytest.raises(pandera.errors.SchemaError):
        cm.contracts.MODELS["completions"].validate(negative)
    doubled = pl.concat([mine, mine])
    with pytest.raises(pandera.errors.SchemaError):
        cm.contracts.MODELS["completions"].validate(doubled)
    wrong_type = mine.with_columns(pl.col("total_code_suggestions").cast(pl.Int32))
    with pytest.raises(pandera.errors.SchemaError):
        cm.contracts.MODELS["completions"].validate(wrong_type)
    assert mine.equals(ds.completions)  # validation never changes the caller's frame


def test_check_table_names_key_columns_for_repeated_keys() -> None:
    ds = cm.load(orjson.dumps(DUPLICATE[:1]))
    doubled = pl.concat([ds.completions_editors, ds.completions_editors])
    failures = cm.contracts.check_table("completions_editors", doubled)
    assert failures.select("table", "column", "check", "row").sort("row").rows() == [
        ("completions_editors", "enterprise, org, team, date, editor", "unique natural key", 0),
        ("completions_editors", "enterprise, org, team, date, editor", "unique natural key", 1),
    ]
    assert cm.contracts.check_table("completions_editors", ds.completions_editors).height == 0


def test_sibling_rows_with_the_same_name_under_different_parents_are_not_duplicates() -> None:
    day = {
        "date": D1,
        "copilot_ide_code_completions": {
            "editors": [
                {"name": "vscode", "models": [{"name": "default", "languages": [_leaf("go", 1)]}]},
                {"name": "neovim", "models": [{"name": "default", "languages": [_leaf("go", 1)]}]},
            ]
        },
    }
    ds = cm.load(orjson.dumps([day]))
    assert ds.completions.height == 2
    assert ds.quarantine.height == 0


def test_contract_quarantine_rebuilds_odd_days_verbatim() -> None:
    # unknown keys (one named like the loader's internal scope marker), a null block, a bad training date
    odd = {
        **NEGATIVE[0],
        "__scope__": ["x"],
        "copilot_dotcom_chat": None,
        "copilot_dotcom_pull_requests": {
            "repositories": [{"name": "r", "models": [{"name": "m", "custom_model_training_date": "soon", "new": 1}]}]
        },
    }
    ds = cm.load(orjson.dumps([odd, NEGATIVE[1]]), on_invalid="quarantine")
    assert ds.quarantine["stage"].to_list() == ["contract"]
    assert json.loads(ds.quarantine["day_json"][0]) == odd
    assert ds.to_api() == [NEGATIVE[1]]


def test_quarantine_removes_the_day_of_the_offending_scope_only(tmp_path: Any) -> None:
    for org, days in (("bad-org", NEGATIVE), ("good-org", [NEGATIVE[1], _day(D1, [_leaf("go", 1)])])):
        (tmp_path / org).mkdir()
        (tmp_path / org / "export.json").write_bytes(orjson.dumps(days))
    ds = cm.load(str(tmp_path / "{org}" / "*.json"), on_invalid="quarantine")
    assert ds.quarantine.select("org", "date", "stage").rows() == [("bad-org", D1, "contract")]
    kept = ds.days.select("org", pl.col("date").cast(pl.String)).sort("org", "date").rows()
    assert kept == [("bad-org", D2), ("good-org", D1), ("good-org", D2)]
    assert ds.completions.filter(pl.col("org") == "good-org").height == 2


def test_status_says_when_contracts_set_aside_some_or_all_days_of_a_file(tmp_path: Path) -> None:
    (tmp_path / "all.json").write_text(json.dumps([{"date": "2025-01-01", "total_active_users": -1}]))
    (tmp_path / "some.json").write_text(
        json.dumps([{"date": "2025-01-02", "total_active_users": -1}, {"date": "2025-01-03", "total_active_users": 4}])
    )
    (tmp_path / "mixed.json").write_text(
        json.dumps(
            [{"date": "2025-01-04", "total_active_users": "x"}, {"date": "2025-01-05", "total_active_users": -2}]
        )
    )
    ds = cm.load(tmp_path, on_invalid="quarantine")
    statuses = dict(ds.sources.select(pl.col("source").str.replace(r".*/", ""), "status").iter_rows())
    assert statuses == {
        "all.json": "not loaded: every day quarantined",
        "some.json": "loaded with quarantined days",
        "mixed.json": "not loaded: every day quarantined",
    }
    assert ds.days["date"].to_list() == [datetime.date(2025, 1, 3)]
