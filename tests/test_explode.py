"""Flattening (issue 3): hand-written tables of GitHub's official example, declared types, sums
of every count column against the raw JSON of every real sample, concatenation across files."""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import copilot_metrics as cm
from copilot_metrics.tables import TABLES

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OFFICIAL = FIXTURES / "explode_official_example.json"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLES = SHARED / "samples" / "metrics"
D = datetime.date(2024, 6, 24)
SRC = str(OFFICIAL)

#: The public column order of every table, written out by hand (the contract of issue 3).
COLUMNS: dict[str, list[str]] = {
    "days": [
        "total_active_users",
        "total_engaged_users",
        "completions_engaged_users",
        "ide_chat_engaged_users",
        "dotcom_chat_engaged_users",
        "pull_requests_engaged_users",
    ],
    "completions_languages": ["language", "total_engaged_users"],
    "completions_editors": ["editor", "total_engaged_users"],
    "completions_models": ["editor", "model", "is_custom_model", "custom_model_training_date", "total_engaged_users"],
    "completions": [
        "editor",
        "model",
        "language",
        "total_engaged_users",
        "total_code_suggestions",
        "total_code_acceptances",
        "total_code_lines_suggested",
        "total_code_lines_accepted",
    ],
    "ide_chat_editors": ["editor", "total_engaged_users"],
    "ide_chat": [
        "editor",
        "model",
        "is_custom_model",
        "custom_model_training_date",
        "total_engaged_users",
        "total_chats",
        "total_chat_insertion_events",
        "total_chat_copy_events",
    ],
    "dotcom_chat": ["model", "is_custom_model", "custom_model_training_date", "total_engaged_users", "total_chats"],
    "pull_requests_repositories": ["repository", "total_engaged_users"],
    "pull_requests": [
        "repository",
        "model",
        "is_custom_model",
        "custom_model_training_date",
        "total_pr_summaries_created",
        "total_engaged_users",
    ],
}
DIMS = {"editor", "model", "language", "repository"}
TRAIN = datetime.date(2024, 2, 1)


def expected(name: str, rows: list[tuple[Any, ...]], org: str | None = "octo-org", source: str = SRC) -> pl.DataFrame:
    """A table of the official example from hand-written value tuples (in COLUMNS order)."""
    dicts = [
        {
            "enterprise": None,
            "org": org,
            "team": None,
            "date": D,
            **dict(zip(COLUMNS[name], row, strict=True)),
            "source": source,
            "extras": None,
            "shape": None,
        }
        for row in rows
    ]
    return pl.DataFrame(dicts, schema=TABLES[name].schema, orient="row")


#: Every table of GitHub's official example, by hand.
OFFICIAL_ROWS: dict[str, list[tuple[Any, ...]]] = {
    "days": [(24, 20, 20, 13, 14, 12)],
    "completions_languages": [("python", 10), ("ruby", 10)],
    "completions_editors": [("vscode", 13), ("neovim", 7)],
    "completions_models": [
        ("vscode", "default", False, None, 13),
        ("neovim", "a-custom-model", True, TRAIN, None),  # total_engaged_users absent in the example
    ],
    "completions": [
        ("vscode", "default", "python", 6, 249, 123, 225, 135),
        ("vscode", "default", "ruby", 7, 496, 253, 520, 270),
        ("neovim", "a-custom-model", "typescript", 3, 112, 56, 143, 61),
        ("neovim", "a-custom-model", "go", 4, 132, 67, 154, 72),
    ],
    "ide_chat_editors": [("vscode", 13)],
    "ide_chat": [
        ("vscode", "default", False, None, 12, 45, 12, 16),
        ("vscode", "a-custom-model", True, TRAIN, 1, 10, 11, 3),
    ],
    "dotcom_chat": [("default", False, None, 14, 38)],
    "pull_requests_repositories": [("demo/repo1", 8), ("demo/repo2", 4)],
    "pull_requests": [
        ("demo/repo1", "default", False, None, 6, 8),
        ("demo/repo2", "a-custom-model", True, TRAIN, 10, 4),
    ],
}


def test_official_example_has_exactly_the_ten_declared_tables() -> None:
    assert list(TABLES) == list(COLUMNS)
    ds = cm.load(OFFICIAL, org="octo-org")
    assert list(ds.tables)[: len(COLUMNS)] == list(COLUMNS)  # then the successor reports' tables, empty
    for name, cols in COLUMNS.items():
        head = ["enterprise", "org", "team", "date"]
        assert ds.tables[name].columns == [*head, *cols, "source", "extras", "shape"], name


@pytest.mark.parametrize("name", list(COLUMNS))
def test_official_example_table_equals_hand_written_rows(name: str) -> None:
    ds = cm.load(OFFICIAL, org="octo-org")
    got = ds.tables[name]
    assert got.schema == TABLES[name].schema
    want = expected(name, OFFICIAL_ROWS[name])
    key = list(TABLES[name].key)
    assert_frame_equal(got.sort(key), want.sort(key), check_dtypes=True, check_exact=True)


@pytest.mark.parametrize("name", list(COLUMNS))
def test_explode_bytes_of_official_example_gives_the_same_rows_without_merge(name: str) -> None:
    out = cm.explode_bytes(OFFICIAL.read_bytes(), source="official.json", scope={"org": "octo-org"})
    assert out.quarantine == []
    assert out.errors == []
    want = expected(name, OFFICIAL_ROWS[name], source="official.json")
    # explode_bytes keeps the JSON array order.
    assert_frame_equal(out.tables[name], want, check_dtypes=True, check_exact=True)


def test_official_example_has_no_extras_and_no_shape_notes() -> None:
    ds = cm.load(OFFICIAL)
    for name, frame in ds.tables.items():
        assert frame["extras"].null_count() == frame.height, name
        assert frame["shape"].null_count() == frame.height, name


# ---------------------------------------------------------------- declared types, never inferred


def test_count_null_everywhere_still_int64() -> None:
    days = [
        {
            "date": "2024-06-24",
            "copilot_ide_code_completions": {
                "editors": [{"name": "vscode", "models": [{"name": "default", "languages": [{"name": "go"}]}]}]
            },
        },
        {"date": "2024-06-25"},
    ]
    ds = cm.load(orjson.dumps(days))
    assert ds.days.schema == TABLES["days"].schema
    assert ds.days["total_active_users"].dtype == pl.Int64
    assert ds.days["total_active_users"].null_count() == 2
    c = ds.completions
    assert c.schema == TABLES["completions"].schema
    assert c.height == 1
    for col in (
        "total_engaged_users",
        "total_code_suggestions",
        "total_code_acceptances",
        "total_code_lines_suggested",
        "total_code_lines_accepted",
    ):
        assert c[col].dtype == pl.Int64
        assert c[col].to_list() == [None]
    m = ds.completions_models
    assert m["is_custom_model"].dtype == pl.Boolean
    assert m["is_custom_model"].to_list() == [None]
    assert m["custom_model_training_date"].dtype == pl.Date


@pytest.mark.parametrize("loader", ["load", "explode_bytes"])
def test_empty_array_file_gives_empty_tables_with_declared_schemas(loader: str) -> None:
    tables = cm.load(b"[]").tables if loader == "load" else cm.explode_bytes(b"[]", source="empty.json").tables
    assert list(tables)[: len(TABLES)] == list(TABLES)  # a dataset's successor tables follow, empty
    for name in TABLES:
        frame = tables[name]
        assert frame.height == 0
        assert frame.schema == TABLES[name].schema, name


def test_tables_of_unrelated_files_concatenate() -> None:
    # One file with every block, one where every block is null/absent and all counts are missing.
    a = cm.explode_bytes(OFFICIAL.read_bytes(), source="a.json", scope={"org": "o"}).tables
    b_days = [
        {
            "date": "2025-01-01",
            "copilot_ide_code_completions": None,
            "copilot_ide_chat": {},
            "copilot_dotcom_chat": {"models": []},
            "extra_root_key": {"x": [1]},
        }
    ]
    b = cm.explode_bytes(orjson.dumps(b_days), source="b.json", scope={"team": "t"}).tables
    c = cm.explode_bytes(b"[]", source="c.json").tables
    for name in TABLES:
        both = pl.concat([a[name], b[name], c[name]])  # strict vertical concat, no relaxing
        assert both.schema == TABLES[name].schema
        assert both.height == a[name].height + b[name].height


# ---------------------------------------------------------------- sums against the raw JSON


def raw_days(path: Path) -> list[dict[str, Any]]:
    """The days of a sample, read with plain json: unwraps {"cached_at","etag","data"}."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(doc, dict) and "data" in doc and isinstance(doc["data"], list):
        doc = doc["data"]
    if isinstance(doc, dict):
        doc = [doc]
    return list(doc)


def _objs(obj: Any, key: str) -> list[dict[str, Any]]:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, list) else []


def raw_rows(day: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The JSON objects behind each table's rows in one day, walked by hand."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    out["days"].append(day)
    cc = day.get("copilot_ide_code_completions") or {}
    out["completions_languages"] += _objs(cc, "languages")
    for ed in _objs(cc, "editors"):
        out["completions_editors"].append(ed)
        for mo in _objs(ed, "models"):
            out["completions_models"].append(mo)
            out["completions"] += _objs(mo, "languages")
    ch = day.get("copilot_ide_chat") or {}
    for ed in _objs(ch, "editors"):
        out["ide_chat_editors"].append(ed)
        out["ide_chat"] += _objs(ed, "models")
    out["dotcom_chat"] += _objs(day.get("copilot_dotcom_chat") or {}, "models")
    pr = day.get("copilot_dotcom_pull_requests") or {}
    for repo in _objs(pr, "repositories"):
        out["pull_requests_repositories"].append(repo)
        out["pull_requests"] += _objs(repo, "models")
    return out


DAY_BLOCK_COLS = {
    "completions_engaged_users": "copilot_ide_code_completions",
    "ide_chat_engaged_users": "copilot_ide_chat",
    "dotcom_chat_engaged_users": "copilot_dotcom_chat",
    "pull_requests_engaged_users": "copilot_dotcom_pull_requests",
}


def raw_value(table: str, obj: dict[str, Any], column: str) -> Any:
    if table == "days" and column in DAY_BLOCK_COLS:
        block = obj.get(DAY_BLOCK_COLS[column])
        return block.get("total_engaged_users") if isinstance(block, dict) else None
    return obj.get(column)


def sample_paths() -> list[Path]:
    return sorted(SAMPLES.glob("*.json")) if SAMPLES.is_dir() else []


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not beside the clone")
@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: p.name)
def test_sample_count_sums_equal_sums_over_raw_json(path: Path) -> None:
    ds = cm.load(path, on_invalid="quarantine")
    if ds.days.height == 0:
        pytest.skip("no loadable day in this sample")
    quarantined = set(ds.quarantine["date"].to_list())
    days = [d for d in raw_days(path) if d.get("date") not in quarantined]
    assert ds.days.height == len({d["date"] for d in days})
    per_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for day in days:
        for name, objs in raw_rows(day).items():
            per_table[name] += objs
    for name, spec in TABLES.items():
        frame = ds.tables[name]
        assert frame.height == len(per_table[name]), name
        for column, dtype in spec.measures.items():
            if dtype != pl.Int64:
                continue
            values = [raw_value(name, o, column) for o in per_table[name]]
            assert frame[column].sum() == sum(v for v in values if v is not None), (name, column)
            assert frame[column].null_count() == sum(v is None for v in values), (name, column)


def _is_wrapped(path: Path) -> bool:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:  # a truncated download among the samples
        return False
    return isinstance(doc, dict) and {"cached_at", "etag", "data"} <= set(doc)


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not beside the clone")
def test_sample_with_cached_at_etag_data_wrapper_loads_its_data_days() -> None:
    wrapped = [p for p in sample_paths() if _is_wrapped(p)]
    assert wrapped, "the shared samples hold a {cached_at, etag, data} wrapper"
    for path in wrapped:
        doc = json.loads(path.read_text(encoding="utf-8"))
        ds = cm.load(path, on_invalid="quarantine")
        assert ds.days["date"].cast(pl.String).to_list() == sorted(d["date"] for d in doc["data"])
        wrapper = json.loads(ds.sources["wrapper"][0])
        assert wrapper["etag"] == doc["etag"]
        assert wrapper["cached_at"] == doc["cached_at"]
