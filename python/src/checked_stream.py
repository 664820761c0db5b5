"""An Arrow stream whose every batch is checked against the stream's schema
before credo reads it.

A pyarrow RecordBatchReader made with `from_batches` passes on batches of
any schema; exported through the C stream interface, each batch's buffers
are then read as the stream's schema says, so an int32 column declared
int64 is read past its end. pyarrow's own `read_all` refuses such a
reader; so does this.
"""

import pyarrow as pa


def checked(data):
    if isinstance(data, pa.Table):
        # A table's batches have its schema by construction.
        return data
    if isinstance(data, pa.RecordBatchReader):
        reader = data
    else:
        reader = pa.RecordBatchReader.from_stream(data)
    schema = reader.schema

    def batches():
        for number, batch in enumerate(reader, 1):
            if not batch.schema.equals(schema):
                raise TypeError(
                    f"batch {number} of the stream has the columns {batch.schema.to_string(show_schema_metadata=False)!r}, "
                    f"not the stream's {schema.to_string(show_schema_metadata=False)!r}"
                )
            yield batch

    return pa.RecordBatchReader.from_batches(schema, batches())
