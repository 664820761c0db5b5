//! The studio's routes in the service's OpenAPI document: added to it only
//! in a process that serves them (`credo studio`), never by `credo serve`.

use utoipa::OpenApi;

use super::api;
use super::edited::EditedFile;

#[derive(OpenApi)]
#[openapi(
    paths(
        api::files,
        api::analyse,
        api::complete,
        api::hover,
        api::whatif,
        api::verify,
        api::tests,
        api::impact,
        api::save,
    ),
    components(schemas(
        EditedFile,
        api::SetRequest,
        api::AnalyseRequest,
        api::PlaceRequest,
        api::WhatifRequest
    ))
)]
struct Studio;

/// Adds the studio's paths to the service's document when they are served.
pub fn extend(document: &mut utoipa::openapi::OpenApi) {
    if super::enabled() {
        document.merge(Studio::openapi());
    }
}
