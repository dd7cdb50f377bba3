//! The license face: W3C ClearKey licenses for players, with concurrent stream limiting (CSL)
//! on every license request and renewal.
//!
//! Routes (CORS open to any origin, for browser players):
//! - `POST /license/clearkey`: ClearKey request JSON in, JSON Web Key set out. The license
//!   token travels in the `pallycon-customdata-v2` header (or the `token` query parameter).
//!   A renewal is the same request repeated with the same session id ([`session`]).
//! - `POST /license/clearkey/release`: explicit stop; the session's slot is free at once.
//! - `GET /license/csl/status?user_id=...`: a user's live streams, for support staff (HTTP
//!   Basic: site id and the site's access key).
//!
//! Refusals are JSON `{error_code, message, current_streams, max_streams}` ([`Rejection`]).
//! Details: `docs/license.md`.

pub mod clearkey;
pub mod key_lookup;
pub mod policy;
pub mod rejection;
pub mod session;
pub mod settings;
pub(crate) mod status;
pub mod token;
mod verify;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use csl::{AnyStore, LicenseKind, LicenseRequest, Limiter, SubjectKey, Verdict};
use tower_http::cors::{Any, CorsLayer};

use crate::AppState;
use crate::error::ServerError;
use clearkey::SessionType;
use rejection::Rejection;
use session::{SESSION_HEADER, TICKET_HEADER, issue_ticket};
use settings::LicenseSettings;
use token::{DRM_TYPE_CLEARKEY, TOKEN_HEADER};
use verify::{Inputs, Verified, verify};

/// Response header: seconds (decimal) after which the player should renew.
pub const RENEW_AFTER_HEADER: &str = "mdrm-renew-after";
/// Response header: the user's live streams after this decision.
pub const STREAMS_CURRENT_HEADER: &str = "mdrm-streams-current";
/// Response header: the user's limit.
pub const STREAMS_MAX_HEADER: &str = "mdrm-streams-max";

/// How often the memory store drops users whose leases all expired.
const SWEEP_PERIOD: Duration = Duration::from_secs(5);

/// The license service: settings and the stream limiter.
pub struct LicenseService {
    settings: LicenseSettings,
    limiter: Limiter<AnyStore>,
}

impl std::fmt::Debug for LicenseService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LicenseService")
            .field("store", &self.settings.csl_store)
            .field("fail_mode", &self.settings.fail_mode)
            .finish_non_exhaustive()
    }
}

impl LicenseService {
    /// Opens the CSL store. A Redis store connects lazily (the service starts while Redis is
    /// down; the fail mode decides meanwhile) and must be opened inside a tokio runtime.
    pub fn open(settings: LicenseSettings) -> Result<Self, ServerError> {
        let store = AnyStore::open(&settings.csl_store, settings.redis.clone())?;
        let limiter = Limiter::new(store, settings.fail_mode);
        Ok(LicenseService { settings, limiter })
    }

    /// The settings in force.
    pub fn settings(&self) -> &LicenseSettings {
        &self.settings
    }

    /// The stream limiter.
    pub fn limiter(&self) -> &Limiter<AnyStore> {
        &self.limiter
    }

    /// Starts the periodic sweep of the memory store (idle users' entries are dropped); call
    /// once inside the runtime. Nothing to do for Redis, whose keys expire by themselves.
    pub fn spawn_sweeper(self: &Arc<Self>) {
        if !matches!(self.limiter.store(), AnyStore::Memory(_)) {
            return;
        }
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_PERIOD);
            loop {
                tick.tick().await;
                match me.upgrade() {
                    Some(svc) => svc.limiter.store().sweep(),
                    None => return,
                }
            }
        });
    }
}

/// The routes of the license face.
pub fn routes() -> Router<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            CONTENT_TYPE,
            axum::http::header::AUTHORIZATION,
            HeaderName::from_static(TOKEN_HEADER),
            HeaderName::from_static(SESSION_HEADER),
            HeaderName::from_static(TICKET_HEADER),
        ])
        .expose_headers([
            HeaderName::from_static(SESSION_HEADER),
            HeaderName::from_static(TICKET_HEADER),
            HeaderName::from_static(RENEW_AFTER_HEADER),
            HeaderName::from_static(STREAMS_CURRENT_HEADER),
            HeaderName::from_static(STREAMS_MAX_HEADER),
            axum::http::header::RETRY_AFTER,
        ])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/license/clearkey", post(license))
        .route("/license/clearkey/release", post(release))
        .route("/license/csl/status", get(status::status))
        .layer(DefaultBodyLimit::max(clearkey::MAX_REQUEST_BYTES))
        .layer(cors)
}

async fn license(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issue(&state, &query, &headers, &body).await {
        Ok(resp) => resp,
        Err(r) => r.into_response(),
    }
}

fn header_value(text: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(text).ok()
}

/// Seconds with millisecond precision, e.g. `480` or `3.2`.
fn seconds_text(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        (ms / 1000).to_string()
    } else {
        format!("{}.{:03}", ms / 1000, ms % 1000)
            .trim_end_matches('0')
            .to_string()
    }
}

/// Verify, pick keys, count, answer.
async fn issue(
    state: &AppState,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Rejection> {
    let request = clearkey::parse_request(body)?;
    let inputs = Inputs::gather(
        headers,
        query,
        request.session_id.clone(),
        request.renewal_ticket.clone(),
    );
    let v = verify(state, inputs).await?;
    if v.token.drm_type != DRM_TYPE_CLEARKEY {
        return Err(Rejection::wrong_drm_type(&v.token.drm_type));
    }
    let policy = policy::decrypt_policy(&v.token.policy, v.site_key.expose_secret())?;
    if policy.is_expired(v.now) {
        return Err(Rejection::license_expired());
    }
    if request.session_type == SessionType::PersistentLicense && !policy.persistent {
        return Err(Rejection::persistent_not_allowed());
    }
    let keystore = Arc::clone(&state.keystore);
    let (site, cid, lookup_policy, kids) = (
        v.token.site_id.clone(),
        v.token.cid.clone(),
        policy.clone(),
        request.kids.clone(),
    );
    let keys = tokio::task::spawn_blocking(move || {
        key_lookup::select_keys(&keystore, &site, &cid, &lookup_policy, &kids)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "key lookup task failed");
        Rejection::internal()
    })??;
    if keys.is_empty() {
        tracing::warn!(site_id = %v.token.site_id, cid = %v.token.cid, asked = request.kids.len(), "no key for the requested kids");
        return Err(Rejection::key_not_found(request.kids.len()));
    }

    let service = &state.license;
    let csl_request = LicenseRequest {
        site_id: &v.token.site_id,
        policy: service.settings.policy(&v.token.site_id),
        user_id: Some(v.token.user_id.as_str()),
        session: Some(&v.session),
        kind: LicenseKind::from_flags(policy.persistent, policy.cast_receiver),
        max_stream_per_user: policy.max_stream_per_user,
        key_rotation: v.token.key_rotation,
        previously_admitted: v.ticket_ok,
    };
    let verdict = service
        .limiter
        .check(&csl_request)
        .await
        .map_err(|e| Rejection::from_csl(&e))?;
    let subject = SubjectKey::new(&v.token.site_id, &v.token.user_id);
    let renewal = match &verdict {
        Verdict::Refused(r) => {
            tracing::warn!(
                site_id = %v.token.site_id, cid = %v.token.cid, subject = %subject,
                session = %v.session, code = r.reason.code(), current_streams = r.current_streams,
                max_streams = r.max_streams, cause = r.cause.as_ref().map(|c| c.to_string()),
                "license refused"
            );
            return Err(Rejection::from_refusal(r));
        }
        Verdict::Admitted(a) => {
            tracing::info!(
                site_id = %v.token.site_id, cid = %v.token.cid, subject = %subject,
                session = %v.session, renewed = a.admission.renewed, current_streams = a.admission.live,
                max_streams = a.admission.max, keys = keys.len(), "license issued"
            );
            Some((a.renewal_delay, Some((a.admission.live, a.admission.max))))
        }
        Verdict::Degraded(d) => {
            tracing::warn!(
                site_id = %v.token.site_id, cid = %v.token.cid, subject = %subject,
                session = %v.session, fail_mode = %d.mode, known_session = d.known_session,
                cause = %d.cause, keys = keys.len(), "license issued unverified: the CSL store is failing"
            );
            d.known_session.then_some((d.renewal_delay, None))
        }
        Verdict::Exempt(e) => {
            tracing::info!(
                site_id = %v.token.site_id, cid = %v.token.cid, exempt = ?e, keys = keys.len(),
                "license issued (not counted)"
            );
            None
        }
    };

    let body = clearkey::answer(&keys, request.session_type);
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(value) = header_value(v.session.as_str()) {
        h.insert(SESSION_HEADER, value);
    }
    if let Some((renew_after, counts)) = renewal {
        let lease = csl_request.policy.map(|p| p.lease()).unwrap_or_default();
        let ticket = issue_ticket(
            v.site_key.expose_secret(),
            &v.ticket_subject(),
            v.now,
            lease,
        );
        if let Some(value) = header_value(&ticket) {
            h.insert(TICKET_HEADER, value);
        }
        if let Some(value) = header_value(&seconds_text(renew_after)) {
            h.insert(RENEW_AFTER_HEADER, value);
        }
        if let Some((live, max)) = counts {
            h.insert(STREAMS_CURRENT_HEADER, HeaderValue::from(live));
            h.insert(STREAMS_MAX_HEADER, HeaderValue::from(max));
        }
    }
    Ok(resp)
}

#[derive(serde::Deserialize, Default)]
struct ReleaseBody {
    session_id: Option<String>,
    renewal_ticket: Option<String>,
}

async fn release(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The body is optional (navigator.sendBeacon may send anything): JSON when it parses.
    let b: ReleaseBody = serde_json::from_slice(&body).unwrap_or_default();
    let inputs = Inputs::gather(&headers, &query, b.session_id, b.renewal_ticket);
    match release_session(&state, inputs).await {
        Ok(resp) => resp,
        Err(r) => r.into_response(),
    }
}

async fn release_session(state: &AppState, inputs: Inputs) -> Result<Response, Rejection> {
    let v: Verified = verify(state, inputs).await?;
    let service = &state.license;
    let user = v.token.user_id.trim();
    let counted = service.settings.policy(&v.token.site_id).is_some()
        && !user.is_empty()
        && user != csl::ANONYMOUS_USER_ID;
    let released = if counted {
        let r = service
            .limiter
            .release(&v.token.site_id, user, &v.session)
            .await
            .map_err(|e| Rejection::from_csl(&e))?;
        tracing::info!(
            site_id = %v.token.site_id, subject = %SubjectKey::new(&v.token.site_id, user),
            session = %v.session, removed = r.removed, "session released"
        );
        r.removed
    } else {
        false
    };
    let body = serde_json::json!({ "released": released, "session_id": v.session.as_str() });
    Ok((
        StatusCode::OK,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_text_keeps_milliseconds_only_when_needed() {
        assert_eq!(seconds_text(Duration::from_secs(480)), "480");
        assert_eq!(seconds_text(Duration::from_millis(3200)), "3.2");
        assert_eq!(seconds_text(Duration::from_millis(1)), "0.001");
    }
}
