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
        ("2025-01-01", 3, "<bytes #1>"), ("2025-01-02", 4, "<bytes #1>"), ("2025-01-03", 5, "<bytes #2>"),
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
        ("2025-01-01", 3, "<bytes #1>"), ("2025-01-02", 4, "<bytes #1>"), ("2025-01-03", 5, "<bytes #2>"),
    ]
    assert sorted(merged.sources["source"].to_list()) == ["<bytes #1>", "<bytes #2>"]
