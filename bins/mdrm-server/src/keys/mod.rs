//! The key face: the CPIX key service for packagers, in the API shape of the public cloud KMS.
//!
//! Routes (`POST`, body = CPIX 2.3 request, answer = CPIX with keys, `application/xml`):
//! - `/v2/cpix/pallycon/getKey/{enc-token}` (the default of the packagers' `--kms-url`),
//! - `/v1/cpix/pallycon/getKey/{enc-token}` and `/cpix/pallycon/getKey/{enc-token}`,
//! - `/cpix/getKey?enc-token={enc-token}` (the SPEKE-style endpoint).
//!
//! The enc-token carries site id and access key ([`kms_client::enc_token`]). Errors are JSON
//! ([`ApiError`]): 401 `AUTH_FAILED`, 400 `BAD_CPIX`, 413 too large, 422 `UNSUPPORTED`, 500.

mod answer;
pub mod signalling;

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use kms_client::cpix::{self, limits::MAX_DOCUMENT_BYTES};
use kms_client::{Error as KmsError, enc_token};

use crate::AppState;
use crate::api_error::ApiError;

pub use answer::{KeyPlan, answer, plan};

/// The routes of the key face.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v2/cpix/pallycon/getKey/{*token}",
            post(cpix_token_in_path),
        )
        .route(
            "/v1/cpix/pallycon/getKey/{*token}",
            post(cpix_token_in_path),
        )
        .route("/cpix/pallycon/getKey/{*token}", post(cpix_token_in_path))
        .route("/cpix/getKey", post(cpix_token_in_query))
        .layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES))
}

async fn cpix_token_in_path(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(state, token, headers, body).await
}

async fn cpix_token_in_query(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = query.get("enc-token").cloned().unwrap_or_default();
    handle(state, token, headers, body).await
}

async fn handle(state: AppState, token: String, headers: HeaderMap, body: Bytes) -> Response {
    let speke_version = headers.get("x-speke-version").cloned();
    let result = tokio::task::spawn_blocking(move || issue_keys(&state, &token, &body)).await;
    let xml = match result {
        Ok(Ok(xml)) => xml,
        Ok(Err(e)) => return e.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "key request task failed");
            return ApiError::internal().into_response();
        }
    };
    let mut resp = (StatusCode::OK, xml).into_response();
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    h.insert(
        "x-speke-user-agent",
        HeaderValue::from_static(concat!("mdrm-server/", env!("CARGO_PKG_VERSION"))),
    );
    if let Some(v) = speke_version {
        h.insert("x-speke-version", v);
    }
    resp
}

/// Authenticates, reads the request, gets or creates the keys and writes the answer.
fn issue_keys(state: &AppState, token: &str, body: &[u8]) -> Result<String, ApiError> {
    let token = token.trim_end_matches('/');
    let Ok((site, access_key)) = enc_token::decode(token) else {
        tracing::warn!("cpix request with an unreadable enc-token");
        return Err(ApiError::auth_failed());
    };
    match state.sites.authenticate(&site, &access_key) {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(site_id = %site, "cpix authentication failed");
            return Err(ApiError::auth_failed());
        }
        Err(e) => {
            tracing::error!(error = %e, "site lookup failed");
            return Err(ApiError::internal());
        }
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("BAD_CPIX", "the request body is not UTF-8"))?;
    let request = cpix::parse(text).map_err(|e| match e {
        KmsError::MalformedCpix { reason } => ApiError::bad_request("BAD_CPIX", reason),
        other => ApiError::bad_request("BAD_CPIX", other.to_string()),
    })?;
    let plan = plan(&request)?;
    let labels: Vec<&str> = plan.labels.iter().map(String::as_str).collect();
    let stored = state
        .keystore
        .get_or_create(site.as_str(), plan.content_id.as_str(), &labels)
        .map_err(|e| {
            tracing::error!(error = %e, "keystore failed");
            ApiError::internal()
        })?;
    let created = stored.iter().filter(|k| k.created).count();
    let doc = answer(&request, &plan, &stored, &state.signalling);
    tracing::info!(
        site_id = %site,
        content_id = %plan.content_id,
        keys = stored.len(),
        created,
        track_types = %plan.labels.join(","),
        drm_systems = request.drm_systems.len(),
        "cpix keys issued"
    );
    Ok(cpix::write(&doc))
}
