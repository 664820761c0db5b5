"""`evaluate_arrow` on one core against `credo batch --jobs 1 --record compact`
on the same accounts, in one run (issue 15, item 6). The accounts are
read once from JSON Lines into an Arrow table (struct columns named by
fact path, as Spark writes them), which stays in memory; `credo batch`
reads the JSON Lines file and writes compact records to a real file.
Rounds are interleaved; each is timed by wall clock and by CPU time (this
process's for evaluate_arrow, the child's user + system time for credo).

    python benches/python/evaluate_arrow.py CREDO_BIN ACCOUNTS.jsonl [ROUNDS]
"""

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import pyarrow.json as pj

import credo


def main():
    credo_bin, accounts = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    as_of = "2026-11-25"
    table = pj.read_json(accounts)
    policies = credo.PolicySet.load("policies")
    # The records are written and thrown away; the directory goes with them.
    scratch = tempfile.TemporaryDirectory()
    out = os.path.join(scratch.name, "records.jsonl")

    def arrow():
        result = policies.evaluate_arrow(table, as_of=as_of, jobs=1)
        assert result.num_rows == table.num_rows

    def batch():
        subprocess.run(
            [credo_bin, "batch", "--jobs", "1", "--record", "compact", "--as-of", as_of,
             "-o", out, accounts],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def children_cpu():
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    works = {"credo batch --jobs 1 --record compact": batch, "evaluate_arrow, jobs=1": arrow}
    wall = {name: [] for name in works}
    cpu = {name: [] for name in works}
    for _ in range(rounds):
        for name, work in works.items():
            w, p, c = time.perf_counter(), time.process_time(), children_cpu()
            work()
            wall[name].append(time.perf_counter() - w)
            cpu[name].append((time.process_time() - p) + (children_cpu() - c))
    rows = table.num_rows
    base = "credo batch --jobs 1 --record compact"
    print(f"{rows} accounts; median of {rounds} interleaved rounds; rows/s as a ratio to {base}")
    for name in works:
        mw, mc = statistics.median(wall[name]), statistics.median(cpu[name])
        print(
            f"  {name:<40} wall {statistics.median(wall[base]) / mw:5.2f}x ({rows / mw:,.0f} rows/s)"
            f"   cpu {statistics.median(cpu[base]) / mc:5.2f}x ({rows / mc:,.0f} rows/s)"
        )


if __name__ == "__main__":
    main()
