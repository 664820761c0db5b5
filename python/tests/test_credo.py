"""The Python package against the `credo` command line on the same inputs.

CREDO_BIN and CREDO_GEN name the `credo` and `credo-gen` binaries (built by
`.ci/scale.sh`); the shipped policies are the repository's.
"""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq
import pytest

import credo

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
CREDO = os.environ.get("CREDO_BIN", str(ROOT / "target" / "debug" / "credo"))
EXAMPLE = "unknown_partner_status_with_low_spend_settles_amounts.yaml"
CREDO_GEN = os.environ.get("CREDO_GEN", str(ROOT / "target" / "debug" / "credo-gen"))


def cli(*args, check=True):
    run = subprocess.run([CREDO, *args], cwd=ROOT, capture_output=True, text=True)
    if check and run.returncode not in (0, 1):
        raise AssertionError(run.stderr)
    return run


@pytest.fixture(scope="module")
def policies():
    # Loaded as `credo` loads them from the repository root, so that the
    # places in reasons (`policies/track.credo:9:5`) read the same.
    os.chdir(ROOT)
    return credo.PolicySet.load("policies")


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    path = tmp_path_factory.mktemp("accounts") / "accounts.jsonl"
    subprocess.run(
        [CREDO_GEN, "facts", "--policies", str(POLICIES), "--accounts", "3000",
         "--seed", "7", "--unknown", "50", "-o", str(path)],
        check=True,
    )
    return path


def test_load_names_the_decisions_in_policy_order(policies):
    assert policies.decisions[0] == "credit_track"
    assert len(policies.decisions) == 12
    assert policies.hash.startswith("sha256:")
    record = json.loads(cli("eval", "--format", "json", "policies/examples/" + EXAMPLE).stdout)
    assert record["policy_hash"] == policies.hash


def test_from_sources_raises_with_every_diagnostic():
    sources = {
        "a.credo": "schema { account { x: bool } }\n"
        "decision d: eligibility { allow y when account.z because \"z\" }\n"
        "decision e: eligibility { allow y when account.w because \"w\" }\n",
    }
    with pytest.raises(credo.PolicyError) as caught:
        credo.PolicySet.from_sources(sources)
    diagnostics = caught.value.diagnostics
    assert [d["line"] for d in diagnostics if d["severity"] == "error"] == [2, 3]
    assert all(d["file"] == "a.credo" and d["code"] for d in diagnostics)
    assert {"code", "message", "file", "line", "column", "help"} <= set(diagnostics[0])


def test_evaluate_gives_the_json_contract_of_credo_eval(policies, accounts, tmp_path):
    for number, line in enumerate(accounts.read_text().splitlines()[:40]):
        path = tmp_path / f"account-{number}.json"
        path.write_text(line)
        expected = json.loads(cli("eval", "--format", "json", str(path)).stdout)
        assert policies.evaluate(line) == expected
        assert policies.evaluate(json.loads(line)) == expected


def test_evaluate_takes_a_dict_or_a_json_string(policies):
    facts = {"account": {"created_via": "agency", "id": "a-1"}, "as_of": "2026-11-25"}
    from_dict = policies.evaluate(facts)
    from_text = policies.evaluate(json.dumps(facts))
    assert from_dict == from_text
    assert from_dict["as_of"] == "2026-11-25"
    only = policies.evaluate(facts, decisions=["credit_track"], as_of="2026-01-02")
    assert [d["id"] for d in only["decisions"]] == ["credit_track"]
    assert only["decisions"][0]["outcome"] == "managed"
    assert only["as_of"] == "2026-01-02"


def test_facts_error_names_each_problem(policies):
    with pytest.raises(credo.FactsError) as caught:
        policies.evaluate({"account": {"created_via": "agencyy"}})
    (problem,) = caught.value.problems
    assert problem["path"] == "account.created_via"
    assert problem["help"] == "did you mean `agency`?"


def test_evaluate_warns_of_a_misspelt_field_as_credo_eval_does(policies):
    # The loader's warnings were dropped: a misspelt field was ignored in
    # silence, and the fact it meant was missing.
    for call in (policies.evaluate, policies.explain):
        with pytest.warns(UserWarning, match=r"account\.segmnt.*did you mean `account\.segment`"):
            call({"account": {"created_via": "ads_manager", "segmnt": "smb"}})


def test_a_directory_that_cannot_be_read_is_a_policy_error(tmp_path):
    with pytest.raises(credo.PolicyError) as caught:
        credo.PolicySet.load(str(tmp_path / "no_such_directory"))
    assert caught.value.diagnostics[0]["code"] == "E0004"


def test_as_of_may_be_a_datetime(policies):
    import datetime

    facts = {"account": {"created_via": "ads_manager", "segment": "smb"}}
    day = policies.evaluate(facts, as_of=datetime.date(2026, 11, 25))
    moment = policies.evaluate(facts, as_of=datetime.datetime(2026, 11, 25, 23, 59))
    assert day["as_of"] == moment["as_of"] == "2026-11-25"


def test_unknown_decision_is_a_value_error(policies):
    with pytest.raises(ValueError, match="no decision `credit_trak`; did you mean `credit_track`?"):
        policies.evaluate({}, decisions=["credit_trak"])


def test_a_decision_asked_twice_is_decided_once(policies):
    # As `credo batch --decision`: each taken once, in the order first asked.
    asked = ["credit_track", "new_advertiser_credit", "credit_track"]
    result = policies.evaluate({"account": {"segment": "smb"}}, decisions=asked)
    assert [d["id"] for d in result["decisions"]] == ["credit_track", "new_advertiser_credit"]
    table = pa.table({"account.segment": pa.array(["smb"])})
    columns = policies.evaluate_arrow(table, decisions=asked).column_names
    assert columns.count("credit_track") == 1
    assert columns.count("new_advertiser_credit_rules") == 1


def test_explain_and_whatif(policies):
    facts = {"account": {"created_via": "agency", "segment": "smb"}, "as_of": "2026-11-25"}
    trace = policies.explain(facts, decisions=["new_advertiser_credit"])
    assert "new_advertiser_credit" in json.dumps(trace)
    answer = policies.whatif(facts, "new_advertiser_credit")
    assert answer.startswith("new_advertiser_credit is not_eligible now")


def batch_parquet(accounts, tmp_path, *args):
    out = tmp_path / "decisions.parquet"
    cli("batch", "--record", "compact", "--output-format", "parquet", "--as-of", "2026-11-25",
        *args, "-o", str(out), str(accounts))
    return pq.read_table(out)


def comparable(table):
    # Every column, the policy hash too.
    return table.to_pylist()


def test_evaluate_arrow_gives_credo_batch_decisions(policies, accounts, tmp_path):
    expected = batch_parquet(accounts, tmp_path)
    table = pj.read_json(accounts)
    got = policies.evaluate_arrow(table, as_of="2026-11-25")
    assert got.num_rows == 3000
    assert got.schema.field("spend_milestone_credit_amount").type == pa.decimal128(38, 2)
    assert got.schema.field("spend_milestone_credit_amount").metadata == {b"currency": b"USD"}
    # Words from a fixed set are dictionaries, in Parquet as in memory: the
    # policy hash and every outcome but an amount's (which stays text).
    words = pa.dictionary(pa.uint8(), pa.string())
    for name in ("policy_hash", "credit_track", "new_advertiser_credit"):
        assert got.schema.field(name).type == words, name
        assert expected.schema.field(name).type == words, name
    assert got.schema.field("spend_milestone_credit").type == pa.string()
    assert got.column("policy_hash").chunk(0).dictionary.to_pylist() == [policies.hash]
    # Rule ids and missing facts are lists of keys into a fixed set: the
    # decision's rule ids, the schema's fact paths.
    ids = pa.list_(pa.field("item", words))
    for name in ("credit_track_rules", "credit_track_missing", "spend_milestone_credit_rules"):
        assert got.schema.field(name).type == ids, name
        assert expected.schema.field(name).type == ids, name
    rules = got.column("credit_track_rules").chunk(0).values.dictionary.to_pylist()
    assert "otherwise" in rules and "applies" in rules
    assert comparable(got) == comparable(expected)
    # The same from a stream, in small batches, on several threads.
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=97))
    again = policies.evaluate_arrow(reader, as_of="2026-11-25", jobs=3)
    assert comparable(again) == comparable(expected)


def test_evaluate_arrow_without_dictionaries_gives_plain_columns(policies, accounts, tmp_path):
    # For consumers that take no dictionary columns (Spark's mapInArrow):
    # the same values, built as plain strings and lists of strings.
    expected = batch_parquet(accounts, tmp_path)
    table = pj.read_json(accounts)
    got = policies.evaluate_arrow(table, as_of="2026-11-25", dictionaries=False)
    for field in got.schema:
        assert not pa.types.is_dictionary(field.type), field
        if pa.types.is_list(field.type):
            assert field.type.value_type == pa.string(), field
    for name in ("policy_hash", "credit_track", "new_advertiser_credit", "spend_milestone_credit"):
        assert got.schema.field(name).type == pa.string(), name
    assert got.schema.field("credit_track_rules").type == pa.list_(pa.field("item", pa.string()))
    assert got.schema.field("spend_milestone_credit_amount").type == pa.decimal128(38, 2)
    assert got.column("policy_hash").to_pylist() == [policies.hash] * 3000
    assert comparable(got) == comparable(expected)
    # Without accounts, the schema alone, as Spark is told it.
    empty = pa.table({"account": pa.array([], pa.struct([("id", pa.string())]))})
    assert policies.evaluate_arrow(empty, dictionaries=False).schema == got.schema


def test_evaluate_arrow_takes_chosen_decisions(policies, accounts, tmp_path):
    chosen = ["credit_track", "seasonal_spend_incentive"]
    flags = [a for d in chosen for a in ("--decision", d)]
    expected = batch_parquet(accounts, tmp_path, *flags)
    got = policies.evaluate_arrow(pj.read_json(accounts), decisions=chosen, as_of="2026-11-25")
    assert comparable(got) == comparable(expected)
    assert "new_advertiser_credit" not in got.column_names


def test_evaluate_arrow_refuses_full_records(policies, accounts):
    # Its columns carry rule ids, never messages: asking for messages is an
    # error, not a compact table.
    table = pj.read_json(accounts)
    with pytest.raises(ValueError, match="compact record"):
        policies.evaluate_arrow(table, record="full")
    with pytest.raises(ValueError, match="not `brief`"):
        policies.evaluate_arrow(table, record="brief")


def test_evaluate_arrow_refuses_a_thread_count_credo_batch_refuses(policies):
    # A count of 2**62 started threads until the system refused (24,000 of
    # them, 5 GB) and never returned.
    table = pa.Table.from_pylist([{"account": {"id": "a"}}])
    for jobs in (0, 65_536, 2**62):
        with pytest.raises(ValueError, match="jobs must be from 1 to 65535"):
            policies.evaluate_arrow(table, jobs=jobs)
    assert policies.evaluate_arrow(table, jobs=3).num_rows == 1


def test_a_batch_unlike_its_stream_is_refused_not_read_past_its_end(policies):
    # pyarrow's `from_batches` passes on a batch of any schema; read as the
    # stream's schema says, its int32 column declared int64 was read past
    # its end (garbage outcomes), and a string one panicked.
    declared = pa.schema([("agency", pa.struct([("new_client_accounts", pa.int64())]))])
    given = pa.record_batch(
        {"agency": pa.array([{"new_client_accounts": 3}], pa.struct([("new_client_accounts", pa.int32())]))}
    )
    for call in (
        lambda r: policies.evaluate_arrow(r),
        lambda r: credo.diff_arrow(policies, policies, r),
    ):
        reader = pa.RecordBatchReader.from_batches(declared, iter([given]))
        with pytest.raises(ValueError, match="batch 1 of the stream has the columns"):
            call(reader)


def test_a_value_no_fact_can_hold_is_an_error_not_a_missing_fact(policies):
    # A uint64 past i64 was cast to null: "not given", and the decision
    # undetermined naming a fact that was given.
    table = pa.table({
        "account": pa.array([{"id": "a"}]),
        "agency": pa.array(
            [{"new_client_accounts": 2**63}], pa.struct([("new_client_accounts", pa.uint64())])
        ),
    })
    errors = json.loads(policies.evaluate_arrow(table).column("errors")[0].as_py())
    assert errors[0]["path"] == "agency.new_client_accounts"
    assert "too large" in errors[0]["message"]


def test_as_of_timestamps_with_a_time_zone_are_read_as_that_zone_s_date(policies):
    # Spark sends timestamps with the session's zone; a named zone failed
    # every row. 22:00 in Los Angeles is the next day in UTC.
    import datetime

    instant = datetime.datetime(2026, 11, 26, 6, 0, tzinfo=datetime.timezone.utc)
    for zone in ("UTC", "America/Los_Angeles"):
        table = pa.table({
            "as_of": pa.array([instant], pa.timestamp("us", tz=zone)),
            "account": pa.array([{"id": "a", "created_via": "agency"}]),
        })
        out = policies.evaluate_arrow(table)
        assert out.column("errors")[0].as_py() is None
        expected = datetime.date(2026, 11, 26 if zone == "UTC" else 25)
        assert out.column("as_of")[0].as_py() == expected


def test_a_column_of_nulls_alone_gives_no_fact(policies):
    table = pa.table({
        "account": pa.array([{"id": "a", "created_via": "agency"}]),
        "business_center": pa.array([{"id": None}], pa.struct([("id", pa.null())])),
    })
    out = policies.evaluate_arrow(table)
    assert out.column("errors")[0].as_py() is None
    assert out.column("credit_track")[0].as_py() == "managed"


def test_evaluate_arrow_names_unknown_columns_once(policies):
    # A column no fact has is ignored, as a JSON field is, and said once a
    # call with the closest fact path: not silently left unknown.
    table = pa.table({
        "account": pa.array([{"id": "a", "segmnt": "smb"}] * 3),
        "agncy.partner_status": pa.array(["onramp"] * 3),
    })
    with pytest.warns(UserWarning) as caught:
        got = policies.evaluate_arrow(table, as_of="2026-11-25")
    said = [str(w.message) for w in caught]
    assert said == [
        "account.segmnt: unknown column, ignored (no fact has this path); "
        "did you mean `account.segment`?",
        "agncy.partner_status: unknown column, ignored (no fact has this path); "
        "did you mean `agency.partner_status`?",
    ]
    # The fact the column meant stays unknown, never false.
    assert got.column("new_advertiser_credit").to_pylist()[0] == "undetermined"
    assert got.column("new_advertiser_credit_missing").to_pylist()[0] == [
        "account.created_via",
        "account.segment",
    ]


def test_evaluate_arrow_says_what_it_takes(policies):
    with pytest.raises(TypeError, match=r"expected an Arrow stream .*, not list"):
        policies.evaluate_arrow([{"account": {"segment": "smb"}}])
    with pytest.raises(TypeError, match=r"not NoneType"):
        credo.diff_arrow(policies, policies, None)


def test_evaluate_arrow_takes_polars_frames(policies, accounts):
    pl = pytest.importorskip("polars")
    table = pj.read_json(accounts)
    frame = pl.from_arrow(table)
    got = policies.evaluate_arrow(frame, as_of="2026-11-25")
    assert comparable(got) == comparable(policies.evaluate_arrow(table, as_of="2026-11-25"))


def test_evaluate_arrow_releases_the_gil(policies, accounts):
    table = pj.read_json(accounts)
    ticks = []
    go = threading.Event()

    def tick():
        go.wait()
        while len(ticks) < 200_000:
            ticks.append(1)

    interval = sys.getswitchinterval()
    # No preemption: the other thread runs only while this one lets the GIL go.
    sys.setswitchinterval(100.0)
    try:
        thread = threading.Thread(target=tick)
        thread.start()
        go.set()
        policies.evaluate_arrow(table, as_of="2026-11-25")
        during = len(ticks)
    finally:
        sys.setswitchinterval(interval)
    thread.join()
    assert during > 0, "the other thread never ran while evaluate_arrow worked"


def test_diff_arrow_summaries_merge_exactly_and_equal_credo_diff(policies, accounts, tmp_path):
    new_dir = tmp_path / "new"
    new_dir.mkdir()
    for f in POLICIES.glob("*.credo"):
        text = f.read_text()
        text = text.replace(">= 150000 USD => 5000 USD", ">= 100000 USD => 6000 USD")
        (new_dir / f.name).write_text(text)
    new = credo.PolicySet.load(str(new_dir))
    table = pj.read_json(accounts)
    whole = credo.diff_arrow(policies, new, table, as_of="2026-11-25")
    parts = [table.slice(0, 1000), table.slice(1000, 1500), table.slice(2500)]
    merged = credo.Impact()
    for part in reversed(parts):
        summary = credo.diff_arrow(policies, new, part, as_of="2026-11-25")
        merged = merged.merge(credo.Impact.from_json(summary.to_json()))
    assert merged == whole
    report = json.loads(cli("diff", "--old", str(POLICIES), "--new", str(new_dir),
                            "--as-of", "2026-11-25", "--format", "json", str(accounts)).stdout)
    assert_same_impact(merged.to_dict(), report)
    milestone = merged.to_dict()["decisions"]["spend_milestone_credit"]
    assert milestone["changed"] > 0


def assert_same_impact(summary, report):
    from decimal import Decimal

    assert summary["accounts"] == report["accounts"]
    assert summary["undated"] == report["undated"]
    assert sorted(summary["decisions"]) == sorted(d["id"] for d in report["decisions"])
    for d in report["decisions"]:
        ours = summary["decisions"][d["id"]]
        assert ours["changed"] == d["changed"], d["id"]
        flips = {f"{f['from']} -> {f['to']}": f["count"] for f in d["flips"]}
        assert ours["flips"] == flips, d["id"]
        totals = d["totals"]
        if totals:
            amount = lambda text: Decimal(text.split()[0]) if text else None  # noqa: E731
            assert amount(ours["before"]) == amount(totals["before"]), d["id"]
            assert amount(ours["after"]) == amount(totals["after"]), d["id"]
            assert ours["undetermined_before"] == totals["undetermined_before"]
            assert ours["undetermined_after"] == totals["undetermined_after"]
