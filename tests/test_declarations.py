"""Each relation is declared once: a copy of it elsewhere in the source fails here.

And every ``ds.sources.state`` the code writes is a declared :data:`copilot_metrics.sidetables.State`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import polars as pl

import copilot_metrics as cm
from copilot_metrics import sidetables
from copilot_metrics.sidetables import State

ROOT = Path(cm.__file__).parent


def _files_matching(pattern: str) -> set[str]:
    found = set()
    for path in ROOT.rglob("*.py"):
        if re.search(pattern, path.read_text()):
            found.add(path.relative_to(ROOT).as_posix())
    return found


def test_the_scope_tuple_is_written_once() -> None:
    assert _files_matching(r'\(\s*"enterprise",\s*"org",\s*"team"\s*\)') == {"_keys.py"}


def test_the_source_status_text_is_not_parsed_back() -> None:
    # the status text is written by sidetables.status_text and read only for layouts before format 5
    assert _files_matching(r'"status"\)\.str\.starts_with|starts_with\("loaded"\)') == set()
    assert _files_matching(r'"not loaded: ') == {"sidetables.py"}


def test_every_state_written_is_declared() -> None:
    written = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text()
        written |= set(re.findall(r'source_row\(ref, "(\w+)"', text))  # source_row(ref, "skipped", ...)
    written |= {sidetables.source_row("a", {}, s)["state"] for s in ("loaded", "refused")}
    from copilot_metrics.quarantine import read_state

    written |= {read_state(0), read_state(2)}
    assert written <= set(get_args(State))
    assert set(sidetables.STATES) == {"loaded", "partly_quarantined", "quarantined", "refused", "skipped"}


def test_states_and_statuses_by_hand() -> None:
    frame = pl.DataFrame({"state": ["loaded", "partly_quarantined", "quarantined", "refused", "skipped"],
                          "reason": [None, None, None, "html", None]})
    got = frame.select(sidetables.status_expr(pl.col("state"), pl.col("reason")).alias("s"))["s"].to_list()
    assert got == ["loaded", "loaded with quarantined days", "not loaded: every day quarantined",
                   "not loaded: html", "skipped"]
    old = sidetables.older_sources(pl.LazyFrame({"status": got})).collect()
    assert old["state"].to_list() == frame["state"].to_list()
    assert old["reason"].to_list() == [None, None, None, "html", None]


def test_a_refused_and_a_skipped_file_in_a_load(tmp_path: Path) -> None:
    (tmp_path / "page.json").write_text("<html><body>login</body></html>")
    (tmp_path / "ok.json").write_text('[{"date": "2025-01-01", "total_active_users": 1}]')
    (tmp_path / "notes.txt").write_text("x")
    ds = cm.load(str(tmp_path), org="o", on_invalid="quarantine")
    rows = ds.sources.sort("source").select("state", "reason", "status").rows()
    assert rows == [("skipped", None, "skipped"), ("loaded", None, "loaded"),
                    ("refused", "html", "not loaded: html")]
