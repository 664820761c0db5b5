//! Loading the policy set again: when its directory changes (debounced),
//! on SIGHUP, and on `POST /v1/policies/reload`. A set that does not check
//! is refused and the last good set keeps serving; the status says why.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::metrics as m;
use super::set::{self, Served};
use super::state::{AppState, ReloadStatus};

/// Loads the directory and, when it checks clean and differs, swaps it in.
pub async fn reload(state: &Arc<AppState>, trigger: &'static str) -> Arc<ReloadStatus> {
    let _one_at_a_time = state.reloading.lock().await;
    let (dir, limits) = (state.dir.clone(), state.limits);
    let loaded = tokio::task::spawn_blocking(move || set::load(&dir, &limits))
        .await
        .unwrap_or_else(|e| {
            Err(set::Refused {
                hash: None,
                diagnostics: Vec::new(),
                message: format!("the load stopped: {e}"),
            })
        });
    let status = match loaded {
        Ok(served) => {
            let same = state
                .current
                .load()
                .as_ref()
                .is_some_and(|now| now.hash == served.hash);
            let status = ReloadStatus {
                outcome: if same { "unchanged" } else { "loaded" },
                at: Utc::now().to_rfc3339(),
                trigger,
                hash: Some(served.hash.clone()),
                message: format!(
                    "{} files, {} decisions",
                    served.files.len(),
                    served.program().decisions.len()
                ),
                diagnostics: Vec::new(),
            };
            if !same {
                swap_in(state, served);
            }
            m::reloaded(status.outcome);
            tracing::info!(
                trigger,
                outcome = status.outcome,
                hash = status.hash.as_deref().unwrap_or(""),
                "policy set {}",
                status.message
            );
            status
        }
        Err(refused) => {
            m::reloaded("refused");
            let keeps = state
                .current
                .load()
                .as_ref()
                .map_or("nothing is served".to_owned(), |s| {
                    format!("{} keeps serving", s.hash)
                });
            let first = refused.diagnostics.first().map_or(String::new(), |d| {
                format!(
                    ": {}:{}:{}: {} [{}]",
                    d.file, d.line, d.column, d.message, d.code
                )
            });
            tracing::warn!(
                trigger,
                outcome = "refused",
                "policy set refused ({}){first}; {keeps}",
                refused.message
            );
            ReloadStatus {
                outcome: "refused",
                at: Utc::now().to_rfc3339(),
                trigger,
                hash: refused.hash,
                message: format!("{}; {keeps}", refused.message),
                diagnostics: refused.diagnostics,
            }
        }
    };
    let status = Arc::new(status);
    state.status.store(status.clone());
    status
}

fn swap_in(state: &AppState, served: Served) {
    m::policy_loaded(&served);
    state.current.store(Some(Arc::new(served)));
}

/// Watches the policy directory and SIGHUP; each reloads the set. Events
/// are coalesced: a reload that is asked for while one runs happens once after it.
pub fn spawn_triggers(
    state: Arc<AppState>,
    watch: Option<Duration>,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    use notify::event::{AccessKind, AccessMode, EventKind};

    let (tx, mut rx) = tokio::sync::mpsc::channel::<&'static str>(1);
    let watcher = watch.and_then(|_| {
        let tx = tx.clone();
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let relevant = match &event {
                // Opening or reading a file changes nothing: counting it
                // would make every `cat`, every editor's read, and this
                // server's own reading of the set start a reload, which
                // reads the set again, and so on for ever.
                Ok(e) if matches!(e.kind, EventKind::Access(kind) if kind != AccessKind::Close(AccessMode::Write)) => {
                    false
                }
                // Only `.credo` files make the set; editors' temporary files do not.
                Ok(e) => e
                    .paths
                    .iter()
                    .any(|p| p.extension().is_some_and(|x| x == "credo")),
                Err(_) => true,
            };
            if relevant {
                let _ = tx.try_send("watch");
            }
        })
        .map_err(|e| tracing::warn!("cannot watch the policy directory: {e}"))
        .ok()?;
        watcher
            .watch(&state.dir, notify::RecursiveMode::NonRecursive)
            .map_err(|e| tracing::warn!("cannot watch `{}`: {e}", state.dir.display()))
            .ok()?;
        Some(watcher)
    });
    #[cfg(unix)]
    {
        let tx = tx.clone();
        if let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        {
            tokio::spawn(async move {
                while hangups.recv().await.is_some() {
                    let _ = tx.try_send("signal");
                }
            });
        }
    }
    tokio::spawn(async move {
        while let Some(trigger) = rx.recv().await {
            // Debounced: an editor's save is several events; the set is
            // read once they have settled.
            if let (Some(quiet), "watch") = (watch, trigger) {
                tokio::time::sleep(quiet).await;
                while rx.try_recv().is_ok() {}
            }
            reload(&state, trigger).await;
        }
    });
    watcher
}
