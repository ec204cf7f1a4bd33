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

import polars as pl
import pytest

import copilot_metrics as cm

pytest.importorskip("altair", reason="the cli extra (altair) is not installed")
pytest.importorskip("vl_convert", reason="the cli extra (vl-convert-python) is not installed")
from copilot_metrics import report

CHARTS_PER_SCOPE = 6  # adoption trend, feature adoption, by language, by editor, IDE chat, github.com chat
SCOPES = (("octo-org", None), ("octo-org", "platform"))


@pytest.fixture(scope="module")
def ds() -> cm.Dataset:
    return cm.load(cm.examples.sources())


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
    assert text.count('class="mark-line') >= 2 * len(SCOPES)  # the two trend charts per scope
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
    for anchor in ("coverage", "findings", "conflicts", "quarantine", "files", "scope-octo-org",
                   "scope-octo-org-platform"):
        assert f'id="{anchor}"' in text
        assert f'href="#{anchor}"' in text
    assert f"{ds.findings.height:,} data-quality finding(s)" in text
    # the two late corrections appear as conflicts, with both values
    for row in ds.conflicts.iter_rows(named=True):
        assert f"<td>{row['date'].isoformat()}</td>" in text
        assert html.escape(str(row["kept_value"])) in text
    assert "2025-02-12" in text  # the missing day, in the coverage table
    assert f"{ds.sources.height:,} file(s)" in text


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
#: each chart the number of marks that the browser drew with a non-empty box.
PROBE = """<script>
const charts = [...document.querySelectorAll('figure.chart > svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll('g[class^="mark-"] path, g[class^="mark-"] rect, g[class^="mark-"] line')]
    .filter(m => { const b = m.getBoundingClientRect(); return b.width > 0 || b.height > 0; });
  const text = [...svg.querySelectorAll('text')].filter(t => t.getComputedTextLength() > 0);
  return {width: box.width, height: box.height, marks: marks.length, text: text.length};
});
document.body.setAttribute('data-probe', JSON.stringify(charts));
</script>"""


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=180, check=False,
    )


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run does)")
def test_browser_draws_every_chart(text: str, tmp_path: Path) -> None:
    probed = tmp_path / "probed.html"
    probed.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = chromium("--dump-dom", probed.as_uri(), profile=tmp_path / "profile-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert found is not None, done.stdout[:2000]
    charts = json.loads(html.unescape(found.group(1)))
    assert len(charts) == len(SCOPES) * CHARTS_PER_SCOPE + 1
    for chart in charts:
        assert chart["width"] > 100
        assert chart["height"] > 50
        assert chart["marks"] > 0
        assert chart["text"] > 0  # titles and axis labels drawn with a real font


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run does)")
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
