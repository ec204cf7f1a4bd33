"""Lossless flattening (issue 3): ``to_api`` rebuilds the original days exactly, nulls and absent
keys as they were, for every loadable sample and for generated schema-valid days."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import copilot_metrics as cm
from copilot_metrics.tables import TABLES

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLES = SHARED / "samples" / "metrics"
OFFICIAL = Path(__file__).resolve().parent / "fixtures" / "explode_official_example.json"

ABSENT = object()  # a key left out of its object


def raw_days(path: Path) -> list[dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(doc, dict) and isinstance(doc.get("data"), list):
        doc = doc["data"]
    return doc if isinstance(doc, list) else [doc]


def by_date(days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(days, key=lambda d: d["date"])


def rebuilt_from_bytes(data: bytes) -> list[dict[str, Any]]:
    """to_api over the tables of explode_bytes, without load's merge."""
    out = cm.explode_bytes(data, source="generated.json")
    assert out.quarantine == [], out.quarantine
    return cm.to_api(SimpleNamespace(tables=out.tables))  # type: ignore[arg-type]


# ---------------------------------------------------------------- samples


def _loadable() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    return sorted(SAMPLES.glob("*.json"))


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not beside the clone")
@pytest.mark.parametrize("path", _loadable(), ids=lambda p: p.name)
def test_sample_round_trips_through_load_and_explode_bytes(path: Path) -> None:
    ds = cm.load(path, on_invalid="quarantine")
    if ds.days.height == 0:
        pytest.skip("no loadable day in this sample")
    set_aside = set(ds.quarantine["date"].to_list())
    original = [d for d in raw_days(path) if d.get("date") not in set_aside]
    assert by_date(ds.to_api()) == by_date(original)
    if not set_aside:
        assert rebuilt_from_bytes(path.read_bytes()) == original


def test_official_example_round_trips() -> None:
    original = json.loads(OFFICIAL.read_text(encoding="utf-8"))
    assert cm.load(OFFICIAL).to_api() == original
    assert rebuilt_from_bytes(OFFICIAL.read_bytes()) == original


# ---------------------------------------------------------------- generated schema-valid days

FULLWIDTH_DATE = "\uff12\uff10\uff12\uff14-\uff10\uff11-\uff10\uff11"  # Unicode digits
_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
_json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), _text, st.floats(allow_nan=False, allow_infinity=False)
)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_text, inner, max_size=3)),
    max_leaves=6,
)
_count = st.one_of(st.integers(0, 50), st.integers(0, 2**63 - 1))
_date = st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31)).map(datetime.date.isoformat)


def _unknown(known: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Keys the schema does not know, with arbitrary JSON values."""
    key = st.one_of(st.sampled_from(["new_metric", "x", "name_", "total_new_users", ""]), _text)
    return st.dictionaries(key.filter(lambda k: k not in known), _json, max_size=2)


@st.composite
def _obj(
    draw: st.DrawFn, fields: dict[str, st.SearchStrategy[Any]], known_extra: tuple[str, ...] = (), unknown: bool = True
) -> dict[str, Any]:
    """An object whose every known key may be absent, plus (maybe) unknown keys, in random order."""
    out: dict[str, Any] = {}
    for key, strategy in fields.items():
        value = draw(st.one_of(st.just(ABSENT), strategy))
        if value is not ABSENT:
            out[key] = value
    if unknown:
        out.update(draw(_unknown(set(fields) | set(known_extra))))
    items = list(out.items())
    order = draw(st.permutations(range(len(items)))) if items else []
    return {items[i][0]: items[i][1] for i in order}


def _array(item: st.SearchStrategy[dict[str, Any]], max_size: int = 3) -> st.SearchStrategy[list[dict[str, Any]]]:
    # names unique in an array (an absent name at most once): the natural key stays unique
    return st.lists(item, max_size=max_size, unique_by=lambda o: ("name" in o, o.get("name")))


_name = st.one_of(st.sampled_from(["default", "vscode", "python", "c#", "unknown", "a/b"]), _text)
_training = st.one_of(
    st.none(),
    _date,
    st.sampled_from(["2024-02-30", "0000-01-01", "2024-1-01", "yesterday", "", FULLWIDTH_DATE, "2024-02-01T00:00:00Z"]),
    _text,
)
_model_attrs = {"name": _name, "is_custom_model": st.booleans(), "custom_model_training_date": _training}

_leaf_lang = _obj(
    {
        "name": _name,
        "total_engaged_users": _count,
        "total_code_suggestions": _count,
        "total_code_acceptances": _count,
        "total_code_lines_suggested": _count,
        "total_code_lines_accepted": _count,
    }
)
_cc_model = _obj({**_model_attrs, "total_engaged_users": _count, "languages": _array(_leaf_lang)})
_cc_editor = _obj({"name": _name, "total_engaged_users": _count, "models": _array(_cc_model, 2)})
_cc_lang = _obj({"name": _name, "total_engaged_users": _count})
_completions = _obj({"total_engaged_users": _count, "languages": _array(_cc_lang), "editors": _array(_cc_editor, 2)})

_chat_model = _obj(
    {
        **_model_attrs,
        "total_engaged_users": _count,
        "total_chats": _count,
        "total_chat_insertion_events": _count,
        "total_chat_copy_events": _count,
    }
)
_chat_editor = _obj({"name": _name, "total_engaged_users": _count, "models": _array(_chat_model)})
_ide_chat = _obj({"total_engaged_users": _count, "editors": _array(_chat_editor)})

_dotcom_model = _obj({**_model_attrs, "total_engaged_users": _count, "total_chats": _count})
_dotcom = _obj({"total_engaged_users": _count, "models": _array(_dotcom_model)})

_pr_model = _obj({**_model_attrs, "total_pr_summaries_created": _count, "total_engaged_users": _count})
_pr_repo = _obj({"name": _name, "total_engaged_users": _count, "models": _array(_pr_model)})
_prs = _obj({"total_engaged_users": _count, "repositories": _array(_pr_repo)})


def _block(strategy: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.just({}), strategy)


_day_fields = {
    "total_active_users": _count,
    "total_engaged_users": _count,
    "copilot_ide_code_completions": _block(_completions),
    "copilot_ide_chat": _block(_ide_chat),
    "copilot_dotcom_chat": _block(_dotcom),
    "copilot_dotcom_pull_requests": _block(_prs),
}


@st.composite
def days_strategy(draw: st.DrawFn) -> list[dict[str, Any]]:
    dates = draw(st.lists(_date, min_size=0, max_size=3, unique=True))
    out = []
    for date in dates:
        body = draw(_obj(_day_fields, known_extra=("date",)))
        out.append({"date": date, **body})
    return out


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(days_strategy())
def test_generated_days_round_trip_through_explode_bytes(days: list[dict[str, Any]]) -> None:
    data = orjson.dumps(days)
    if days and all(_looks_flattened(day) for day in days):
        # a file of such objects is rows flattened from an export, refused as a whole (never days)
        with pytest.raises(cm.FormatError) as info:
            cm.explode_bytes(data, source="generated.json")
        assert info.value.detected == "flattened-rows"
        return
    assert rebuilt_from_bytes(data) == days


_SECTIONS = ("copilot_ide_code_completions", "copilot_ide_chat", "copilot_dotcom_chat", "copilot_dotcom_pull_requests")


def _looks_flattened(day: dict[str, Any]) -> bool:
    """No feature section, and a key of its own (not the schema's, not an ``_`` annotation)."""
    known = {"date", "total_active_users", "total_engaged_users", *_SECTIONS}
    return not any(k in day for k in _SECTIONS) and any(k not in known and not k.startswith("_") for k in day)


def _not_dates(days: list[dict[str, Any]]) -> list[str]:
    """Training dates of model objects that are strings but not YYYY-MM-DD calendar dates."""
    out: list[str] = []

    def is_date(text: str) -> bool:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) is None:
            return False
        try:
            datetime.date.fromisoformat(text)
        except ValueError:
            return False
        return True

    def models(day: dict[str, Any]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cc, ch = day.get("copilot_ide_code_completions") or {}, day.get("copilot_ide_chat") or {}
        dc, pr = day.get("copilot_dotcom_chat") or {}, day.get("copilot_dotcom_pull_requests") or {}
        for parent in [*cc.get("editors", []), *ch.get("editors", []), *pr.get("repositories", [])]:
            found += parent.get("models", [])
        return found + dc.get("models", [])

    for day in days:
        for model in models(day):
            value = model.get("custom_model_training_date")
            if isinstance(value, str) and not is_date(value):
                out.append(value)
    return out


@_SETTINGS
@given(days_strategy())
def test_generated_days_round_trip_through_load(days: list[dict[str, Any]]) -> None:
    if days and all(_looks_flattened(day) for day in days):
        with pytest.raises(cm.FormatError) as info:  # rows flattened from an export, refused whole
            cm.load(orjson.dumps(days), org="o")
        assert info.value.detected == "flattened-rows"
        return
    ds = cm.load(orjson.dumps(days), org="o")
    assert by_date(ds.to_api()) == by_date(days)
    for name in TABLES:  # the legacy tables (ds.tables holds the successor tables too, empty here)
        assert ds.tables[name].schema == TABLES[name].schema, name
    odd = ds.findings.filter(pl.col("rule") == "training_date_not_a_date")["value"].to_list()
    assert sorted(odd) == sorted(_not_dates(days))


# ---------------------------------------------------------------- the oddities, one by one


def _one(day: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, pl.DataFrame]]:
    out = cm.explode_bytes(orjson.dumps([day]), source="one.json")
    assert out.quarantine == []
    return cm.to_api(SimpleNamespace(tables=out.tables)), out.tables  # type: ignore[arg-type]


def test_null_absent_and_empty_blocks_are_told_apart() -> None:
    day = {
        "date": "2024-06-24",
        "copilot_ide_code_completions": None,
        "copilot_ide_chat": {},
        "copilot_dotcom_chat": {"models": []},
    }
    rebuilt, tables = _one(day)
    assert rebuilt == [day]
    row = tables["days"].row(0, named=True)
    assert row["completions_engaged_users"] is None
    assert row["ide_chat_engaged_users"] is None
    assert sorted(row["shape"]) == sorted(
        ["copilot_ide_code_completions:null", "copilot_ide_chat.editors:absent", "copilot_dotcom_pull_requests:absent"]
    )
    assert all(tables[n].height == 0 for n in TABLES if n != "days")


def test_empty_versus_absent_arrays_are_told_apart() -> None:
    day = {
        "date": "2024-06-24",
        "copilot_ide_code_completions": {
            "languages": [],
            "editors": [{"name": "vscode", "models": []}, {"name": "jetbrains"}],
        },
    }
    rebuilt, tables = _one(day)
    assert rebuilt == [day]
    assert tables["completions_editors"]["shape"].to_list() == [None, ["models:absent"]]
    assert tables["completions_languages"].height == 0
    assert tables["completions_models"].height == 0


def test_absent_versus_null_training_date_are_told_apart() -> None:
    day = {
        "date": "2024-06-24",
        "copilot_dotcom_chat": {
            "models": [
                {"name": "a", "custom_model_training_date": None},
                {"name": "b"},
                {"name": "c", "custom_model_training_date": "2024-02-01"},
            ]
        },
    }
    rebuilt, tables = _one(day)
    assert rebuilt == [day]
    t = tables["dotcom_chat"]
    assert t["custom_model_training_date"].to_list() == [None, None, datetime.date(2024, 2, 1)]
    assert t["shape"].to_list() == [None, ["custom_model_training_date:absent"], None]


@pytest.mark.parametrize("value", ["2024-02-30", "0000-01-01", "last spring", FULLWIDTH_DATE, "2024-02-01 "])
def test_training_date_that_is_not_a_date_is_kept_verbatim_in_extras(value: str) -> None:
    day = {
        "date": "2024-06-24",
        "copilot_ide_chat": {
            "editors": [
                {
                    "name": "vscode",
                    "models": [{"name": "m", "is_custom_model": True, "custom_model_training_date": value}],
                }
            ]
        },
    }
    rebuilt, tables = _one(day)
    assert rebuilt == [day]
    t = tables["ide_chat"]
    assert t["custom_model_training_date"].to_list() == [None]
    assert json.loads(t["extras"][0]) == {"custom_model_training_date": value}


def test_unknown_keys_at_every_level_are_kept() -> None:
    day = {
        "date": "2024-06-24",
        "root_new": [1, {"a": None}],
        "copilot_ide_code_completions": {
            "block_new": "b",
            "languages": [{"name": "go", "lang_new": 1}],
            "editors": [
                {
                    "name": "vscode",
                    "editor_new": {"x": 1},
                    "models": [
                        {
                            "name": "default",
                            "model_new": None,
                            "languages": [{"name": "go", "total_code_suggestions": 3, "leaf_new": 2.5}],
                        }
                    ],
                }
            ],
        },
        "copilot_dotcom_pull_requests": {
            "repositories": [{"name": "r", "repo_new": True, "models": [{"name": "default", "pr_new": "x"}]}]
        },
    }
    rebuilt, tables = _one(day)
    assert rebuilt == [day]
    assert json.loads(tables["days"]["extras"][0]) == {
        "root_new": [1, {"a": None}],
        "copilot_ide_code_completions": {"block_new": "b"},
    }
    assert json.loads(tables["completions_languages"]["extras"][0]) == {"lang_new": 1}
    assert json.loads(tables["completions_editors"]["extras"][0]) == {"editor_new": {"x": 1}}
    assert json.loads(tables["completions_models"]["extras"][0]) == {"model_new": None}
    assert json.loads(tables["completions"]["extras"][0]) == {"leaf_new": 2.5}
    assert json.loads(tables["pull_requests_repositories"]["extras"][0]) == {"repo_new": True}
    assert json.loads(tables["pull_requests"]["extras"][0]) == {"pr_new": "x"}


def test_leaf_extras_stay_on_their_rows_when_only_some_leaves_have_them() -> None:
    # the shallow/deep walk of leaves must stay aligned with the exploded rows, across days
    days = [
        {
            "date": "2024-06-24",
            "copilot_ide_code_completions": {
                "editors": [{"name": "e", "models": [{"name": "m", "languages": [{"name": "a"}, {"name": "b"}]}]}]
            },
        },
        {
            "date": "2024-06-25",
            "copilot_ide_code_completions": {
                "editors": [
                    {"name": "e", "models": [{"name": "m"}, {"name": "n", "languages": []}]},
                    {"name": "f", "models": [{"name": "m", "languages": [{"name": "c"}, {"name": "d", "z": 1}]}]},
                ]
            },
        },
    ]
    out = cm.explode_bytes(orjson.dumps(days), source="x.json")
    c = out.tables["completions"]
    assert c.select("language", "extras").rows() == [("a", None), ("b", None), ("c", None), ("d", '{"z":1}')]
    assert cm.to_api(SimpleNamespace(tables=out.tables)) == days  # type: ignore[arg-type]


def test_absent_counts_and_names_stay_absent() -> None:
    day = {"date": "2024-06-24", "copilot_ide_chat": {"editors": [{"models": [{"total_chats": 0}]}]}}
    rebuilt, tables = _one(day)
    assert rebuilt == [day]
    assert tables["ide_chat"].select("editor", "model", "total_chats", "total_engaged_users").rows() == [
        (None, None, 0, None)
    ]


def test_zero_activity_day_keeps_its_days_row() -> None:
    day = {
        "date": "2024-06-24",
        "total_active_users": 0,
        "total_engaged_users": 0,
        "copilot_ide_code_completions": {"total_engaged_users": 0, "languages": [], "editors": []},
        "copilot_ide_chat": {"total_engaged_users": 0, "editors": []},
        "copilot_dotcom_chat": {"total_engaged_users": 0, "models": []},
        "copilot_dotcom_pull_requests": {"total_engaged_users": 0, "repositories": []},
    }
    rebuilt, tables = _one(day)
    assert rebuilt == [day]
    assert tables["days"].select(pl.exclude("source", "extras", "shape", "enterprise", "org", "team")).rows() == [
        (datetime.date(2024, 6, 24), 0, 0, 0, 0, 0, 0)
    ]
    assert all(tables[n].height == 0 for n in TABLES if n != "days")


# ---------------------------------------------------------------- absent vs null relies on the schema


@pytest.mark.parametrize(
    "day",
    [
        {"date": "2024-06-24", "total_active_users": None},
        {"date": "2024-06-24", "copilot_dotcom_chat": {"models": [{"name": None}]}},
        {"date": "2024-06-24", "copilot_dotcom_chat": {"models": None}},
        {"date": "2024-06-24", "copilot_dotcom_chat": {"models": [{"is_custom_model": None}]}},
        {"date": "2024-06-24", "copilot_ide_chat": {"total_engaged_users": None}},
    ],
    ids=["count", "name", "array", "is_custom_model", "block-count"],
)
def test_null_where_the_tables_only_know_absent_is_quarantined_verbatim(day: dict[str, Any]) -> None:
    # the typed columns store absent as null; a null there would come back absent, so it must
    # never reach the tables: the schema rejects it and the day is kept verbatim in quarantine
    out = cm.explode_bytes(orjson.dumps([day]), source="null.json")
    assert out.tables["days"].height == 0
    assert [(q["stage"], json.loads(q["day_json"])) for q in out.quarantine] == [("schema", day)]


def test_schema_allows_null_only_where_shape_records_it() -> None:
    from copilot_metrics import _schema

    nullable: set[str] = set()

    def walk(node: dict[str, Any], path: str) -> None:
        for key, sub in node.get("properties", {}).items():
            types = sub.get("type")
            if isinstance(types, list) and "null" in types:
                nullable.add(f"{path}.{key}".lstrip("."))
            if "properties" in sub:
                walk(sub, f"{path}.{key}")
            if isinstance(sub.get("items"), dict):
                walk(sub["items"], f"{path}.{key}[]")

    walk(_schema.day_schema(), "")
    blocks = {"copilot_ide_code_completions", "copilot_ide_chat", "copilot_dotcom_chat", "copilot_dotcom_pull_requests"}
    assert {p for p in nullable if "." not in p} == blocks
    assert {p.rsplit(".", 1)[1] for p in nullable if "." in p} == {"custom_model_training_date"}
