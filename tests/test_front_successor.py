"""The front ends on the successor usage-metrics reports: the HTML report's section, the summary lines, the CLI.

The dataset holds both families for one org label, ``acme``: a legacy export of 2026-05-10..12
written here, and four fixtures of ``tests/fixtures/usage_reports`` (org 77001 in enterprise 4242):
the two shards of one users-28-day report (window 2026-05-03..30; 05-12 {9001, 9002}, 05-13
{9001}, 05-14 {9001, 9003}, 05-15 {9003}), an aggregate 28-day report (05-10 and 05-11;
code_completion 30 suggestions / 9 acceptances, lines 45 / 13) and a users-1-day file of
2026-06-24 (9001, 9002, 9003, all zero, flags partly absent).

Worked out by hand: 3 distinct users; 6 + 3 = 9 user-days; users windows 05-03..05-30 (28 days)
and 06-24 (1 day): 29 covered days of the 53 from 05-03 to 06-24, 24 uncovered; DAU peak 3
(06-24); ISO weeks from Monday 04-27 to Monday 06-22: 9; months: May and June; days with users:
05-12, 05-13, 05-14, 05-15, 06-24 (5 points); successor breaks meeting 05-03..06-24: only
``server_side_users`` (06-10..06-20).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import copilot_metrics as cm
from copilot_metrics import summary

FIXTURES = Path(__file__).parent / "fixtures" / "usage_reports"
REPORTS = (
    "shard_organization_users_28_day_part_1_of_2.ndjson",
    "shard_organization_users_28_day_part_2_of_2.ndjson",
    "layout_wrapper_object_organization_28_day.json",
    "quirk_absent_null_false_user_flags.ndjson",
)
LEGACY = [
    {"date": f"2026-05-{d}", "total_active_users": a, "total_engaged_users": e}
    for d, a, e in (("10", 4, 3), ("11", 5, 4), ("12", 3, 2))
]


def both(folder: Path) -> cm.Dataset:
    legacy = folder / "legacy.json"
    legacy.write_text(json.dumps(LEGACY), encoding="utf-8")
    return cm.load([str(legacy), *(str(FIXTURES / name) for name in REPORTS)], org="acme")


@pytest.fixture(scope="module")
def ds(tmp_path_factory: pytest.TempPathFactory) -> cm.Dataset:
    return both(tmp_path_factory.mktemp("both"))


def section(page: str, sid: str) -> str:
    start = page.index(f'<section id="{sid}"')
    return page[start : page.index("</section>", start)]


def body_rows(html_part: str) -> int:
    return sum(body.count("<tr>") for body in re.findall(r"<tbody>(.*?)</tbody>", html_part, re.S))


# --------------------------------------------------------------------------------------------
# summary.py: the headline every front end prints
# --------------------------------------------------------------------------------------------


def test_headline_numbers_and_what_they_stand_on(ds: cm.Dataset) -> None:
    head = summary.successor_headline(ds, min_users=1).row(0, named=True)
    assert (head["organization_id"], head["org"]) == ("77001", "acme")
    assert (head["active_users"], head["dau_peak"], head["days_covered"], head["days_uncovered"]) == (3, 3, 29, 24)
    assert head["dau_mean"] == pytest.approx(9 / 29)
    assert (str(head["users_first"]), str(head["users_last"])) == ("2026-05-03", "2026-06-24")
    assert (head["completion_source"], head["suggestions"], head["acceptances"], head["completion_days"]) == (
        "aggregate",
        30,
        9,
        2,
    )
    assert head["acceptance_rate"] == pytest.approx(9 / 30)
    assert head["line_acceptance_rate"] == pytest.approx(13 / 45)
    lines = summary.successor_lines(ds, min_users=1)
    assert lines[0] == "Usage-metrics reports, acme (organization 77001):"
    assert "3 distinct" in lines[1]
    assert "2026-05-03 to 2026-06-24" in lines[1]
    assert "29 day(s) inside" in lines[1]
    assert "30.0% (9 of 30 suggestions), lines 28.9% (13 of 45)" in lines[2]
    assert "code_completion rows only of the aggregate reports, 2 day(s)" in lines[2]
    assert "users_unreported" in lines[3]


def test_headline_suppresses_below_min_users(ds: cm.Dataset) -> None:
    head = summary.successor_headline(ds).row(0, named=True)  # 3 users < 5
    assert head["active_users"] is None
    assert head["users_suppressed"] is True
    assert head["ide_agent_share"] is None
    assert head["acceptances"] == 9  # aggregate counts are not user-derived
    assert "(suppressed here)" in summary.successor_lines(ds)[1]


def test_legacy_only_dataset_has_no_headline(tmp_path: Path) -> None:
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(LEGACY), encoding="utf-8")
    legacy = cm.load(str(path), org="acme")
    assert not summary.has_reports(legacy)
    assert summary.successor_lines(legacy) == []


# --------------------------------------------------------------------------------------------
# The HTML report
# --------------------------------------------------------------------------------------------

report = pytest.importorskip("copilot_metrics.report")
pytest.importorskip("vl_convert", reason="the cli extra (vl-convert-python) is not installed")


@pytest.fixture(scope="module")
def page(ds: cm.Dataset) -> str:
    return report.render(ds, min_users=1, generated=None)


def test_report_sections_rows_by_hand(page: str) -> None:
    users = section(page, "successor-active-users")
    # 3 tables: whole range 1 row, ISO weeks 9, months 2
    assert users.count("<tbody>") == 3
    assert body_rows(users) == 1 + 9 + 2
    assert "partial: 1 of 7 days covered" in users  # week of 04-27: only Sunday 05-03 in the window
    completion = section(page, "successor-completion")
    assert body_rows(completion) == 1
    assert "<td>30.0%</td>" in completion
    assert "<td>28.9%</td>" in completion
    assert "feature = code_completion only" in completion
    assert body_rows(section(page, "successor-adoption")) == 2  # IDE agent, any agent
    assert body_rows(section(page, "successor-continuity")) == 30  # every series of SUCCESSOR.md §4's mapping
    assert body_rows(section(page, "successor-breaks")) == 6  # the six declared breaks
    assert '<a href="#successor">' in page


def test_report_chart_points_and_break_rules(page: str) -> None:
    users = section(page, "successor-active-users")
    symbols = re.search(r'<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)</g>', users, re.S)
    assert symbols is not None
    assert symbols.group(1).count("<path") == 5
    rules = re.search(r'<g class="mark-rule role-mark[^"]*"[^>]*>(.*?)</g>', users, re.S)
    assert rules is not None
    assert rules.group(1).count("<line") == 1
    assert "server_side_users" in users


def test_report_says_suppression_and_source(ds: cm.Dataset) -> None:
    page = report.render(ds)  # min_users=5 by default: 3 users are suppressed
    users = section(page, "successor-active-users")
    assert "fewer than 5 distinct users" in section(page, "successor")
    assert '<figure class="chart">' not in users  # nothing to draw: every day suppressed
    assert "<td>yes</td>" in users


def test_legacy_only_report_has_no_successor_section(tmp_path: Path) -> None:
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(LEGACY), encoding="utf-8")
    page = report.render(cm.load(str(path), org="acme"))
    assert 'id="successor' not in page
    assert "Usage-metrics reports" not in page


def test_reports_only_dataset_gets_a_report() -> None:
    ds = cm.load(str(FIXTURES / "layout_wrapper_object_organization_28_day.json"))
    page = report.render(ds)
    assert 'id="overview"' not in page
    assert body_rows(section(page, "successor-completion")) == 1
    assert 'id="successor-continuity"' not in page  # no legacy day: no continuity


# --------------------------------------------------------------------------------------------
# The command line: validate, convert, coverage take report files; the summary shows the headline
# --------------------------------------------------------------------------------------------

pytest.importorskip("click")
from copilot_metrics import cli  # noqa: E402


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app(), list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_cli_validate_report_file() -> None:
    code, out = run("validate", str(FIXTURES / "layout_wrapper_object_organization_28_day.json"))
    assert code == 0
    assert out.strip() == "valid: 2 of 2 day(s) valid, 0 error(s), 0 unknown field(s) kept"


def test_cli_coverage_report_file() -> None:
    code, out = run("coverage", "--json", str(FIXTURES / "kind_enterprise_users_28_day.ndjson"))
    assert code == 0
    rows = json.loads(out[out.index("[") :])
    users = [r for r in rows if r.get("family") == "users"]
    assert len(users) == 1
    assert (users[0]["first_date"], users[0]["last_date"]) == ("2026-05-03", "2026-05-30")


def test_cli_convert_report_file(tmp_path: Path) -> None:
    code, out = run(
        "convert", str(FIXTURES / "layout_wrapper_object_organization_28_day.json"), "-o", str(tmp_path / "out")
    )
    assert code == 0, out
    assert "wrote the Parquet dataset to" in out  # was: "no valid day was loaded: nothing to convert"
    back = cm.read_parquet(tmp_path / "out")
    assert back.sources.get_column("source").str.ends_with(
        "layout_wrapper_object_organization_28_day.json"
    ).to_list() == [True]
    # the successor tables in Parquet (agg_days 2, agg_feature 6) are issue 21's persist work, tested there


def test_python_m_prints_the_successor_headline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from copilot_metrics.__main__ import main

    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps(LEGACY), encoding="utf-8")
    assert main([str(legacy), *(str(FIXTURES / n) for n in REPORTS), "--org", "acme"]) == 0
    out = capsys.readouterr().out
    assert "Usage-metrics reports, acme (organization 77001):" in out
    assert "code_completion rows only of the aggregate reports" in out
