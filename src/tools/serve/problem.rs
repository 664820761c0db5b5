//! Error answers. Every refusal is whole (nothing partial is answered) and
//! has one shape: `{"errors": [{code, message, path, help}]}`, the fields
//! the CLI prints for a problem, so that a client reads them all alike.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::input::facts::FactProblem;

/// One problem with a request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A stable word: `bad_request`, `bad_facts`, `unknown_decision`, `too_large`, …
    pub code: &'static str,
    pub message: String,
    /// The field in the request or the facts (`facts.account.segment`); empty for the whole body.
    pub path: String,
    pub help: Option<String>,
}

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problems {
    pub errors: Vec<Problem>,
}

/// A refusal: its status and problems.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub problems: Vec<Problem>,
    /// Seconds for `Retry-After`, on 503.
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            problems: vec![Problem {
                code,
                message: message.into(),
                path: String::new(),
                help: None,
            }],
            retry_after: None,
        }
    }

    pub fn at(mut self, path: impl Into<String>) -> ApiError {
        if let Some(p) = self.problems.last_mut() {
            p.path = path.into();
        }
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> ApiError {
        if let Some(p) = self.problems.last_mut() {
            p.help = Some(help.into());
        }
        self
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// Facts that did not load: each problem with its field under `facts.`.
    pub fn bad_facts(found: &[FactProblem]) -> ApiError {
        let problems = found
            .iter()
            .filter(|p| p.severity == crate::lang::diagnostics::Severity::Error)
            .map(|p| Problem {
                code: "bad_facts",
                message: match p.position {
                    Some((line, column)) => format!("{} (line {line}, column {column})", p.message),
                    None => p.message.clone(),
                },
                path: if p.path.is_empty() {
                    "facts".to_owned()
                } else {
                    format!("facts.{}", p.path)
                },
                help: p.help.clone(),
            })
            .collect();
        ApiError {
            status: StatusCode::BAD_REQUEST,
            problems,
            retry_after: None,
        }
    }

    pub fn not_ready() -> ApiError {
        ApiError {
            retry_after: Some(1),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "no policy set has checked clean yet",
            )
            .help("see GET /v1/policies for the last load's diagnostics")
        }
    }

    pub fn overloaded() -> ApiError {
        ApiError {
            retry_after: Some(1),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "too many requests in flight",
            )
        }
    }

    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the request body is larger than the limit of {}",
                crate::base::limits::bytes(limit)
            ),
        )
        .help("one request holds one account's facts; the limit is `--max-fact-bytes`")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&Problems {
            errors: self.problems,
        })
        .unwrap_or_default();
        let mut response = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
