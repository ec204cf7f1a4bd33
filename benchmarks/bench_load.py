"""Benchmark ``cm.load`` against the cost of only parsing the JSON (issue 7).

Generates (once, cached under ``--data-dir``) a synthetic archive of about ``--size-mb`` MB with
:func:`copilot_metrics.examples.generate_archive` -- many organisations, each with one team, 100-day
windows exported weekly over 16 weeks (staggered starts), 30 languages, 4 editors, 2 models, plain ``.json`` --
then measures, in one run and on the same files:

(a) floor: ``orjson.loads`` of every file, single-threaded (bytes read first, only the parse timed);
(b) ``cm.load`` of the archive in a fresh subprocess (wall time, MB/s, peak RSS of the process and
    of its worker processes);
(c) the naive baseline: pure-Python ``jsonschema`` validation of every day, Python loops building
    one dict per completions leaf row, ``pl.DataFrame(rows)`` (on a subset, extrapolated per MB);
(d) ``cm.acceptance(ds, by="language", every="1w")`` and ``cm.adoption(ds, every="1w")``;
(e) ``cm.write_parquet`` / ``cm.read_parquet`` and the Parquet size against the JSON size;

and prints each issue target with PASS or MISS. ``--scaling`` instead runs (b) at 100 MB and at
1000 MB and compares the per-MB cost. Not part of the test suite. Usage::

    python benchmarks/bench_load.py --size-mb 100
    python benchmarks/bench_load.py                 # 1000 MB
    python benchmarks/bench_load.py --scaling
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import polars as pl

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


def archive_dir(data_dir: Path, size_mb: float) -> Path:
    """Generate the archive once (cached by its parameters); return its root."""
    root = data_dir / f"archive-{size_mb:g}mb-v{GENERATOR_VERSION}"
    done = root / "_done.manifest"
    if done.exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    target = size_mb * MB
    print(f"generating ~{size_mb:g} MB archive in {root} ...", flush=True)
    t0 = time.perf_counter()
    total = 0
    used = 0
    # Organisations are independent: generate them on both cores, in order, until the size is reached.
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        index = 0
        batch = max(2, os.cpu_count() or 1)
        while total < target:
            sizes = list(pool.map(_scope_files, [(str(root), index + i) for i in range(batch)]))
            for i, size in enumerate(sizes):
                if total < target:
                    total += size
                    used = index + i + 1
                else:
                    shutil.rmtree(root / f"org-{index + i:04d}")
            index += batch
    manifest = {"orgs": used, "bytes": total, "seconds": round(time.perf_counter() - t0, 1)}
    done.write_text(json.dumps(manifest))
    print(f"  {used} orgs (+1 team each), {total / MB:.0f} MB, {manifest['seconds']} s", flush=True)
    return root


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
        f"Python {platform.python_version()}, polars {pl.__version__}, orjson {orjson.__version__}"
    )


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
    parser.add_argument("--_child", help=argparse.SUPPRESS)
    parser.add_argument("--_root", help=argparse.SUPPRESS)
    parser.add_argument("--_out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        child_main(args._child, Path(args._root), args.workers, args._out)
    elif args.scaling:
        scaling(args)
    else:
        bench(args)


if __name__ == "__main__":
    main()
