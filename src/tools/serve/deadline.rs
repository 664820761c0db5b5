//! The request timeout and the body deadline, answered in the service's
//! problem shape. A body must arrive whole within its deadline however it
//! trickles in (the per-piece `--body-timeout-ms` alone let a byte every
//! few seconds hold a request open for ever); an answer must be ready
//! within the request timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::problem::ApiError;

/// How long a batch may go without a whole line (see
/// [`Guards::body_deadline`](super::app::Guards::body_deadline)).
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

/// The request timeout and the body deadline.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    pub answer: Duration,
    pub body: Duration,
}

/// The request timeout and the body deadline, each answered with the
/// service's problem shape: a body still arriving when time is up is the
/// client's fault (408 `body_incomplete`), an answer not ready is the
/// service's (503 `timeout`, with `Retry-After`). tower-http's timeout
/// answered an empty 503 for both.
pub async fn deadline(State(limits): State<Deadlines>, request: Request, next: Next) -> Response {
    use axum::body::HttpBody as _;
    let (parts, body) = request.into_parts();
    let arrived = Arc::new(AtomicBool::new(body.is_end_stream()));
    let body = timed(body, limits.body, arrived.clone());
    let request = Request::from_parts(parts, body);
    match tokio::time::timeout(limits.answer, next.run(request)).await {
        Ok(response) => response,
        Err(_) if !arrived.load(Ordering::Relaxed) => body_late(limits).into_response(),
        Err(_) => ApiError {
            retry_after: Some(1),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                format!(
                    "the answer was not ready within {} ms",
                    limits.answer.as_millis()
                ),
            )
            .help("the limit is `--request-timeout-ms`")
        }
        .into_response(),
    }
}

/// 408: the body was still arriving when the answer's time was up.
fn body_late(limits: Deadlines) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_incomplete",
        format!(
            "the request body was still arriving after {} ms",
            limits.answer.as_millis()
        ),
    )
    .help("send the whole body at once; the limit is `--request-timeout-ms`")
}

/// The body, ending in an error once `within` has passed before its end;
/// `arrived` becomes true at its end.
fn timed(body: axum::body::Body, within: Duration, arrived: Arc<AtomicBool>) -> axum::body::Body {
    use futures_util::StreamExt as _;
    let until = tokio::time::Instant::now() + within;
    let frames = body.into_data_stream();
    let stream = futures_util::stream::unfold(Some(frames), move |frames| {
        let arrived = arrived.clone();
        async move {
            let mut frames = frames?;
            match tokio::time::timeout_at(until, frames.next()).await {
                Ok(Some(Ok(bytes))) => Some((Ok(bytes), Some(frames))),
                Ok(Some(Err(e))) => Some((Err(std::io::Error::other(e)), None)),
                Ok(None) => {
                    arrived.store(true, Ordering::Relaxed);
                    None
                }
                Err(_) => Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!(
                            "the whole body took longer than {} ms (`--body-deadline-ms`)",
                            within.as_millis()
                        ),
                    )),
                    None,
                )),
            }
        }
    });
    axum::body::Body::from_stream(stream)
}
