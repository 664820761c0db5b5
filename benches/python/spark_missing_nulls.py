"""Would a null `ID_missing` for a decided answer (instead of an empty
list) cost Spark less? Three jobs over the same cached accounts in one
Spark session, interleaved, all writing Parquet: the identity `mapInArrow`
job, and records of the evaluation's shape (each worker evaluates its first
batch once and answers every batch with as many of those rows) with the
`_missing` lists as credo writes them (empty when no fact is missing) and
with those empty lists made nulls. Wall and CPU time (the JVM and its
Python workers), median of the rounds.

    spark-submit --py-files examples/spark/credo_spark.py,examples/spark/bench.py \
        benches/python/spark_missing_nulls.py --policies policies \
        --input accounts.parquet --output /tmp/nulls [--rounds 5]
"""

import argparse
import statistics
import time

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import SparkSession
from pyspark.sql.pandas.types import from_arrow_schema

from bench import tree_cpu
from credo_spark import identity_frame, output_schema, policy_set, policy_sources, read_accounts

AS_OF = "2026-11-25"


def with_nulls(table):
    """`table` with each empty `_missing` list made a null."""
    columns = []
    for name, column in zip(table.column_names, table.columns):
        if name.endswith("_missing"):
            column = column.combine_chunks()
            empty = pc.equal(pc.list_value_length(column), 0)
            column = pa.ListArray.from_arrays(
                column.offsets, column.values, type=column.type, mask=empty
            )
        columns.append(column)
    return pa.table(columns, schema=table.schema)


def shape_frame(frame, sources, nulls):
    schema = output_schema(policy_set(sources), None, AS_OF, "compact")
    kept = {}

    def same_shape(batches):
        for batch in batches:
            if "table" not in kept:
                table = policy_set(sources).evaluate_arrow(batch, as_of=AS_OF, dictionaries=False)
                table = table.drop_columns(["line"]).combine_chunks()
                kept["table"] = with_nulls(table) if nulls else table
            table = kept["table"]
            yield from table.slice(0, min(batch.num_rows, table.num_rows)).to_batches()

    return frame.mapInArrow(same_shape, from_arrow_schema(schema))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sources = policy_sources(args.policies)
    spark = SparkSession.builder.appName("credo-missing-nulls").getOrCreate()
    accounts = read_accounts(spark, args.input).cache()
    accounts.count()
    jobs = {
        "identity mapInArrow": lambda: identity_frame(accounts),
        "shape, empty lists": lambda: shape_frame(accounts, sources, False),
        "shape, nulls": lambda: shape_frame(accounts, sources, True),
    }
    wall = {name: [] for name in jobs}
    cpu = {name: [] for name in jobs}
    for _ in range(args.rounds):
        for number, (name, frame) in enumerate(jobs.items()):
            start, used = time.perf_counter(), tree_cpu()
            frame().write.mode("overwrite").parquet(f"{args.output}/job{number}")
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(tree_cpu() - used)
    base_wall = statistics.median(wall["identity mapInArrow"])
    base_cpu = statistics.median(cpu["identity mapInArrow"])
    for name in jobs:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(
            f"{name:<22} wall {w:6.2f} s {w / base_wall:5.2f}x   cpu {c:6.2f} s {c / base_cpu:5.2f}x"
            f"   (cpu by round: {', '.join(f'{x:.2f}' for x in cpu[name])})"
        )
    spark.stop()


if __name__ == "__main__":
    main()
