//! `credo studio`: `credo serve` with a page for policy authors. The page
//! edits the policy files in memory and asks the routes here, on every
//! edit, what the edited set would say: diagnostics, completion and hover
//! from the language server's analysis, outcomes and their trace, what-ifs,
//! `verify` findings, the policy tests with coverage, and the impact on a
//! corpus. Nothing is written until a save, which is atomic and refused
//! when the edited set does not check.
//!
//! - [`api`]: the `/v1/studio/…` routes; [`edited`]: an edited set as sent;
//! - [`assets`]: the page, embedded; [`contract`]: the routes' OpenAPI paths.

pub mod api;
pub mod assets;
pub mod contract;
pub mod edited;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::routing::{get, post};

use crate::tools::serve::state::AppState;
use crate::tools::serve::{self, ServeArgs};

/// `credo studio`'s options: the service's, and the corpus for the impact.
#[derive(Debug, Clone, clap::Args)]
pub struct StudioArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// A JSON Lines corpus of fact documents: the impact of an edit is `credo diff` over it.
    #[arg(long, value_name = "FILE.jsonl")]
    pub corpus: Option<PathBuf>,
}

/// Set once the studio's routes are on, so the service's OpenAPI document lists them.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// The corpus named at start: its name and text.
static CORPUS: OnceLock<Option<(String, String)>> = OnceLock::new();

/// Whether this process serves the studio.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Runs the service with the studio's routes; the process's exit code.
pub fn run(args: StudioArgs) -> u8 {
    if !args.serve.addr.ip().is_loopback() {
        eprintln!(
            "error: credo studio writes policy files: it listens on loopback only, not {}",
            args.serve.addr
        );
        return 2;
    }
    let corpus = match &args.corpus {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some((path.display().to_string(), text)),
            Err(e) => {
                eprintln!("error: {}: cannot read the corpus: {e}", path.display());
                return 2;
            }
        },
        None => None,
    };
    let _ = CORPUS.set(corpus);
    ENABLED.store(true, Ordering::Relaxed);
    if args.serve.addr.port() == 0 {
        eprintln!("credo studio: the page is /studio/ at the address below");
    } else {
        eprintln!(
            "credo studio: open http://{}/studio/ in a browser",
            args.serve.addr
        );
    }
    serve::run_with(args.serve, Some(Box::new(routes)))
}

/// The studio's routes, over the service's state.
pub fn routes(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/studio", get(assets::redirect))
        .route("/studio/", get(assets::index))
        .route("/studio/{asset}", get(assets::asset))
        .route("/v1/studio/files", get(api::files))
        .route("/v1/studio/analyse", post(api::analyse))
        .route("/v1/studio/complete", post(api::complete))
        .route("/v1/studio/hover", post(api::hover))
        .route("/v1/studio/whatif", post(api::whatif))
        .route("/v1/studio/verify", post(api::verify))
        .route("/v1/studio/tests", post(api::tests))
        .route("/v1/studio/impact", post(api::impact))
        .route("/v1/studio/save", post(api::save))
        .with_state(state)
}

pub(crate) fn corpus() -> Option<&'static (String, String)> {
    CORPUS.get().and_then(Option::as_ref)
}
