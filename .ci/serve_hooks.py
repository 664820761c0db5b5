"""schemathesis hooks for credo serve: how to send a JSON Lines body."""
import sys

import schemathesis

# Deeply nested generated bodies: the default limit trips CPython 3.11.7 while
# it formats a traceback (gh-106905).
sys.setrecursionlimit(20000)


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return value
    if value is None:
        return b""
    return str(value).encode("utf-8")


def _integral(value):
    """1113.0 as 1113: JSON Schema counts both as integers, credo (like its CLI) only the second."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


@schemathesis.hook
def map_body(ctx, body):
    return _integral(body)
