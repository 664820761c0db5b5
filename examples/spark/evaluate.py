"""Evaluate every account with credo on Spark.

Reads accounts (Parquet, or JSON Lines: one fact document a line, nested
objects becoming struct columns named by fact path), evaluates them with
`mapInArrow` (each Python worker loads the policy set once, from sources the
driver read and shipped with the job), and writes one row of decisions per
account as Parquet: the columns of `credo batch --output-format parquet`,
without the per-partition `line`.

    spark-submit --py-files examples/spark/credo_spark.py examples/spark/evaluate.py --policies policies \
        --input accounts.jsonl --output decisions.parquet
"""

import argparse

from pyspark.sql import SparkSession

from credo_spark import evaluate_frame, policy_sources, read_accounts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--input-format", choices=["parquet", "json"])
    parser.add_argument("--output", required=True)
    parser.add_argument("--as-of")
    parser.add_argument("--decision", action="append")
    args = parser.parse_args()
    spark = SparkSession.builder.appName("credo-evaluate").getOrCreate()
    accounts = read_accounts(spark, args.input, args.input_format)
    # Columns carry the compact record (rule ids, never messages): the only
    # record `evaluate_arrow` gives.
    decisions = evaluate_frame(accounts, policy_sources(args.policies), args.decision, args.as_of)
    decisions.write.mode("overwrite").parquet(args.output)
    spark.stop()


if __name__ == "__main__":
    main()
