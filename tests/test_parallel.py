"""Parallel loads: errors cross process boundaries, workers never re-run the caller's script,
and the parallel path gives the serial path's dataset, bad files included, in both modes."""

from __future__ import annotations

import gzip
import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest

import copilot_metrics as cm
from copilot_metrics.testing import assert_dataset_equal

# a day of completions, small but with every level of nesting
DAY = {
    "date": "2025-03-01",
    "total_active_users": 9,
    "total_engaged_users": 4,
    "copilot_ide_code_completions": {
        "total_engaged_users": 4,
        "editors": [
            {
                "name": "vscode",
                "total_engaged_users": 4,
                "models": [
                    {
                        "name": "default",
                        "is_custom_model": False,
                        "total_engaged_users": 4,
                        "languages": [
                            {
                                "name": "python",
                                "total_engaged_users": 3,
                                "total_code_suggestions": 100,
                                "total_code_acceptances": 30,
                                "total_code_lines_suggested": 200,
                                "total_code_lines_accepted": 50,
                            }
                        ],
                    }
                ],
            }
        ],
    },
}


def day(date: str, active: int) -> dict[str, object]:
    return {**DAY, "date": date, "total_active_users": active}


@pytest.fixture(scope="module")
def rough(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six exports of two orgs (overlapping, one late correction), and three bad files among them."""
    root = tmp_path_factory.mktemp("rough")
    for org in ("org-a", "org-b"):
        folder = root / org
        folder.mkdir()
        for i in range(3):
            days = [day(f"2025-03-{d:02d}", 10 + d + (5 if i == 2 and d == 3 else 0)) for d in range(1 + i, 5 + i)]
            (folder / f"export-2025-03-{10 + i}.json").write_text(json.dumps(days))
    (root / "org-a" / "export-2025-03-20.json").write_bytes(b"")  # empty
    (root / "org-b" / "export-2025-03-21.json.gz").write_bytes(gzip.compress(b'[{"date": "2025-03-01", "total_')[:-8])
    (root / "org-b" / "export-2025-03-22.json").write_text(
        json.dumps([day("2025-03-09", 5), {"date": "2025-03-10", "total_active_users": "7"}])
    )
    return root


def template(root: Path) -> str:
    return str(root / "{org}" / "*")


def assert_same(a: cm.Dataset, b: cm.Dataset) -> None:
    assert_dataset_equal(a, b, check_validation=True)
    assert str(a.validation) == str(b.validation)


def test_every_library_error_survives_pickle() -> None:
    caught: list[cm.CopilotMetricsError] = []
    for bad in (b"", b'[{"date": "2025-13-01"}]', b'{"message": "Not Found", "documentation_url": "x"}'):
        with pytest.raises(cm.CopilotMetricsError) as info:
            cm.load(bad)
        caught.append(info.value)
    with pytest.raises(cm.RollupError) as rollup:
        cm.rollup(pl.DataFrame({"org": ["a"], "engaged_users_mean": [1.0]}), by="org")
    caught.append(rollup.value)
    contract = cm.ContractError.from_failures(
        "days",
        pl.DataFrame(
            {
                "source": ["f.json"],
                "column": ["total_active_users"],
                "check": ["ge(0)"],
                "value": ["-1"],
                "key": [{"org": "o", "date": "2025-01-01"}],
            }
        ),
    )
    caught.append(contract)
    assert {type(e).__name__ for e in caught} == {
        "FormatError",
        "SchemaValidationError",
        "RollupError",
        "ContractError",
    }
    for error in caught:
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error)
        assert str(again) == str(error)
        assert again.attrs() == error.attrs()
    schema_error = next(e for e in caught if isinstance(e, cm.SchemaValidationError))
    assert pickle.loads(pickle.dumps(schema_error)).report.errors.equals(schema_error.report.errors)
    assert pickle.loads(pickle.dumps(contract)).failure_cases.equals(contract.failure_cases)


def test_parallel_equals_serial_with_bad_files_quarantine(rough: Path) -> None:
    serial = cm.load(template(rough), on_invalid="quarantine", workers=1)
    parallel = cm.load(template(rough), on_invalid="quarantine", workers=2)
    assert_same(parallel, serial)
    # and what that dataset holds, counted from the files written above
    statuses = dict(serial.sources.select("source", "status").iter_rows())
    assert statuses[str(rough / "org-a" / "export-2025-03-20.json")] == "not loaded: empty"
    assert statuses[str(rough / "org-b" / "export-2025-03-21.json.gz")] == "not loaded: corrupt-gzip"
    assert statuses[str(rough / "org-b" / "export-2025-03-22.json")] == "loaded with quarantined days"
    assert serial.quarantine.select("source", "org", "day_index", "date", "stage", "reasons").rows() == [
        (
            str(rough / "org-b" / "export-2025-03-22.json"),
            "org-b",
            1,
            "2025-03-10",
            "schema",
            ["$[1].total_active_users: '7' is not of type 'integer'"],
        ),
    ]
    # org-a and org-b each: 2025-03-01 .. 2025-03-06; org-b also 2025-03-09
    assert serial.days.group_by("org").len().sort("org").rows() == [("org-a", 6), ("org-b", 7)]
    # the late correction of 2025-03-03 (+5) wins in both orgs
    corrected = serial.days.filter(pl.col("date") == pl.date(2025, 3, 3))["total_active_users"].to_list()
    assert corrected == [18, 18]


def test_parallel_raises_what_serial_raises(rough: Path) -> None:
    with pytest.raises(cm.CopilotMetricsError) as serial:
        cm.load(template(rough), workers=1)
    with pytest.raises(cm.CopilotMetricsError) as parallel:
        cm.load(template(rough), workers=2)
    assert type(parallel.value) is type(serial.value) is cm.FormatError
    assert str(parallel.value) == str(serial.value)
    assert parallel.value.attrs() == serial.value.attrs()
    assert parallel.value.file == str(rough / "org-a" / "export-2025-03-20.json")


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = cwd / "job.py"
    script.write_text(textwrap.dedent(code))
    return subprocess.run(
        [sys.executable, str(script)], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_plain_script_without_main_guard(rough: Path, tmp_path: Path) -> None:
    # workers start fresh interpreters: the script is not imported again in them
    done = run_python(
        f"""
        import copilot_metrics as cm
        print("script ran")
        ds = cm.load({template(rough)!r}, on_invalid="quarantine", workers=2)
        print(ds.days.height, ds.sources.height)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["script ran", "13 9"]


def test_from_inside_a_daemonic_pool_worker(rough: Path, tmp_path: Path) -> None:
    # multiprocessing.Pool workers are daemonic and may not start multiprocessing children
    done = run_python(
        f"""
        import multiprocessing

        def job(n):
            import copilot_metrics as cm
            return cm.load({template(rough)!r}, on_invalid="quarantine", workers=n).days.height

        if __name__ == "__main__":
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                print(pool.map(job, [2]))
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[13]"


def test_from_stdin_like_a_notebook(rough: Path, tmp_path: Path) -> None:
    # a notebook kernel's __main__ has no file: same as a program read from stdin
    code = (
        f"import copilot_metrics as cm\n"
        f"print(cm.load({template(rough)!r}, on_invalid='quarantine', workers=2).days.height)\n"
    )
    done = subprocess.run(
        [sys.executable, "-"], input=code, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "13"
