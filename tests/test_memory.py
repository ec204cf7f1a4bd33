"""Memory is bounded per input: what a bad day, a valid day and a file cost while they are loaded.

Each load runs in a fresh child process (``workers=1``), after a first small load has imported
and built everything a load needs once (Polars, pandera, the validators, Arrow's memory pool); the
child reports how far its peak resident memory rose during the measured load.  Not a timing
test: the bounds are about 3 times what the loads take (measured on Linux, CPython 3.11,
Polars 2.1), and well below what they took before the report rows were kept column by column.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

resource = pytest.importorskip("resource", reason="peak memory is read with the resource module (not on Windows)")

pytestmark = pytest.mark.slow  # three child processes, about 6 s each

CHILD = r"""
import datetime as dt, json, resource, sys
import copilot_metrics as cm

def peak():  # bytes: Linux reports KiB, macOS bytes
    used = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return used if sys.platform == "darwin" else used * 1024

kind, n = sys.argv[1], int(sys.argv[2])
dates = [(dt.date(1900, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(n)]
if kind == "invalid days":  # every day fails the schema: n errors, n days kept verbatim
    source = b"[" + b",".join([b'{"date":"x"}'] * n) + b"]"
elif kind == "valid days":
    source = ("[" + ",".join('{"date":"%s"}' % d for d in dates) + "]").encode()
else:  # one file (in memory) per day
    source = [('[{"date":"%s"}]' % d).encode() for d in dates]
cm.load(b'[{"date": "2024-01-01"}, {"date": "x"}]', on_invalid="quarantine", workers=1)
before = peak()
ds = cm.load(source, on_invalid="quarantine", workers=1)
print(json.dumps({"grown": peak() - before, "quarantine": ds.quarantine.height, "errors": ds.validation.errors.height,
                  "days": ds.days.height, "sources": ds.sources.height}))
"""


# (what, how many, the most it may add to the peak in bytes per day or file)
CASES = [
    # 100,000 invalid days: about 1.0 KB each now, 6 KB before (601 MB)
    ("invalid days", 100_000, 3_000),
    # 50,000 minimal valid days: about 2.3 KB each now, 10.7 KB before (536 MB)
    ("valid days", 50_000, 7_000),
    # 20,000 one-day files: about 3.5 KB each now, 13 KB before (261 MB)
    ("files", 20_000, 10_000),
]


@pytest.mark.parametrize(("kind", "n", "per_item"), CASES, ids=[case[0] for case in CASES])
def test_peak_memory_grows_by_a_bounded_amount_per_day_and_per_file(kind: str, n: int, per_item: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(n)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    # the load did what it should, so that the memory measured is that of a complete load
    expected = {"invalid days": (n, n, 0, 1), "valid days": (0, 0, n, 1), "files": (0, 0, n, n)}[kind]
    assert (out["quarantine"], out["errors"], out["days"], out["sources"]) == expected
    assert out["grown"] < n * per_item, f"{kind}: peak memory grew by {out['grown'] / n:.0f} bytes per item"
