"""The cost of credo in a Spark job: the evaluation job against an identity
`mapInArrow` job over the same cached accounts, both writing Parquet, in one
Spark session; and four jobs that write records without evaluating (each
worker evaluates its first batch once and answers every batch with as many
of those rows): of the evaluation's whole shape (46 columns, 24 of them
lists), of that shape without the rule-id and missing-fact lists, of that
shape without the rule-id lists alone, and of the whole shape with each
decision's rule ids as one text cell. They split the evaluation job's cost
into credo's part, the lists' and the rest of the record's.
Also `evaluate_arrow` alone on one core, in rows per second. Wall and CPU
times (the JVM and its Python workers): a first round warms the JVM and is
not counted; then the median of interleaved rounds, and each round's ratio
to that round's identity job.

    spark-submit --py-files examples/spark/credo_spark.py examples/spark/bench.py \
        --policies policies --input accounts.parquet --output /tmp/bench [--rounds 3]
"""

import argparse
import os
import statistics
import time

import pyarrow as pa
import pyarrow.compute as pc
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


def shape_frame(
    frame, sources, as_of, lists=True, dropped=("_rules", "_missing"), rules_as_text=False
):
    """Records of the evaluation job's shape (without the columns whose names
    end in `dropped` when `lists` is false; with each decision's rule ids
    joined into one text cell when `rules_as_text`), without evaluating: each
    worker evaluates its first batch once and answers every batch with as
    many of those rows."""
    schema = output_schema(policy_set(sources), None, as_of, "compact")
    names = [
        n
        for n in schema.names
        if n != "line" and (lists or not n.endswith(dropped))
    ]

    def reshaped(table):
        table = table.select(names)
        if not rules_as_text:
            return table
        # Joined by `;`, as CSV joins them (a rule id holds no `;`).
        columns = [
            pc.binary_join(table.column(n), ";") if n.endswith("_rules") else table.column(n)
            for n in names
        ]
        return pa.table(columns, names=names)

    kept = {}

    def same_shape(batches):
        for batch in batches:
            if "table" not in kept:
                table = policy_set(sources).evaluate_arrow(batch, as_of=as_of, dictionaries=False)
                kept["table"] = reshaped(table).combine_chunks()
            table = kept["table"]
            rows = min(batch.num_rows, table.num_rows)
            yield from table.slice(0, rows).to_batches()

    shape = pa.schema([schema.field(n) for n in names])
    if rules_as_text:
        shape = pa.schema(
            [pa.field(f.name, pa.string()) if f.name.endswith("_rules") else f for f in shape]
        )
    return frame.mapInArrow(same_shape, from_arrow_schema(shape))


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
        "shape without lists": lambda: shape_frame(accounts, sources, args.as_of, lists=False),
        # The 12 `_rules` lists alone: what a record of outcomes, amounts
        # and missing facts (no rule ids) would leave.
        "shape without rule ids": lambda: shape_frame(
            accounts, sources, args.as_of, lists=False, dropped=("_rules",)
        ),
        # The rule ids kept, each decision's joined into one text cell
        # instead of a list: whether the lists' form or their strings cost.
        "shape, rule ids as text": lambda: shape_frame(
            accounts, sources, args.as_of, rules_as_text=True
        ),
    }
    identity = "identity mapInArrow"
    times = {name: [] for name in jobs}
    cpus = {name: [] for name in jobs}
    # The first round compiles the JVM's code for each job; it is not counted.
    for round in range(args.rounds + 1):
        for number, (name, frame) in enumerate(jobs.items()):
            start, cpu = time.perf_counter(), tree_cpu()
            frame().write.mode("overwrite").parquet(f"{args.output}/job{number}")
            if round > 0:
                times[name].append(time.perf_counter() - start)
                cpus[name].append(tree_cpu() - cpu)
    base, cpu_base = statistics.median(times[identity]), statistics.median(cpus[identity])
    for name in jobs:
        median, cpu = statistics.median(times[name]), statistics.median(cpus[name])
        rounds = " ".join(f"{c / i:.2f}" for c, i in zip(cpus[name], cpus[identity]))
        print(
            f"{name:<24} wall {median:6.2f} s {median / base:5.2f}x the identity job"
            f"   cpu {cpu:6.2f} s {cpu / cpu_base:5.2f}x   (cpu by round: {rounds})"
        )
    spark.stop()


if __name__ == "__main__":
    main()
