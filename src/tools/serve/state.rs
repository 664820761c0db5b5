//! What every request shares: the policy set being served (swapped
//! atomically on reload), the last reload's status and the configuration.
//!
//! A request takes the set once, at its start, and answers from that `Arc`
//! alone; a reload swaps in a new one for the requests after it. So every
//! answer comes entirely from one set, named by its `policy_hash`.

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::{ArcSwap, ArcSwapOption};
use serde::Serialize;

use super::log::DecisionLog;
use super::problem::ApiError;
use super::set::Served;
use crate::base::limits::Limits;
use crate::lang::diagnostics::JsonDiagnostic;

/// How the last load or reload went.
#[derive(Debug, Serialize)]
pub struct ReloadStatus {
    /// `loaded` (a new set is served), `unchanged` (same hash), `refused`
    /// (the set did not check; the last good one keeps serving).
    pub outcome: &'static str,
    /// RFC 3339, UTC.
    pub at: String,
    /// `start`, `watch`, `signal` or `request`.
    pub trigger: &'static str,
    /// The hash of the set that was read, when its files could be read.
    pub hash: Option<String>,
    pub message: String,
    /// The checker's diagnostics, as `credo check --format json` prints them.
    pub diagnostics: Vec<JsonDiagnostic>,
}

/// Who must show the bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protect {
    /// Every endpoint except `/healthz` and `/readyz`.
    All,
    /// Only `POST /v1/policies/reload`.
    Reload,
}

pub struct AppState {
    pub dir: PathBuf,
    pub limits: Limits,
    pub current: ArcSwapOption<Served>,
    pub status: ArcSwap<ReloadStatus>,
    /// One reload at a time.
    pub reloading: tokio::sync::Mutex<()>,
    pub token: Option<String>,
    pub protect: Protect,
    pub log: Option<DecisionLog>,
    /// Becomes true when the service starts shutting down; streams end at a line.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    pub prometheus: metrics_exporter_prometheus::PrometheusHandle,
}

impl AppState {
    /// The set to answer from, or 503 when none has checked clean.
    pub fn served(&self) -> Result<Arc<Served>, ApiError> {
        self.current.load_full().ok_or_else(ApiError::not_ready)
    }
}
