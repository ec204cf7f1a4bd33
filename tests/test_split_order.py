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
  (``write_parquet(..., mode="merge")``), give the same dataset;
* workers: ``workers=2`` gives what ``workers=1`` gives (one example: it starts processes).

And the merged dataset itself is checked against what this file computes from the JSON it wrote,
in plain Python: which copy of each day wins, which versions lose (conflicts), and each file's
kept / identical / superseded counts.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import copilot_metrics as cm
from copilot_metrics import pipeline as cm_dataset
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
Day = tuple[str, D]  # (org, date)
REPEATS = ["days_identical", "days_superseded"]


# ------------------------------------------------------------------ the archives


def make_day(org: str, day: int, version: int) -> dict[str, Any]:
    """Version ``version`` of a day: each version differs from the others in several tables.

    ``total_active_users`` encodes (org, day, version), so the test can tell which copy won.
    Version 1 changes counts; version 2 also adds a language row and nulls github.com chat.
    """
    active = (100 if org == "org-b" else 0) + 10 * day + version
    languages = [{"name": "python", "total_engaged_users": 3, "total_code_suggestions": 40 + version,
                  "total_code_acceptances": 10 + version, "total_code_lines_suggested": 60,
                  "total_code_lines_accepted": 15}]
    if version == 2:
        languages.append({"name": "go", "total_engaged_users": 1, "total_code_suggestions": 5,
                          "total_code_acceptances": 1, "total_code_lines_suggested": 7,
                          "total_code_lines_accepted": 2})
    return {
        "date": D(2025, 3, day).isoformat(),
        "total_active_users": active,
        "total_engaged_users": 4,
        "copilot_ide_code_completions": {
            "total_engaged_users": 3,
            "languages": [{"name": lang["name"], "total_engaged_users": lang["total_engaged_users"]}
                          for lang in languages],
            "editors": [{"name": "vscode", "total_engaged_users": 3, "models": [
                {"name": "default", "is_custom_model": False, "custom_model_training_date": None,
                 "total_engaged_users": 3, "languages": languages}]}],
        },
        "copilot_dotcom_chat": None if version == 2 else {"total_engaged_users": 1, "models": [
            {"name": "default", "is_custom_model": False, "custom_model_training_date": None,
             "total_engaged_users": 1, "total_chats": 2 + version}]},
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
        entries = draw(st.lists(
            st.builds(Entry, st.integers(1, N_DATES), st.integers(0, N_VERSIONS - 1)), max_size=5))
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


def check_against_the_json(ds: cm.Dataset, written: Written) -> None:
    got_days = ds.days.select("org", "date", "total_active_users", "source").rows()
    assert got_days == expected_days(written)
    pairs = set(ds.conflicts.select("org", "date", "kept_source", "other_source").unique().rows())
    assert pairs == expected_conflict_pairs(written)
    counts = {r[0]: tuple(r[1:]) for r in ds.sources.select("source", *COUNTS).rows()}
    assert counts == expected_counts(written)
    invalid = sorted((written.path[f], i) for f in written.archive.files for i, e in enumerate(f.entries)
                     if e.invalid)
    assert sorted(ds.quarantine.select("source", "day_index").rows()) == invalid
    not_loaded = {written.path[f]: f"not loaded: {f.not_export}" for f in written.archive.files
                  if f.not_export == "empty"}
    statuses = dict(ds.sources.select("source", "status").rows())
    assert {s: v for s, v in statuses.items() if v == "not loaded: empty"} == not_loaded


# ------------------------------------------------------------------ comparing datasets


def assert_tables_equal(got: cm.Dataset, want: cm.Dataset) -> None:
    assert list(got.tables) == list(want.tables) == list(TABLES)
    for name in TABLES:
        assert got.tables[name].equals(want.tables[name]), name


def assert_same(got: cm.Dataset, want: cm.Dataset) -> None:
    """Everything equal, row order and dtypes included."""
    assert_tables_equal(got, want)
    for name in ("conflicts", "findings", "quarantine", "sources"):
        assert getattr(got, name).equals(getattr(want, name)), name


def frozen(frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    """Rows in a canonical order (for side tables whose order a merge does not fix)."""
    return sorted(frame.rows(), key=repr)


@st.composite
def partitions(draw: st.DrawFn, files: list[FileSpec]) -> list[list[FileSpec]]:
    """The files shuffled and cut into 2..n non-empty groups."""
    order = draw(st.permutations(files))
    k = draw(st.integers(2, len(order)))
    cuts = sorted(draw(st.lists(st.integers(1, len(order) - 1), min_size=k - 1, max_size=k - 1, unique=True)))
    return [list(order[a:b]) for a, b in itertools.pairwise([0, *cuts, len(order)])]


@dataclass
class Odd:
    """Days whose conflicts a split load lists otherwise than loading everything, found by hand.

    documented: a merge step changed the kept version of a day that one side already held in
    conflict.  ``cm.load(..., base=)`` documents this exception (the base's conflict rows stay as
    they were, beside the new ones: its losing versions were not kept, so they cannot be compared
    with the new winner).  ``write_parquet(..., mode="merge")`` keeps both sides' conflict rows
    (its docstring), so there the exception applies to either side.

    renamed: a version that loses in the end was held by a losing copy on one side and by a copy
    on the other side.  Loading everything names each losing version once, by its newest copy; a
    split load names it once per side.  Not documented: a defect, see the xfail test below.

    relabelled: a documented day that a later step merges again, or (``cm.load(..., base=)``
    only) where a new file also holds the base's kept version in a newer copy: the stale conflict
    rows are then relabelled with the new winner as ``kept_source``, which never held their
    ``kept_value`` (they do not "stay as they were").  A defect, see the xfail tests below.
    """

    documented: set[Day] = field(default_factory=set)
    renamed: set[Day] = field(default_factory=set)
    relabelled: set[Day] = field(default_factory=set)


def merge_steps(groups: list[list[FileSpec]], *, parquet: bool) -> Odd:
    """Replay the split load step by step on the JSON (see :class:`Odd`)."""
    odd = Odd()
    seen = list(groups[0])
    for step, group in enumerate(groups[1:], start=2):
        after = winners(seen + group)
        for side, other in ((seen, group), (group, seen)) if parquet else ((seen, group),):
            held, theirs = copies(side), copies(other)
            for key, kept in winners(side).items():
                losing = {c.version for c in held[key]} - {kept.version}
                elsewhere = theirs.get(key, [])
                if losing and after[key].version != kept.version:
                    odd.documented.add(key)
                    if step < len(groups):
                        odd.relabelled.add(key)
                    if not parquet and any(c.version == kept.version and c.rank() > kept.rank() for c in elsewhere):
                        odd.relabelled.add(key)
                if (losing & {c.version for c in elsewhere}) - {after[key].version}:
                    odd.renamed.add(key)
        seen += group
    odd.renamed -= odd.documented
    return odd


def assert_conflicts_equal(got: cm.Dataset, want: cm.Dataset, odd: Odd) -> None:
    """Conflicts equal on every day but the odd ones; on those, what each case still guarantees."""

    def on(frame: pl.DataFrame, days: set[Day], how: Literal["semi", "anti"]) -> pl.DataFrame:
        keys = pl.DataFrame(sorted(days), schema={"org": pl.String, "date": pl.Date}, orient="row")
        return frame.join(keys, on=["org", "date"], how=how)

    every = odd.documented | odd.renamed | odd.relabelled
    assert frozen(on(got.conflicts, every, "anti")) == frozen(on(want.conflicts, every, "anti"))
    # renamed: the same rows, but a losing version may be named by a second, older copy
    values = [c for c in want.conflicts.columns if c != "other_source"]
    assert frozen(on(got.conflicts, odd.renamed, "semi").select(values).unique()) == frozen(
        on(want.conflicts, odd.renamed, "semi").select(values).unique())
    # documented: the rows naming the final winner are right (a side's stale rows stay beside them)
    kept = got.days.select("org", "date", pl.col("source").alias("kept_source"))
    current = on(got.conflicts, odd.documented - odd.relabelled, "semi").join(
        kept, on=["org", "date", "kept_source"], how="semi")
    assert set(current.rows()) <= set(want.conflicts.rows())


def repeats(ds: cm.Dataset) -> pl.DataFrame:
    """Per file, its copies not kept: identical plus superseded."""
    return ds.sources.select("source", pl.sum_horizontal(REPEATS).alias("repeats"))


def counts_reconstructible(files: list[FileSpec]) -> bool:
    """Whether every export holds each date between its first and last, and no version comes back."""
    for spec in files:
        held = {e.day for e in spec.entries if not e.invalid}
        if held and len(held) != max(held) - min(held) + 1:
            return False
    for found in copies(files).values():
        runs = [version for version, _ in itertools.groupby(c.version for c in sorted(found, key=Copy.rank))]
        if len(runs) != len(set(runs)):
            return False
    return True


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
    # batches: CHUNK_BYTES caps a batch's bytes; 1 reads every file on its own
    batch = data.draw(st.integers(1, sum(len(f.content()) for f in files) + 1), label="batch bytes")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cm_dataset, "CHUNK_BYTES", batch)
        again = written.load(order)
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
    # ds.validation is not compared: it reports the files read by the last call only (documented
    # by what base= means: the base's JSON is not read again)
    assert_tables_equal(ds, everything)
    assert_conflicts_equal(ds, everything, merge_steps(groups, parquet=False))
    assert ds.findings.equals(everything.findings)
    assert ds.quarantine.equals(everything.quarantine)
    # days_identical / days_superseded: documented as "the base's counts plus the new merge's" (a
    # base's copies identical to its winner are not kept, so they cannot be superseded later);
    # each file's repeats in all are exact, and so is every other column
    assert ds.sources.drop(REPEATS).equals(everything.sources.drop(REPEATS))
    assert repeats(ds).equals(repeats(everything))


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
    ds = cm.read_parquet(root)
    assert_tables_equal(ds, everything)
    assert_conflicts_equal(ds, everything, merge_steps(groups, parquet=True))
    # the side tables in any order: a merge appends the new side's rows (row order of the side
    # tables is not documented; test_parquet compares merged side tables unordered too)
    assert frozen(ds.findings) == frozen(everything.findings)
    assert frozen(ds.quarantine) == frozen(everything.quarantine)
    if counts_reconstructible(list(archive.files)):
        assert frozen(ds.sources) == frozen(everything.sources)
    else:
        # write_parquet documents its days_identical / days_superseded as exact only when every
        # export holds each day between its first and last date and no correction is reverted
        assert frozen(ds.sources.drop(REPEATS)) == frozen(everything.sources.drop(REPEATS))
        assert frozen(repeats(ds)) == frozen(repeats(everything))


# ------------------------------------------------------------------ workers


def test_two_workers_give_what_one_worker_gives(tmp_path: Path) -> None:
    # one fixed archive holding every case above (workers=2 starts two processes: not in hypothesis)
    files = (
        FileSpec("org-a", "export-2025-03-10.json", dt.datetime(2025, 3, 10), (Entry(1, 0), Entry(2, 0), Entry(3, 0))),
        FileSpec("org-a", "export-2025-03-11.json", dt.datetime(2025, 3, 11),  # a date twice; a late correction
                 (Entry(2, 1), Entry(3, 0), Entry(2, 2), Entry(4, 0, invalid=True), Entry(6, 0))),
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


# ------------------------------------------------------------------ defects found by the properties


def split_load(files: tuple[FileSpec, ...], groups: list[list[int]], how: str, root: Path) -> tuple[cm.Dataset,
                                                                                                    cm.Dataset]:
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


def rows_naming_the_winner(ds: cm.Dataset) -> set[tuple[Any, ...]]:
    kept = ds.days.select("org", "date", pl.col("source").alias("kept_source"))
    return set(ds.conflicts.join(kept, on=["org", "date", "kept_source"], how="semi").rows())


@pytest.mark.parametrize("how", ["base", "parquet"])
def test_a_losing_version_held_by_both_sides_is_named_once(how: str, tmp_path: Path) -> None:
    files = (a_file(10, (1, 1), (1, 0)), a_file(11, (1, 1), (1, 0)))
    split, everything = split_load(files, [[0], [1]], how, tmp_path)
    assert frozen(split.conflicts) == frozen(everything.conflicts)


@pytest.mark.xfail(strict=True, reason=(
    "archive.rebase_conflicts relabels the base's stale conflict rows when a new file holds the base's "
    "kept version in a newer copy: base export-2025-03-10.json = [2025-03-01 v1, 2025-03-01 v0] (kept v0, "
    "conflict with v1), then export-2025-03-11.json = [v0, v2]: v2 wins, and the base's row 'v0 vs v1' "
    "gets kept_source 03-11.json, which holds v2 (it looks for the base's file among the new losers, "
    "but 03-11.json$[0] names v0 there; rebase_conflicts is not given the base's days to compare)"))
def test_stale_conflict_rows_keep_their_kept_source_when_a_newer_copy_of_the_old_winner_loses(
    tmp_path: Path,
) -> None:
    files = (a_file(10, (1, 1), (1, 0)), a_file(11, (1, 0), (1, 2)))
    split, everything = split_load(files, [[0], [1]], "base", tmp_path)
    assert split.days.equals(everything.days)
    # documented: stale rows may stay beside the new ones, under the old kept source
    assert rows_naming_the_winner(split) <= set(everything.conflicts.rows())


@pytest.mark.parametrize("how", ["base", "parquet"])
@pytest.mark.xfail(strict=True, reason=(
    "a third load relabels the stale conflict rows a second load left: export-2025-03-10.json = "
    "[2025-03-01 v0, 2025-03-01 v1], then export-2025-03-11.json = [v2] (documented: the row 'v1 vs v0' "
    "stays under kept_source 03-10.json), then export-2025-03-12.json = [2025-03-02 v0]: the stale row now "
    "names 03-11.json as kept_source with kept_value v1's (base: rebase_conflicts relabels every base row "
    "not superseded in this load; parquet: _merge_datasets relabels every row of a day whose winner is "
    "unchanged, not only the rows of that winner)"))
def test_stale_conflict_rows_keep_their_kept_source_after_a_later_load(how: str, tmp_path: Path) -> None:
    files = (a_file(10, (1, 0), (1, 1)), a_file(11, (1, 2)), a_file(12, (2, 0)))
    split, everything = split_load(files, [[0], [1], [2]], how, tmp_path)
    assert split.days.equals(everything.days)
    assert rows_naming_the_winner(split) <= set(everything.conflicts.rows())
