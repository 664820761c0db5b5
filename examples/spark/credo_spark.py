"""Helpers for running credo on Spark, shipped to the executors with
`--py-files examples/spark/credo_spark.py`: functions here are pickled by
reference, so a worker loads each policy set once and keeps it.
"""

from pathlib import Path

import pyarrow as pa
from pyspark.sql.pandas.types import from_arrow_schema

import credo

_loaded = {}


def policy_sources(directory):
    """The policy set as {file name: text}, named as `credo` names them."""
    return {
        str(Path(directory) / p.name): p.read_text()
        for p in sorted(Path(directory).glob("*.credo"))
    }


def policy_set(sources):
    """The policy set, checked once per Python worker."""
    key = hash(tuple(sorted(sources.items())))
    if key not in _loaded:
        _loaded[key] = credo.PolicySet.from_sources(sources)
    return _loaded[key]


def output_schema(policies, decisions, as_of, record):
    """The record columns, from evaluating no accounts at all, as Spark takes
    them back from `mapInArrow`: plain strings where credo would give
    dictionaries (Spark reads dictionary columns from Parquet, but not from a
    Python worker's Arrow stream: "Unsupported arrow type Int(8, false)"), so
    `dictionaries=False`."""
    empty = pa.table({"account": pa.array([], pa.struct([("id", pa.string())]))})
    table = policies.evaluate_arrow(
        empty, decisions=decisions, as_of=as_of, record=record, dictionaries=False
    )
    return table.schema.remove(table.schema.get_field_index("line"))


def read_accounts(spark, path, input_format=None):
    """Accounts from Parquet, or JSON Lines (nested objects become structs)."""
    if input_format == "parquet" or (input_format is None and path.endswith(".parquet")):
        return spark.read.parquet(path)
    # Dates stay text: credo reads `YYYY-MM-DD` itself.
    return spark.read.option("inferTimestamp", "false").json(path)


def evaluate_frame(frame, sources, decisions=None, as_of=None, record="compact"):
    """The decisions of every account in `frame`, as a DataFrame."""
    schema = output_schema(policy_set(sources), decisions, as_of, record)

    def evaluate(batches):
        policies = policy_set(sources)
        for batch in batches:
            # Plain columns built directly: no dictionary to decode here
            # (BENCHMARKS.md, "Python and Spark").
            table = policies.evaluate_arrow(
                batch, decisions=decisions, as_of=as_of, record=record, dictionaries=False
            )
            yield from table.drop_columns(["line"]).to_batches()

    return frame.mapInArrow(evaluate, from_arrow_schema(schema))


def impact(frame, old_sources, new_sources, as_of=None):
    """The merged impact summary of every account in `frame`."""

    def summarise(batches):
        old, new = policy_set(old_sources), policy_set(new_sources)
        summary = credo.Impact()
        for batch in batches:
            summary = summary.merge(credo.diff_arrow(old, new, batch, as_of=as_of))
        yield pa.record_batch({"summary": [summary.to_json()]})

    rows = frame.mapInArrow(summarise, "summary string").collect()
    merged = credo.Impact()
    for row in rows:
        merged = merged.merge(credo.Impact.from_json(row["summary"]))
    return merged


def identity_frame(frame):
    """The accounts through `mapInArrow` unchanged: the baseline of the benchmark."""

    def same(batches):
        yield from batches

    return frame.mapInArrow(same, frame.schema)
