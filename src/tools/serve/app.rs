//! The HTTP stack: routes, then authorisation, the in-flight limit,
//! timeouts, compression, request ids and metrics around them; and the
//! server's life from bind to graceful shutdown.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

use super::deadline::{BodyDeadline, Deadlines, deadline};
use super::metrics as m;
use super::problem::ApiError;
use super::state::{AppState, Protect};
use super::{routes, stream};

/// How the stack guards itself.
#[derive(Debug, Clone)]
pub struct Guards {
    /// Time to answer (the head of a streamed answer).
    pub request_timeout: Duration,
    /// Longest wait for the next piece of a request body.
    pub body_timeout: Duration,
    /// Longest time for a whole request body to arrive (for a batch, each
    /// line): a body trickled a byte at a time used to hold its place
    /// among those in flight for ever.
    pub body_deadline: Duration,
    /// Requests answered at once; past it, 503 with `Retry-After`.
    pub max_in_flight: usize,
    /// The hidden constant endpoint the benchmark compares against.
    pub bench_constant: bool,
}

/// A request's place among those in flight, held until its answer is sent
/// (for a stream, until its last record).
#[derive(Clone)]
pub struct InFlight(#[allow(dead_code)] Arc<OwnedSemaphorePermit>);

pub fn router(state: Arc<AppState>, guards: &Guards) -> Router {
    let mut api = Router::new()
        .route("/v1/evaluate", post(routes::evaluate))
        .route("/v1/explain", post(routes::explain))
        .route("/v1/whatif", post(routes::whatif))
        .route("/v1/policies/reload", post(routes::reload));
    if guards.bench_constant {
        api = api.route("/bench/constant", post(constant));
    }
    let api = api.layer(compression()).layer(from_fn_with_state(
        Deadlines {
            answer: guards.request_timeout,
            body: guards.body_deadline,
        },
        deadline,
    ));
    // Streams are not compressed: a compressor holds records back.
    let limited = api
        .route("/v1/evaluate/batch", post(stream::evaluate_batch))
        .route_layer(from_fn_with_state(
            Arc::new(Semaphore::new(guards.max_in_flight.max(1))),
            limit_in_flight,
        ));
    let open = Router::new()
        .route("/v1/policies", get(routes::policies))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .route("/metrics", get(routes::metrics))
        .route("/openapi.json", get(routes::openapi))
        .layer(compression());
    open.merge(limited)
        .route_layer(from_fn_with_state(state.clone(), authorize))
        .route_layer(from_fn(measure))
        .fallback(not_found)
        .with_state(state)
        .layer(axum::Extension(BodyDeadline(guards.body_deadline)))
        .layer(RequestBodyTimeoutLayer::new(guards.body_timeout))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Answers over 8 KiB are compressed, at gzip's fastest level, when the
/// client accepts it. A gzip stream costs the same setup whatever it holds:
/// at the default level and size (32 bytes), compressing the 3.6 KB answer
/// of an evaluation cut the endpoint's throughput to a sixth under oha,
/// which asks for gzip by default (`benches/serve.sh`, BENCHMARKS.md).
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(CompressionLevel::Fastest)
        .compress_when(DefaultPredicate::new().and(SizeAbove::new(8 * 1024)))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
        .help("GET /openapi.json lists the endpoints")
}

/// The benchmark's baseline: the same stack, a constant answer.
async fn constant(body: axum::body::Bytes) -> Response {
    let _ = body;
    (
        [(header::CONTENT_TYPE, "application/json")],
        "{\"ok\":true}\n",
    )
        .into_response()
}

/// Past `max_in_flight`, 503 at once: waiting would only make callers time out later.
async fn limit_in_flight(
    State(slots): State<Arc<Semaphore>>,
    mut request: Request,
    next: Next,
) -> Response {
    match slots.try_acquire_owned() {
        Ok(permit) => {
            let in_flight = InFlight(Arc::new(permit));
            request.extensions_mut().insert(in_flight.clone());
            let response = next.run(request).await;
            drop(in_flight);
            response
        }
        Err(_) => ApiError::overloaded().into_response(),
    }
}

/// The bearer token, when one is configured; probes never need it.
async fn authorize(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let Some(token) = &state.token else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    let needs = match state.protect {
        Protect::All => !matches!(path, "/healthz" | "/readyz"),
        Protect::Reload => path == "/v1/policies/reload",
    };
    let shown = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !needs || shown.is_some_and(|s| same(s.as_bytes(), token.as_bytes())) {
        return next.run(request).await;
    }
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "this endpoint needs the bearer token",
    )
    .help("send `Authorization: Bearer <token>`")
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Compares in time that does not depend on where the bytes differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Counts each request and its latency under its route.
async fn measure(request: Request, next: Next) -> Response {
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    m::request(
        &endpoint,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// How the server guards its connections.
#[derive(Debug, Clone, Copy)]
pub struct Connections {
    /// Longest wait for a request's head, on a new connection or between
    /// the requests of a kept-alive one; past it the connection is closed.
    pub header_timeout: Duration,
    /// Connections open at once; past it, new ones wait to be accepted.
    pub max: usize,
}

/// Serves until SIGTERM or SIGINT, then finishes the requests in flight
/// (streams end at a whole line) for at most `grace`.
///
/// Each connection holds one of `connections.max` places, and one that
/// sends no complete head within the header timeout is closed: a client
/// holding sockets open, idle or with half a head, used to keep them all,
/// until the process ran out of file descriptors and nothing, not even
/// `/healthz`, was accepted.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: tokio::sync::watch::Sender<bool>,
    grace: Duration,
    connections: Connections,
) -> std::io::Result<()> {
    let mut stopping = shutdown.subscribe();
    tokio::spawn(async move {
        terminated().await;
        tracing::info!("shutting down: finishing the requests in flight");
        let _ = shutdown.send(true);
    });
    let places = connections.max.clamp(1, Semaphore::MAX_PERMITS);
    let open = Arc::new(Semaphore::new(places));
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(connections.header_timeout)
        .keep_alive(true);
    loop {
        let place = tokio::select! {
            place = open.clone().acquire_owned() => place,
            _ = stopping.wait_for(|s| *s) => break,
        };
        let Ok(place) = place else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopping.wait_for(|s| *s) => break,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                // Out of descriptors, say: wait for some to be given back.
                tracing::error!("accept error: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Answers go out at once: with Nagle's algorithm a head and a body
        // written apart wait for the client's delayed acknowledgement.
        let _ = tcp.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let connection = http.serve_connection(hyper_util::rt::TokioIo::new(tcp), service);
        let mut closed = closed.clone();
        tokio::spawn(async move {
            let _place = place;
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = closed.wait_for(|c| *c) => connection.as_mut().graceful_shutdown(),
            }
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = closing.send(true);
    let all = u32::try_from(places).unwrap_or(u32::MAX);
    tokio::select! {
        _ = open.acquire_many(all) => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!("shutting down: requests still in flight after {grace:?} were cut");
        }
    }
    Ok(())
}

async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
