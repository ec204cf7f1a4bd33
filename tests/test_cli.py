"""``copilot-metrics``, run through its installed entry point as a user runs it.

Exit codes, what is printed and what is written. Expected values come from ``cm.load`` and the
files themselves, computed here, never from the command's own code.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import copilot_metrics as cm
from helpers import drawn_on_a_terminal

pytest.importorskip("click", reason="the cli extra is not installed")
pytest.importorskip("rich", reason="the cli extra is not installed")
from click.testing import CliRunner

from copilot_metrics import cli
from copilot_metrics._layout import LAYOUT_FILE

SCRIPT = Path(sys.executable).with_name("copilot-metrics")
TEMPLATES = ("{org}/*.json.gz", "{org}/teams/{team}/*.json.gz")


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The console script, its output at its natural width unless ``env`` sets ``COLUMNS``.

    The environment is always passed: a ``COLUMNS`` that something under pytest exported at the C
    level (not in ``os.environ``) would otherwise reach the command and wrap its lines.
    """
    assert SCRIPT.is_file(), f"the console script is not installed beside {sys.executable}"
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=dict(os.environ) if env is None else env,
    )


def load_line(ds: cm.Dataset, files_loaded: int) -> str:
    return (
        f"{files_loaded} of {ds.sources.height} file(s) loaded, {ds.days.height} scope-day(s), "
        f"{ds.conflicts.height} conflicting value(s) between exports, {ds.quarantine.height} day(s) "
        f"quarantined, {ds.findings.height} finding(s)"
    )


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``copilot-metrics example -o DIR``, checked once: the shipped files, byte for byte."""
    root = tmp_path_factory.mktemp("example")
    done = run("example", "-o", "archive", cwd=root)
    assert done.returncode == 0, done.stderr
    out = root / "archive"
    shipped = sorted(p.relative_to(cm.examples.path()) for p in cm.examples.path().rglob("*") if p.is_file())
    written = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert written == sorted([*shipped, Path(LAYOUT_FILE)])  # and the manifest naming the scopes' templates
    assert all(filecmp.cmp(out / p, cm.examples.path() / p, shallow=False) for p in shipped)
    assert json.loads((out / LAYOUT_FILE).read_text())["templates"] == list(TEMPLATES)
    assert done.stdout.splitlines() == [
        f"wrote {len(shipped)} file(s) to archive, and {LAYOUT_FILE}, which labels their scopes",
        "try: copilot-metrics report archive",
    ]
    return out


@pytest.fixture(scope="module")
def templates(example: Path) -> list[str]:
    return [str(example / t) for t in TEMPLATES]


@pytest.fixture(scope="module")
def ds(templates: list[str]) -> cm.Dataset:
    return cm.load(templates)


def test_example_refuses_a_folder_that_is_not_empty(example: Path, tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    done = run("example", "-o", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"error: {tmp_path}: the folder is not empty (choose another folder, or add --force)\n"
    forced = CliRunner().invoke(cli.app(), ["example", "-o", str(tmp_path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert filecmp.cmp(
        tmp_path / "octo-org" / "copilot-metrics-2025-01-20.json.gz",
        example / "octo-org" / "copilot-metrics-2025-01-20.json.gz",
        shallow=False,
    )


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------


def test_validate_valid_archive_exits_0(example: Path, templates: list[str]) -> None:
    days = sum(len(json.loads(gzip.decompress(p.read_bytes()))) for p in example.rglob("*.json.gz"))
    done = run("validate", *templates, cwd=example)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"valid: {days} of {days} day(s) valid, 0 error(s), 0 unknown field(s) kept\n"


def test_validate_invalid_exits_1_with_errors_by_file_and_path(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(json.dumps([{"date": "2025-01-01", "total_active_users": 3}]))
    (tmp_path / "bad.json").write_text(
        json.dumps(
            [
                {"date": "2025-01-01", "total_active_users": "x"},
                {"date": "2025-01-02"},
                {"date": "2025-02-30", "copilot_ide_chat": {"total_engaged_users": "y"}},
            ]
        )
    )
    done = run("validate", "good.json", "bad.json", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "bad.json: 3 error(s)"
    paths = [line.strip().split(":")[0] for line in lines[1:4]]
    assert sorted(paths) == ["$[0].total_active_users", "$[2].copilot_ide_chat.total_engaged_users", "$[2].date"]
    assert lines[-1] == "2 of 4 day(s) valid, 3 error(s), 0 unknown field(s) kept"
    assert "good.json" not in done.stdout

    machine = run("validate", "--json", "good.json", "bad.json", cwd=tmp_path)
    assert machine.returncode == 1
    document = json.loads(machine.stdout)
    assert document["ok"] is False
    assert (document["days_checked"], document["days_valid"]) == (4, 2)
    assert sorted((e["source"], e["json_path"], e["day_index"]) for e in document["errors"]) == [
        ("bad.json", "$[0].total_active_users", 0),
        ("bad.json", "$[2].copilot_ide_chat.total_engaged_users", 2),
        ("bad.json", "$[2].date", 2),
    ]


def test_validate_names_files_that_are_not_exports(tmp_path: Path) -> None:
    (tmp_path / "error.json").write_text(
        json.dumps({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
    )
    result = CliRunner().invoke(cli.app(), ["validate", "--json", str(tmp_path / "error.json")])
    assert result.exit_code == 1
    (error,) = json.loads(result.output)["errors"]
    assert error["rule"].startswith("format:")
    assert error["json_path"] == "$"


def test_unknown_fields_are_valid(tmp_path: Path) -> None:
    day = {"date": "2025-01-01", "total_active_users": 1, "copilot_dotcom_chat": None, "a_new_key": 1}
    (tmp_path / "new.json").write_text(json.dumps([day]))
    result = CliRunner().invoke(cli.app(), ["validate", str(tmp_path / "new.json")])
    assert result.exit_code == 0
    assert result.output == "valid: 1 of 1 day(s) valid, 0 error(s), 1 unknown field(s) kept\n"


def test_bad_input_is_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    done = run("validate", "missing.json", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == "error: missing.json: no such file or folder\n"
    debug = run("validate", "--debug", "missing.json", cwd=tmp_path)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert "CopilotMetricsError: missing.json: no such file or folder" in debug.stderr
    group_debug = run("--debug", "coverage", "missing.json", cwd=tmp_path)
    assert "Traceback (most recent call last)" in group_debug.stderr


def test_schema_errors_on_load_are_one_line_with_a_hint(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(json.dumps([{"date": "2025-01-01", "total_active_users": "x"}]))
    done = run("convert", "bad.json", "-o", "out", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("error: bad.json: 1 schema error(s) in 1 of 1 day(s) (run `copilot-metrics validate`")
    assert "--quarantine" in done.stderr
    assert not (tmp_path / "out").exists()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli.app(), ["validate"]).exit_code == 2
    assert runner.invoke(cli.app(), ["convert", "x.json"]).exit_code == 2  # no -o
    both = runner.invoke(cli.app(), ["convert", "x.json", "-o", str(tmp_path), "--csv", "--json"])
    assert both.exit_code == 2
    assert "exclusive" in both.output
    assert cli.main(["no-such-command"]) == 2
    assert cli.main(["--version"]) == 0


# --------------------------------------------------------------------------------------------
# convert
# --------------------------------------------------------------------------------------------


def test_convert_writes_a_parquet_dataset(example: Path, templates: list[str], ds: cm.Dataset, tmp_path: Path) -> None:
    done = run("convert", *templates, "-o", str(tmp_path / "history"), cwd=example)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == load_line(ds, ds.sources.height)
    back = cm.read_parquet(tmp_path / "history")
    cm.testing.assert_dataset_equal(back, ds, ignore=("sources", "findings", "conflicts", "quarantine"))
    assert back.days.height == ds.days.height == 306
    assert back.conflicts.height == ds.conflicts.height


def test_convert_csv_and_json(example: Path, templates: list[str], ds: cm.Dataset, tmp_path: Path) -> None:
    csv = run("convert", *templates, "-o", str(tmp_path / "csv"), "--csv", cwd=example)
    assert csv.returncode == 0, csv.stderr
    files = sorted(p.name for p in (tmp_path / "csv").glob("*.csv"))
    assert f"wrote {len(files)} CSV file(s) to {tmp_path / 'csv'}" in csv.stdout
    assert "days.csv" in files
    assert pl.read_csv(tmp_path / "csv" / "days.csv").height == ds.days.height

    api = CliRunner().invoke(cli.app(), ["convert", *templates, "-o", str(tmp_path / "json"), "--json"])
    assert api.exit_code == 0, api.output
    written = sorted((tmp_path / "json").rglob("copilot-metrics.json"))
    assert len(written) == 2  # one per scope
    again = cm.load(
        [
            str(tmp_path / "json" / "orgs" / "{org}" / "copilot-metrics.json"),
            str(tmp_path / "json" / "orgs" / "{org}" / "team" / "{team}" / "copilot-metrics.json"),
        ]
    )
    assert again.days.height == ds.days.height
    columns = ["org", "team", "date", "total_active_users", "total_engaged_users"]
    assert again.days.select(columns).sort(columns[:3]).equals(ds.days.select(columns).sort(columns[:3]))


def test_convert_merge_into_existing_parquet(example: Path, ds: cm.Dataset, tmp_path: Path) -> None:
    org = sorted(str(p) for p in (example / "octo-org").glob("*.json.gz"))
    runner = CliRunner()
    first = runner.invoke(cli.app(), ["convert", *org[:6], "--org", "octo-org", "-o", str(tmp_path)])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli.app(), ["convert", *org[6:], "--org", "octo-org", "-o", str(tmp_path), "--merge"])
    assert second.exit_code == 0, second.output
    assert "(merged)" in second.output
    back = cm.read_parquet(tmp_path)
    org_days = ds.days.filter(pl.col("team").is_null())
    assert (
        back.days.sort("date").get_column("total_active_users").to_list()
        == org_days.sort("date").get_column("total_active_users").to_list()
    )


# --------------------------------------------------------------------------------------------
# scope labels and quarantine
# --------------------------------------------------------------------------------------------


def test_scope_labels_by_option_and_by_template(example: Path) -> None:
    one = example / "octo-org" / "teams" / "platform" / "copilot-metrics-2025-01-20.json.gz"
    runner = CliRunner()
    labelled = runner.invoke(
        cli.app(), ["coverage", "--json", "--enterprise", "ent", "--org", "acme", "--team", "t1", str(one)]
    )
    assert labelled.exit_code == 0, labelled.output
    (row,) = json.loads(labelled.output)
    assert (row["enterprise"], row["org"], row["team"]) == ("ent", "acme", "t1")
    expected = cm.load(str(one))
    assert row["days_present"] == expected.days.height

    templated = runner.invoke(cli.app(), ["coverage", "--json", str(example / "{org}" / "teams" / "{team}" / "*.gz")])
    assert templated.exit_code == 0, templated.output
    assert [(r["org"], r["team"]) for r in json.loads(templated.output)] == [("octo-org", "platform")]


def test_quarantine_loads_the_valid_days(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(
        json.dumps([{"date": "2025-01-01", "total_active_users": 3}, {"date": "2025-01-03", "total_active_users": 4}])
    )
    (tmp_path / "bad.json").write_text(json.dumps([{"date": "2025-01-02", "total_active_users": "x"}]))
    done = run("coverage", "--quarantine", "--org", "o", "good.json", "bad.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "1 of 2 file(s) loaded, 2 scope-day(s), 0 conflicting value(s) between exports, 1 day(s) quarantined, "
        "0 finding(s)"
    )
    assert "2025-01-02" in done.stdout  # the quarantined day is a gap in the coverage
    out = run("convert", "--quarantine", "good.json", "bad.json", "-o", "out", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    back = cm.read_parquet(tmp_path / "out")
    assert back.days.height == 2
    assert back.quarantine.get_column("date").cast(pl.String).to_list() == ["2025-01-02"]


# --------------------------------------------------------------------------------------------
# coverage and report
# --------------------------------------------------------------------------------------------


def test_coverage_prints_days_and_gaps(example: Path, templates: list[str], ds: cm.Dataset) -> None:
    done = run("coverage", *templates, cwd=example)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == load_line(ds, ds.sources.height)
    expected = ds.days.group_by("team").agg(
        pl.len(), pl.col("date").min().alias("first"), pl.col("date").max().alias("last")
    )
    for team, n, first, last in expected.iter_rows():  # one scope column: org/team
        row = next(line for line in lines if line.startswith(f"│ {'octo-org/' + team if team else 'octo-org'} "))
        cells = [c.strip() for c in row.split("│")[1:-1]]
        assert cells[1:6] == [
            first.isoformat(),
            last.isoformat(),
            str(n),
            str((last - first).days + 1 - n),
            "2025-02-12",
        ]
    machine = run("coverage", "--json", *templates, cwd=example)
    assert json.loads(machine.stdout) == json.loads(json.dumps(cm.coverage(ds).to_dicts(), default=str))


def test_report_on_the_example_by_default(ds: cm.Dataset, tmp_path: Path) -> None:
    """The README's quick start: ``copilot-metrics report`` with no path."""
    done = run("report", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    page = tmp_path / "copilot-metrics-report.html"
    assert page.is_file()
    assert done.stdout.splitlines()[-1] == f"report written to {page.resolve()}"
    # never mistaken for real data: said first on stdout, on stderr, and in the report's title
    assert done.stdout.splitlines()[:2] == [
        "EXAMPLE DATA: no PATH was given, so this is the synthetic example archive shipped with copilot-metrics",
        load_line(ds, ds.sources.height),
    ]
    assert done.stderr.startswith("no PATH given: using the example archive shipped with the package")
    assert "synthetic data, not yours" in done.stderr.splitlines()[0]
    assert (
        "<title>EXAMPLE DATA (synthetic, shipped with copilot-metrics): GitHub Copilot metrics report</title>"
        in page.read_text("utf-8")
    )
    # the terminal summary: distinct users as daily means, rates as ratios of sums
    org = ds.days.filter(pl.col("team").is_null())
    completions = ds.completions.filter(pl.col("team").is_null())
    rate = completions["total_code_acceptances"].sum() / completions["total_code_suggestions"].sum()
    org_row = next(line for line in done.stdout.splitlines() if line.startswith("│ octo-org "))
    assert f" {org['total_active_users'].mean():,.1f} " in org_row
    assert f" {org['total_active_users'].max():,} " in org_row
    assert f" {rate:.1%} " in org_row
    text = page.read_text("utf-8")
    assert text.count("<svg") == 19  # nine charts per scope (org and team) and the coverage calendar
    assert "https://" not in text
    assert "Traceback" not in done.stderr


def test_report_output_option_and_every(templates: list[str], tmp_path: Path) -> None:
    target = tmp_path / "deep" / "r.html"
    result = CliRunner().invoke(
        cli.app(), ["report", *templates, "-o", str(target), "--every", "1mo", "--title", "Octo <Q2>"]
    )
    assert result.exit_code == 0, result.output
    text = target.read_text("utf-8")
    assert "<title>Octo &lt;Q2&gt;</title>" in text
    assert "per period (1mo)" in text


def newest_days(folder: Path, pattern: str = "*.json.gz") -> dict[str, dict[str, Any]]:
    """Each date's day from the newest export in ``folder`` holding it (file names sort by fetch date)."""
    days: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob(pattern)):
        data = path.read_bytes()
        for day in json.loads(gzip.decompress(data) if path.suffix == ".gz" else data):
            days[day["date"]] = day
    return days


def versions(folder: Path) -> dict[str, set[str]]:
    """Per date, the distinct versions (JSON text) the exports of ``folder`` hold."""
    out: dict[str, set[str]] = {}
    for path in folder.glob("*.json"):
        for day in json.loads(path.read_text()):
            out.setdefault(day["date"], set()).add(json.dumps(day, sort_keys=True))
    return out


def test_report_on_the_example_folder_shows_the_org_and_its_team(example: Path, ds: cm.Dataset, tmp_path: Path) -> None:
    """``copilot-metrics example -o DIR`` then ``copilot-metrics report DIR``: two scopes, each its own numbers."""
    done = run("report", str(example), "-o", str(tmp_path / "r.html"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == load_line(ds, 22)  # as loading with the templates
    org = [d["total_active_users"] for d in newest_days(example / "octo-org").values()]
    team = [d["total_active_users"] for d in newest_days(example / "octo-org" / "teams" / "platform").values()]
    assert (len(org), sum(org), max(org)) == (153, 31714, 327)  # mean 207.28
    assert (len(team), sum(team), max(team)) == (153, 4702, 55)  # mean 30.73
    org_row = next(line for line in lines if line.startswith("│ octo-org "))
    team_row = next(line for line in lines if line.startswith("│ octo-org/platform "))
    assert [c.strip() for c in org_row.split("│")[1:6]] == ["octo-org", "153", "1", "207.3", "327"]
    assert [c.strip() for c in team_row.split("│")[1:6]] == ["octo-org/platform", "153", "1", "30.7", "55"]
    assert not any(line.startswith("│  ") for line in lines)  # no unlabelled scope


def test_every_command_reads_the_librarys_own_folders_with_their_scopes(example: Path, tmp_path: Path) -> None:
    """The example folder, a Parquet dataset and a write_json folder, by folder name alone."""
    days = sum(len(json.loads(gzip.decompress(p.read_bytes()))) for p in example.rglob("*.json.gz"))
    expected = [("octo-org", None, 153), ("octo-org", "platform", 153)]
    checked = run("validate", str(example), cwd=tmp_path)
    assert checked.stdout == f"valid: {days} of {days} day(s) valid, 0 error(s), 0 unknown field(s) kept\n"
    assert run("convert", str(example), "-o", "history", cwd=tmp_path).returncode == 0
    assert run("convert", str(example), "-o", "clean", "--json", cwd=tmp_path).returncode == 0
    for folder in (str(example), "history", "clean"):
        done = run("coverage", "--json", folder, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert [(r["org"], r["team"], r["days_present"]) for r in json.loads(done.stdout)] == expected, folder
    stored = run("validate", "history", cwd=tmp_path)  # the report stored with the dataset
    assert stored.returncode == 0, stored.stderr
    assert stored.stdout == checked.stdout
    clean = run("validate", "clean", cwd=tmp_path)  # each scope's merged history: 153 days each
    assert clean.stdout == "valid: 306 of 306 day(s) valid, 0 error(s), 0 unknown field(s) kept\n"


def test_report_refuses_two_orgs_unlabelled_exports_naming_both_folders(tmp_path: Path) -> None:
    cm.examples.generate_archive(
        tmp_path / "exports",
        scopes=(("org-a", None), ("org-b", None)),
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 1, 31),
        window_days=28,
        export_every_days=7,
        n_languages=3,
    )
    a, b = versions(tmp_path / "exports" / "org-a"), versions(tmp_path / "exports" / "org-b")
    shared = sorted(set(a) & set(b))
    differing = [d for d in shared if not a[d] & b[d]]
    assert (len(shared), len(differing)) == (31, 31)
    done = run("report", "exports", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "error: exports/org-a and exports/org-b: files without scope labels in these two folders differ on 31 of "
        "the 31 date(s) both hold: they look like two scopes (two orgs, or an org and its team), which are never "
        "merged into one (label each scope with a path template such as 'exports/{org}/*.json'; if the folders "
        "really are one scope, label it by keyword (org=..., or --org on the command line) to merge them)\n"
    )
    assert not (tmp_path / "copilot-metrics-report.html").exists()
    labelled = run("coverage", "--json", "exports/{org}/*.json", cwd=tmp_path)  # as the hint says
    assert [(r["org"], r["days_present"]) for r in json.loads(labelled.stdout)] == [("org-a", 31), ("org-b", 31)]


def test_an_empty_path_is_refused_not_read_as_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps([{"date": "2025-01-01", "total_active_users": 3}]))
    for command in ("report", "coverage", "validate"):
        done = run(command, "", cwd=tmp_path)
        assert done.returncode == 2, command
        assert "a PATH is empty (an unset shell variable?)" in done.stderr
    assert not (tmp_path / "copilot-metrics-report.html").exists()


def test_report_with_nothing_valid_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(json.dumps([{"date": "2025-01-02", "total_active_users": "x"}]))
    done = run("report", "--quarantine", "bad.json", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith("error: no valid day was loaded: nothing to report")
    assert not (tmp_path / "copilot-metrics-report.html").exists()


# --------------------------------------------------------------------------------------------
# progress bar, missing extra, light import
# --------------------------------------------------------------------------------------------


def test_progress_bar_only_on_a_terminal(example: Path, templates: list[str]) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    plain = run("coverage", *templates, cwd=example, env=env)
    assert plain.returncode == 0
    assert plain.stderr == ""  # not a terminal: no bar

    drawn, stdout, returncode = drawn_on_a_terminal([str(SCRIPT), "coverage", *templates], example, env)
    assert returncode == 0
    files = len(list(example.rglob("*.json.gz")))
    assert f"reading {files} files" in drawn
    assert f"/{files}" in drawn  # the M/N counter of the bar
    assert stdout.splitlines()[0] == plain.stdout.splitlines()[0]  # the output itself is unchanged


def test_missing_extra_is_one_line_with_the_install_command(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['click'] = None\n"
        "from copilot_metrics.cli import main\n"
        "raise SystemExit(main(['report']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        'error: the copilot-metrics command needs click, which is not installed: pip install "copilot-metrics[cli]"\n'
    )


def test_import_stays_light() -> None:
    code = (
        "import sys, copilot_metrics, copilot_metrics.cli\n"
        "print(','.join(m for m in ('click', 'rich', 'altair', 'vl_convert') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == ""


def test_python_m_copilot_metrics_runs_the_commands(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "copilot_metrics", "validate", "x.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == "error: x.json: no such file or folder\n"
