"""Issue 17, "nothing lost, nothing leaked", the readers: a Parquet dataset whose files disagree with
its manifest, or whose files or manifest are damaged, raises a CopilotMetricsError naming the table
and the file, in read_parquet, scan_parquet, load(base=) and write_parquet(mode="merge") alike;
read_json of an edited folder too.

Every dataset is built here from three hand-written days of one org (two languages under one
editor and model): ``days`` holds 3 rows, ``completions`` 6.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

import copilot_metrics as cm
from copilot_metrics.errors import ContractError, CopilotMetricsError
from copilot_metrics.export.json import FILE_NAME, LABELS_FILE, read_json, write_json
from copilot_metrics.export.parquet import MANIFEST
from copilot_metrics.tables import SIDE_TABLES, TABLES
from helpers import completions_day

LANGUAGES = ("go", "python")
HINT = "the dataset was changed after it was written: restore it from a backup, or write it again from its sources"


def day(date: str, users: int) -> dict[str, Any]:
    """One day: ``users`` active and engaged, 10 suggestions and 3 acceptances per language."""
    return completions_day(date, users, LANGUAGES)


def load_file(path: Path, days: list[dict[str, Any]], org: str) -> cm.Dataset:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(days))
    return cm.load(str(path), org=org)


@pytest.fixture
def ds(tmp_path: Path) -> cm.Dataset:
    loaded = load_file(
        tmp_path / "in" / "octo-2025-03-04.json",
        [day("2025-03-01", 5), day("2025-03-02", 6), day("2025-03-03", 7)],
        "octo",
    )
    assert (loaded.days.height, loaded.completions.height) == (3, 6)
    return loaded


@pytest.fixture
def root(ds: cm.Dataset, tmp_path: Path) -> Path:
    return cm.write_parquet(ds, tmp_path / "pq")


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_dataset(a: cm.Dataset, b: cm.Dataset, *, side: Iterable[str] = SIDE_TABLES) -> None:
    for name in TABLES:
        assert_frame_equal(a.tables[name], b.tables[name])
    for name in side:
        assert_frame_equal(getattr(a, name), getattr(b, name))


#: The side tables of the layouts before format 4 (which added ``versions``).
SIDE_BEFORE_4 = ("sources", "findings", "conflicts", "quarantine")


def rewrite(path: Path, change: Callable[[pa.Table], pa.Table]) -> None:
    """Rewrite a Parquet file with ``change`` applied to its table (footer metadata kept)."""
    pq.write_table(change(pq.read_table(path)), path)


def edit_manifest(root: Path, change: Callable[[dict[str, Any]], Any]) -> None:
    manifest = orjson.loads((root / MANIFEST).read_bytes())
    (root / MANIFEST).write_bytes(orjson.dumps(change(manifest)))


def with_column(table: pa.Table, name: str, values: Any) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, values)


# ---------------------------------------------------------------- the damages, and what each must say


def delete_days(root: Path) -> None:
    (root / "days" / "part-00000.parquet").unlink()


def copy_completions(root: Path) -> None:
    shutil.copy(root / "completions" / "part-00000.parquet", root / "completions" / "part-00001.parquet")


def copy_completions_by_hand(root: Path) -> None:
    shutil.copy(root / "completions" / "part-00000.parquet", root / "completions" / "part-00000 (1).parquet")


def days_as_completions(root: Path) -> None:
    shutil.copy(root / "days" / "part-00000.parquet", root / "completions" / "part-00000.parquet")


def garbage(root: Path) -> None:
    (root / "days" / "part-00000.parquet").write_bytes(b"this is not Parquet\n" * 10)


def drop_column(root: Path) -> None:
    rewrite(root / "completions" / "part-00000.parquet", lambda t: t.drop_columns(["total_code_acceptances"]))


def retype_column(root: Path) -> None:
    rewrite(
        root / "completions" / "part-00000.parquet",
        lambda t: with_column(t, "total_code_acceptances", pc.cast(t["total_code_acceptances"], pa.string())),
    )


def edit_a_value(root: Path) -> None:
    rewrite(
        root / "completions" / "part-00000.parquet",
        lambda t: with_column(t, "total_code_acceptances", pc.add(t["total_code_acceptances"], 1)),
    )


def manifest_not_json(root: Path) -> None:
    (root / MANIFEST).write_bytes(b'{"format": 3,')


def manifest_a_list(root: Path) -> None:
    (root / MANIFEST).write_bytes(b"[3]")


def manifest_counts_4_days(root: Path) -> None:
    edit_manifest(root, lambda m: m | {"rows": m["rows"] | {"days": 4}})


def manifest_negative_count(root: Path) -> None:
    edit_manifest(root, lambda m: m | {"rows": m["rows"] | {"days": -3}})


def manifest_lists_a_file_outside(root: Path) -> None:
    edit_manifest(root, lambda m: m | {"files": {"../outside.parquet": {"rows": 1, "sha256": "0" * 64}}})


def manifest_format_as_text(root: Path) -> None:
    edit_manifest(root, lambda m: m | {"format": "3"})


def corrupt_pages(root: Path) -> None:
    """Every byte between the magic number and the footer of completions' part file flipped."""
    path = root / "completions" / "part-00000.parquet"
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")
    for i in range(4, len(data) - 8 - footer):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def manifest_meta_a_list(root: Path) -> None:
    edit_manifest(root, lambda m: m | {"meta": [1]})


def manifest_validation_counts_as_text(root: Path) -> None:
    edit_manifest(root, lambda m: m | {"validation": {"days_checked": "3", "days_valid": 3}})


def delete_validation_errors(root: Path) -> None:
    (root / "_validation" / "errors.parquet").unlink()


#: damage -> (its table, the file the error names relative to the dataset, the message's start, where
#: {base} is the dataset's folder)
DAMAGES: dict[str, tuple[Callable[[Path], None], str | None, str, str]] = {
    "part file deleted": (
        delete_days,
        "days",
        "days/part-00000.parquet",
        f"{{base}}: table 'days': 1 file(s) listed in {MANIFEST} are missing (days/part-00000.parquet)",
    ),
    "part file copied to the next part's name": (
        copy_completions,
        "completions",
        "completions/part-00001.parquet",
        f"{{base}}: table 'completions': 1 Parquet file(s) that {MANIFEST} does not list, whose rows other "
        "engines would read (completions/part-00001.parquet)",
    ),
    "part file copied by hand": (
        copy_completions_by_hand,
        "completions",
        "completions/part-00000 (1).parquet",
        f"{{base}}: table 'completions': 1 Parquet file(s) that {MANIFEST} does not list, whose rows other "
        "engines would read (completions/part-00000 (1).parquet)",
    ),
    "a part file of another table": (
        days_as_completions,
        "completions",
        "completions/part-00000.parquet",
        "{base}/completions/part-00000.parquet: a file of table 'days' in the folder of table 'completions'",
    ),
    "garbage bytes": (
        garbage,
        "days",
        "days/part-00000.parquet",
        "{base}/days/part-00000.parquet: table 'days': not a readable Parquet file (",
    ),
    "a column missing": (
        drop_column,
        "completions",
        "completions/part-00000.parquet",
        "{base}/completions/part-00000.parquet: table 'completions': column 'total_code_acceptances' is missing",
    ),
    "a column of another dtype": (
        retype_column,
        "completions",
        "completions/part-00000.parquet",
        "{base}/completions/part-00000.parquet: table 'completions': column 'total_code_acceptances' is String, "
        "expected Int64",
    ),
    "a value edited": (
        edit_a_value,
        "completions",
        "completions/part-00000.parquet",
        f"{{base}}: table 'completions': a file's bytes are not those written (its SHA-256 differs from the one "
        f"in {MANIFEST}): it was changed or replaced (completions/part-00000.parquet)",
    ),
    "manifest not JSON": (
        manifest_not_json,
        None,
        MANIFEST,
        f"{{base}}/{MANIFEST}: the dataset's manifest is not JSON (",
    ),
    "manifest a list": (manifest_a_list, None, MANIFEST, f"{{base}}/{MANIFEST}: $: expected an object, found [3]"),
    "manifest counting another number of rows": (
        manifest_counts_4_days,
        "days",
        "days/part-00000.parquet",
        f"{{base}}: table 'days': its files hold 3 rows, {MANIFEST} counts 4 (days/part-00000.parquet)",
    ),
    "manifest with a negative count": (
        manifest_negative_count,
        None,
        MANIFEST,
        f"{{base}}/{MANIFEST}: $.rows.days: expected a row count, found -3",
    ),
    "manifest listing a file outside the layout": (
        manifest_lists_a_file_outside,
        None,
        MANIFEST,
        f'{{base}}/{MANIFEST}: $.files["../outside.parquet"]: expected a file of the dataset\'s layout, '
        'found "../outside.parquet"',
    ),
    "manifest format as text": (
        manifest_format_as_text,
        None,
        MANIFEST,
        f'{{base}}/{MANIFEST}: $.format: expected a layout format number, found "3"',
    ),
    "manifest meta a list": (
        manifest_meta_a_list,
        None,
        MANIFEST,
        f"{{base}}/{MANIFEST}: $.meta: expected an object, found [1]",
    ),
    "manifest validation counts as text": (
        manifest_validation_counts_as_text,
        None,
        MANIFEST,
        f'{{base}}/{MANIFEST}: $.validation: expected an object of day counts, found {{"days_checked": "3", '
        '"days_valid": 3}',
    ),
    "a validation file deleted": (
        delete_validation_errors,
        "_validation",
        "_validation/errors.parquet",
        f"{{base}}: table '_validation': 1 file listed in {MANIFEST} is missing (_validation/errors.parquet)",
    ),
}


def read_with(reader: str, root: Path, tmp: Path) -> None:
    other = tmp / "in" / "other-2025-03-10.json"
    if reader == "read_parquet":
        cm.read_parquet(root)
    elif reader == "scan_parquet":
        cm.scan_parquet(root)
    elif reader == "load(base=)":
        other.write_text(json.dumps([day("2025-03-09", 2)]))
        cm.load(str(other), org="other", base=root)
    else:
        cm.write_parquet(load_file(other, [day("2025-03-09", 2)], "other"), root, mode="merge")


@pytest.mark.parametrize("reader", ["read_parquet", "scan_parquet", "load(base=)", "merge"])
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_dataset_that_disagrees_with_its_manifest_raises_naming_the_table_and_the_file(
    damage: str, reader: str, root: Path, tmp_path: Path
) -> None:
    apply, table, file, message = DAMAGES[damage]
    apply(root)
    before = files_of(root)
    with pytest.raises(CopilotMetricsError) as info:
        read_with(reader, root, tmp_path)
    error = info.value
    assert type(error) is CopilotMetricsError
    base = root.resolve() if reader == "merge" else root  # a write resolves its path first
    hint = HINT
    if reader == "merge" and damage == "part file copied by hand":  # the writer refuses a file it did not write
        table, file, base, hint = None, "", root, "move them out of the folder, or write to another folder"
        message = (
            "{base}: holds 1 path(s) copilot-metrics did not write (completions/part-00000 (1).parquet); "
            "not replacing the Parquet dataset, which would delete them"
        )
    assert error.message.startswith(message.replace("{base}", str(base))), error.message
    assert error.table == table
    assert error.file == str(base / file)
    assert error.hint == hint
    assert files_of(root) == before  # a merge into a damaged dataset leaves it as it was


def test_a_copied_part_doubles_what_engines_read_and_read_parquet_refuses_it(root: Path) -> None:
    """A copy of a part file is 12 rows for 6 to an engine reading the folder (and was to read_parquet)."""
    copy_completions(root)
    assert pl.scan_parquet(str(root / "completions" / "*.parquet")).select(pl.len()).collect().item() == 12
    with pytest.raises(CopilotMetricsError, match="table 'completions': 1 Parquet file"):
        cm.read_parquet(root)


def test_the_manifest_lists_every_file_with_its_rows_and_sha256(root: Path) -> None:
    import hashlib

    manifest = orjson.loads((root / MANIFEST).read_bytes())
    written = sorted(str(p.relative_to(root)) for p in root.rglob("*.parquet"))
    assert sorted(manifest["files"]) == written
    assert len(written) == 47  # 10 + 6 tables and side tables, 26 + 3 of the successor reports, 2 validation files
    assert manifest["files"]["days/part-00000.parquet"] == {
        "rows": 3,
        "sha256": hashlib.sha256((root / "days" / "part-00000.parquet").read_bytes()).hexdigest(),
    }
    assert manifest["files"]["completions/part-00000.parquet"]["rows"] == 6
    assert manifest["format"] == 7


def test_hidden_files_and_files_that_are_not_parquet_are_not_read_and_not_an_error(root: Path, ds: cm.Dataset) -> None:
    (root / "days" / ".DS_Store").write_bytes(b"\0")
    (root / "days" / "_SUCCESS").write_bytes(b"")
    (root / "days" / "notes.txt").write_text("mine")
    assert_same_dataset(cm.read_parquet(root), ds)


# ---------------------------------------------------------------- format 3 written before files were listed


def without_files(root: Path) -> None:
    edit_manifest(root, lambda m: {k: v for k, v in m.items() if k != "files"})


def test_format_3_without_checksums_still_reads_exactly(root: Path, ds: cm.Dataset) -> None:
    without_files(root)
    assert_same_dataset(cm.read_parquet(root), ds)
    assert_frame_equal(cm.scan_parquet(root)["completions"].collect(), ds.completions)


@pytest.mark.parametrize(
    ("apply", "table", "message"),
    [
        (delete_days, "days", f"table 'days': its files hold 0 rows, {MANIFEST} counts 3 (no file in days/)"),
        (
            copy_completions,
            "completions",
            f"table 'completions': its files hold 12 rows, {MANIFEST} counts 6 "
            "(completions/part-00000.parquet, completions/part-00001.parquet)",
        ),
        (
            copy_completions_by_hand,
            "completions",
            f"table 'completions': 1 Parquet file(s) that {MANIFEST} does not "
            "list, whose rows other engines would read "
            "(completions/part-00000 (1).parquet)",
        ),
        (
            retype_column,
            "completions",
            "table 'completions': column 'total_code_acceptances' is String, expected Int64",
        ),
        (corrupt_pages, "completions", "table 'completions': its files cannot be read (ComputeError: "),
    ],
)
def test_format_3_without_checksums_is_checked_on_its_row_counts_and_columns(
    apply: Callable[[Path], None], table: str, message: str, root: Path
) -> None:
    without_files(root)
    apply(root)
    with pytest.raises(CopilotMetricsError) as info:
        cm.read_parquet(root)
    assert type(info.value) is CopilotMetricsError
    assert info.value.table == table
    assert message in info.value.message


def negate_first_acceptances(root: Path) -> None:
    """The first completions row's acceptances made -3, the file otherwise as written."""
    rewrite(
        root / "completions" / "part-00000.parquet",
        lambda t: with_column(t, "total_code_acceptances", pa.array([-3, 3, 3, 3, 3, 3], pa.int64())),
    )


def test_a_tampered_negative_count_is_not_read_back_as_data(root: Path) -> None:
    negate_first_acceptances(root)
    with pytest.raises(CopilotMetricsError, match="SHA-256 differs"):  # the file is not the one written
        cm.read_parquet(root)
    without_files(root)  # a dataset without checksums: the contracts still catch it
    with pytest.raises(ContractError) as info:
        cm.read_parquet(root)
    error = info.value
    assert (error.table, error.column, error.file) == (
        "completions",
        "total_code_acceptances",
        str(root / "completions"),
    )
    assert error.failure_cases.height == 1
    assert error.message.startswith(f"{root / 'completions'}: ")
    assert "(value -3)" in error.message
    with pytest.raises(ContractError):
        cm.load(str(root.parent / "in" / "octo-2025-03-04.json"), org="octo", base=root)
    # read as it is on request (a dataset written from a load with contracts=False)
    assert cm.read_parquet(root, contracts=False).completions["total_code_acceptances"].to_list() == [-3, 3, 3, 3, 3, 3]


# ---------------------------------------------------------------- formats 1 and 2 (copilot-metrics 0.1.0)


def write_format_2(ds: cm.Dataset, root: Path) -> Path:
    """``ds`` in the hive layout of format 2, written here by hand: data tables under
    ``enterprise=../org=../team=../month=YYYY-MM/part-0.parquet`` without the scope columns, side
    tables as ``<table>/part-0.parquet``, row counts in the manifest (labels here are plain)."""
    for name in TABLES:
        frame = ds.tables[name].with_columns(month=pl.col("date").dt.strftime("%Y-%m"))
        for (e, o, t, m), part in frame.group_by("enterprise", "org", "team", "month", maintain_order=True):
            path = root / name
            for column, value in (("enterprise", e), ("org", o), ("team", t), ("month", m)):
                path = path / f"{column}={value if value is not None else '__HIVE_DEFAULT_PARTITION__'}"
            path.mkdir(parents=True)
            part.drop("enterprise", "org", "team", "month").write_parquet(path / "part-0.parquet")
    for name in SIDE_BEFORE_4:
        (root / name).mkdir()
        getattr(ds, name).write_parquet(root / name / "part-0.parquet")
    rows = {name: ds.tables[name].height for name in TABLES}
    rows |= {name: getattr(ds, name).height for name in SIDE_BEFORE_4}
    (root / MANIFEST).write_bytes(
        orjson.dumps({"format": 2, "version": "0.1.0", "rows": rows, "partitioning": {"digests": {}}})
    )
    return root


def test_format_2_is_read_exactly_and_checked_on_its_row_counts_columns_and_folder_names(
    ds: cm.Dataset, tmp_path: Path
) -> None:
    root = write_format_2(ds, tmp_path / "old")
    assert_same_dataset(cm.read_parquet(root), ds, side=SIDE_BEFORE_4)
    month = (
        root
        / "completions"
        / "enterprise=__HIVE_DEFAULT_PARTITION__"
        / "org=octo"
        / "team=__HIVE_DEFAULT_PARTITION__"
        / "month=2025-03"
    )
    shutil.copy(month / "part-0.parquet", month / "part-1.parquet")
    with pytest.raises(CopilotMetricsError) as info:
        cm.read_parquet(root)
    assert info.value.table == "completions"
    assert f"table 'completions': its files hold 12 rows, {MANIFEST} counts 6" in info.value.message
    (month / "part-1.parquet").write_bytes(b"not Parquet")
    with pytest.raises(CopilotMetricsError) as info:
        cm.scan_parquet(root)
    assert info.value.file == str(month / "part-1.parquet")
    assert "table 'completions': not a readable Parquet file (" in info.value.message
    (month / "part-1.parquet").unlink()
    org = root / "days" / "enterprise=__HIVE_DEFAULT_PARTITION__" / "org=octo"
    org.rename(org.with_name("org=%FF"))
    bad = (
        root
        / "days"
        / "enterprise=__HIVE_DEFAULT_PARTITION__"
        / "org=%FF"
        / "team=__HIVE_DEFAULT_PARTITION__"
        / "month=2025-03"
        / "part-0.parquet"
    )
    with pytest.raises(CopilotMetricsError) as info:
        cm.load(str(tmp_path / "in" / "octo-2025-03-04.json"), org="octo", base=root)
    assert type(info.value) is CopilotMetricsError
    assert info.value.file == str(bad)
    assert info.value.message == f"{bad}: folder value '%FF' does not decode to UTF-8 text (invalid start byte)"


# ---------------------------------------------------------------- read_json of an edited folder


def test_read_json_of_an_edited_folder_names_the_file(tmp_path: Path) -> None:
    org = "x" * 130  # named by its digest, recorded in the labels file
    ds = load_file(tmp_path / "in" / "a.json", [day("2025-03-01", 5)], org)
    labels = tmp_path / "json" / LABELS_FILE
    write_json(ds, tmp_path / "json")
    assert read_json(tmp_path / "json").days["org"].to_list() == [org]
    for content, json_path, message in (
        (b'{"org": ', "$", f"{labels}: not JSON ("),
        (b"[]", "$", f"{labels}: $: expected an object of scope columns, found []"),
        (
            b'{"org": ["x"]}',
            "$.org",
            f'{labels}: $.org: expected an object of folder names and labels of a scope column, found ["x"]',
        ),
    ):
        labels.write_bytes(content)
        with pytest.raises(CopilotMetricsError) as info:
            read_json(tmp_path / "json")
        assert type(info.value) is CopilotMetricsError
        assert (info.value.file, info.value.json_path) == (str(labels), json_path)
        assert info.value.message.startswith(message), info.value.message

    slash = load_file(tmp_path / "in" / "b.json", [day("2025-03-01", 5)], "a/b")
    write_json(slash, tmp_path / "plain")
    (tmp_path / "plain" / "orgs" / "a%2Fb").rename(tmp_path / "plain" / "orgs" / "%FF")
    file = tmp_path / "plain" / "orgs" / "%FF" / FILE_NAME
    with pytest.raises(CopilotMetricsError) as info:
        read_json(tmp_path / "plain")
    assert type(info.value) is CopilotMetricsError
    assert info.value.file == str(file)
    assert info.value.message == f"{file}: folder name '%FF' does not decode to UTF-8 text (invalid start byte)"
