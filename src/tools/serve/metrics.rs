//! Prometheus metrics: requests and latency per endpoint, decisions by id
//! and outcome, reloads, decision-log drops, and the served set's hash.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::set::Served;
use super::state::AppState;
use crate::engine::outcome::{Evaluation, Outcome};

pub const REQUESTS: &str = "credo_http_requests_total";
pub const LATENCY: &str = "credo_http_request_duration_seconds";
pub const DECISIONS: &str = "credo_decisions_total";
pub const RELOADS: &str = "credo_policy_reloads_total";
pub const LOG_DROPPED: &str = "credo_decision_log_dropped_total";
pub const LOG_WRITTEN: &str = "credo_decision_log_lines_total";

/// Installs the process-wide recorder; latency is a histogram (buckets
/// from 50 µs to 10 s), not a summary, so that it adds across instances.
pub fn install() -> Result<PrometheusHandle, String> {
    let buckets = [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
        1.0, 2.5, 10.0,
    ];
    let handle = PrometheusBuilder::new()
        .set_buckets(&buckets)
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| e.to_string())?;
    metrics::describe_counter!(REQUESTS, "HTTP requests answered, by endpoint and status");
    metrics::describe_histogram!(
        LATENCY,
        metrics::Unit::Seconds,
        "time to answer, by endpoint"
    );
    metrics::describe_counter!(DECISIONS, "decisions answered, by decision id and outcome");
    metrics::describe_counter!(
        RELOADS,
        "policy set loads: loaded, unchanged or refused (the set did not check)"
    );
    metrics::describe_counter!(LOG_DROPPED, "decision log lines that could not be written");
    metrics::describe_counter!(LOG_WRITTEN, "decision log lines written");
    Ok(handle)
}

pub fn request(endpoint: &str, status: u16, seconds: f64) {
    metrics::counter!(REQUESTS, "endpoint" => endpoint.to_owned(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(LATENCY, "endpoint" => endpoint.to_owned()).record(seconds);
}

pub fn reloaded(outcome: &'static str) {
    metrics::counter!(RELOADS, "outcome" => outcome).increment(1);
}

pub fn policy_loaded(served: &Served) {
    metrics::gauge!("credo_policy_loaded_timestamp_seconds")
        .set(served.loaded_at.timestamp() as f64);
}

/// Counts each decision of an answer; amounts count as `amount`.
pub fn decisions(evaluation: &Evaluation) {
    for d in &evaluation.decisions {
        let outcome = match &d.outcome {
            Outcome::Amount(_) => "amount".to_owned(),
            other => other.as_text(),
        };
        metrics::counter!(DECISIONS, "decision" => d.id.clone(), "outcome" => outcome).increment(1);
    }
}

/// The exposition: the recorder's metrics, then the served set's hash as
/// an info metric (exactly one series) and readiness.
pub fn render(state: &AppState) -> String {
    let mut out = state.prometheus.render();
    let served = state.current.load();
    out.push_str("# HELP credo_policy_info The policy set being served, by its content hash.\n");
    out.push_str("# TYPE credo_policy_info gauge\n");
    if let Some(set) = served.as_ref() {
        out.push_str(&format!(
            "credo_policy_info{{hash=\"{}\",files=\"{}\",decisions=\"{}\"}} 1\n",
            set.hash,
            set.files.len(),
            set.program().decisions.len()
        ));
    }
    out.push_str("# HELP credo_ready 1 once a policy set has checked clean.\n");
    out.push_str("# TYPE credo_ready gauge\n");
    out.push_str(&format!("credo_ready {}\n", u8::from(served.is_some())));
    out
}
