"""The HTML report: self-contained (no URL, no script), its numbers, and drawn in a real browser.

The browser test runs Debian's ``chromium`` headless (``.ci/run`` installs it); it is skipped,
with the reason, only where no chromium is installed.
"""

from __future__ import annotations

import datetime
import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import copilot_metrics as cm

pytest.importorskip("altair", reason="the cli extra (altair) is not installed")
pytest.importorskip("vl_convert", reason="the cli extra (vl-convert-python) is not installed")
from copilot_metrics import report

#: adoption trend, feature adoption, completions per period, chats and PR summaries per period, by language,
#: by editor, IDE chat, github.com chat, PR summaries by repository
CHARTS_PER_SCOPE = 9
SCOPES = (("octo-org", None), ("octo-org", "platform"))


@pytest.fixture(scope="module")
def ds(example_ds: cm.Dataset) -> cm.Dataset:
    return example_ds


@pytest.fixture(scope="module")
def page(ds: cm.Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return report.write(ds, tmp_path_factory.mktemp("report") / "sub" / "report.html")


@pytest.fixture(scope="module")
def text(page: Path) -> str:
    return page.read_text("utf-8")


def scoped(frame: pl.DataFrame, team: str | None) -> pl.DataFrame:
    return frame.filter(pl.col("team").eq_missing(pl.lit(team, dtype=pl.String)))


def test_written_where_asked_with_parents(page: Path, text: str) -> None:
    assert page.is_file()
    assert text.startswith("<!DOCTYPE html>")
    assert text.rstrip().endswith("</html>")


def test_references_nothing_outside_the_file(text: str) -> None:
    assert "<script" not in text
    assert "<link" not in text
    assert "@import" not in text
    assert "<iframe" not in text
    # every src/href/url(...) points inside the document
    refs = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']*)["\']', text) + re.findall(r"url\(([^)]*)\)", text)
    assert refs  # the navigation links are there
    assert all(ref.startswith("#") for ref in refs), [r for r in refs if not r.startswith("#")]
    # and no URL at all, not even an XML namespace
    assert re.search(r"https?://", text) is None


def test_every_chart_is_inline_svg(text: str) -> None:
    svgs = re.findall(r"<svg\b.*?</svg>", text, flags=re.S)
    assert len(svgs) == len(SCOPES) * CHARTS_PER_SCOPE + 1  # and the coverage calendar
    for svg in svgs:
        assert 'class="mark-' in svg
    assert text.count('class="mark-line') >= 4 * len(SCOPES)  # the four trend charts per scope
    assert 'class="mark-rect' in text  # calendar cells


def test_summary_numbers_computed_independently(ds: cm.Dataset, text: str) -> None:
    for _org, team in SCOPES:
        days = scoped(ds.days, team)
        completions = scoped(ds.completions, team)
        active = days.get_column("total_active_users")
        assert f"{active.mean():,.1f}" in text
        assert f"peak {active.max():,}" in text
        rate = completions["total_code_acceptances"].sum() / completions["total_code_suggestions"].sum()
        lines = completions["total_code_lines_accepted"].sum() / completions["total_code_lines_suggested"].sum()
        assert f">{rate:.1%}<" in text
        assert f">{lines:.1%}<" in text
        assert f"{completions['total_code_suggestions'].sum():,} suggestions" in text


def test_sections_findings_conflicts_coverage(ds: cm.Dataset, text: str) -> None:
    for anchor in (
        "coverage",
        "findings",
        "conflicts",
        "quarantine",
        "files",
        "scope-octo-org",
        "scope-octo-org-platform",
    ):
        assert f'id="{anchor}"' in text
        assert f'href="#{anchor}"' in text
    assert f"{ds.findings.height:,} data-quality finding(s)" in text
    # the two late corrections appear as conflicts, with both values
    for row in ds.conflicts.iter_rows(named=True):
        assert f"<td>{row['date'].isoformat()}</td>" in text
        assert html.escape(str(row["kept_value"])) in text
    assert "2025-02-12" in text  # the missing day, in the coverage table
    assert f"{ds.sources.height:,} file(s)" in text


def test_overview_puts_every_scope_side_by_side(ds: cm.Dataset, text: str) -> None:
    overview = text[text.index('<section id="overview">') : text.index("</section>", text.index('id="overview"'))]
    assert "<th>Scope</th>" in overview
    assert "<th>Active users (daily mean)</th>" in overview
    assert "<th>PR summaries</th>" in overview
    for org, team in SCOPES:
        days = scoped(ds.days, team)
        prs = scoped(ds.pull_requests, team).get_column("total_pr_summaries_created").sum()
        row = overview[overview.index(f"<td>{org}/{team}</td>" if team else f"<td>{org}</td>") :]
        row = row[: row.index("</tr>")]
        assert f'<td class="num">{days.get_column("total_active_users").mean():,.1f}</td>' in row
        assert f'<td class="num">{prs:,}</td>' in row


def test_seats_add_the_activation_rate(ds: cm.Dataset) -> None:
    out = report.render(ds, seats=400)
    org = scoped(ds.days, None)
    # active user-days over seat-days (400 seats on each day with data)
    rate = org.get_column("total_active_users").sum() / (400 * org.height)
    assert f">{rate:.1%}<" in out
    assert f"active user-days / {400 * org.height:,.1f} seat-days" in out
    assert "<th>Activation rate</th>" in out
    assert "Activation rate" not in report.render(ds)


def test_start_and_end_select_the_days_the_numbers_stand_on(ds: cm.Dataset) -> None:
    out = report.render(ds, start="2025-03-03", end="2025-03-09")
    assert "Numbers and charts: days from 2025-03-03 to 2025-03-09." in out
    week = scoped(ds.days, None).filter(pl.col("date").is_between(datetime.date(2025, 3, 3), datetime.date(2025, 3, 9)))
    assert week.height == 7
    active = week.get_column("total_active_users")
    assert f"{active.mean():,.1f}" in out
    assert f"peak {active.max():,}" in out
    assert f"of {week.height:,} in range; 0 missing" in out


def test_says_when_and_by_which_version_it_was_generated(ds: cm.Dataset) -> None:
    out = report.render(ds, generated=datetime.date(2026, 1, 2))
    assert f"Generated on 2026-01-02 by copilot-metrics {cm.__version__}." in out


def test_names_no_absolute_path_of_the_machine(ds: cm.Dataset, text: str, tmp_path: Path) -> None:
    folders = {str(Path(s).parent) for s in ds.sources.get_column("source").to_list()}
    assert folders
    assert all(Path(f).is_absolute() for f in folders)
    for folder in folders:
        assert folder not in text
    assert "teams/platform/copilot-metrics-2025-04-14.json.gz" in text  # relative to the shared folder
    # one file: named by its name alone, also in the messages that quote it
    one = tmp_path / "deep" / "export.json"
    one.parent.mkdir()
    one.write_text(
        json.dumps([{"date": "2025-01-01", "total_active_users": 5}, {"date": "2025-01-02", "total_active_users": "x"}])
    )
    out = report.render(cm.load(str(one), on_invalid="quarantine"))
    assert str(tmp_path) not in out
    assert "export.json" in out


def test_text_from_the_data_is_escaped(tmp_path: Path) -> None:
    (tmp_path / "x<b>.json").write_text(json.dumps([{"date": "2025-01-01", "total_active_users": 5}]))
    out = report.render(cm.load(str(tmp_path / "x<b>.json"), org="<script>alert(1)</script>"))
    assert "<script" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_no_day_is_an_error() -> None:
    ds = cm.load(b'[{"date": "2025-01-01", "total_active_users": "x"}]', on_invalid="quarantine")
    with pytest.raises(cm.CopilotMetricsError, match="no valid day"):
        report.render(ds)


def test_format_value() -> None:
    assert report.format_value(None, "acceptance_rate") == "—"
    assert report.format_value(0.25, "engagement_rate") == "25.0%"
    assert report.format_value(12.345, "active_users_mean") == "12.3"
    assert report.format_value(1234, "total_chats") == "1,234"
    assert report.format_value(datetime.date(2025, 2, 12), "date") == "2025-02-12"


# --------------------------------------------------------------------------------------------
# In a real browser
# --------------------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

#: Appended to a copy of the report (the report itself has no script): after layout, record for
#: each chart the number of marks that the browser drew with a non-empty box, and how wide the
#: page is against the window.
PROBE = """<script>
const charts = [...document.querySelectorAll('figure.chart')].map(figure => {
  const svg = figure.querySelector('svg');
  const box = svg.getBoundingClientRect();
  const drawn = selector => [...svg.querySelectorAll(selector)]
    .filter(m => { const b = m.getBoundingClientRect(); return b.width > 0 || b.height > 0; }).length;
  const text = [...svg.querySelectorAll('text')].filter(t => t.getComputedTextLength() > 0);
  return {caption: figure.querySelector('figcaption').textContent.slice(0, 60), width: box.width,
          height: box.height, figure: figure.getBoundingClientRect().width,
          marks: drawn('g[class^="mark-"] path, g[class^="mark-"] rect, g[class^="mark-"] line'),
          points: drawn('g.mark-symbol:not(.role-legend-symbol) path'),
          bars: drawn('g.mark-rect:not(.role-legend-symbol) path'), rules: drawn('g.mark-rule.role-mark line'),
          text: text.length};
});
const rows = Object.fromEntries([...document.querySelectorAll('section[id]')].map(section =>
  [section.id, [...section.querySelectorAll(':scope > div.table-wrap tbody tr, :scope > details tbody tr')]
    .filter(r => r.getBoundingClientRect().height > 0).length]));
document.body.setAttribute('data-probe', JSON.stringify({charts, rows,
  scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth}));
</script>"""


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def probe(text: str, tmp_path: Path, width: int) -> dict[str, Any]:
    """Lay the report out ``width`` CSS pixels wide and read what :data:`PROBE` found.

    Headless Chromium's window is at least 500 px wide, so the report is laid out in a frame of
    exactly ``width`` px (its ``srcdoc``: same origin, so the page around it can read the probe).
    """
    inner = html.escape(text.replace("</body>", PROBE + "</body>"), quote=True)
    probed = tmp_path / f"probed-{width}.html"
    probed.write_text(
        f'<!DOCTYPE html><html><body style="margin:0"><iframe id="report" style="width:{width}px;height:2400px;'
        f'border:0" srcdoc="{inner}"></iframe><script>window.addEventListener("load", () => '
        'document.body.setAttribute("data-probe", document.getElementById("report").contentDocument.body'
        '.getAttribute("data-probe")));</script></body></html>',
        encoding="utf-8",
    )
    done = chromium(
        f"--window-size={width + 100},2400", "--dump-dom", probed.as_uri(), profile=tmp_path / f"dom-{width}"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert found is not None, done.stdout[:2000]
    return json.loads(html.unescape(found.group(1)))  # type: ignore[no-any-return]


def NEEDS_CHROMIUM(test: Any) -> Any:  # noqa: N802 - a decorator, named as the markers it applies
    """Mark a test ``browser`` and skip it, saying why, where no chromium is installed."""
    skip = pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run does)"
    )
    return pytest.mark.browser(skip(test))


@NEEDS_CHROMIUM
@pytest.mark.parametrize("width", [1400, 400])
def test_browser_draws_every_chart(ds: cm.Dataset, text: str, tmp_path: Path, width: int) -> None:
    found = probe(text, tmp_path, width)
    assert found["innerWidth"] == width
    # nothing makes the page wider than the window, on a desktop or a phone
    assert found["scrollWidth"] <= width
    charts = found["charts"]
    assert len(charts) == len(SCOPES) * CHARTS_PER_SCOPE + 1
    for chart in charts:
        assert chart["width"] > 100
        assert chart["height"] > 50
        assert chart["marks"] > 0
        assert chart["text"] > 0  # titles and axis labels drawn with a real font
        assert chart["figure"] <= width
    # the marks of the new charts, counted against the data: a point per series and week
    for i, (_org, team) in enumerate(SCOPES):
        weeks = scoped(ds.days, team).get_column("date").dt.truncate("1w").n_unique()
        repositories = scoped(ds.pull_requests, team).get_column("repository").n_unique()
        scope_charts = charts[i * CHARTS_PER_SCOPE : (i + 1) * CHARTS_PER_SCOPE]
        adoption, features, completions, activity = scope_charts[:4]
        assert adoption["points"] == 4 * weeks  # active/engaged x mean/peak
        assert features["points"] == 4 * weeks  # four features
        assert completions["points"] == (4 + 2) * weeks  # four volumes, two rates
        assert activity["points"] == 3 * weeks  # IDE chats, github.com chats, PR summaries
        assert scope_charts[-1]["bars"] == min(15, repositories)
        assert scope_charts[-1]["caption"].startswith("PR summaries created on github.com, by repository")
    if width == 400:  # a phone: charts keep a readable size and scroll inside their own box
        assert all(chart["width"] >= 300 for chart in charts)


@NEEDS_CHROMIUM
def test_browser_screenshot(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    done = chromium("--window-size=1400,2400", f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "profile")
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1400, 2400)
    # a blank page of that size compresses to a few kilobytes; charts, cards and text do not
    assert len(data) > 100_000


@NEEDS_CHROMIUM
def test_printed_to_pdf_every_column_of_the_conflicts_table_is_on_the_page(
    ds: cm.Dataset, page: Path, tmp_path: Path
) -> None:
    pypdf = pytest.importorskip("pypdf", reason="pypdf (a test dependency) reads the printed PDF")
    pdf = tmp_path / "report.pdf"
    done = chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri(), profile=tmp_path / "pdf")
    assert done.returncode == 0, done.stderr[-2000:]
    reader = pypdf.PdfReader(pdf)
    placed: list[tuple[str, float, float]] = []  # text, x on the page, page width
    for sheet in reader.pages:
        width = float(sheet.mediabox.width)

        def visit(text: str, cm_: list[float], tm: list[float], _font: Any, _size: Any, width: float = width) -> None:
            if text.strip():
                placed.append((text.strip(), tm[4] * cm_[0] + cm_[4], width))

        sheet.extract_text(visitor_text=visit)
    text = " ".join(t for t, _, _ in placed)
    assert "Conflicts between exports" in text.replace("\ufb02", "fl")
    last = [(x, w) for t, x, w in placed if t == "other_source"]
    assert last, "the conflicts table's last column is not in the PDF"
    assert all(0 < x < w for x, w in last)  # on the page, not cut off at its right edge
    # its values too: the file each other value came from (wrapped inside the cell, never dropped)
    others = {Path(s).name for s in ds.conflicts.get_column("other_source").to_list()}
    assert all(name.split("-")[-1] in text for name in others)


@NEEDS_CHROMIUM
def test_browser_draws_the_usage_reports_section(tmp_path: Path) -> None:
    """Both families (tests/test_front_successor.py's dataset): the new section's marks and rows, counted by hand.

    The legacy export holds users counts only, so its scope draws the two adoption charts (the seven
    others say "No ... data"); + the daily users chart + the coverage calendar = 4 charts; the
    users chart has a point on 05-12, 05-13, 05-14, 05-15 and 06-24 (5) and one break rule
    (server_side_users, 06-10..06-20, inside 05-03..06-24); rows: active users 1 + 9 ISO weeks + 2
    months, completion 1, adoption 2 (IDE agent, any agent), continuity 30 series, breaks 6.
    """
    from test_front_successor import both

    page = report.render(both(tmp_path), min_users=1)
    found = probe(page, tmp_path, 1400)
    charts = found["charts"]
    assert len(charts) == 2 + 1 + 1
    users = [c for c in charts if c["caption"].startswith("One point per day with users")]
    assert len(users) == 1
    assert users[0]["points"] == 5
    assert users[0]["rules"] == 1
    assert found["rows"]["successor-active-users"] == 1 + 9 + 2
    assert found["rows"]["successor-completion"] == 1
    assert found["rows"]["successor-adoption"] == 2
    assert found["rows"]["successor-continuity"] == 30
    assert found["rows"]["successor-breaks"] == 6
    assert found["scrollWidth"] <= 1400
