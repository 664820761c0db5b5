"""The impact of a policy change over every account, on Spark.

Each partition evaluates its accounts under the old and the new policy set
with `credo.diff_arrow` and yields its summary; the driver merges the
summaries, which add up exactly to the summary of the whole corpus (the
flips and money totals `credo diff` reports), and writes it as JSON.

    spark-submit --py-files examples/spark/credo_spark.py examples/spark/impact.py --old policies --new policies-next \
        --input accounts.jsonl --output impact.json
"""

import argparse
import json

from pyspark.sql import SparkSession

from credo_spark import impact, policy_sources, read_accounts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True)
    parser.add_argument("--new", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--input-format", choices=["parquet", "json"])
    parser.add_argument("--output", required=True)
    parser.add_argument("--as-of")
    args = parser.parse_args()
    spark = SparkSession.builder.appName("credo-impact").getOrCreate()
    accounts = read_accounts(spark, args.input, args.input_format)
    merged = impact(accounts, policy_sources(args.old), policy_sources(args.new), args.as_of)
    with open(args.output, "w") as out:
        json.dump(merged.to_dict(), out, indent=2, sort_keys=True)
        out.write("\n")
    spark.stop()


if __name__ == "__main__":
    main()
