"""Checks the Spark jobs' results against the command line on the same
accounts: the decisions equal `credo batch`'s (as multisets of rows, since
Spark writes partitions in any order; without `line`, which Spark drops),
and the merged impact summary equals `credo diff` on the whole corpus.

    python check.py decisions --spark DIR --batch FILE.parquet
    python check.py impact --spark impact.json --diff diff.json
"""

import argparse
import json
import sys
from collections import Counter
from decimal import Decimal

import pyarrow.parquet as pq


def rows(table):
    names = [n for n in table.column_names if n != "line"]
    return Counter(json.dumps(r, sort_keys=True, default=str) for r in table.select(names).to_pylist())


def check_decisions(spark_dir, batch_file):
    spark = pq.read_table(spark_dir)
    batch = pq.read_table(batch_file)
    names = [n for n in batch.column_names if n != "line"]
    assert spark.column_names == names, (spark.column_names, names)
    assert spark.num_rows == batch.num_rows, (spark.num_rows, batch.num_rows)
    assert rows(spark) == rows(batch), "the decisions differ"
    print(f"decisions: {spark.num_rows} accounts, the same rows as credo batch")


def amount(text):
    return Decimal(text.split()[0]) if text else None


def check_impact(summary_file, diff_file):
    summary = json.load(open(summary_file))
    report = json.load(open(diff_file))
    assert summary["accounts"] == report["accounts"], (summary["accounts"], report["accounts"])
    assert summary["undated"] == report["undated"]
    assert sorted(summary["decisions"]) == sorted(d["id"] for d in report["decisions"])
    changed = 0
    for d in report["decisions"]:
        ours = summary["decisions"][d["id"]]
        assert ours["changed"] == d["changed"], d["id"]
        flips = {f"{f['from']} -> {f['to']}": f["count"] for f in d["flips"]}
        assert ours["flips"] == flips, (d["id"], ours["flips"], flips)
        if d["totals"]:
            t = d["totals"]
            assert amount(ours["before"]) == amount(t["before"]), d["id"]
            assert amount(ours["after"]) == amount(t["after"]), d["id"]
            assert ours["undetermined_before"] == t["undetermined_before"], d["id"]
            assert ours["undetermined_after"] == t["undetermined_after"], d["id"]
        changed += d["changed"]
    assert changed > 0, "the policy change changed nothing: the check would prove little"
    print(f"impact: {summary['accounts']} accounts, {changed} changed outcomes, the same as credo diff")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    d = sub.add_parser("decisions")
    d.add_argument("--spark", required=True)
    d.add_argument("--batch", required=True)
    i = sub.add_parser("impact")
    i.add_argument("--spark", required=True)
    i.add_argument("--diff", required=True)
    args = parser.parse_args()
    if args.what == "decisions":
        check_decisions(args.spark, args.batch)
    else:
        check_impact(args.spark, args.diff)


if __name__ == "__main__":
    sys.exit(main())
