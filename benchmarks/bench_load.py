"""Benchmark ``cm.load``: against the cost of only parsing the JSON (issue 7), and against Polars and DuckDB (issue 19).

Issue 7 (the default run): generates (once, cached under ``--data-dir``) a synthetic archive of about
``--size-mb`` MB with :func:`copilot_metrics.examples.generate_archive` -- many organisations, each with one
team, 100-day windows exported weekly over 16 weeks (staggered starts), 30 languages, 4 editors, 2 models,
plain ``.json`` -- then measures, in one run and on the same files:

(a) floor: ``orjson.loads`` of every file, single-threaded (bytes read first, only the parse timed);
(b) ``cm.load`` of the archive in a fresh subprocess (wall time, MB/s, peak RSS of the process and
    of its worker processes);
(c) the naive baseline: pure-Python ``jsonschema`` validation of every day, Python loops building
    one dict per completions leaf row, ``pl.DataFrame(rows)`` (on a subset, extrapolated per MB);
(d) ``cm.acceptance(ds, by="language", every="1w")`` and ``cm.adoption(ds, every="1w")``;
(e) ``cm.write_parquet`` / ``cm.read_parquet`` and the Parquet size against the JSON size;

and prints each issue target with PASS or MISS. ``--scaling`` instead runs (b) at 100 MB and at
1000 MB and compares the per-MB cost.

Issue 19 (``--compare``, ``--daily-scaling``, ``--appended``, or all three with ``--issue19``): every
measured path runs in a fresh interpreter, ``--runs`` times (medians), and reports its wall time, CPU
time and peak RSS (of its whole process tree). ``--compare`` measures ``cm.load``, Polars' naive path
(``pl.read_json`` per file, explode/unnest to the completions leaf rows, concatenated) and DuckDB
(``read_json`` of every file, ``unnest`` to the same rows, to Arrow) on three workloads -- daily exports
of a 100-day window for 60 days (an org and its team), every day once (40 orgs, one 100-day export
each), the 1 GB weekly archive of issue 7 -- and prints ``cm.load`` / Polars for wall time and peak
memory against the issue's goals. ``--daily-scaling`` compares ``cm.load``'s cost per MB on the daily
recipe at 4 GB and 400 MB; ``--appended`` its MB/s on a year of daily 28-day responses appended to one
file and in separate files. ``--scale`` shrinks every size (``--scale 0.01``: a quick check).
Not part of the test suite. Usage::

    python benchmarks/bench_load.py --size-mb 100
    python benchmarks/bench_load.py                 # 1000 MB
    python benchmarks/bench_load.py --scaling
    python benchmarks/bench_load.py --issue19 --keep             # issue 19 at full size (~25 min)
    python benchmarks/bench_load.py --issue19 --scale 0.01 --runs 1   # the harness works (~1 min)
    python benchmarks/bench_load.py --scan --scale 0.1   # issue 19's scanner alone against orjson (~1 min)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

MB = 1_000_000
GENERATOR_VERSION = 1  # bump when the archive recipe below changes (invalidates the cache)
START = dt.date(2025, 1, 1)
SPAN_DAYS = 112  # per scope: 16 weekly exports of up to 100 days each (overlapping)
TEAM = "platform"


# ----------------------------------------------------------------------------------- archive


def _scope_files(args: tuple[str, int]) -> int:
    """Write the exports of one organisation and its team; return the bytes written."""
    from copilot_metrics import examples

    root, index = args
    org = f"org-{index:04d}"
    start = START + dt.timedelta(days=7 * (index % 40))  # staggered: organisations joined at different times
    files = examples.generate_archive(
        root,
        seed=index,
        scopes=[(org, None), (org, TEAM)],
        start=start,
        end=start + dt.timedelta(days=SPAN_DAYS - 1),
        window_days=100,
        export_every_days=7,
        n_languages=30,
        editors=("vscode", "jetbrains", "neovim", "visualstudio"),
    )
    return sum(f.stat().st_size for f in files)


def build(root: Path, unit: Any, args: Any, *, target_mb: float | None = None, units: int | None = None) -> Path:
    """Generate an archive once (cached: ``_done.manifest``), unit by unit on every core; return `root`.

    ``unit(args(index))`` writes unit `index` (an organisation, with or without its team) under
    `root` and returns the bytes it wrote; units are generated in order until `units` are written,
    or until `target_mb` is reached (the units beyond it are deleted).
    """
    done = root / "_done.manifest"
    if done.exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    target = math.inf if target_mb is None else target_mb * MB
    wanted = units if units is not None else sys.maxsize
    what = f"~{target_mb:g} MB" if target_mb is not None else f"{units}-org"
    print(f"generating {what} archive in {root} ...", flush=True)
    t0 = time.perf_counter()
    total = 0
    used = 0
    # Units are independent: generate them on every core, in order, until the size is reached.
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        index = 0
        batch = max(2, os.cpu_count() or 1)
        while total < target and used < wanted:
            count = min(batch, wanted - index)
            sizes = list(pool.map(unit, [args(index + i) for i in range(count)]))
            for i, size in enumerate(sizes):
                if total < target:
                    total += size
                    used = index + i + 1
                else:
                    shutil.rmtree(root / f"org-{index + i:04d}")
            index += count
    manifest = {"orgs": used, "bytes": total, "seconds": round(time.perf_counter() - t0, 1)}
    done.write_text(json.dumps(manifest))
    print(f"  {used} orgs, {total / MB:.1f} MB, {manifest['seconds']} s", flush=True)
    return root


def archive_dir(data_dir: Path, size_mb: float) -> Path:
    """Generate the weekly archive once (cached by its parameters); return its root."""
    root = data_dir / f"archive-{size_mb:g}mb-v{GENERATOR_VERSION}"
    return build(root, _scope_files, lambda index: (str(root), index), target_mb=size_mb)


def sources(root: Path) -> list[str]:
    return [str(root / "{org}" / "*.json"), str(root / "{org}" / "teams" / "{team}" / "*.json")]


def json_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.json"), key=str)


# ----------------------------------------------------------------------------------- memory


def _tree_rss_kb(pid: int) -> int:
    """Current RSS (kB) of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        entry = proc.name
        if not entry.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except (OSError, ValueError, IndexError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def run_child(mode: str, root: Path, workers: int | None, extra: list[str] | None = None) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; sample the RSS of its process tree meanwhile."""
    cmd = [sys.executable, __file__, "--_child", mode, "--_root", str(root)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    cmd += extra or []
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            stop.wait(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, _ = proc.communicate()
    stop.set()
    thread.join()
    if proc.returncode:
        raise SystemExit(f"child {mode} failed with exit code {proc.returncode}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["tree_peak_mb"] = peak * 1024 / MB
    return result


def _cpu_s(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _maxrss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss * 1024 / MB  # kB on Linux


def child_main(mode: str, root: Path, workers: int | None, out_dir: str | None) -> None:
    """Entry point of the subprocess: only the measured step, then one JSON line on stdout."""
    import copilot_metrics as cm

    base_self = _maxrss_mb(resource.RUSAGE_SELF)
    result: dict[str, Any] = {"rss_after_import_mb": base_self}
    cpu0 = _cpu_s(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    ds = cm.load(sources(root), workers=workers)
    result["load_s"] = time.perf_counter() - t0
    # CPU seconds of the load, workers included: robust to other jobs sharing the machine
    result["load_cpu_parent_s"] = _cpu_s(resource.RUSAGE_SELF) - cpu0
    result["load_cpu_workers_s"] = _cpu_s(resource.RUSAGE_CHILDREN)
    result["load_cpu_s"] = result["load_cpu_parent_s"] + result["load_cpu_workers_s"]
    result["rows"] = {name: frame.height for name, frame in ds.tables.items()}
    result["sources"] = ds.sources.height
    result["rss_self_mb"] = _maxrss_mb(resource.RUSAGE_SELF)
    result["rss_children_mb"] = _maxrss_mb(resource.RUSAGE_CHILDREN)
    if mode == "full":
        result.update(_metrics(ds))
        result.update(_parquet(ds, out_dir))
    print(json.dumps(result), flush=True)


def _metrics(ds: Any) -> dict[str, Any]:
    import copilot_metrics as cm

    acceptance = getattr(cm, "acceptance", None)
    adoption = getattr(cm, "adoption", None)
    if acceptance is None or adoption is None:
        try:
            from copilot_metrics import metrics

            acceptance, adoption = metrics.acceptance, metrics.adoption
        except (ImportError, AttributeError) as exc:
            return {"metrics_skipped": f"copilot_metrics.metrics not available ({exc})"}
    t0 = time.perf_counter()
    a = acceptance(ds, by="language", every="1w")
    t1 = time.perf_counter()
    b = adoption(ds, every="1w")
    t2 = time.perf_counter()
    return {
        "acceptance_s": t1 - t0,
        "adoption_s": t2 - t1,
        "acceptance_rows": getattr(a, "height", None),
        "adoption_rows": getattr(b, "height", None),
    }


def _parquet(ds: Any, out_dir: str | None) -> dict[str, Any]:
    import copilot_metrics as cm

    write = getattr(cm, "write_parquet", None)
    read = getattr(cm, "read_parquet", None)
    if write is None or read is None:
        try:
            from copilot_metrics.export import parquet

            write, read = parquet.write_parquet, parquet.read_parquet
        except (ImportError, AttributeError) as exc:
            return {"parquet_skipped": f"copilot_metrics.parquet not available ({exc})"}
    target = Path(out_dir or tempfile.mkdtemp(prefix="cm-bench-parquet-")) / "dataset"
    if target.exists():
        shutil.rmtree(target)
    t0 = time.perf_counter()
    write(ds, target)
    t1 = time.perf_counter()
    back = read(target)
    t2 = time.perf_counter()
    size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    same = all(back.tables[n].height == f.height for n, f in ds.tables.items())
    shutil.rmtree(target.parent if out_dir is None else target)
    return {"write_parquet_s": t1 - t0, "read_parquet_s": t2 - t1, "parquet_bytes": size, "roundtrip_rows_equal": same}


# ----------------------------------------------------------------------------------- (a), (c)


def floor(files: list[Path]) -> tuple[float, float]:
    """Wall and CPU seconds spent in orjson.loads over every file (single thread)."""
    import orjson

    spent = cpu = 0.0
    for path in files:
        data = path.read_bytes()
        c0, t0 = time.process_time(), time.perf_counter()
        parsed = orjson.loads(data)
        spent += time.perf_counter() - t0
        cpu += time.process_time() - c0
        del parsed
    return spent, cpu


def naive(files: list[Path], budget_s: float) -> tuple[float, float, int, int, int]:
    """The loader people write today, on files in a fixed shuffled order until `budget_s` is spent.

    Returns wall seconds, CPU seconds, bytes processed, files processed and completion rows built.
    """
    import jsonschema
    import polars as pl

    from copilot_metrics import _schema

    validator_cls = jsonschema.validators.validator_for(_schema.day_schema())
    validator = validator_cls(_schema.day_schema())
    spent, cpu, total, done, n_rows = 0.0, 0.0, 0, 0, 0
    for path in random.Random(0).sample(files, len(files)):  # a subset spread over orgs and teams
        data = path.read_bytes()
        c0, t0 = time.process_time(), time.perf_counter()
        days = json.loads(data)
        for day in days:
            validator.validate(day)
        rows = []
        for day in days:
            block = day.get("copilot_ide_code_completions") or {}
            for editor in block.get("editors") or []:
                for model in editor.get("models") or []:
                    for lang in model.get("languages") or []:
                        rows.append(
                            {
                                "date": dt.date.fromisoformat(day["date"]),
                                "editor": editor["name"],
                                "model": model["name"],
                                "is_custom_model": model.get("is_custom_model"),
                                "language": lang["name"],
                                "total_engaged_users": lang.get("total_engaged_users"),
                                "total_code_suggestions": lang.get("total_code_suggestions"),
                                "total_code_acceptances": lang.get("total_code_acceptances"),
                                "total_code_lines_suggested": lang.get("total_code_lines_suggested"),
                                "total_code_lines_accepted": lang.get("total_code_lines_accepted"),
                            }
                        )
        frame = pl.DataFrame(rows)
        spent += time.perf_counter() - t0
        cpu += time.process_time() - c0
        total += len(data)
        done += 1
        n_rows += frame.height
        if spent >= budget_s:
            break
    return spent, cpu, total, done, n_rows


# ----------------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def machine() -> str:
    import orjson
    import polars as pl

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    return (
        f"nproc={os.cpu_count()}, CPU={cpu}, RAM={mem_kb / 1024 / 1024:.1f} GiB, "
        f"Python {platform.python_version()}, polars {pl.__version__}, orjson {orjson.__version__}, "
        f"duckdb {_version('duckdb')}"
    )


def _version(package: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def load_note() -> str:
    one, five, _ = os.getloadavg()
    busy = " -- WARNING: machine busy, timings are inflated" if one > 0.5 * (os.cpu_count() or 1) else ""
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min){busy}"


def revision() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "../src"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes in src/" if dirty else "")


def bench(args: argparse.Namespace) -> None:
    print(machine())
    print(f"copilot-metrics at {revision()}; {load_note()}")
    root = archive_dir(Path(args.data_dir), args.size_mb)
    files = json_files(root)
    size = sum(f.stat().st_size for f in files)
    mb = size / MB
    print(f"archive: {root} -- {len(files)} files, {mb:.1f} MB")

    a_s, a_cpu = min(floor(files) for _ in range(args.repeat))
    print(f"(a) floor   orjson.loads, 1 thread: {a_s:8.2f} s  {mb / a_s:8.1f} MB/s   (CPU {a_cpu:.2f} s)")

    b = run_child("full", root, args.workers)
    for _ in range(args.repeat - 1):  # keep the fastest load (and its RSS figures)
        again = run_child("load", root, args.workers)
        if again["load_s"] < b["load_s"]:
            b.update(again)
    b_s = b["load_s"]
    rss_b = max(b["tree_peak_mb"], b["rss_self_mb"] + b["rss_children_mb"])
    b_cpu = b["load_cpu_s"]
    print(
        f"(b) cm.load ({args.workers or 'default'} workers):  {b_s:8.2f} s  {mb / b_s:8.1f} MB/s   "
        f"(CPU {b_cpu:.2f} s: parent {b['load_cpu_parent_s']:.2f} s, workers {b['load_cpu_workers_s']:.2f} s)"
    )
    print(
        f"    peak RSS: process {b['rss_self_mb']:.0f} MB (after import {b['rss_after_import_mb']:.0f} MB), "
        f"largest worker {b['rss_children_mb']:.0f} MB, sampled whole tree {b['tree_peak_mb']:.0f} MB"
    )
    print(f"    rows: {b['rows']}")

    limit = args.skip_naive_above_mb
    budget = 1e18 if limit is None or mb <= limit else args.naive_budget_s
    c_s, c_cpu, c_bytes, c_files, c_rows = naive(files, budget)
    c_full = c_s / (c_bytes / MB) * mb
    c_cpu_full = c_cpu / (c_bytes / MB) * mb
    subset = c_files < len(files)
    note = f" (extrapolated from {c_files} files, {c_bytes / MB:.1f} MB, {c_s:.1f} s)" if subset else ""
    print(
        f"(c) naive jsonschema + loops:      {c_full:8.2f} s  {mb / c_full:8.1f} MB/s   "
        f"(CPU {c_cpu_full:.2f} s){note}; "
        f"{c_rows} completion rows"
    )

    metrics_s = None
    if "metrics_skipped" in b:
        print(f"(d) skipped: {b['metrics_skipped']}")
    else:
        metrics_s = b["acceptance_s"] + b["adoption_s"]
        print(f"(d) acceptance(by=language, 1w) {b['acceptance_s']:.3f} s, adoption(1w) {b['adoption_s']:.3f} s")
    parquet_ratio = None
    if "parquet_skipped" in b:
        print(f"(e) skipped: {b['parquet_skipped']}")
    else:
        parquet_ratio = b["parquet_bytes"] / size
        print(
            f"(e) write_parquet {b['write_parquet_s']:.2f} s, read_parquet {b['read_parquet_s']:.2f} s, "
            f"{b['parquet_bytes'] / MB:.1f} MB (round trip rows equal: {b['roundtrip_rows_equal']})"
        )

    print(f"\n{load_note()}")
    print("targets (wall-clock ratios; CPU-time ratios beside them are less sensitive to other jobs):")
    print(f"  b/a = {b_s / a_s:6.2f}   (<= 1.5)   {verdict(b_s / a_s <= 1.5)}   [CPU b/a = {b_cpu / a_cpu:.2f}]")
    print(
        f"  c/b = {c_full / b_s:6.1f}   (>= 20)    {verdict(c_full / b_s >= 20)}   [CPU c/b = {c_cpu_full / b_cpu:.1f}]"
    )
    print(f"  RSS(b)/archive = {rss_b:.0f} MB / {mb:.0f} MB = {rss_b / mb:.2f}   (<= 1)   {verdict(rss_b <= mb)}")
    if metrics_s is None:
        print("  d/b: n/a (metrics missing)   SKIP")
    else:
        print(f"  d/b = {metrics_s / b_s:.2%}   (< 5%)   {verdict(metrics_s / b_s < 0.05)}")
    if parquet_ratio is None:
        print("  parquet/json: n/a (parquet missing)   SKIP")
    else:
        print(f"  parquet/json = {parquet_ratio:.2%}   (< 5%)   {verdict(parquet_ratio < 0.05)}")
    if not args.keep:
        shutil.rmtree(root)
        print(f"\nremoved {root} (use --keep to keep it cached)")


def scaling(args: argparse.Namespace) -> None:
    print(machine())
    print(f"copilot-metrics at {revision()}; {load_note()}")
    per_mb, cpu_per_mb = {}, {}
    for size_mb in (100.0, 1000.0):
        root = archive_dir(Path(args.data_dir), size_mb)
        mb = sum(f.stat().st_size for f in json_files(root)) / MB
        b = min((run_child("load", root, args.workers) for _ in range(args.repeat)), key=lambda r: r["load_s"])
        per_mb[size_mb] = b["load_s"] / mb
        cpu_per_mb[size_mb] = b["load_cpu_s"] / mb
        print(
            f"(b) {mb:7.1f} MB: {b['load_s']:7.2f} s, {mb / b['load_s']:6.1f} MB/s, "
            f"{per_mb[size_mb] * 1000:.2f} ms/MB "
            f"(CPU {cpu_per_mb[size_mb] * 1000:.2f} ms/MB), peak RSS tree {b['tree_peak_mb']:.0f} MB"
        )
    ratio = per_mb[1000.0] / per_mb[100.0]
    print(load_note())
    cpu_ratio = cpu_per_mb[1000.0] / cpu_per_mb[100.0]
    print(f"\nper-MB cost 1 GB / 100 MB = {ratio:.2f}   (<= 1.25)   {verdict(ratio <= 1.25)}   [CPU {cpu_ratio:.2f}]")


# ----------------------------------------------------------------------------------- issue 19
#
# Three workloads measured side by side with the two ways people read these archives without the
# library: Polars' naive path and DuckDB.  Every measured path runs in a fresh interpreter
# (`run_child`), so its wall time and peak RSS are its own.

RECIPE_19 = 1  # bump when a recipe below changes (invalidates the cached archives)
WINDOW_DAYS = 100
DAILY_EXPORTS = 60  # workload 1: daily exports of a 100-day window for 60 days
ONCE_ORGS = 40  # workload 2: 40 organisations, one 100-day export each
WEEKLY_MB = 1000.0  # workload 3: the weekly archive of the issue-7 benchmark above
SCALING_MB = (400.0, 4000.0)  # --daily-scaling: the daily recipe at these sizes
APPENDED_RESPONSES = 365  # --appended: a year of daily responses...
APPENDED_WINDOW = 28  # ...of the 28-day window (before 2025-08-27)
APPENDED_START = dt.date(2024, 8, 1)
SHAPE: dict[str, Any] = {"n_languages": 30, "editors": ("vscode", "jetbrains", "neovim", "visualstudio")}
PATHS = ("cm.load", "Polars", "DuckDB")
MODES = {"cm.load": "cm", "Polars": "polars", "DuckDB": "duckdb"}
# the issue's goals: (cm.load wall / Polars wall, cm.load peak / Polars peak), at most
GOALS = {"daily": (0.25, 0.5), "once": (1.0, 2.0), "weekly": (0.5, 0.5)}
SCALING_GOAL = 1.1  # cost per MB at 4 GB / at 400 MB, at most
APPENDED_GOAL = 1.1  # cost per MB of the appended file / of the separate files, at most ("the same MB/s")
MIB = 1024 * 1024


def _full_windows(
    root: str, scopes: list[tuple[str, str | None]], seed: int, first: dt.date, exports: int, window: int
) -> list[Path]:
    """Daily exports of a full `window`-day window, the first fetched on `first` + `window` days.

    ``generate_archive``'s fetches start the day after its first day, so its first `window` - 1
    exports hold fewer days: they are generated, then deleted.
    """
    from copilot_metrics import examples

    files = examples.generate_archive(
        root,
        seed=seed,
        scopes=scopes,
        start=first,
        end=first + dt.timedelta(days=window + exports - 2),
        window_days=window,
        export_every_days=1,
        **SHAPE,
    )
    first_full = f"copilot-metrics-{first + dt.timedelta(days=window):%Y-%m-%d}.json"
    kept = []
    for path in files:
        if path.name < first_full:
            path.unlink()
        else:
            kept.append(path)
    return kept


def _daily_files(args: tuple[str, int, int]) -> int:
    """Write one organisation and its team exporting their 100-day window daily; return the bytes."""
    root, index, exports = args
    org = f"org-{index:04d}"
    first = START + dt.timedelta(days=7 * (index % 40))
    files = _full_windows(root, [(org, None), (org, TEAM)], index, first, exports, WINDOW_DAYS)
    return sum(f.stat().st_size for f in files)


def _once_files(args: tuple[str, int]) -> int:
    """Write one organisation's single 100-day export (every day once); return the bytes."""
    from copilot_metrics import examples

    root, index = args
    first = START + dt.timedelta(days=7 * (index % 40))
    files = examples.generate_archive(
        root,
        seed=index,
        scopes=[(f"org-{index:04d}", None)],
        start=first,
        end=first + dt.timedelta(days=WINDOW_DAYS - 1),
        window_days=WINDOW_DAYS,
        export_every_days=WINDOW_DAYS,
        **SHAPE,
    )
    return sum(f.stat().st_size for f in files)


def daily_dir(data_dir: Path, exports: int, *, orgs: int | None = None, size_mb: float | None = None) -> Path:
    """Workload 1 (``orgs=1``) and the --daily-scaling archives (``size_mb``): org + team, daily exports."""
    name = f"{orgs}orgs" if orgs is not None else f"{size_mb:g}mb"
    root = data_dir / f"daily-{name}-{exports}x-v{RECIPE_19}"
    return build(root, _daily_files, lambda index: (str(root), index, exports), target_mb=size_mb, units=orgs)


def _one_day_files(args: tuple[str, int]) -> int:
    """Write one organisation's export of a single day (the fixed cost of each path); return the bytes."""
    from copilot_metrics import examples

    root, index = args
    files = examples.generate_archive(
        root, seed=index, scopes=[(f"org-{index:04d}", None)], start=START, end=START, window_days=1, **SHAPE
    )
    return sum(f.stat().st_size for f in files)


def one_day_dir(data_dir: Path) -> Path:
    """One file holding one day: what each path costs before any data (imports, start-up, lazy imports)."""
    root = data_dir / f"one-day-v{RECIPE_19}"
    return build(root, _one_day_files, lambda index: (str(root), index), units=1)


def once_dir(data_dir: Path, orgs: int) -> Path:
    """Workload 2: `orgs` organisations, one 100-day export each."""
    root = data_dir / f"once-{orgs}orgs-v{RECIPE_19}"
    return build(root, _once_files, lambda index: (str(root), index), units=orgs)


def appended_dirs(data_dir: Path, responses: int, layout: str) -> tuple[Path, Path]:
    """A year of daily 28-day responses of one org: appended to one file, and as separate files.

    ``pretty``: the files as the generator writes them (the API's pretty-printed array), and the
    one file is their bytes one after another, each followed by a newline (``>>``; read as
    ``concatenated-json``).  ``lines``: each response compacted to one line, in the separate files
    too (the one file is ``ndjson-arrays``).  Both hold the same bytes, give or take the newlines.
    """
    base = data_dir / f"appended-{responses}x-{layout}-v{RECIPE_19}"
    one, separate = base / "one-file", base / "separate"
    done = base / "_done.manifest"
    if done.exists():
        return one, separate
    if base.exists():
        shutil.rmtree(base)
    print(f"generating {responses} appended responses ({layout}) in {base} ...", flush=True)
    t0 = time.perf_counter()
    org = "org-0000"
    files = _full_windows(str(separate), [(org, None)], 0, APPENDED_START, responses, APPENDED_WINDOW)
    (one / org).mkdir(parents=True)
    with (one / org / "appended.json").open("wb") as out:
        for path in sorted(files):
            data = path.read_bytes()
            if layout == "lines":
                data = json.dumps(json.loads(data), separators=(",", ":")).encode()
                path.write_bytes(data + b"\n")
            out.write(data.rstrip() + b"\n")
    size = sum(f.stat().st_size for f in files)
    done.write_text(json.dumps({"responses": responses, "bytes": size, "seconds": round(time.perf_counter() - t0, 1)}))
    print(f"  {len(files)} responses, {size / MB:.1f} MB, {time.perf_counter() - t0:.1f} s", flush=True)
    return one, separate


def _polars_leaf_rows(files: list[str]) -> Any:
    """What a user writes instead of the library: per file, read and unnest to completions rows."""
    import polars as pl

    frames = []
    for path in files:
        days = pl.read_json(path)
        block = days.schema.get("copilot_ide_code_completions")
        if not isinstance(block, pl.Struct):  # every day's block null: no rows
            continue
        frames.append(
            days.select(pl.col("date").str.to_date(), pl.col("copilot_ide_code_completions").struct.field("editors"))
            .explode("editors")
            .filter(pl.col("editors").is_not_null())
            .select(
                "date",
                pl.col("editors").struct.field("name").alias("editor"),
                pl.col("editors").struct.field("models"),
            )
            .explode("models")
            .filter(pl.col("models").is_not_null())
            .select(
                "date",
                "editor",
                pl.col("models").struct.field("name").alias("model"),
                pl.col("models").struct.field("is_custom_model", "languages"),
            )
            .explode("languages")
            .filter(pl.col("languages").is_not_null())
            .select(
                "date",
                "editor",
                "model",
                "is_custom_model",
                pl.col("languages").struct.field("name").alias("language"),
                pl.col("languages").struct.field(*LEAF_COUNTS),
            )
        )
    return pl.concat(frames, how="vertical_relaxed")


LEAF_COUNTS = (
    "total_engaged_users",
    "total_code_suggestions",
    "total_code_acceptances",
    "total_code_lines_suggested",
    "total_code_lines_accepted",
)

DUCKDB_SQL = f"""
WITH days AS (SELECT date, copilot_ide_code_completions AS c FROM read_json($files, format = 'array')),
editors AS (SELECT date, unnest(c.editors) AS e FROM days),
models AS (SELECT date, e.name AS editor, unnest(e.models) AS m FROM editors),
languages AS (SELECT date, editor, m.name AS model, m.is_custom_model, unnest(m.languages) AS l FROM models)
SELECT date, editor, model, is_custom_model, l.name AS language, {", ".join(f"l.{c}" for c in LEAF_COUNTS)}
FROM languages
"""


def _duckdb_leaf_rows(files: list[str]) -> Any:
    """DuckDB's ``read_json`` of every file and ``unnest`` down to the same rows, as an Arrow table."""
    import duckdb

    return duckdb.connect().sql(DUCKDB_SQL, params={"files": files}).to_arrow_table()


def child_19(mode: str, root: Path, sources_json: str | None, workers: int | None) -> None:
    """Entry point of an issue-19 subprocess: one path on one archive, then one JSON line on stdout."""
    if mode == "cm":
        import copilot_metrics as cm
    elif mode == "polars":
        import polars  # noqa: F401  (imported before the timed part, as cm.load's polars is)
    else:
        import duckdb  # noqa: F401
    result: dict[str, Any] = {"rss_after_import_mb": _maxrss_mb(resource.RUSAGE_SELF)}
    cpu0 = _cpu_s(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    if mode == "cm":
        ds = cm.load(json.loads(sources_json or "[]"), workers=workers)
        result["rows"] = ds.completions.height
        result["tables"] = {name: frame.height for name, frame in ds.tables.items()}
        result["conflicts"] = ds.conflicts.height
    else:
        files = [str(f) for f in json_files(root)]
        out = _polars_leaf_rows(files) if mode == "polars" else _duckdb_leaf_rows(files)
        result["rows"] = out.height if mode == "polars" else out.num_rows
    result["seconds"] = time.perf_counter() - t0
    result["cpu_s"] = _cpu_s(resource.RUSAGE_SELF) - cpu0 + _cpu_s(resource.RUSAGE_CHILDREN)
    result["rss_self_mb"] = _maxrss_mb(resource.RUSAGE_SELF)
    result["rss_children_mb"] = _maxrss_mb(resource.RUSAGE_CHILDREN)
    print(json.dumps(result), flush=True)


def run_19(path: str, root: Path, sources_list: list[str], workers: int | None) -> dict[str, Any]:
    """One measured run of `path` (cm.load, Polars, DuckDB) on `root`, in a fresh process."""
    extra = ["--_sources", json.dumps(sources_list)] if path == "cm.load" else []
    t0 = time.perf_counter()
    result = run_child(MODES[path], root, workers if path == "cm.load" else None, extra)
    result["process_s"] = time.perf_counter() - t0
    # the whole tree: the largest of the sampled sum and "process + its largest worker"
    result["peak_mib"] = max(result["tree_peak_mb"], result["rss_self_mb"] + result["rss_children_mb"]) * MB / MIB
    result["import_mib"] = result["rss_after_import_mb"] * MB / MIB
    return result


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _archive_mb(root: Path) -> tuple[int, float]:
    files = json_files(root)
    return len(files), sum(f.stat().st_size for f in files) / MB


def _measure(key: str, title: str, root: Path, sources_list: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Run the three paths `args.runs` times, interleaved; print the block; return the medians."""
    n_files, mb = _archive_mb(root)
    print(f"\n[{key}] {title}\n  {n_files} files, {mb:.1f} MB in {root}", flush=True)
    runs: dict[str, list[dict[str, Any]]] = {path: [] for path in PATHS}
    for _ in range(args.runs):  # interleaved, so a change of load on the machine hits every path
        for path in PATHS:
            runs[path].append(run_19(path, root, sources_list, args.workers))
    med: dict[str, Any] = {
        path: {k: _median(r, k) for k in ("seconds", "cpu_s", "process_s", "peak_mib", "import_mib")}
        | {"rows": r[0]["rows"]}
        for path, r in runs.items()
    }
    print(
        f"  {'path':<9} {'wall':>9} {'MB/s':>7} {'CPU':>9} {'process':>9} {'peak RSS':>10} {'(imports)':>10}   "
        f"rows (medians of {args.runs})"
    )
    for path in PATHS:
        m = med[path]
        print(
            f"  {path:<9} {m['seconds']:8.2f}s {mb / m['seconds']:7.1f} {m['cpu_s']:8.2f}s {m['process_s']:8.2f}s "
            f"{m['peak_mib']:6.0f} MiB {m['import_mib']:6.0f} MiB   {m['rows']:,}"
        )
    cm_rows, pl_rows, duck_rows = (med[p]["rows"] for p in PATHS)
    same = "equal" if pl_rows == duck_rows else "DIFFER"
    if key == "once":  # no repeats: every path must give the same leaf rows
        ok = cm_rows == pl_rows == duck_rows
        print(
            f"  check (no repeats): cm.load completions {cm_rows:,}, Polars {pl_rows:,}, DuckDB {duck_rows:,}: "
            f"{'OK, equal' if ok else 'MISMATCH'}"
        )
    else:
        print(
            f"  leaf rows: Polars {pl_rows:,} and DuckDB {duck_rows:,} ({same}) hold every copy; cm.load's "
            f"completions {cm_rows:,} hold each day once ({pl_rows / max(cm_rows, 1):.1f} copies per row)"
        )
    wall, peak = GOALS[key]
    cm, pol, duck = (med[p] for p in PATHS)
    med["ratios"] = {
        "wall": cm["seconds"] / pol["seconds"],
        "peak": cm["peak_mib"] / pol["peak_mib"],
        "cpu": cm["cpu_s"] / pol["cpu_s"],
        "duck_wall": duck["seconds"] / pol["seconds"],
        "duck_peak": duck["peak_mib"] / pol["peak_mib"],
    }
    ratios = med["ratios"]
    print(
        f"  cm.load / Polars: wall {ratios['wall']:.2f} (goal <= {wall:g}: {_met(ratios['wall'] <= wall)}), "
        f"peak {ratios['peak']:.2f} (goal <= {peak:g}: {_met(ratios['peak'] <= peak)}); CPU {ratios['cpu']:.2f}; "
        f"DuckDB / Polars: wall {ratios['duck_wall']:.2f}, peak {ratios['duck_peak']:.2f}",
        flush=True,
    )
    med["mb"] = mb
    return med


def _scaled(n: int, scale: float) -> int:
    return max(2, round(n * scale))


def compare(args: argparse.Namespace) -> list[Path]:
    """Issue 19's three workloads; returns the archives used (deleted at the end without --keep)."""
    data = Path(args.data_dir)
    wanted = args.workloads.split(",")
    exports = _scaled(DAILY_EXPORTS, args.scale)
    results: dict[str, dict[str, Any]] = {}
    roots: list[Path] = []
    print(
        "\nissue 19: cm.load against Polars' naive path (pl.read_json per file, explode/unnest to the completions "
        "leaf rows, concatenated) and DuckDB (read_json of every file, unnest to the same rows, to Arrow); "
        f"each run a fresh process, medians of {args.runs} runs; peak = RSS high-water mark of the process tree"
    )
    root = one_day_dir(data)
    roots.append(root)
    sources_list = [str(root / "{org}" / "*.json")]
    print("\nfixed cost of each path (one file holding one day; what the ratios below carry at any size):")
    for path in PATHS:
        fixed = [run_19(path, root, sources_list, args.workers) for _ in range(args.runs)]
        print(
            f"  {path:<9} {_median(fixed, 'seconds'):.2f} s ({_median(fixed, 'process_s'):.2f} s with start-up and "
            f"imports), peak RSS {_median(fixed, 'peak_mib'):.0f} MiB ({_median(fixed, 'import_mib'):.0f} MiB "
            "after the imports)",
            flush=True,
        )
    if "daily" in wanted:
        root = daily_dir(data, exports, orgs=1)
        roots.append(root)
        results["daily"] = _measure(
            "daily",
            f"daily exports of a {WINDOW_DAYS}-day window for {exports} days (org-0000 and its team; each day "
            f"held up to {exports} times)",
            root,
            sources(root),
            args,
        )
    if "once" in wanted:
        orgs = _scaled(ONCE_ORGS, args.scale)
        root = once_dir(data, orgs)
        roots.append(root)
        results["once"] = _measure(
            "once",
            f"every day once: {orgs} organisations, one {WINDOW_DAYS}-day export each",
            root,
            [str(root / "{org}" / "*.json")],
            args,
        )
    if "weekly" in wanted:
        root = archive_dir(data, WEEKLY_MB * args.scale)
        roots.append(root)
        results["weekly"] = _measure(
            "weekly",
            "the weekly archive of the issue-7 benchmark (orgs and their teams, 16 weekly exports of 100-day windows)",
            root,
            sources(root),
            args,
        )
    print(f"\n{load_note()}")
    print("issue 19 goals (cm.load / Polars naive, same files, same run):")
    print(f"  {'workload':<8} {'MB':>8} {'wall':>6} {'goal':>6} {'':>7} {'peak':>6} {'goal':>6} {'':>7} {'CPU':>6}")
    for key, med in results.items():
        r = med["ratios"]
        wall, peak = GOALS[key]
        print(
            f"  {key:<8} {med['mb']:8.1f} {r['wall']:6.2f} {wall:6.2f} {_met(r['wall'] <= wall):>7} "
            f"{r['peak']:6.2f} {peak:6.2f} {_met(r['peak'] <= peak):>7} {r['cpu']:6.2f}"
        )
    return roots


def daily_scaling(args: argparse.Namespace) -> list[Path]:
    """cm.load's cost per MB on the daily recipe at 4 GB against 400 MB (issue 19)."""
    data = Path(args.data_dir)
    exports = _scaled(DAILY_EXPORTS, args.scale)
    small, large = (mb * args.scale for mb in SCALING_MB)
    print(
        f"\ndaily scaling: cm.load on the daily recipe (organisations and their teams, {exports} daily exports of a "
        f"{WINDOW_DAYS}-day window each) at ~{small:g} MB and ~{large:g} MB, medians of {args.runs} runs"
    )
    per_mb: dict[float, tuple[float, float]] = {}
    roots = []
    for size in (small, large):
        root = daily_dir(data, exports, size_mb=size)
        roots.append(root)
        n_files, mb = _archive_mb(root)
        runs = [run_19("cm.load", root, sources(root), args.workers) for _ in range(args.runs)]
        wall, cpu, peak = (_median(runs, k) for k in ("seconds", "cpu_s", "peak_mib"))
        per_mb[size] = (wall / mb, cpu / mb)
        print(
            f"  {mb:8.1f} MB ({n_files} files): {wall:7.2f} s, {mb / wall:6.1f} MB/s, {wall / mb * 1000:.2f} ms/MB "
            f"(CPU {cpu / mb * 1000:.2f} ms/MB), peak RSS {peak:.0f} MiB",
            flush=True,
        )
    ratio = per_mb[large][0] / per_mb[small][0]
    cpu_ratio = per_mb[large][1] / per_mb[small][1]
    print(
        f"  cost per MB at ~{large:g} MB / at ~{small:g} MB = {ratio:.2f} (goal <= {SCALING_GOAL:g}: "
        f"{_met(ratio <= SCALING_GOAL)}) [CPU {cpu_ratio:.2f}]; {load_note()}"
    )
    return roots


def appended(args: argparse.Namespace) -> list[Path]:
    """cm.load's MB/s on a year of appended daily 28-day responses: one file against separate files."""
    responses = _scaled(APPENDED_RESPONSES, args.scale)
    one, separate = appended_dirs(Path(args.data_dir), responses, args.appended_layout)
    print(
        f"\nappended: {responses} daily responses of the {APPENDED_WINDOW}-day window of one org "
        f"({args.appended_layout}), appended to one file against the same responses in separate files; "
        f"cm.load, medians of {args.runs} runs"
    )
    figures = {}
    for label, root in (("one file", one), ("separate files", separate)):
        n_files, mb = _archive_mb(root)
        runs = [run_19("cm.load", root, [str(root / "{org}" / "*.json")], args.workers) for _ in range(args.runs)]
        wall, cpu, peak = (_median(runs, k) for k in ("seconds", "cpu_s", "peak_mib"))
        figures[label] = (mb / wall, mb / cpu, runs[0]["tables"], runs[0]["conflicts"])
        print(
            f"  {label:<14} {n_files:4} files, {mb:7.1f} MB: {wall:7.2f} s, {mb / wall:6.1f} MB/s "
            f"(CPU {cpu:.2f} s, {mb / cpu:.1f} MB/s), peak RSS {peak:.0f} MiB",
            flush=True,
        )
    (one_rate, one_cpu, one_rows, one_conflicts), (sep_rate, sep_cpu, sep_rows, sep_conflicts) = figures.values()
    same = one_rows == sep_rows and one_conflicts == sep_conflicts
    print(f"  same tables and conflicts from both: {'yes' if same else f'NO: {one_rows} vs {sep_rows}'}")
    ratio = sep_rate / one_rate
    print(
        f"  cost per MB one file / separate files = {ratio:.2f} (goal <= {APPENDED_GOAL:g}, 'the same MB/s': "
        f"{_met(ratio <= APPENDED_GOAL)}) [CPU {sep_cpu / one_cpu:.2f}]; {load_note()}"
    )
    return [one.parent]


def issue19(args: argparse.Namespace) -> None:
    print(machine())
    print(f"copilot-metrics at {revision()}; {load_note()}; scale {args.scale:g}")
    t0 = time.perf_counter()
    roots: list[Path] = []
    if args.compare or args.issue19:
        roots += compare(args)
    if args.daily_scaling or args.issue19:
        roots += daily_scaling(args)
    if args.appended or args.issue19:
        roots += appended(args)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    if not args.keep:
        for root in dict.fromkeys(roots):
            shutil.rmtree(root, ignore_errors=True)
        print("removed the generated archives (use --keep to keep them cached)")


def _timed(fn: Any, repeat: int) -> tuple[float, float]:
    """Best wall and CPU seconds of ``fn()`` over ``repeat`` runs (in this process)."""
    best_wall = best_cpu = math.inf
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu


def scan_micro(args: argparse.Namespace) -> None:
    """Issue 19's scanner alone (``copilot_metrics._scan``), in this process, against orjson on the same bytes.

    Three inputs, from the daily recipe at ``--scale`` (an org and its team exporting a 100-day window
    daily) and a year of appended 28-day responses: every file on its own; the responses appended to
    one file (pretty documents: ``concatenated-json``); the same as one compact line each
    (``ndjson-arrays``).  For each: ``orjson.loads`` of every document (the floor today's path pays
    before validating), ``scan`` (split and xxh3-128 of every day), ``scan`` + ``orjson.loads`` of
    the distinct ranges of each file, and the same with the distinct ranges of the whole input (a
    fingerprint seen in an earlier file is not parsed again); best of ``--runs``.
    """
    import orjson

    from copilot_metrics import _scan

    print(machine())
    print(f"copilot-metrics at {revision()}; {load_note()}; scale {args.scale:g}, best of {args.runs}")
    data = Path(args.data_dir)
    exports = _scaled(DAILY_EXPORTS, args.scale)
    daily_root = daily_dir(data, exports, orgs=1)
    daily = [p.read_bytes() for p in json_files(daily_root)]
    one, separate = appended_dirs(data, _scaled(APPENDED_RESPONSES, args.scale), "pretty")
    responses = [p.read_bytes() for p in json_files(separate)]
    inputs = {
        f"daily ({len(daily)} files)": (daily, daily),
        f"appended pretty ({len(responses)} docs)": ([b"".join(r.rstrip() + b"\n" for r in responses)], responses),
        f"appended lines ({len(responses)} docs)": (
            [b"".join(orjson.dumps(orjson.loads(r)) + b"\n" for r in responses)],
            [orjson.dumps(orjson.loads(r)) for r in responses],
        ),
    }

    def parse_distinct(files: list[bytes], *, across: bool) -> None:
        seen: set[bytes] = set()
        for blob in files:
            found = _scan.scan(blob)
            assert found is not None
            for k, digest in enumerate(found.fingerprints):
                if digest not in seen:
                    found.load(k)
                    if across:
                        seen.add(digest)
            if not across:
                seen.clear()

    print(
        f"\n  {'input':<30} {'MB':>6} {'days':>6} {'distinct':>8} {'orjson':>8} {'scan':>8} {'ratio':>6} "
        f"{'+parse/file':>11} {'ratio':>6} {'+parse/all':>10} {'ratio':>6}"
    )
    for name, (files, documents) in inputs.items():
        mb = sum(len(f) for f in files) / MB
        scans = [_scan.scan(f) for f in files]
        assert all(s is not None for s in scans), name
        days = sum(s.days for s in scans if s is not None)
        distinct = len({d for s in scans if s is not None for d in s.fingerprints})
        base, _ = _timed(lambda docs=documents: [orjson.loads(d) for d in docs], args.runs)
        alone, _ = _timed(lambda fs=files: [_scan.scan(f) for f in fs], args.runs)
        per_file, _ = _timed(lambda fs=files: parse_distinct(fs, across=False), args.runs)
        every, _ = _timed(lambda fs=files: parse_distinct(fs, across=True), args.runs)
        print(
            f"  {name:<30} {mb:6.1f} {days:6} {distinct:8} {base:7.3f}s {alone:7.3f}s {alone / base:6.2f} "
            f"{per_file:10.3f}s {per_file / base:6.2f} {every:9.3f}s {every / base:6.2f}",
            flush=True,
        )
    print(f"\n  ratio: against orjson.loads of every document (< 1: faster); {load_note()}")
    if not args.keep:
        for root in (daily_root, one.parent):
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=1000.0, help="archive size (default 1000)")
    parser.add_argument(
        "--data-dir",
        default=str(Path(__file__).resolve().parent / "data"),
        help="where generated archives are cached (default benchmarks/data, gitignored)",
    )
    parser.add_argument("--workers", type=int, default=None, help="workers= passed to cm.load (default: its own)")
    parser.add_argument(
        "--skip-naive-above-mb",
        type=float,
        default=200.0,
        help="above this archive size, run (c) on a subset and extrapolate per MB (default 200)",
    )
    parser.add_argument(
        "--naive-budget-s", type=float, default=60.0, help="time spent on the (c) subset (default 60 s)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="run (a) and (b) this many times, keep the fastest")
    parser.add_argument("--keep", action="store_true", help="keep the generated archive for the next run")
    parser.add_argument("--scaling", action="store_true", help="run (b) at 100 MB and 1000 MB; compare per-MB cost")
    issue = parser.add_argument_group(
        "issue 19", "cm.load against Polars' naive path and DuckDB; any of these flags runs issue 19's benchmark"
    )
    issue.add_argument(
        "--issue19", action="store_true", help="everything below: --compare, --daily-scaling and --appended"
    )
    issue.add_argument(
        "--compare", action="store_true", help="the three workloads (daily, once, weekly) against Polars and DuckDB"
    )
    issue.add_argument(
        "--workloads", default="daily,once,weekly", help="which of them --compare runs (default daily,once,weekly)"
    )
    issue.add_argument(
        "--daily-scaling", action="store_true", help="cm.load's cost per MB on the daily recipe at 4 GB vs 400 MB"
    )
    issue.add_argument(
        "--appended",
        action="store_true",
        help="cm.load's MB/s on a year of daily 28-day responses appended to one file vs in separate files",
    )
    issue.add_argument(
        "--appended-layout",
        choices=("pretty", "lines"),
        default="pretty",
        help="pretty: the pretty-printed responses one after another (default); lines: one compact response a line",
    )
    issue.add_argument(
        "--scan",
        action="store_true",
        help="the scanner alone (copilot_metrics._scan: split + xxh3-128) against orjson.loads of the same bytes",
    )
    issue.add_argument("--runs", type=int, default=3, help="runs of each measured process; medians (default 3)")
    issue.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply every issue-19 size (exports, orgs, MB, responses; at least 2 of each) by this; "
        "e.g. 0.05 for a quick check that the harness works (default 1: the issue's sizes)",
    )
    parser.add_argument("--_child", help=argparse.SUPPRESS)
    parser.add_argument("--_root", help=argparse.SUPPRESS)
    parser.add_argument("--_out", help=argparse.SUPPRESS)
    parser.add_argument("--_sources", help=argparse.SUPPRESS)
    args = parser.parse_args()
    unknown = set(args.workloads.split(",")) - set(GOALS)
    if unknown:
        parser.error(f"--workloads: unknown {', '.join(sorted(unknown))} (choose among {', '.join(GOALS)})")
    if args.runs < 1 or args.scale <= 0:
        parser.error("--runs must be at least 1 and --scale positive")
    if args._child in MODES.values():
        child_19(args._child, Path(args._root), args._sources, args.workers)
    elif args._child:
        child_main(args._child, Path(args._root), args.workers, args._out)
    elif args.scan:
        scan_micro(args)
    elif args.issue19 or args.compare or args.daily_scaling or args.appended:
        issue19(args)
    elif args.scaling:
        scaling(args)
    else:
        bench(args)


if __name__ == "__main__":
    main()
