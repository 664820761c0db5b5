//! `credo serve`: the decision service. A small REST API over one checked
//! policy set that reloads without a restart and never serves a broken set;
//! every answer names the set (`policy_hash`) and the date (`as_of`) behind it.
//!
//! - [`set`]: a set as served, with its content hash;
//! - [`state`]: what requests share, the set swapped atomically;
//! - [`reload`]: the watcher, SIGHUP and the reload endpoint;
//! - [`routes`] and [`stream`]: the endpoints; [`openapi`]: their contract;
//! - [`app`]: the stack around them and the server's life; [`deadline`]:
//!   the request timeout and the body deadline;
//! - [`metrics`], [`log`]: what the service tells its operators;
//! - [`replay`]: `credo replay`, the log evaluated again.

pub mod app;
pub mod deadline;
pub mod live;
pub mod local;
pub mod log;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod reload;
pub mod replay;
pub mod routes;
pub mod set;
pub mod state;
pub mod stream;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::{ArcSwap, ArcSwapOption};

use crate::base::limits::Limits;
use state::{AppState, Protect, ReloadStatus};

/// `credo serve`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The policy directory, watched for changes.
    #[arg(long, default_value = "policies")]
    pub policies: PathBuf,
    /// The address to listen on; loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:8181")]
    pub addr: SocketAddr,
    /// Exit 1 when the set at start does not check (else start not ready).
    #[arg(long)]
    pub require_policies: bool,
    /// Do not watch the directory (SIGHUP and the reload endpoint still reload).
    #[arg(long)]
    pub no_watch: bool,
    /// Quiet time after a change before the set is loaded again.
    #[arg(long, value_name = "MS", default_value_t = 250)]
    pub watch_debounce_ms: u64,
    /// A file holding the bearer token clients must send.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Which endpoints need the token.
    #[arg(long, value_enum, default_value_t = Protect::All)]
    pub protect: Protect,
    /// Time to answer a request, in milliseconds; past it, 503 (408 when its body was still arriving).
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub request_timeout_ms: u64,
    /// Longest wait for the next piece of a request body, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub body_timeout_ms: u64,
    /// Longest time for a whole request body to arrive (for a batch, each
    /// line), in milliseconds; past it, 408 (a batch ends with an error record).
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub body_deadline_ms: u64,
    /// Requests answered at once; past it, 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub max_in_flight: usize,
    /// Longest wait for a request's head (on a new connection, or between
    /// the requests of a kept-alive one), in milliseconds; past it, the
    /// connection is closed.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub header_timeout_ms: u64,
    /// Connections open at once; past it, new ones wait to be accepted.
    /// Keep it under the process's open-files limit.
    #[arg(long, value_name = "N", default_value_t = 1000,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_connections: usize,
    /// On SIGTERM, how long requests in flight may take to finish.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub shutdown_grace: u64,
    /// Worker threads; every core when not given.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: Option<u16>,
    /// Largest fact document (and evaluate request body), in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_fact_bytes)]
    pub max_fact_bytes: usize,
    /// Largest policy file, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_policy_bytes)]
    pub max_policy_bytes: usize,
    /// Most `.credo` files in the policy directory.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_policy_files)]
    pub max_policy_files: usize,
    /// Log every /v1/evaluate decision as a JSON line to this file (`-`: stdout).
    #[arg(long, value_name = "FILE")]
    pub decision_log: Option<PathBuf>,
    /// A fact path whose value the log masks, such as `account.id` (repeatable).
    #[arg(long = "log-mask", value_name = "PATH")]
    pub log_mask: Vec<String>,
    /// Rotate the log file past this size.
    #[arg(long, value_name = "BYTES", default_value_t = 100 << 20)]
    pub log_max_bytes: u64,
    /// Rotated log files kept (FILE.1 is the newest).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub log_keep: usize,
    /// When a line cannot be logged: refuse the request (503), or answer and count the drop.
    #[arg(long, value_enum, default_value_t = log::OnFailure::Drop)]
    pub log_on_failure: log::OnFailure,
    /// Lines waiting for the log writer at most.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub log_queue: usize,
    /// Adds POST /bench/constant, the benchmark's baseline.
    #[arg(long, hide = true)]
    pub bench_constant: bool,
}

/// Runs the service until SIGTERM; the process's exit code.
pub fn run(args: ServeArgs) -> u8 {
    run_with(args, None)
}

/// Routes another command adds to the service (the studio's), made from its state.
pub type ExtraRoutes = Box<dyn FnOnce(Arc<AppState>) -> axum::Router + Send>;

/// Runs the service with `extra` routes beside its own.
pub fn run_with(args: ServeArgs, extra: Option<ExtraRoutes>) -> u8 {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(n) = args.workers {
        runtime.worker_threads(usize::from(n));
    }
    match runtime.build() {
        Ok(runtime) => runtime.block_on(start(args, extra)),
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            2
        }
    }
}

async fn start(args: ServeArgs, extra: Option<ExtraRoutes>) -> u8 {
    let token = match &args.token_file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
            Ok(_) => {
                eprintln!("error: {}: the token file is empty", path.display());
                return 2;
            }
            Err(e) => {
                eprintln!("error: {}: cannot read the token: {e}", path.display());
                return 2;
            }
        },
        None => None,
    };
    let prometheus = match metrics::install() {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("error: cannot start the metrics: {e}");
            return 2;
        }
    };
    let log = match &args.decision_log {
        Some(path) => match log::DecisionLog::open(&log::LogOptions {
            path: path.clone(),
            mask: args.log_mask.clone(),
            max_bytes: args.log_max_bytes,
            keep: args.log_keep,
            on_failure: args.log_on_failure,
            queue: args.log_queue,
        }) {
            Ok(log) => Some(log),
            Err(e) => {
                eprintln!(
                    "error: {}: cannot open the decision log: {e}",
                    path.display()
                );
                return 2;
            }
        },
        None => None,
    };
    let (shutdown, stopping) = tokio::sync::watch::channel(false);
    let state = Arc::new(AppState {
        dir: args.policies.clone(),
        limits: Limits {
            max_fact_bytes: args.max_fact_bytes,
            max_policy_bytes: args.max_policy_bytes,
            max_policy_files: args.max_policy_files,
        },
        current: ArcSwapOption::empty(),
        status: ArcSwap::from_pointee(ReloadStatus {
            outcome: "refused",
            at: chrono::Utc::now().to_rfc3339(),
            trigger: "start",
            hash: None,
            message: "not loaded yet".into(),
            diagnostics: Vec::new(),
        }),
        reloading: tokio::sync::Mutex::new(()),
        token,
        protect: args.protect,
        log,
        shutdown: stopping,
        prometheus,
    });
    let first = reload::reload(&state, "start").await;
    if first.outcome == "refused" {
        eprintln!("error: {}", first.message);
        for d in &first.diagnostics {
            eprintln!(
                "  {}[{}]: {}:{}:{}: {}",
                match d.severity {
                    crate::lang::diagnostics::Severity::Error => "error",
                    crate::lang::diagnostics::Severity::Warning => "warning",
                },
                d.code,
                d.file,
                d.line,
                d.column,
                d.message
            );
        }
        if args.require_policies {
            return 1;
        }
        eprintln!("credo serve: not ready until the policy set checks clean");
    }
    // The recorder keeps every latency sample until an upkeep folds it into
    // the histogram's buckets; without one (a scrape does it too), memory
    // grew by about 18 bytes a request (`benches/serve.sh`).
    let upkeep = state.prometheus.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return 2;
        }
    };
    let watch = (!args.no_watch).then(|| Duration::from_millis(args.watch_debounce_ms));
    let _watcher = reload::spawn_triggers(state.clone(), watch);
    let guards = app::Guards {
        request_timeout: Duration::from_millis(args.request_timeout_ms),
        body_timeout: Duration::from_millis(args.body_timeout_ms),
        body_deadline: Duration::from_millis(args.body_deadline_ms),
        max_in_flight: args.max_in_flight,
        bench_constant: args.bench_constant,
    };
    let app = app::router(state.clone(), &guards);
    let app = match extra {
        Some(routes) => app.merge(routes(state.clone())),
        None => app,
    };
    match listener.local_addr() {
        Ok(addr) => eprintln!("credo serve: listening on http://{addr}"),
        Err(e) => eprintln!("credo serve: listening ({e})"),
    }
    let served = app::serve(
        listener,
        app,
        shutdown,
        Duration::from_secs(args.shutdown_grace),
        app::Connections {
            header_timeout: Duration::from_millis(args.header_timeout_ms),
            max: args.max_connections,
        },
    )
    .await;
    if let Some(log) = &state.log {
        log.finish();
    }
    match served {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: the server stopped: {e}");
            2
        }
    }
}
