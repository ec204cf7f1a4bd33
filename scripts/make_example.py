"""Regenerate the example archive shipped in ``src/copilot_metrics/data/example/``.

Run from the repository root: ``python scripts/make_example.py``. The output is deterministic
(gzip files carry no name and mtime 0), so running it again changes nothing unless
:mod:`copilot_metrics.examples` changed. It prints the written files, their total size, the
late corrections and the missing day.
"""

from __future__ import annotations

import datetime
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from copilot_metrics import examples  # noqa: E402  (import after the path set-up)

TARGET = ROOT / "src" / "copilot_metrics" / "data" / "example"
SCOPES: tuple[tuple[str, str | None], ...] = (("octo-org", None), ("octo-org", "platform"))
START = datetime.date(2025, 1, 6)
END = datetime.date(2025, 6, 8)
WINDOW_DAYS = 28
EXPORT_EVERY_DAYS = 14
BELOW_THRESHOLD = (datetime.date(2025, 2, 12),)
SIZE_LIMIT = 1_500_000


def main() -> int:
    """Write the archive and report on it; return 1 if it exceeds the size limit."""
    if TARGET.exists():
        shutil.rmtree(TARGET)
    paths = examples.generate_archive(
        TARGET,
        seed=0,
        scopes=SCOPES,
        start=START,
        end=END,
        window_days=WINDOW_DAYS,
        export_every_days=EXPORT_EVERY_DAYS,
        late_correction=True,
        below_threshold=BELOW_THRESHOLD,
        gzip=True,
        n_languages=30,
    )
    total = sum(p.stat().st_size for p in paths)
    for p in paths:
        print(f"{p.relative_to(ROOT)}  {p.stat().st_size:>8}")
    print(f"{len(paths)} files, {total} bytes")
    corrections = examples.late_corrections(
        scopes=SCOPES,
        start=START,
        end=END,
        window_days=WINDOW_DAYS,
        export_every_days=EXPORT_EVERY_DAYS,
        below_threshold=BELOW_THRESHOLD,
    )
    for correction in corrections:
        print("late correction:", correction)
    print("missing:", ", ".join(d.isoformat() for d in BELOW_THRESHOLD))
    if total > SIZE_LIMIT:
        print(f"too large: {total} > {SIZE_LIMIT}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
