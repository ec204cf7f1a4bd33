"""The batched read path of ``cm.load``: verbatim repeats skipped before flattening, batches
of any size and parallel workers all giving the dataset a file-by-file merge gives."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import copilot_metrics as cm
from copilot_metrics import batch, examples, pipeline, sources
from copilot_metrics.export.json import templates
from copilot_metrics.testing import assert_dataset_equal

D = dt.date


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pipeline")
    examples.generate_archive(
        root,
        seed=11,
        n_languages=4,
        scopes=(("org-a", None), ("org-a", "t1"), ("org-b", None)),
        start=D(2025, 1, 1),
        end=D(2025, 2, 20),
        window_days=21,
        export_every_days=7,
        below_threshold=[D(2025, 1, 20)],
    )
    return root


def sources_of(root: Path) -> list[str]:
    return [str(root / "{org}" / "*.json"), str(root / "{org}" / "teams" / "{team}" / "*.json")]


def assert_same(a: cm.Dataset, b: cm.Dataset) -> None:
    assert_dataset_equal(a, b, ignore_columns={"mtime"})


def distinct_versions(root: Path) -> int:
    """Distinct (scope, date, content) in the raw JSON, computed without the library."""
    seen: set[tuple[str, str, str]] = set()
    for path in root.rglob("*.json"):
        scope = str(path.parent.relative_to(root))
        for day in json.loads(path.read_text()):
            seen.add((scope, day["date"], json.dumps(day, sort_keys=True)))
    return len(seen)


def refs_of(root: Path) -> list[sources.SourceRef]:
    return sources.resolve(sources_of(root), {"enterprise": None, "org": None, "team": None})


def test_each_distinct_version_of_a_day_is_flattened_once(archive: Path) -> None:
    read = list(batch.read_batches(refs_of(archive), workers=1))
    assert len(read) == 1  # the whole archive fits one batch: every repeat is found in it
    # a batch's days table has one row per day it flattened
    flattened = sum(b.tables["days"].height for b in read)
    assert flattened == distinct_versions(archive)
    raw_days = sum(len(json.loads(p.read_text())) for p in archive.rglob("*.json"))
    assert flattened < raw_days / 2  # the archive repeats every day about three times
    ds = pipeline.assemble(read, on_invalid="raise")
    assert_same(ds, cm.load(sources_of(archive), workers=1))  # the batches load reads
    counts = ds.sources
    assert (counts["days_kept"] + counts["days_identical"] + counts["days_superseded"]).equals(counts["days_valid"])


def test_batches_of_one_file_give_the_same_dataset(archive: Path) -> None:
    whole = cm.load(sources_of(archive), workers=1)
    refs = refs_of(archive)
    alone = list(batch.read_batches(refs, workers=1, batch_bytes=1))  # every file alone: repeats found by the merge
    assert [len(b.outcomes) for b in alone] == [1] * len(refs)
    assert_same(pipeline.assemble(alone, on_invalid="raise"), whole)


def test_two_worker_processes_give_the_same_dataset(archive: Path) -> None:
    assert_same(cm.load(sources_of(archive), workers=2), cm.load(sources_of(archive), workers=1))


def test_a_verbatim_repeat_names_the_newest_file_as_kept_source(tmp_path: Path) -> None:
    day = examples.generate_days(D(2025, 3, 3), D(2025, 3, 3), seed=2, n_languages=2)[0]
    (tmp_path / "a-2025-03-04.json").write_text(json.dumps([day]))
    (tmp_path / "b-2025-03-05.json").write_text(json.dumps([day]))
    ds = cm.load(tmp_path, org="o")
    assert ds.days["source"].to_list() == [str(tmp_path / "b-2025-03-05.json")]
    counts = ds.sources.select("source", "days_kept", "days_identical").sort("source").rows()
    assert counts == [(str(tmp_path / "a-2025-03-04.json"), 0, 1), (str(tmp_path / "b-2025-03-05.json"), 1, 0)]
    assert ds.conflicts.height == 0


def test_a_repeat_differing_only_in_an_invalid_value_is_still_validated(tmp_path: Path) -> None:
    day = examples.generate_days(D(2025, 3, 3), D(2025, 3, 3), seed=2, n_languages=2)[0]
    bad = {**day, "total_active_users": "12"}
    (tmp_path / "a-2025-03-04.json").write_text(json.dumps([day]))
    (tmp_path / "b-2025-03-05.json").write_text(json.dumps([bad]))
    ds = cm.load(tmp_path, org="o", on_invalid="quarantine")
    assert ds.quarantine.select("source", "date").rows() == [(str(tmp_path / "b-2025-03-05.json"), "2025-03-03")]
    assert ds.days["source"].to_list() == [str(tmp_path / "a-2025-03-04.json")]


def test_an_integer_beyond_int64_is_quarantined_not_truncated(tmp_path: Path) -> None:
    day = {"date": "2025-03-03", "total_active_users": 2**63}
    (tmp_path / "a.json").write_text(json.dumps([day, {"date": "2025-03-04", "total_active_users": 2**63 - 1}]))
    ds = cm.load(tmp_path, on_invalid="quarantine")
    assert ds.days.select("date", "total_active_users").rows() == [(D(2025, 3, 4), 2**63 - 1)]
    assert ds.quarantine.select("date", "stage").rows() == [("2025-03-03", "schema")]
    assert "64-bit" in ds.quarantine["reasons"][0][0]


def test_read_input_skips_only_days_seen_verbatim_in_the_same_scope() -> None:
    day = {"date": "2025-03-03", "total_active_users": 5}
    seen: dict[Any, str] = {}
    first = batch.read_input(json.dumps([day]).encode(), source="a", scope={"org": "x"}, seen=seen)
    again = batch.read_input(json.dumps([day]).encode(), source="b", scope={"org": "x"}, seen=seen)
    other_scope = batch.read_input(json.dumps([day]).encode(), source="c", scope={"org": "y"}, seen=seen)
    changed = batch.read_input(
        json.dumps([{**day, "total_active_users": 6}]).encode(), source="d", scope={"org": "x"}, seen=seen
    )
    assert (len(first.days), first.identical) == (1, [])
    assert (len(again.days), again.identical) == (0, [("2025-03-03", "a")])
    assert (len(other_scope.days), other_scope.identical) == (1, [])
    assert (len(changed.days), changed.identical) == (1, [])
    assert again.source["days_valid"] == 1
    assert again.source["first_date"] == again.source["last_date"] == D(2025, 3, 3)


def test_write_json_output_loads_through_the_batched_path(archive: Path, tmp_path: Path) -> None:
    ds = cm.load(sources_of(archive))
    cm.write_json(ds, tmp_path / "out")
    again = cm.load(templates(tmp_path / "out"))
    for name in ds.tables:
        assert ds.tables[name].drop("source").equals(again.tables[name].drop("source")), name


def test_validate_predicts_load_for_an_integer_beyond_int64() -> None:
    data = json.dumps([{"date": "2025-03-03", "total_active_users": 2**63}]).encode()
    report = cm.validate(data)
    assert not report.ok
    assert report.errors.select("day_index", "json_path", "rule").rows() == [
        (0, "$[0].total_active_users", "representable")
    ]
    assert (report.days_checked, report.days_valid) == (1, 0)
    with pytest.raises(cm.SchemaValidationError) as info:
        cm.load(data)
    assert info.value.report.errors["rule"].to_list() == ["representable"]


def test_responses_appended_one_per_line_load_as_one_archive(tmp_path: Path) -> None:
    first = [{"date": "2025-03-03", "total_active_users": 5}, {"date": "2025-03-04", "total_active_users": 6}]
    second = [{"date": "2025-03-04", "total_active_users": 7}, {"date": "2025-03-05", "total_active_users": 8}]
    path = tmp_path / "appended.json"
    path.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    ds = cm.load(path, org="o")
    assert ds.sources.select("layout", "days", "days_valid").rows() == [("ndjson-arrays", 4, 4)]
    # the later response's copy of 2025-03-04 wins over the earlier one in the same file
    assert ds.days.select("date", "total_active_users").rows() == [
        (D(2025, 3, 3), 5),
        (D(2025, 3, 4), 7),
        (D(2025, 3, 5), 8),
    ]
    assert ds.conflicts.select("date", "column", "kept_value", "other_value").rows() == [
        (D(2025, 3, 4), "total_active_users", "7", "6")
    ]
