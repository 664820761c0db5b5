"""The Spark evaluation job's worker part alone, in one process: an Arrow
table of accounts in batches of 10,000 (as Spark hands them to
`mapInArrow`), each evaluated and turned into the plain columns Spark takes
back. Against each other, interleaved, median CPU time:

- dictionaries, then each dictionary column and list of keys decoded in
  Python (what `examples/spark/credo_spark.py` did before
  `dictionaries=False`);
- `evaluate_arrow(..., dictionaries=False)` (what it does now).

    python benches/python/spark_worker.py ACCOUNTS.parquet [ROUNDS]
"""

import statistics
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq

import credo

AS_OF = "2026-11-25"


def decode(array):
    """`array` with its dictionary, or its list items' dictionary, decoded."""
    if pa.types.is_dictionary(array.type):
        return array.dictionary_decode()
    if pa.types.is_list(array.type) and pa.types.is_dictionary(array.type.value_type):
        mask = array.is_null() if array.null_count else None
        return pa.ListArray.from_arrays(array.offsets, array.values.dictionary_decode(), mask=mask)
    return array


def main():
    table = pq.read_table(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    batches = table.to_batches(max_chunksize=10_000)
    policies = credo.PolicySet.load("policies")
    empty = pa.table({"account": pa.array([], pa.struct([("id", pa.string())]))})
    plain = policies.evaluate_arrow(empty, dictionaries=False).schema

    def decoded():
        for batch in batches:
            out = policies.evaluate_arrow(batch, as_of=AS_OF)
            columns = [
                pa.chunked_array([decode(c) for c in column.chunks], field.type)
                for column, field in zip(out.columns, plain)
            ]
            pa.Table.from_arrays(columns, schema=plain).to_batches()

    def direct():
        for batch in batches:
            out = policies.evaluate_arrow(batch, as_of=AS_OF, dictionaries=False)
            assert out.schema == plain
            out.to_batches()

    works = {"dictionaries, then decoded": decoded, "dictionaries=False": direct}
    cpu = {name: [] for name in works}
    for _ in range(rounds):
        for name, work in works.items():
            start = time.process_time()
            work()
            cpu[name].append(time.process_time() - start)
    base = statistics.median(cpu["dictionaries, then decoded"])
    print(f"{table.num_rows} accounts in batches of 10,000; median CPU of {rounds} interleaved rounds")
    for name, times in cpu.items():
        m = statistics.median(times)
        print(f"  {name:<28} {m * 1000:7.1f} ms  {m / base:5.2f}x  ({table.num_rows / m:,.0f} rows/s)")


if __name__ == "__main__":
    main()
