"""Datasets loaded from bytes merge without losing days: in-memory labels are per call of load."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

import copilot_metrics as cm


def day(date: str, active: int) -> dict[str, object]:
    return {"date": date, "total_active_users": active}


FIRST = json.dumps([day("2025-01-01", 3), day("2025-01-02", 4)]).encode()
SECOND = json.dumps([day("2025-01-03", 5)]).encode()


def test_incremental_load_of_bytes_keeps_the_base_days() -> None:
    base = cm.load(FIRST, org="o")
    grown = cm.load(SECOND, org="o", base=base)
    assert grown.days.select(pl.col("date").cast(pl.String), "total_active_users", "source").rows() == [
        ("2025-01-01", 3, "<bytes #1>"),
        ("2025-01-02", 4, "<bytes #1>"),
        ("2025-01-03", 5, "<bytes #2>"),
    ]
    assert grown.sources["source"].to_list() == ["<bytes #1>", "<bytes #2>"]


def test_the_same_bytes_again_keep_their_label_and_add_nothing() -> None:
    base = cm.load(FIRST, org="o")
    again = cm.load(FIRST, org="o", base=base)
    assert again.sources["source"].to_list() == ["<bytes #1>"]
    assert again.days.height == 2


def test_parquet_merge_of_two_byte_loads_keeps_both(tmp_path: Path) -> None:
    root = cm.write_parquet(cm.load(FIRST, org="o"), tmp_path / "pq")
    cm.write_parquet(cm.load(SECOND, org="o"), root, mode="merge")
    merged = cm.read_parquet(root)
    assert merged.days.select(pl.col("date").cast(pl.String), "total_active_users", "source").rows() == [
        ("2025-01-01", 3, "<bytes #1>"),
        ("2025-01-02", 4, "<bytes #1>"),
        ("2025-01-03", 5, "<bytes #2>"),
    ]
    assert sorted(merged.sources["source"].to_list()) == ["<bytes #1>", "<bytes #2>"]


def test_a_renamed_input_renames_the_copies_of_its_repeated_date() -> None:
    # <bytes #1> of the second load holds 01-05 twice, differently: merged into a base whose <bytes #1> is
    # other content, it becomes <bytes #2>, its earlier copy <bytes #2>$[0] (file and copy path, not parsed)
    repeats = json.dumps([day("2025-01-05", 1), day("2025-01-05", 2)]).encode()
    grown = cm.load(repeats, org="o", base=cm.load(FIRST, org="o"))
    assert grown.versions.filter(pl.col("date") == pl.date(2025, 1, 5)).select(
        "source", "label", "copy_path", "occurrence", "version"
    ).rows() == [("<bytes #2>", "<bytes #2>", None, 0, 0), ("<bytes #2>", "<bytes #2>$[0]", "$[0]", 1, 1)]
    assert grown.conflicts.select("column", "kept_value", "other_value", "kept_source", "other_source").rows() == [
        ("total_active_users", "2", "1", "<bytes #2>", "<bytes #2>$[0]")
    ]
    cm.testing.assert_dataset_equal(grown, cm.load([FIRST, repeats], org="o"))
