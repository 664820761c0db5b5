"""`evaluate_arrow(jobs=1)` alone, call after call, on the same accounts: the
CPU time of each call and the page faults it takes. With `--after-batch`
each call follows a `credo batch --jobs 1 --record compact` child process,
as in `evaluate_arrow.py`, where the call runs after a pause (its allocator
may have returned the last call's memory by then). Run one process per
build and interleave them (BENCHMARKS.md, "Python and Spark").

    python benches/python/evaluate_arrow_calls.py ACCOUNTS.jsonl CALLS [--after-batch CREDO_BIN]
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
    accounts, calls = sys.argv[1], int(sys.argv[2])
    credo_bin = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--after-batch" else None
    as_of = "2026-11-25"
    table = pj.read_json(accounts)
    policies = credo.PolicySet.load("policies")
    # The records are written and thrown away; the directory goes with them.
    scratch = tempfile.TemporaryDirectory()
    out = os.path.join(scratch.name, "records.jsonl")
    cpu, faults = [], []
    for _ in range(calls):
        if credo_bin:
            subprocess.run(
                [credo_bin, "batch", "--jobs", "1", "--record", "compact", "--as-of", as_of,
                 "-o", out, accounts],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start = time.process_time()
        result = policies.evaluate_arrow(table, as_of=as_of, jobs=1)
        assert result.num_rows == table.num_rows
        del result
        cpu.append(time.process_time() - start)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    print(
        f"{table.num_rows} rows, {calls} calls: CPU per call median {statistics.median(cpu) * 1000:.1f} ms"
        f" (least {min(cpu) * 1000:.1f} ms), page faults per call median {statistics.median(faults):.0f}"
    )


if __name__ == "__main__":
    main()
