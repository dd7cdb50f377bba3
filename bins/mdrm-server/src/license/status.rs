//! `GET /license/csl/status?user_id=...`: a user's live streams for support staff.
//!
//! Authentication: HTTP Basic with the site id as user name and the site's access key as
//! password (`curl -u DEMO:$ACCESS_KEY ...`); staff of one site see only that site's users.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::response::{IntoResponse, Response};
use csl::{AnyStore, Policy};
use kms_client::{AccessKey, SiteId};

use super::rejection::Rejection;
use super::token::decode_base64_lenient;
use crate::AppState;

/// Site id and access key from an `Authorization: Basic ...` header.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(SiteId, AccessKey)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = decode_base64_lenient(b64)?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((
        SiteId::parse("site id", user).ok()?,
        AccessKey::parse("access key", password).ok()?,
    ))
}

fn unauthorized() -> Response {
    let mut resp = Rejection::auth_failed().into_response();
    resp.headers_mut().insert(
        WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Basic realm=\"mdrm-server CSL status\""),
    );
    resp
}

pub(super) async fn status(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let Some((site, access_key)) = basic_credentials(&headers) else {
        return unauthorized();
    };
    let sites = state.sites.clone();
    let auth_site = site.clone();
    let authenticated =
        tokio::task::spawn_blocking(move || sites.authenticate(&auth_site, &access_key)).await;
    match authenticated {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => {
            tracing::warn!(site_id = %site, "csl status: authentication failed");
            return unauthorized();
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "site lookup failed");
            return Rejection::internal().into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "site lookup task failed");
            return Rejection::internal().into_response();
        }
    }
    let Some(user) = query
        .get("user_id")
        .map(|u| u.trim())
        .filter(|u| !u.is_empty())
    else {
        return Rejection::new(
            axum::http::StatusCode::BAD_REQUEST,
            "USER_ID_REQUIRED",
            "give the user as ?user_id=...",
        )
        .into_response();
    };
    let service = &state.license;
    let policy: Option<&Policy> = service.settings.policy(site.as_str());
    let live = match service.limiter.status(site.as_str(), user).await {
        Ok(l) => l,
        Err(e) => return Rejection::from_csl(&e).into_response(),
    };
    let sessions: Vec<serde_json::Value> = live
        .leases
        .iter()
        .map(|l| {
            serde_json::json!({
                "session_id": l.session.as_str(),
                "expires_in_ms": u64::try_from(l.expires_at.since(live.now).as_millis()).unwrap_or(u64::MAX),
            })
        })
        .collect();
    let store = match service.limiter.store() {
        AnyStore::Memory(_) => "memory",
        AnyStore::Redis(_) => "redis",
    };
    let body = serde_json::json!({
        "site_id": site.as_str(),
        "user_id": user,
        "csl": policy.is_some(),
        "max_streams_per_user": policy.map(|p| p.max_streams_per_user.get()),
        "renewal_interval_ms": policy.map(|p| p.renewal_interval.as_millis() as u64),
        "grace_ms": policy.map(|p| p.grace.as_millis() as u64),
        "store": store,
        "fail_mode": service.settings.fail_mode.as_str(),
        "current_streams": sessions.len(),
        "sessions": sessions,
    });
    (
        axum::http::StatusCode::OK,
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn with_auth(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn basic_credentials_are_read_and_bad_ones_refused() {
        let b64 = base64::engine::general_purpose::STANDARD.encode("DEMO:someAccessKey123");
        let (site, key) = basic_credentials(&with_auth(&format!("Basic {b64}"))).unwrap();
        assert_eq!(site.as_str(), "DEMO");
        assert_eq!(key.expose_secret(), "someAccessKey123");
        assert!(basic_credentials(&with_auth(&format!("basic {b64}"))).is_some());
        assert!(basic_credentials(&with_auth(&format!("Bearer {b64}"))).is_none());
        let no_colon = base64::engine::general_purpose::STANDARD.encode("DEMO");
        assert!(basic_credentials(&with_auth(&format!("Basic {no_colon}"))).is_none());
        let long_site = base64::engine::general_purpose::STANDARD.encode("TOOLONG:k");
        assert!(basic_credentials(&with_auth(&format!("Basic {long_site}"))).is_none());
        assert!(basic_credentials(&HeaderMap::new()).is_none());
    }
}
