"""Benchmark ``copilot_metrics.spark.load`` on Spark ``local[N]`` against ``cm.load`` (issue 13 §1).

On the archive of ``bench_load.py`` (generated once with :func:`copilot_metrics.examples.generate_archive`,
cached under ``--data-dir``: organisations and their teams, 16 weekly exports of 100-day windows,
30 languages, 4 editors, 2 models), measures in one run and on the same files:

(a) ``cm.load`` in a fresh process (``bench_load.py``'s measurement, default workers);
(b) ``spark.load`` on ``local[N]`` (``--cores``, default 2): the Spark session is started first and
    not timed; then a warm-up on 2 files (Python workers started), then the timed load, which
    returns the Spark DataFrames (built on the driver), and the number of rows of each
    (``count()``);
(c) the same tables: the row counts of (a) and (b) are compared.

Prints wall time, MB/s, MB/s per core, the ratio (b)/(a), and the per-core rate from which a
cluster is sized.  Not part of the test suite.  Usage::

    python benchmarks/bench_spark.py --size-mb 100 --keep
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_load  # the archive recipe, its cache, the cm.load measurement and the machine line

MB = bench_load.MB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=100.0, help="archive size (default 100)")
    parser.add_argument("--cores", type=int, default=2, help="Spark master local[N] (default 2)")
    parser.add_argument(
        "--data-dir",
        default=str(Path(__file__).resolve().parent / "data"),
        help="where generated archives are cached (default benchmarks/data, gitignored)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated archive for the next run")
    parser.add_argument("--driver-memory", default="4g", help="spark.driver.memory (default 4g)")
    args = parser.parse_args()

    import shutil

    import pyspark
    from pyspark.sql import SparkSession

    from copilot_metrics import spark as cms

    root = bench_load.archive_dir(Path(args.data_dir), args.size_mb)
    files = bench_load.json_files(root)
    size = sum(f.stat().st_size for f in files)
    print(f"machine: {bench_load.machine()}, pyspark {pyspark.__version__}")
    print(f"archive: {len(files)} files, {size / MB:.0f} MB; {bench_load.load_note()}")

    loaded = bench_load.run_child("load", root, None)
    a = loaded["load_s"]
    print(
        f"(a) cm.load:            {a:7.2f} s  {size / MB / a:7.1f} MB/s  (CPU {loaded['load_cpu_s']:.1f} s, "
        f"peak RSS {loaded['tree_peak_mb']:.0f} MB)"
    )

    spark = (
        SparkSession.builder.master(f"local[{args.cores}]")
        .appName("bench-spark")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.sql.shuffle.partitions", str(args.cores))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    cms.load(spark, [str(f) for f in files[:2]])  # warm-up: JVM, Python workers
    t0 = time.perf_counter()
    result = cms.load(spark, bench_load.sources(root))
    b_load = time.perf_counter() - t0
    counts = {name: frame.count() for name, frame in result.tables.items()}
    b = time.perf_counter() - t0
    spark.stop()
    print(
        f"(b) spark.load local[{args.cores}]: {b:7.2f} s  {size / MB / b:7.1f} MB/s  "
        f"({size / MB / b / args.cores:.1f} MB/s per core; load {b_load:.2f} s, counts {b - b_load:.2f} s)"
    )
    same = counts == loaded["rows"] and result.dataset.sources.height == loaded["sources"]
    print("    phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.seconds.items()))
    print(f"(c) same row counts as cm.load: {same}")
    print(f"ratio (b)/(a): {b / a:.2f}")
    per_core = size / MB / b / args.cores
    print(
        f"per-core rate {per_core:.1f} MB/s -> 1 TB on 100 cores: {1e6 / per_core / 100 / 60:.0f} min of "
        "executor time (plus the driver's merge)"
    )
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
