"""The cost of credo in a Spark job: the evaluation job against an identity
`mapInArrow` job over the same cached accounts, both writing Parquet, in one
Spark session, and a third job that writes records of the same shape without
evaluating (what Spark itself spends on 46 columns, 24 of them lists); and
`evaluate_arrow` alone on one core, in rows per second. Wall and CPU times
(the JVM and its Python workers), median of interleaved runs.

    spark-submit --py-files examples/spark/credo_spark.py examples/spark/bench.py \
        --policies policies --input accounts.parquet --output /tmp/bench [--rounds 3]
"""

import argparse
import os
import statistics
import time

import pyarrow.parquet as pq
from pyspark.sql import SparkSession

from pyspark.sql.pandas.types import from_arrow_schema

from credo_spark import (
    evaluate_frame,
    identity_frame,
    output_schema,
    policy_set,
    policy_sources,
    read_accounts,
)


def tree_cpu():
    """CPU seconds used so far by the Spark JVM (this driver's parent) and
    every process under it (the Python workers), live ones included: under
    a load that takes cores away, the measure that wall time is not."""
    tick = os.sysconf("SC_CLK_TCK")
    parents, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        cpu[int(entry)] = sum(int(x) for x in fields[11:15]) / tick
    root, total = os.getppid(), 0.0
    for pid in cpu:
        p = pid
        while p not in (0, 1, root, os.getpid()) and p in parents:
            p = parents[p]
        if p == root and pid != os.getpid():
            total += cpu[pid]
    return total


def shape_frame(frame, sources, as_of):
    """Records of the evaluation job's shape, without evaluating: each
    worker evaluates its first batch once and answers every batch with as
    many of those rows."""
    schema = output_schema(policy_set(sources), None, as_of, "compact")
    kept = {}

    def same_shape(batches):
        for batch in batches:
            if "table" not in kept:
                table = policy_set(sources).evaluate_arrow(batch, as_of=as_of, dictionaries=False)
                kept["table"] = table.drop_columns(["line"]).combine_chunks()
            table = kept["table"]
            rows = min(batch.num_rows, table.num_rows)
            yield from table.slice(0, rows).to_batches()

    return frame.mapInArrow(same_shape, from_arrow_schema(schema))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--as-of", default="2026-11-25")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sources = policy_sources(args.policies)

    # evaluate_arrow alone, one core, the accounts already in memory.
    table = pq.read_table(args.input) if args.input.endswith(".parquet") else None
    if table is not None:
        policies = policy_set(sources)
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            policies.evaluate_arrow(table, as_of=args.as_of, jobs=1)
            times.append(time.perf_counter() - start)
        best = statistics.median(times)
        print(f"evaluate_arrow, one core: {table.num_rows / best:,.0f} rows/s ({best:.3f} s)")

    spark = SparkSession.builder.appName("credo-bench").getOrCreate()
    accounts = read_accounts(spark, args.input).cache()
    accounts.count()
    jobs = {
        "identity mapInArrow": lambda: identity_frame(accounts),
        "credo evaluation": lambda: evaluate_frame(accounts, sources, as_of=args.as_of),
        # What Spark spends on the records' shape alone (46 columns, 24 of
        # them lists): each batch answered with rows evaluated once before.
        "records' shape only": lambda: shape_frame(accounts, sources, args.as_of),
    }
    times = {name: [] for name in jobs}
    cpus = {name: [] for name in jobs}
    for _ in range(args.rounds):
        for number, (name, frame) in enumerate(jobs.items()):
            start, cpu = time.perf_counter(), tree_cpu()
            frame().write.mode("overwrite").parquet(f"{args.output}/job{number}")
            times[name].append(time.perf_counter() - start)
            cpus[name].append(tree_cpu() - cpu)
    medians = {name: statistics.median(t) for name, t in times.items()}
    cpu_medians = {name: statistics.median(t) for name, t in cpus.items()}
    base, cpu_base = medians["identity mapInArrow"], cpu_medians["identity mapInArrow"]
    for name, median in medians.items():
        cpu = cpu_medians[name]
        print(
            f"{name:<24} wall {median:6.2f} s {median / base:5.2f}x the identity job"
            f"   cpu {cpu:6.2f} s {cpu / cpu_base:5.2f}x"
        )
    spark.stop()


if __name__ == "__main__":
    main()
