//! The service's whole stack without a socket: the same router, routes,
//! guards and limits as `credo serve`, called in memory. The fuzz target for
//! the message handlers drives it (a request body in, the answer out), so
//! that what is fuzzed is exactly what a client reaches over the network.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::{ArcSwap, ArcSwapOption};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, header};
use tower::ServiceExt as _;

use super::app::{self, Guards};
use super::set;
use super::state::{AppState, Protect, ReloadStatus};
use crate::base::limits::Limits;

/// The service over one policy set, answering in memory.
pub struct Local {
    runtime: tokio::runtime::Runtime,
    router: Router,
    /// Ends streams, as a shutdown would; kept so that the service stays up.
    _shutdown: tokio::sync::watch::Sender<bool>,
}

/// One answer: its status, headers and whole body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Local {
    /// Loads the set in `dir` with `limits`, as `credo serve` does at start.
    pub fn new(dir: &Path, limits: Limits) -> Result<Local, String> {
        let served = set::load(dir, &limits).map_err(|refused| refused.message)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let (shutdown, stopping) = tokio::sync::watch::channel(false);
        // A recorder of its own: a process may hold several services.
        let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new()
            .build_recorder()
            .handle();
        let state = Arc::new(AppState {
            dir: dir.to_path_buf(),
            limits,
            current: ArcSwapOption::from_pointee(served),
            status: ArcSwap::from_pointee(ReloadStatus {
                outcome: "loaded",
                at: chrono::Utc::now().to_rfc3339(),
                trigger: "start",
                hash: None,
                message: String::new(),
                diagnostics: Vec::new(),
            }),
            reloading: tokio::sync::Mutex::new(()),
            token: None,
            protect: Protect::All,
            log: None,
            shutdown: stopping,
            prometheus,
        });
        let guards = Guards {
            request_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            body_deadline: Duration::from_secs(30),
            max_in_flight: 64,
            bench_constant: false,
        };
        Ok(Local {
            runtime,
            router: app::router(state, &guards),
            _shutdown: shutdown,
        })
    }

    /// POSTs one request and reads its answer to the end.
    pub fn post(&self, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body));
        let Ok(request) = request else {
            return Answer {
                status: 0,
                content_type: None,
                body: Vec::new(),
            };
        };
        let router = self.router.clone();
        self.runtime.block_on(async move {
            let Ok(response) = router.oneshot(request).await;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            Answer {
                status,
                content_type,
                body,
            }
        })
    }
}
