"""Issue 19: reading each distinct day once gives exactly the dataset reading every copy gives.

The batch step reads files through the scanner (:mod:`copilot_metrics._scan`: raw day ranges,
fingerprints, only new distinct ranges parsed; files holding a date many times flatten each
distinct version once) unless told ``scanner=False``, today's path: every day object parsed,
each earlier copy of a date flattened on its own.  Both run here on the same generated archives
(repeats, late corrections, pretty-printed and reordered copies, appended and concatenated
documents, bad files, quarantined days, unknown keys) and must give the same dataset: every
table and side table, the validation report, and the same errors in raise mode.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

import copilot_metrics as cm
from copilot_metrics.batch import ReadMemory, day_versions, plan_batches, process_batch, read_input, source_row
from copilot_metrics.dataset import Dataset
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.examples import generate_archive
from copilot_metrics.pipeline import assemble
from copilot_metrics.sources import resolve
from copilot_metrics.testing import assert_dataset_equal

TEMPLATES = ("{org}/*.json*", "{org}/teams/{team}/*.json*")


def _load(root: Path, *, scanner: bool, batch_bytes: int = 64 * 2**20, on_invalid: str = "quarantine") -> Dataset:
    """What cm.load(templates, workers=1) does, with the batch step's path chosen."""
    refs = resolve([str(root / t) for t in TEMPLATES], {"enterprise": None, "org": None, "team": None})
    skipped = [source_row(ref, "skipped", ref.skipped) for ref in refs if ref.skipped]
    readable = [ref for ref in refs if not ref.skipped]
    batches = [process_batch(b, scanner=scanner) for b in plan_batches(readable, 1, batch_bytes=batch_bytes)]
    return assemble(batches, on_invalid=on_invalid, skipped=skipped)  # type: ignore[arg-type]


def _both(root: Path, **options: Any) -> tuple[Dataset, Dataset]:
    new, old = _load(root, scanner=True, **options), _load(root, scanner=False, **options)
    assert_dataset_equal(new, old, check_validation=True)
    return new, old


def _days(path: Path) -> list[dict[str, Any]]:
    days = json.loads(path.read_bytes())
    assert isinstance(days, list)
    return days


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An org and its team, weekly 28-day exports with a late correction each, then every oddity."""
    root = tmp_path_factory.mktemp("equivalence")
    files = generate_archive(
        root,
        scopes=[("octo", None), ("octo", "plat")],
        start=dt.date(2024, 6, 1),
        end=dt.date(2024, 7, 10),
        window_days=28,
        export_every_days=7,
        n_languages=3,
    )
    org = sorted(f for f in files if "teams" not in f.parts)
    team = sorted(f for f in files if "teams" in f.parts)
    o = root / "octo"
    # the same content, other bytes: indented by 4, and each day's keys in reverse order
    (o / "x-pretty4.json").write_text(json.dumps(_days(org[2]), indent=4))
    (o / "x-reordered.json").write_bytes(orjson.dumps([dict(reversed(d.items())) for d in _days(org[3])]))
    # responses appended by a daily job (>>): pretty documents one after the other, one-line documents
    # (more than 8 lines: ndjson-arrays), documents glued on one line (concatenated-json)
    (o / "x-appended.json").write_bytes(b"\n".join(f.read_bytes() for f in org))
    lines = [orjson.dumps(_days(f)[k : k + 5]) for f in org for k in range(0, 28, 9)]
    assert len(lines) > 8
    (o / "x-lines.json").write_bytes(b"\n".join(lines) + b"\n")
    (o / "x-glued.json").write_bytes(b"".join(orjson.dumps(_days(f)[:4]) for f in team[:3]))
    # NDJSON of days, one with a changed count (a differing copy within a file), a BOM, gzip
    days = _days(org[1])
    changed = dict(days[0], total_active_users=days[0]["total_active_users"] + 1)
    (o / "x-ndjson.json").write_bytes(b"\n".join(orjson.dumps(d) for d in [*days[:3], changed, days[0]]))
    (o / "x-bom.json").write_bytes(b"\xef\xbb\xbf" + org[0].read_bytes())
    (o / "x-gz.json.gz").write_bytes(gzip.compress(org[1].read_bytes()))
    # unknown keys; a day failing the schema, held verbatim by two files; a count past 2**53
    unknown = [dict(d, future_field={"a": 1}) for d in _days(org[0])[:3]]
    (o / "x-unknown.json").write_bytes(orjson.dumps(unknown))
    (o / "x-unknown-twice.json").write_bytes(orjson.dumps(unknown) + b"\n" + orjson.dumps(unknown[1:]))
    bad_day = dict(_days(org[0])[0], total_active_users="12")
    (o / "x-invalid-1.json").write_bytes(orjson.dumps([bad_day, *_days(org[0])[1:3]]))
    (o / "x-invalid-2.json").write_bytes(orjson.dumps([bad_day, *_days(org[0])[1:3], bad_day]))
    big = _days(org[0])[:2]
    big[1] = dict(big[1], total_active_users=9007199254740993)
    (o / "x-big.json").write_bytes(orjson.dumps(big).replace(b"9007199254740993", b"9007199254740993.0"))
    huge = re.sub(
        rb'"total_active_users": *[0-9]+', b'"total_active_users":99999999999999999999', org[0].read_bytes(), count=1
    )
    (o / "x-huge.json").write_bytes(huge)
    # one day object alone; a day whose keys are written with \u escapes (the same day once parsed)
    (o / "x-object.json").write_bytes(orjson.dumps(days[1]))
    (o / "x-escaped.json").write_bytes(orjson.dumps(days[2]).replace(b'"date"', b'"\\u0064ate"', 1))
    # a key written twice: the last one counts, as orjson reads it
    (o / "x-twice.json").write_bytes(b'[{"date": "2024-05-01", "total_active_users": 2, "date": "2024-06-03"}]')
    # files that are not exports, or are cut short
    (o / "y-empty.json").write_bytes(b"")
    (o / "y-truncated.json").write_bytes(org[0].read_bytes()[:500])
    (o / "y-html.json").write_bytes(b"<html>login</html>")
    (o / "y-error.json").write_bytes(b'{"message": "Bad credentials", "documentation_url": "x"}')
    (o / "y-wrapped.json").write_bytes(orjson.dumps({"data": _days(org[0])[:3], "total": 3}))
    (o / "y-usage.json").write_bytes(
        orjson.dumps([{"date": "2024-06-01", "total_suggestions_count": 3, "breakdown": []}])
    )
    (o / "y-flat.json").write_bytes(orjson.dumps([{"date": "2024-06-01", "acceptances": 3}]))
    (o / "y-cut.json").write_bytes(b"\n".join(orjson.dumps(d) for d in days[:3]) + b'\n{"date": "2024-')
    (o / "y-stray.json").write_bytes(orjson.dumps([days[0], [], days[1]]))
    (o / "y-nodate.json").write_bytes(orjson.dumps([days[0], {"total_active_users": 3}]))
    return root


def test_every_table_and_side_table_equal_one_batch(archive: Path) -> None:
    new, _ = _both(archive)
    # what the archive holds, checked by hand: the appended file repeats dates (findings per earlier copy),
    # the two invalid-day files set that day aside (the second twice), the bad files are refused
    statuses = dict(new.sources.select("source", "status").iter_rows())
    name = {Path(k).name: v for k, v in statuses.items()}
    assert name["y-empty.json"].startswith("not loaded")
    assert name["y-html.json"].startswith("not loaded")
    assert name["x-appended.json"] == "loaded"
    assert name["x-invalid-2.json"] == "loaded with quarantined days"
    aside = new.quarantine.group_by("source").len()
    counts = {Path(s).name: n for s, n in aside.iter_rows()}
    assert counts["x-invalid-1.json"] == 1
    assert counts["x-invalid-2.json"] == 2
    assert counts["y-cut.json"] == 1
    duplicates = new.findings.filter(pl_rule("duplicate_date_in_file"))
    # x-appended.json: 6 weekly exports of 7, 14, 21, 28, 28, 28 days hold the 40 dates 2024-06-01..07-10
    appended = duplicates.filter(duplicates["source"].str.ends_with("x-appended.json"))
    assert appended.height == 7 + 14 + 21 + 28 + 28 + 28 - 40


def pl_rule(rule: str) -> Any:
    import polars as pl

    return pl.col("rule") == rule


def test_equal_one_file_per_batch(archive: Path) -> None:
    """Repeats across batches are found by the merge, not by the batch's memory: the same dataset."""
    new, _ = _both(archive, batch_bytes=1)
    assert_dataset_equal(new, _load(archive, scanner=True))


def test_load_takes_the_new_path_and_gives_the_same(archive: Path) -> None:
    ds = cm.load([str(archive / t) for t in TEMPLATES], on_invalid="quarantine", workers=1)
    assert_dataset_equal(ds, _load(archive, scanner=False), check_validation=True)


def test_raise_mode_raises_the_same(archive: Path) -> None:
    with pytest.raises(CopilotMetricsError) as new:
        _load(archive, scanner=True, on_invalid="raise")
    with pytest.raises(CopilotMetricsError) as old:
        _load(archive, scanner=False, on_invalid="raise")
    assert type(new.value) is type(old.value)
    assert str(new.value) == str(old.value)
    assert new.value.attrs() == old.value.attrs()


def test_a_day_seen_in_an_earlier_file_is_not_parsed_again() -> None:
    first = b'[{"date": "2024-06-01", "total_active_users": 3}, {"date": "2024-06-02"}]'
    second = b'[\n{"date": "2024-06-02"},\n{"date": "2024-06-03"}, {"date": "2024-06-01", "total_active_users": 3}]'
    seen: dict[Any, str] = {}
    key = (None, "octo", None)
    a = day_versions(first, source="a.json", scope_key=key, seen=seen)
    assert a.at == [0, 1]
    seen[(key, "2024-06-01", a.digests[0])] = "a.json"  # what _keep records for valid days
    seen[(key, "2024-06-02", a.digests[1])] = "a.json"
    b = day_versions(second, source="b.json", scope_key=key, seen=seen)
    assert b.at == [1]
    assert b.identical == [("2024-06-02", "a.json"), ("2024-06-01", "a.json")]
    assert b.identical_at == [0, 2]
    assert b.dates == ["2024-06-02", "2024-06-03", "2024-06-01"]
    assert b.decoded.days == [None, {"date": "2024-06-03"}, None]  # the days seen before were never parsed
    old = day_versions(second, source="b.json", scope_key=key, seen=seen, scanner=False)
    assert (old.at, old.identical, old.identical_at, old.dates) == (b.at, b.identical, b.identical_at, b.dates)
    assert old.decoded.days[0] == {"date": "2024-06-02"}  # today's path parses every day


def test_split_versions_flattens_each_distinct_version_once() -> None:
    a = {"date": "2024-06-01", "total_active_users": 3}
    b = {"date": "2024-06-02", "total_active_users": 4}
    a2 = {"total_active_users": 3, "date": "2024-06-01"}  # a's content, another key order: another text
    days = [a, b, a2, a]  # a is one object twice, as the scanner gives the copies of one range
    tables, registry, findings = cm.merge.split_versions(days, [0, 1, 2, 3], source="f.json", scope={"org": "o"})
    # the kept copies (file order: $[1], $[3]) then the earlier ones ($[0], $[2]); $[0] is $[3]'s text
    assert registry.select("source", "occurrence", "stored").rows() == [
        ("f.json", 0, True),
        ("f.json", 0, True),
        ("f.json$[0]", 2, False),
        ("f.json$[2]", 1, True),
    ]
    assert registry["date"].to_list() == [
        dt.date(2024, 6, 2),
        dt.date(2024, 6, 1),
        dt.date(2024, 6, 1),
        dt.date(2024, 6, 1),
    ]
    assert registry["file"].unique().to_list() == ["f.json"]
    assert registry["org"].unique().to_list() == ["o"]
    digests = registry["digest"].to_list()
    assert digests[2] == digests[1]  # the same version
    assert digests[3] == digests[1]  # key order is not content: the same rows, the same version
    assert tables["days"].select("source", "date", "total_active_users").rows() == [
        ("f.json", dt.date(2024, 6, 2), 4),
        ("f.json", dt.date(2024, 6, 1), 3),
        ("f.json$[2]", dt.date(2024, 6, 1), 3),
    ]
    assert findings.select("json_path", "value").rows() == [
        ("$[0]", "identical to $[3], the copy kept"),
        ("$[2]", "identical to $[3], the copy kept"),
    ]


def test_split_versions_gives_split_repeats_copies() -> None:
    a = {"date": "2024-06-01", "total_active_users": 3, "copilot_ide_chat": {"total_engaged_users": 1}}
    changed = {"date": "2024-06-01", "total_active_users": 5}
    days = [a, changed, {"date": "2024-06-02"}, a]
    tables, registry, findings = cm.merge.split_versions(
        days, [0, 2, 3, 4], source="f.json", scope={}, json_base="$.data"
    )
    kept, copies, old_findings = cm.merge.split_repeats(
        [*days[:1], None, *days[1:]], [0, 2, 3, 4], source="f.json", scope={}, json_base="$.data"
    )
    assert [(label, occurrence) for label, occurrence, _ in copies] == [("f.json$.data[0]", 2), ("f.json$.data[2]", 1)]
    assert registry.select("source", "occurrence", "stored").rows() == [
        ("f.json", 0, True),
        ("f.json", 0, True),
        ("f.json$.data[0]", 2, False),
        ("f.json$.data[2]", 1, True),
    ]
    for name, frame in tables.items():
        assert_frame_equal_(frame.filter(frame["source"] == "f.json"), kept[name])
        assert_frame_equal_(frame.filter(frame["source"] == "f.json$.data[2]"), copies[1][2][name])
    assert findings.equals(old_findings)
    assert findings["value"].to_list() == [
        "identical to $.data[4], the copy kept",
        "differs from $.data[4], the copy kept",
    ]


def assert_frame_equal_(left: Any, right: Any) -> None:
    from polars.testing import assert_frame_equal

    assert_frame_equal(left, right)


def test_a_file_read_again_on_its_own_is_not_scanned_nor_hashed_again() -> None:
    data = b'[{"date": "2024-06-01"}, {"date": "2024-06-01", "total_active_users": 2}]'
    memory = ReadMemory()
    first = read_input(data, source="f.json", seen={}, memory=memory)
    assert first.repeated_dates
    assert memory.scanned is not None
    assert memory.scanned[0] is data
    assert (memory.scans, memory.hashes) == (1, 1)
    assert sorted(date for date, _ in memory.fingerprints.values()) == ["2024-06-01", "2024-06-01"]  # 2 ranges
    again = read_input(data, source="f.json", memory=memory)  # what _read_alone does
    assert (memory.scans, memory.hashes) == (1, 1)  # neither scanned nor hashed a second time
    assert again.source["sha256"] == first.source["sha256"]
    assert again.source["days"] == 2
    other = data.replace(b"2}", b"3}")
    read_input(other, source="g.json", memory=memory)  # other bytes: scanned and hashed
    assert (memory.scans, memory.hashes) == (2, 2)
    memory.forget()
    assert memory.scanned is None
    assert memory.sha256 is None
