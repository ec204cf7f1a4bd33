"""Any split or order of an archive's files gives the same dataset (issue 10, section 5).

Hypothesis writes small archives (2-6 files, dates 2025-03-01..06, one or two orgs) holding what
real ones hold: overlapping exports, late corrections (a later export changes a day), identical
repeats, a date twice in one file, an invalid day (quarantined), a file that is not an export
(empty, or an API error body), an empty export ``[]`` and missing days.  Precedence is explicit:
dated file names (``export-2025-03-14.json``) or ``fetched_at``, all distinct, so the winner of
each (scope, date) is unambiguous.

The properties, each against ``cm.load`` of all files at once:

* order and batches: the files in any order, read in batches of any size, give the same dataset;
* split into loads: the files partitioned into groups, in any order, loaded one group at a time
  on top of the previous dataset (``base=``), or merged group by group into a Parquet dataset
  (``write_parquet(..., mode="merge")``), give the same dataset: every table and side table,
  counts, conflicts and validation report included, row order too (the one guarantee of
  :func:`copilot_metrics.merge.merge_into`, behind both);
* workers: ``workers=2`` gives what ``workers=1`` gives (one example: it starts processes).

And the merged dataset itself is checked against what this file computes from the JSON it wrote,
in plain Python: which copy of each day wins, which versions lose (conflicts), each file's
kept / identical / superseded counts, and the version each copy held (``ds.versions``, with the
JSON of every losing version).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import copilot_metrics as cm
from copilot_metrics import batch, pipeline
from copilot_metrics.sources import resolve
from copilot_metrics.tables import TABLES

D = dt.date
N_DATES = 6  # 2025-03-01 .. 2025-03-06
N_VERSIONS = 3
ORGS = ("org-a", "org-b")
KEY = ["enterprise", "org", "team", "date"]
NOT_EXPORTS = {
    "empty": b"",
    "api error": b'{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}',
}
COUNTS = ["days_kept", "days_identical", "days_superseded"]


# ------------------------------------------------------------------ the archives


def make_day(org: str, day: int, version: int) -> dict[str, Any]:
    """Version ``version`` of a day: each version differs from the others in several tables.

    ``total_active_users`` encodes (org, day, version), so the test can tell which copy won.
    Version 1 changes counts; version 2 also adds a language row and nulls github.com chat.
    """
    active = (100 if org == "org-b" else 0) + 10 * day + version
    languages = [
        {
            "name": "python",
            "total_engaged_users": 3,
            "total_code_suggestions": 40 + version,
            "total_code_acceptances": 10 + version,
            "total_code_lines_suggested": 60,
            "total_code_lines_accepted": 15,
        }
    ]
    if version == 2:
        languages.append(
            {
                "name": "go",
                "total_engaged_users": 1,
                "total_code_suggestions": 5,
                "total_code_acceptances": 1,
                "total_code_lines_suggested": 7,
                "total_code_lines_accepted": 2,
            }
        )
    return {
        "date": D(2025, 3, day).isoformat(),
        "total_active_users": active,
        "total_engaged_users": 4,
        "copilot_ide_code_completions": {
            "total_engaged_users": 3,
            "languages": [
                {"name": lang["name"], "total_engaged_users": lang["total_engaged_users"]} for lang in languages
            ],
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 3,
                    "models": [
                        {
                            "name": "default",
                            "is_custom_model": False,
                            "custom_model_training_date": None,
                            "total_engaged_users": 3,
                            "languages": languages,
                        }
                    ],
                }
            ],
        },
        "copilot_dotcom_chat": None
        if version == 2
        else {
            "total_engaged_users": 1,
            "models": [
                {
                    "name": "default",
                    "is_custom_model": False,
                    "custom_model_training_date": None,
                    "total_engaged_users": 1,
                    "total_chats": 2 + version,
                }
            ],
        },
    }


@dataclass(frozen=True)
class Entry:
    """One day object of a file: a date (1..6), a version, or an invalid copy (quarantined)."""

    day: int
    version: int
    invalid: bool = False


@dataclass(frozen=True)
class FileSpec:
    org: str
    name: str
    export_time: dt.datetime  # from the name, or given as fetched_at
    entries: tuple[Entry, ...]
    not_export: str | None = None  # a key of NOT_EXPORTS

    def content(self) -> bytes:
        if self.not_export is not None:
            return NOT_EXPORTS[self.not_export]
        days = []
        for e in self.entries:
            obj = make_day(self.org, e.day, e.version)
            if e.invalid:
                obj["total_active_users"] = str(obj["total_active_users"])  # not an integer
            days.append(obj)
        return json.dumps(days).encode()


@dataclass(frozen=True)
class Archive:
    files: tuple[FileSpec, ...]
    by_fetched_at: bool  # precedence from fetched_at (names carry no date) or from the names

    @property
    def orgs(self) -> list[str]:
        return sorted({f.org for f in self.files})


@st.composite
def archives(draw: st.DrawFn) -> Archive:
    n_orgs = draw(st.integers(1, 2))
    n = draw(st.integers(2, 6))
    by_fetched_at = draw(st.booleans())
    # distinct export times: the winner of every (scope, date) is unambiguous
    stamps = draw(st.lists(st.integers(10, 28), min_size=n, max_size=n, unique=True))
    letters = draw(st.permutations("abcdef"[:n]))
    files = []
    for i, stamp in enumerate(stamps):
        org = ORGS[draw(st.integers(0, n_orgs - 1))]
        when = dt.datetime(2025, 3, stamp, 12)
        # with fetched_at, the names hold no date and their order is unrelated to the export times
        name = f"export-{letters[i]}.json" if by_fetched_at else f"export-{when:%Y-%m-%d}.json"
        kind = draw(st.sampled_from(["export", "export", "export", "export", "empty", "api error"]))
        if kind != "export":
            files.append(FileSpec(org, name, when, (), not_export=kind))
            continue
        # dates may repeat inside a file (the later copy is the file's version); days may be missing
        entries = draw(st.lists(st.builds(Entry, st.integers(1, N_DATES), st.integers(0, N_VERSIONS - 1)), max_size=5))
        if draw(st.integers(0, 3)) == 0:  # an invalid day, on a date the file holds no valid copy of
            free = [d for d in range(1, N_DATES + 1) if d not in {e.day for e in entries}]
            if free:
                entry = Entry(draw(st.sampled_from(free)), draw(st.integers(0, N_VERSIONS - 1)), invalid=True)
                entries.insert(draw(st.integers(0, len(entries))), entry)
        files.append(FileSpec(org, name, when, tuple(entries)))
    return Archive(tuple(files), by_fetched_at)


class Written:
    """An archive written to a folder, and how to load any subset of its files."""

    def __init__(self, archive: Archive, root: Path) -> None:
        self.archive = archive
        self.root = root
        self.path: dict[FileSpec, str] = {}
        for spec in archive.files:
            folder = root / spec.org
            folder.mkdir(parents=True, exist_ok=True)
            (folder / spec.name).write_bytes(spec.content())
            self.path[spec] = str(folder / spec.name)
        self.fetched_at = (
            {self.path[f]: f.export_time.isoformat() for f in archive.files} if archive.by_fetched_at else None
        )

    def sources(self, files: list[FileSpec]) -> list[str]:
        if len(self.archive.orgs) == 1:
            return [self.path[f] for f in files]  # labelled with org= below
        return [str(self.root / "{org}" / f.name) for f in files]  # a template naming one file

    def load(self, files: list[FileSpec], **options: Any) -> cm.Dataset:
        org = self.archive.orgs[0] if len(self.archive.orgs) == 1 else None
        fetched_at = self.fetched_at
        if fetched_at is not None:  # a key naming no file of the load (nor of its base) is an error
            base = options.get("base")
            named = {self.path[f] for f in files} | set(base.sources["source"] if base is not None else ())
            fetched_at = {path: when for path, when in fetched_at.items() if path in named}
        return cm.load(self.sources(files), org=org, fetched_at=fetched_at, on_invalid="quarantine", **options)

    def load_in_batches(self, files: list[FileSpec], batch_bytes: int) -> cm.Dataset:
        """:meth:`load`, its batches at most ``batch_bytes`` (the load's steps by their public names)."""
        org = self.archive.orgs[0] if len(self.archive.orgs) == 1 else None
        refs = resolve(self.sources(files), pipeline.check_scope(None, org, None))
        named = {self.path[f] for f in files}
        times = pipeline.export_times({k: v for k, v in (self.fetched_at or {}).items() if k in named})
        fetched_at = pipeline.match_fetched_at(times, refs, []) if times else None
        skipped = [batch.source_row(ref, "skipped", ref.skipped) for ref in refs if ref.skipped]
        return pipeline.assemble(
            batch.read_batches(refs, 1, batch_bytes=batch_bytes),
            on_invalid="quarantine",
            fetched_at=fetched_at,
            skipped=skipped,
        )


# ------------------------------------------------------------------ what the merge must give, by hand


@dataclass(frozen=True)
class Copy:
    """A valid copy of a day in a file; ``occurrence`` 0 is the file's last copy of the date."""

    spec: FileSpec
    index: int
    occurrence: int
    version: int

    def rank(self) -> tuple[dt.datetime, int]:
        return self.spec.export_time, -self.occurrence

    def label(self, paths: dict[FileSpec, str]) -> str:
        return paths[self.spec] if self.occurrence == 0 else f"{paths[self.spec]}$[{self.index}]"


def copies(files: list[FileSpec]) -> dict[tuple[str, D], list[Copy]]:
    out: dict[tuple[str, D], list[Copy]] = {}
    for spec in files:
        if spec.not_export is not None:
            continue
        valid = [(i, e) for i, e in enumerate(spec.entries) if not e.invalid]
        for i, e in valid:
            later = sum(1 for j, o in valid if j > i and o.day == e.day)
            out.setdefault((spec.org, D(2025, 3, e.day)), []).append(Copy(spec, i, later, e.version))
    return out


def winners(files: list[FileSpec]) -> dict[tuple[str, D], Copy]:
    return {key: max(found, key=Copy.rank) for key, found in copies(files).items()}


def expected_days(written: Written) -> list[tuple[Any, ...]]:
    """(org, date, total_active_users, source) of every kept day: the newest export's last copy."""
    won = winners(list(written.archive.files))
    return [
        (org, date, make_day(org, date.day, c.version)["total_active_users"], written.path[c.spec])
        for (org, date), c in sorted(won.items())
    ]


def expected_conflict_pairs(written: Written) -> set[tuple[Any, ...]]:
    """(org, date, kept_source, other_source): each losing version, named by its newest copy."""
    out = set()
    for key, found in copies(list(written.archive.files)).items():
        kept = max(found, key=Copy.rank)
        for version in {c.version for c in found} - {kept.version}:
            best = max((c for c in found if c.version == version), key=Copy.rank)
            out.add((*key, written.path[kept.spec], best.label(written.path)))
    return out


def expected_counts(written: Written) -> dict[str, tuple[int, int, int]]:
    """Per file: days kept, identical to the kept version, superseded by a different one."""
    counts = {written.path[f]: [0, 0, 0] for f in written.archive.files}
    for found in copies(list(written.archive.files)).values():
        kept = max(found, key=Copy.rank)
        for c in found:
            slot = 0 if c == kept else 1 if c.version == kept.version else 2
            counts[written.path[c.spec]][slot] += 1
    return {path: (k, i, s) for path, (k, i, s) in counts.items()}


def expected_versions(written: Written) -> tuple[list[tuple[Any, ...]], dict[tuple[Any, ...], int]]:
    """``ds.versions`` rows (source, org, date, label, occurrence, version, JSON given) in its order, and
    the version number each row's JSON holds: 0 for the kept version, then the losing versions, the one
    with the most recent copy first; the JSON of a losing version on the row of that copy."""
    rows: list[tuple[Any, ...]] = []
    texts: dict[tuple[Any, ...], int] = {}
    for (org, date), found in copies(list(written.archive.files)).items():
        by_rank = sorted(found, key=Copy.rank, reverse=True)
        order = list(dict.fromkeys(c.version for c in by_rank))  # the kept version first
        newest = {v: next(c for c in by_rank if c.version == v) for v in order}
        for c in found:
            number = order.index(c.version)
            label = c.label(written.path)
            has_json = number > 0 and newest[c.version] == c
            rows.append((written.path[c.spec], org, date, label, c.occurrence, number, has_json))
            if has_json:
                texts[(org, date, label)] = c.version
    return sorted(rows, key=lambda r: (r[1], r[2], r[5], r[0], r[4])), texts


def check_against_the_json(ds: cm.Dataset, written: Written) -> None:
    got_days = ds.days.select("org", "date", "total_active_users", "source").rows()
    assert got_days == expected_days(written)
    pairs = set(ds.conflicts.select("org", "date", "kept_source", "other_source").unique().rows())
    assert pairs == expected_conflict_pairs(written)
    counts = {r[0]: tuple(r[1:]) for r in ds.sources.select("source", *COUNTS).rows()}
    assert counts == expected_counts(written)
    rows, texts = expected_versions(written)
    assert (
        ds.versions.select(
            "source", "org", "date", "label", "occurrence", "version", pl.col("day_json").is_not_null()
        ).rows()
        == rows
    )
    for org, date, label, text in ds.versions.drop_nulls("day_json").select("org", "date", "label", "day_json").rows():
        assert json.loads(text) == make_day(org, date.day, texts[(org, date, label)])
    invalid = sorted((written.path[f], i) for f in written.archive.files for i, e in enumerate(f.entries) if e.invalid)
    assert sorted(ds.quarantine.select("source", "day_index").rows()) == invalid
    not_loaded = {
        written.path[f]: f"not loaded: {f.not_export}" for f in written.archive.files if f.not_export == "empty"
    }
    statuses = dict(ds.sources.select("source", "status").rows())
    assert {s: v for s, v in statuses.items() if v == "not loaded: empty"} == not_loaded


# ------------------------------------------------------------------ comparing datasets


def assert_tables_equal(got: cm.Dataset, want: cm.Dataset) -> None:
    assert list(got.tables) == list(want.tables)
    assert list(got.tables)[: len(TABLES)] == list(TABLES)  # the successor tables follow, empty here
    for name in got.tables:
        assert got.tables[name].equals(want.tables[name]), name


def assert_same(got: cm.Dataset, want: cm.Dataset) -> None:
    """Everything equal, row order and dtypes included: tables, side tables, validation report."""
    assert_tables_equal(got, want)
    for name in ("conflicts", "findings", "quarantine", "sources", "versions"):
        assert getattr(got, name).equals(getattr(want, name)), name
    assert got.validation.errors.equals(want.validation.errors)
    assert got.validation.unknown_fields.equals(want.validation.unknown_fields)
    assert (got.validation.days_checked, got.validation.days_valid) == (
        want.validation.days_checked,
        want.validation.days_valid,
    )


@st.composite
def partitions(draw: st.DrawFn, files: list[FileSpec]) -> list[list[FileSpec]]:
    """The files shuffled and cut into 2..n non-empty groups."""
    order = draw(st.permutations(files))
    k = draw(st.integers(2, len(order)))
    cuts = sorted(draw(st.lists(st.integers(1, len(order) - 1), min_size=k - 1, max_size=k - 1, unique=True)))
    return [list(order[a:b]) for a, b in itertools.pairwise([0, *cuts, len(order)])]


# ------------------------------------------------------------------ the properties


@settings(max_examples=20, deadline=None)
@given(archive=archives(), data=st.data())
def test_any_order_and_any_batch_size_give_the_dataset_the_json_implies(
    archive: Archive, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    written = Written(archive, tmp_path_factory.mktemp("order"))
    files = list(archive.files)
    everything = written.load(files)
    check_against_the_json(everything, written)
    order = data.draw(st.permutations(files), label="order")
    # batches: batch_bytes caps a batch's bytes; 1 reads every file on its own
    batch_bytes = data.draw(st.integers(1, sum(len(f.content()) for f in files) + 1), label="batch bytes")
    again = written.load_in_batches(order, batch_bytes)
    assert_same(again, everything)


@settings(max_examples=15, deadline=None)
@given(archive=archives(), data=st.data())
def test_loading_groups_of_files_one_on_top_of_another_gives_the_same_dataset(
    archive: Archive, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    written = Written(archive, tmp_path_factory.mktemp("incremental"))
    everything = written.load(list(archive.files))
    groups = data.draw(partitions(list(archive.files)), label="groups")
    ds = written.load(groups[0])
    for group in groups[1:]:
        ds = written.load(group, base=ds)
    assert_same(ds, everything)


@settings(max_examples=8, deadline=None)
@given(archive=archives(), data=st.data())
def test_merging_groups_of_files_into_parquet_gives_the_same_dataset(
    archive: Archive, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    written = Written(archive, tmp_path_factory.mktemp("parquet"))
    everything = written.load(list(archive.files))
    groups = data.draw(partitions(list(archive.files)), label="groups")
    root = tmp_path_factory.mktemp("pq") / "history"
    cm.write_parquet(written.load(groups[0]), root)
    for group in groups[1:]:
        cm.write_parquet(written.load(group), root, mode="merge")
    assert_same(cm.read_parquet(root), everything)


# ------------------------------------------------------------------ workers


def test_two_workers_give_what_one_worker_gives(tmp_path: Path) -> None:
    # one fixed archive holding every case above (workers=2 starts two processes: not in hypothesis)
    files = (
        FileSpec("org-a", "export-2025-03-10.json", dt.datetime(2025, 3, 10), (Entry(1, 0), Entry(2, 0), Entry(3, 0))),
        FileSpec(
            "org-a",
            "export-2025-03-11.json",
            dt.datetime(2025, 3, 11),  # a date twice; a late correction
            (Entry(2, 1), Entry(3, 0), Entry(2, 2), Entry(4, 0, invalid=True), Entry(6, 0)),
        ),
        FileSpec("org-a", "export-2025-03-12.json", dt.datetime(2025, 3, 12), (), not_export="empty"),
        FileSpec("org-b", "export-2025-03-10.json", dt.datetime(2025, 3, 10), (Entry(1, 0), Entry(5, 1))),
        FileSpec("org-b", "export-2025-03-11.json", dt.datetime(2025, 3, 11), (Entry(1, 0), Entry(5, 0))),
        FileSpec("org-b", "export-2025-03-12.json", dt.datetime(2025, 3, 12), (), not_export="api error"),
    )
    written = Written(Archive(files, by_fetched_at=False), tmp_path)
    serial = written.load(list(files), workers=1)
    check_against_the_json(serial, written)
    assert serial.conflicts.height  # the archive holds what it should
    assert serial.quarantine.height
    parallel = written.load(list(files), workers=2)
    assert_same(parallel, serial)
    assert str(parallel.validation) == str(serial.validation)
    # a split of the same files (written elsewhere), through either door, gives one load of them
    for how in ("base", "parquet"):
        split, everything = split_load(files, [[3, 0], [5, 1], [2, 4]], how, tmp_path / how)
        assert_same(split, everything)
        check_against_the_json(split, Written(Archive(files, by_fetched_at=False), tmp_path / how))


# ------------------------------------------------------------------ cases the properties found


def split_load(
    files: tuple[FileSpec, ...], groups: list[list[int]], how: str, root: Path
) -> tuple[cm.Dataset, cm.Dataset]:
    """(split load, load of everything) of ``files`` cut into ``groups`` (indices), by ``how``."""
    written = Written(Archive(files, by_fetched_at=False), root)
    parts = [[files[i] for i in group] for group in groups]
    if how == "base":
        ds = written.load(parts[0])
        for part in parts[1:]:
            ds = written.load(part, base=ds)
    else:
        history = root / "history"
        cm.write_parquet(written.load(parts[0]), history)
        for part in parts[1:]:
            cm.write_parquet(written.load(part), history, mode="merge")
        ds = cm.read_parquet(history)
    return ds, written.load(list(files))


def a_file(stamp: int, *entries: tuple[int, int]) -> FileSpec:
    when = dt.datetime(2025, 3, stamp)
    return FileSpec("org-a", f"export-{when:%Y-%m-%d}.json", when, tuple(Entry(*e) for e in entries))


def conflict_pairs(ds: cm.Dataset) -> list[tuple[Any, ...]]:
    """(date, kept_source, other_source, kept users, other users) of the conflicts on total_active_users."""
    return (
        ds.conflicts.filter(pl.col("column") == "total_active_users")
        .select(
            "date",
            *(pl.col(c).str.replace(r"^.*export-", "") for c in ("kept_source", "other_source")),
            "kept_value",
            "other_value",
        )
        .rows()
    )


@pytest.mark.parametrize("how", ["base", "parquet"])
def test_a_losing_version_held_by_both_sides_is_named_once(how: str, tmp_path: Path) -> None:
    files = (a_file(10, (1, 1), (1, 0)), a_file(11, (1, 1), (1, 0)))
    split, everything = split_load(files, [[0], [1]], how, tmp_path)
    assert_same(split, everything)
    # by hand: 03-11's last copy (v0) wins; v1 is named once, by its newest copy, 03-11.json$[0]
    assert conflict_pairs(split) == [(D(2025, 3, 1), "2025-03-11.json", "2025-03-11.json$[0]", "10", "11")]


@pytest.mark.parametrize("how", ["base", "parquet"])
def test_a_base_conflict_is_compared_again_with_the_new_winner_when_a_newer_copy_of_the_old_winner_loses(
    how: str,
    tmp_path: Path,
) -> None:
    # base 03-10.json = [03-01 v1, 03-01 v0] (kept v0, v1 loses), then 03-11.json = [v0, v2]: v2 wins; the
    # base's losing v1 is compared with v2 (its JSON is in ds.versions), v0 is named by its newest copy
    files = (a_file(10, (1, 1), (1, 0)), a_file(11, (1, 0), (1, 2)))
    split, everything = split_load(files, [[0], [1]], how, tmp_path)
    assert_same(split, everything)
    assert conflict_pairs(split) == [
        (D(2025, 3, 1), "2025-03-11.json", "2025-03-10.json$[0]", "12", "11"),
        (D(2025, 3, 1), "2025-03-11.json", "2025-03-11.json$[0]", "12", "10"),
    ]
    counts = split.sources.select(pl.col("source").str.replace(r"^.*export-", ""), *COUNTS).rows()
    assert counts == [("2025-03-10.json", 0, 0, 2), ("2025-03-11.json", 1, 0, 1)]


@pytest.mark.parametrize("how", ["base", "parquet"])
def test_conflicts_of_an_earlier_merge_are_not_relabelled_by_a_later_one(how: str, tmp_path: Path) -> None:
    # 03-10.json = [03-01 v0, 03-01 v1], then 03-11.json = [v2] (v2 wins; v1 and v0 lose), then
    # 03-12.json = [03-02 v0], which does not touch 03-01: its conflicts stay those of one load
    files = (a_file(10, (1, 0), (1, 1)), a_file(11, (1, 2)), a_file(12, (2, 0)))
    split, everything = split_load(files, [[0], [1], [2]], how, tmp_path)
    assert_same(split, everything)
    assert conflict_pairs(split) == [
        (D(2025, 3, 1), "2025-03-11.json", "2025-03-10.json", "12", "11"),
        (D(2025, 3, 1), "2025-03-11.json", "2025-03-10.json$[0]", "12", "10"),
    ]
