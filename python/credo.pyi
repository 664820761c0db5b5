"""credo: ad-credit policies as data.

Load a policy set, evaluate one account into the JSON contract of
``credo eval --format json``, or a whole Arrow stream into an Arrow table with
the columns of ``credo batch --output-format parquet``; tally the impact of a
policy change with ``diff_arrow``, in summaries that merge exactly.
"""

from datetime import date
from typing import Any, Mapping, Optional, Sequence, Union

import pyarrow

Facts = Union[str, Mapping[str, Any]]
# A `YYYY-MM-DD` text, a date, or a datetime (its date: a pandas Timestamp too).
AsOf = Union[str, date, None]

class PolicyError(Exception):
    """The policy set has errors."""

    diagnostics: list[dict[str, Any]]
    """Each diagnostic: code, severity, message, file, line, column, help."""

class FactsError(ValueError):
    """The facts cannot be read."""

    problems: list[dict[str, Any]]
    """Each problem: path, message, help."""

class PolicySet:
    """A checked policy set."""

    @staticmethod
    def load(path: str) -> PolicySet:
        """Loads and checks every ``*.credo`` file in a directory.

        Raises PolicyError with every diagnostic when the set has errors."""
    @staticmethod
    def from_sources(sources: Mapping[str, str]) -> PolicySet:
        """Checks policy sources given as ``{file name: text}``."""
    @property
    def hash(self) -> str:
        """The policy set's content hash, carried by every record."""
    @property
    def decisions(self) -> list[str]:
        """The decision ids, in policy order."""
    def evaluate(
        self,
        facts: Facts,
        decisions: Optional[Sequence[str]] = None,
        as_of: AsOf = None,
    ) -> dict[str, Any]:
        """One account (a dict or a JSON string): the JSON contract of
        ``credo eval --format json`` as a dict. Raises FactsError; what
        ``credo eval`` warns of (a field no fact has, with the closest one)
        is a ``UserWarning``, here and in ``explain`` and ``whatif``."""
    def explain(
        self,
        facts: Facts,
        decisions: Optional[Sequence[str]] = None,
        as_of: AsOf = None,
    ) -> dict[str, Any]:
        """The trace of ``credo explain --format json`` as a dict."""
    def whatif(
        self,
        facts: Facts,
        decision: str,
        to: Optional[str] = None,
        as_of: AsOf = None,
    ) -> str:
        """The smallest changes that give ``decision`` the outcome ``to``,
        as ``credo whatif`` prints them."""
    def evaluate_arrow(
        self,
        data: Any,
        decisions: Optional[Sequence[str]] = None,
        as_of: AsOf = None,
        record: str = "compact",
        jobs: int = 1,
        dictionaries: bool = True,
    ) -> pyarrow.Table:
        """Every row of an Arrow stream (anything with ``__arrow_c_stream__``:
        a pyarrow Table or RecordBatchReader, a polars DataFrame), columns
        named by fact path, into a table with a row per account, the columns
        and types of ``credo batch --output-format parquet``:

        - ``line`` (int64), ``id`` (string), ``as_of`` (date32);
        - ``policy_hash``: ``dictionary<values=string, indices=uint8>``, one
          entry, the ``sha256:...`` of the policy set;
        - per decision ``ID``: its outcome; a dictionary like
          ``policy_hash`` (the kind's words or the members, then
          ``not_applicable`` and ``undetermined``), but ``string`` for an
          amount decision (``"5000.00 USD"``);
        - ``ID_amount`` (amounts only): ``decimal128(38, minor digits)``, the
          currency in the field's metadata;
        - ``ID_rules``: ``list<dictionary<values=string, indices=uint8>>``,
          keys into the decision's rule ids (its rules' ids, ``row N``,
          ``otherwise``, ``applies``...; ``uint16`` keys past 256 ids, plain
          ``list<string>`` past 65,536);
        - ``ID_missing``: the same over the schema's fact paths;
        - ``errors``, ``warnings``: JSON text (string), null when none.

        ``record`` is ``"compact"``, the only record columns hold: rule ids,
        never messages. ``"full"`` raises ``ValueError`` (``evaluate`` gives
        full records).

        ``jobs`` threads evaluate (from 1 to 65,535, as ``credo batch
        --jobs``; anything else raises ``ValueError``).

        ``dictionaries=False`` builds every one of those dictionary columns
        as plain ``string`` and ``list<string>`` instead, with the same
        values, for consumers that take no dictionaries (Spark's
        ``mapInArrow``): cheaper than decoding them afterwards.

        The GIL is released while it runs."""

class Impact:
    """The impact of a policy change over some accounts."""

    def __init__(self) -> None: ...
    def merge(self, other: Impact) -> Impact:
        """Both summaries together, exactly as if over all their accounts."""
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(text: str) -> Impact: ...
    def to_dict(self) -> dict[str, Any]:
        """accounts, undated, failed, and per decision: changed, flips
        (``"from -> to": count``), before and after (money totals),
        undetermined_before, undetermined_after."""
    @property
    def accounts(self) -> int: ...

def diff_arrow(
    old: PolicySet, new: PolicySet, data: Any, as_of: AsOf = None
) -> Impact:
    """Evaluates every row of an Arrow stream under both sets and tallies
    what changes, as ``credo diff`` does. ``as_of``, when given, overrides
    each account's own date (as ``credo diff --as-of``); else each
    account's ``as_of``, else today."""
