#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a failed expectation is the point of a test"
)]
//! `credo batch`: its records carry exactly `eval --format json`'s decisions,
//! its fast reader reads exactly what the fact loader reads, its output is
//! the same bytes whatever `--jobs` says, and its runs on the cases under
//! `tests/cases/batch/` (arguments, then `--- stdin`) are snapshotted.

mod common;

use credo::engine::eval::Request;
use credo::engine::outcome::AsOfSource;
use credo::engine::verdict::Verdicts;
use credo::input::facts::{self, Format};
use credo::testing::synth::{self, FactOptions, Rng};
use credo::tools::batch::{Options, ReadState, RecordWriter, SlotReader};

#[test]
fn records_carry_eval_json_decisions_for_every_example() {
    let program = common::shipped();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let writer = RecordWriter::new(&program, &Options::new(1, None, today));
    let mut verdicts = Verdicts::default();
    let mut count = 0;
    for (path, loaded) in common::examples(&program) {
        let as_of = loaded.facts.as_of(&program.schema).unwrap();
        let request = Request {
            as_of,
            as_of_source: AsOfSource::Facts,
            decisions: &[],
        };
        let evaluation = program.evaluate(&loaded.facts, &request).unwrap();
        let expected: serde_json::Value =
            serde_json::from_str(&credo::engine::render::json(&evaluation)).unwrap();

        program
            .decide_into(&loaded.facts, as_of, &[], &mut verdicts)
            .unwrap();
        let mut line = Vec::new();
        writer.record(
            &program,
            7,
            None,
            &verdicts,
            &loaded.facts.values,
            as_of,
            &[],
            &mut line,
        );
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        let mut record: serde_json::Value = serde_json::from_slice(&line).unwrap();
        let object = record.as_object_mut().unwrap();
        assert_eq!(object.remove("line"), Some(serde_json::json!(7)));
        assert_eq!(record, expected, "{}", path.display());
        count += 1;
    }
    assert!(count >= 50, "only {count} examples");
}

/// What a compact record must say of an `eval --format json` decision:
/// keyed by its id, the outcome, the rule ids of its reasons, and its
/// missing facts, written when the answer is undetermined (or, should a
/// decided answer ever miss facts, whenever there are some).
fn compact_decision(decision: &serde_json::Value) -> (String, serde_json::Value) {
    let rules: Vec<&serde_json::Value> = decision["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["rule"])
        .collect();
    let mut compact = serde_json::json!({"outcome": decision["outcome"], "rules": rules});
    let missing = decision["missing"].as_array().unwrap();
    if decision["outcome"] == "undetermined" || !missing.is_empty() {
        compact["missing"] = serde_json::json!(missing);
    }
    (decision["id"].as_str().unwrap().to_owned(), compact)
}

/// Compact records, over every example and thousands of generated accounts
/// (some facts missing), hold exactly what full ones hold but the messages,
/// places and notes: every decision's outcome, rules and missing facts,
/// keyed by decision id, in evaluation order. Only an undetermined answer
/// misses facts, so `missing` is written for it alone.
#[test]
fn compact_records_carry_what_full_records_carry_but_messages() {
    let program = common::shipped();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let full = RecordWriter::new(&program, &Options::new(1, None, today));
    let compact = RecordWriter::new(
        &program,
        &Options {
            record: credo::tools::batch::Record::Compact,
            ..Options::new(1, Some(today), today)
        },
    );
    let mut documents: Vec<credo::Facts> = common::examples(&program)
        .into_iter()
        .map(|(_, loaded)| loaded.facts)
        .collect();
    let mut rng = Rng::new(21);
    for _ in 0..2000 {
        let line = synth::fact_line(
            &program.schema,
            &mut rng,
            FactOptions {
                unknown_permille: 100,
                ..FactOptions::default()
            },
        );
        documents.push(
            facts::load_text(&program.schema, &line, Format::Json)
                .unwrap()
                .facts,
        );
    }
    let mut verdicts = Verdicts::default();
    let (mut undetermined, mut missing) = (0, 0);
    for facts in &documents {
        program
            .decide_into(facts, today, &[], &mut verdicts)
            .unwrap();
        let record = |writer: &RecordWriter| {
            let mut out = Vec::new();
            writer.record(
                &program,
                3,
                Some("acc-3"),
                &verdicts,
                &facts.values,
                today,
                &[],
                &mut out,
            );
            String::from_utf8(out).unwrap()
        };
        let compact_text = record(&compact);
        let full: serde_json::Value = serde_json::from_str(&record(&full)).unwrap();
        let compact: serde_json::Value = serde_json::from_str(&compact_text).unwrap();
        let decisions = full["decisions"].as_array().unwrap();
        let expected: serde_json::Map<String, serde_json::Value> =
            decisions.iter().map(compact_decision).collect();
        for d in decisions {
            let missing_facts = !d["missing"].as_array().unwrap().is_empty();
            assert!(
                !missing_facts || d["outcome"] == "undetermined",
                "a decided answer with missing facts: {d}"
            );
            undetermined += usize::from(d["outcome"] == "undetermined");
            missing += usize::from(missing_facts);
        }
        let mut head = full.as_object().unwrap().clone();
        head.insert("decisions".into(), expected.into());
        assert_eq!(compact, serde_json::Value::Object(head));
        // In evaluation order, as in full records and `credo eval`.
        let at: Vec<usize> = decisions
            .iter()
            .map(|d| {
                let key = format!("{}:{{\"outcome\":", d["id"]);
                compact_text.find(&key).unwrap()
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{compact_text}");
    }
    assert!(
        undetermined > 500 && missing == undetermined,
        "{undetermined} undetermined, {missing} with missing facts"
    );
}

/// Messages with `{path}` placeholders: a full record holds each rendered
/// with the account's values and its template, exactly as `eval --format
/// json` does, whatever facts are given, missing or absent.
#[test]
fn full_records_render_message_values_as_eval_does() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/batch/messages");
    let checked = common::check_files(&[&dir.join("schema.credo"), &dir.join("notes.credo")]);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let program = checked.program.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let writer = RecordWriter::new(&program, &Options::new(1, None, today));
    let mut verdicts = Verdicts::default();
    let mut rng = Rng::new(12);
    let mut templates = 0;
    for _ in 0..400 {
        let line = synth::fact_line(
            &program.schema,
            &mut rng,
            FactOptions {
                unknown_permille: 150,
                ..FactOptions::default()
            },
        );
        let loaded = facts::load_text(&program.schema, &line, Format::Json).unwrap();
        let request = Request {
            as_of: today,
            as_of_source: AsOfSource::Option,
            decisions: &[],
        };
        let evaluation = program.evaluate(&loaded.facts, &request).unwrap();
        let expected: serde_json::Value =
            serde_json::from_str(&credo::engine::render::json(&evaluation)).unwrap();
        program
            .decide_into(&loaded.facts, today, &[], &mut verdicts)
            .unwrap();
        let mut out = Vec::new();
        writer.record(
            &program,
            1,
            None,
            &verdicts,
            &loaded.facts.values,
            today,
            &[],
            &mut out,
        );
        let mut record: serde_json::Value = serde_json::from_slice(&out).unwrap();
        record.as_object_mut().unwrap().remove("line");
        assert_eq!(record, expected, "{line}");
        templates += evaluation
            .decisions
            .iter()
            .flat_map(|d| &d.reasons)
            .filter(|r| r.template.is_some())
            .count();
    }
    assert!(templates > 100, "only {templates} rendered messages");
}

/// What the fast reader makes of a line, next to what the loader makes of it.
fn agree(reader: &SlotReader, schema: &credo::model::schema::Schema, line: &str) -> bool {
    let mut state = ReadState::default();
    let mut values = Vec::new();
    let fast = reader.read(line.as_bytes(), &mut state, &mut values);
    let careful = facts::load_text(schema, line, Format::Json);
    if fast {
        let loaded = careful.unwrap_or_else(|p| panic!("{line}: fast read a bad line: {p:?}"));
        assert!(
            loaded.warnings.is_empty(),
            "{line}: fast read a line with warnings"
        );
        assert_eq!(values, loaded.facts.values, "{line}");
    }
    fast
}

#[test]
fn fast_reader_reads_what_the_loader_reads() {
    let program = common::shipped();
    let reader = SlotReader::new(&program.schema);
    let mut rng = Rng::new(5);
    let options = FactOptions {
        unknown_permille: 100,
        bad_permille: 50,
    };
    let mut fast = 0;
    for _ in 0..3000 {
        let line = synth::fact_line(&program.schema, &mut rng, options);
        fast += usize::from(agree(&reader, &program.schema, &line));
    }
    // Good lines must not all take the slow road, or batch is slow.
    assert!(fast > 2700, "only {fast} of 3000 lines read fast");
    let tricky = [
        r#"{"account":{"segment":"smb","segment":"enterprise"}}"#,
        r#"{"account":{"segment":"smb"},"account":{"status":"active"}}"#,
        r#"{"account":{"segment":"smbb"}}"#,
        r#"{"account":{"segmnt":"smb"}}"#,
        r#"{"account":{"linked_business_center":null}}"#,
        r#"{"account":{"status":null}}"#,
        r#"{"request":null}"#,
        r#"{"request":{}}"#,
        r#"{"request":{"amount":"12.5 USD"}}"#,
        r#"{"request":{"amount":"12.500 USD"}}"#,
        r#"{"request":{"amount":"12.505 USD"}}"#,
        r#"{"request":{"amount":"12 EUR"}}"#,
        r#"{"request":{"amount":12}}"#,
        r#"{"request":{"amount":12.5}}"#,
        r#"{"request":[1]}"#,
        r#"{"as_of":"2026-2-3"}"#,
        r#"{"as_of":"2026-02-30"}"#,
        r#"{"as_of":"2026-02-03"}"#,
        r#"{"agency":{"new_client_accounts":9223372036854775807}}"#,
        r#"{"agency":{"new_client_accounts":9223372036854775808}}"#,
        r#"{"agency":{"new_client_accounts":-3}}"#,
        r#"{"agency":{"new_client_accounts":"3"}}"#,
        r#"{"account":{"id":5}}"#,
        r#"{"account":{"id":"a\"b\u00e9"}}"#,
        r#"{"acc\u006funt":{"segment":"smb"}}"#,
        r#"{"account":{"policy_violation":"true"}}"#,
        // What the scanner leaves to serde's path, or refuses.
        r#"{"agency":{"new_client_accounts":007}}"#,
        r#"{"agency":{"new_client_accounts":0}}"#,
        r#"{"agency":{"new_client_accounts":-0}}"#,
        r#"{"agency":{"new_client_accounts":1e2}}"#,
        r#"{"agency":{"new_client_accounts":3.0}}"#,
        r#"{"agency":{"new_client_accounts":123456789012345678}}"#,
        r#"{"agency":{"new_client_accounts":1234567890123456789}}"#,
        r#"{"request":{"amount":"0012.50 USD"}}"#,
        r#"{"request":{"amount":".5 USD"}}"#,
        r#"{"request":{"amount":"5. USD"}}"#,
        r#"{"request":{"amount":"1.2.3 USD"}}"#,
        r#"{"request":{"amount":"-1.00 USD"}}"#,
        r#"{"request":{"amount":"12.50  USD"}}"#,
        r#"{"request":{"amount":" 12.50 USD"}}"#,
        r#"{"request":{"amount":"12.50 USDX"}}"#,
        r#"{"request":{"amount":"123456789012345678 USD"}}"#,
        r#"{"request":{"amount":"1234567890123456789.5 USD"}}"#,
        "{\"account\":{\"id\":\"a\tb\"}}",
        "{\"account\":{\"id\":\"caf\u{e9}\"}}",
        " \t{ \"account\" : { \"segment\" : \"smb\" , \"policy_violation\" : true } }\r\n ",
        r#"{"account":{"policy_violation":tru}}"#,
        r#"{"account":{"policy_violation":truee}}"#,
        r#"{"account":{"policy_violation":nul}}"#,
        r#"{"account":{"segment":"smb",}}"#,
        r#"{"account":{,"segment":"smb"}}"#,
        r#"{"account":{"segment" "smb"}}"#,
        r#"{"account":{"segment":"smb"}"#,
        r#"{"account":{"segment":"smb}}"#,
        r#"{"account":nulll}"#,
        r#"{"account":{}}{}"#,
        r#"{} trailing"#,
        r#"[]"#,
        r#"null"#,
        r#""#,
    ];
    for line in tricky {
        agree(&reader, &program.schema, line);
    }
}

fn credo(args: &[&str], stdin: &[u8]) -> (i32, Vec<u8>, String) {
    let run = common::credo(args, stdin);
    (run.code, run.stdout, run.stderr)
}

#[test]
fn output_is_the_same_bytes_whatever_the_jobs() {
    let program = common::shipped();
    let mut input = Vec::new();
    let options = FactOptions {
        unknown_permille: 50,
        bad_permille: 20,
    };
    synth::write_fact_lines(&program.schema, 3000, 9, options, &mut input).unwrap();
    input.extend_from_slice(b"\n  \nnot json\n");
    let one = credo(&["batch", "--jobs", "1", "-"], &input);
    let four = credo(&["batch", "--jobs", "4", "-"], &input);
    let again = credo(&["batch", "--jobs", "4", "-"], &input);
    assert_eq!(one.0, 1, "{}", one.2);
    assert!(one.2.contains("3003 lines read"), "{}", one.2);
    assert_eq!(String::from_utf8_lossy(&one.1).lines().count(), 3001);
    assert!(one.1 == four.1, "--jobs 1 and --jobs 4 differ");
    assert!(four.1 == again.1, "two runs with --jobs 4 differ");
    assert_eq!((one.0, &one.2), (four.0, &four.2));
}

#[test]
fn eval_prints_the_same_bytes_run_after_run() {
    let example = "policies/examples/unknown_partner_status_with_low_spend_settles_amounts.yaml";
    for format in ["json", "yaml", "text"] {
        let args = ["eval", "--format", format, example];
        let first = credo(&args, b"");
        assert_eq!(first.0, 0, "{}", first.2);
        for _ in 0..3 {
            assert!(
                credo(&args, b"") == first,
                "{format} output changed between runs"
            );
        }
    }
}

#[test]
fn batch_cases() {
    insta::glob!("cases/batch", "*.args", |path| {
        let spec = std::fs::read_to_string(path).expect("case is readable");
        let (args, stdin) = spec.split_once("--- stdin\n").unwrap_or((&spec, ""));
        let args: Vec<&str> = args.split_whitespace().collect();
        let (code, stdout, stderr) = credo(&args, stdin.as_bytes());
        insta::assert_snapshot!(format!(
            "$ credo {}\nexit code: {code}\n--- stdout\n{}--- stderr\n{stderr}",
            args.join(" "),
            common::redacted(&stdout)
        ));
    });
}

#[test]
fn compact_records_in_a_file_are_the_same_bytes_whatever_the_jobs() {
    let program = common::shipped();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("accounts.jsonl");
    let mut text = Vec::new();
    let options = FactOptions {
        unknown_permille: 50,
        bad_permille: 20,
    };
    synth::write_fact_lines(&program.schema, 3000, 11, options, &mut text).unwrap();
    std::fs::write(&input, &text).unwrap();
    let mut outputs = Vec::new();
    for (jobs, format) in [("1", "jsonl"), ("4", "jsonl"), ("1", "csv"), ("4", "csv")] {
        let out = dir.path().join(format!("out-{jobs}.{format}"));
        let run = credo(
            &[
                "batch",
                "--jobs",
                jobs,
                "--record",
                "compact",
                "--decision",
                "credit_track",
                "--decision",
                "seasonal_spend_incentive",
                "--output-format",
                format,
                "--as-of",
                "2026-11-25",
                "-o",
                out.to_str().unwrap(),
                input.to_str().unwrap(),
            ],
            b"",
        );
        assert_eq!(run.0, 1, "{}", run.2);
        assert!(run.1.is_empty());
        outputs.push(std::fs::read(&out).unwrap());
    }
    assert!(
        outputs[0] == outputs[1],
        "JSON Lines: --jobs 1 and 4 differ"
    );
    assert!(outputs[2] == outputs[3], "CSV: --jobs 1 and 4 differ");
    let first = String::from_utf8_lossy(&outputs[0]);
    assert_eq!(first.lines().count(), 3000);
    // Most accounts give their `account.id`, and every record then carries it.
    let with_id = first
        .lines()
        .filter(|l| {
            l.split_once(',')
                .is_some_and(|(_, rest)| rest.starts_with(r#""id":"#))
        })
        .count();
    assert!(with_id > 2500, "only {with_id} records carry an id");
    // Nothing but the output is left in the directory.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 5);
}

#[test]
fn an_output_that_is_the_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("accounts.jsonl");
    let line = "{\"account\":{\"created_via\":\"agency\"}}\n";
    std::fs::write(&input, line).unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&input, &link).unwrap();
    for out in [&input, &link] {
        let run = credo(
            &[
                "batch",
                "-o",
                out.to_str().unwrap(),
                input.to_str().unwrap(),
            ],
            b"",
        );
        assert_eq!(run.0, 2, "{}", run.2);
        assert!(run.2.contains("is the input"), "{}", run.2);
        assert_eq!(std::fs::read_to_string(&input).unwrap(), line);
    }
}
