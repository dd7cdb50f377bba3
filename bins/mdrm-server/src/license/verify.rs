//! Shared by the license and release endpoints: find the token, session id and renewal ticket
//! in the request, and verify the token (hash, then time window, or a valid renewal ticket in
//! place of the time window).

use std::collections::HashMap;

use axum::http::HeaderMap;
use csl::SessionId;
use kms_client::SiteId;

use super::rejection::Rejection;
use super::session::{
    SESSION_HEADER, SESSION_PARAM, TICKET_HEADER, TICKET_PARAM, TicketSubject, derived_session_id,
    ticket_valid,
};
use super::token::{LicenseToken, TOKEN_HEADER, TOKEN_QUERY};
use crate::AppState;
use crate::sites::SiteKey;

/// Where the client put things: header, else query parameter, else body field.
#[derive(Debug, Default)]
pub(crate) struct Inputs {
    pub(crate) token: Option<String>,
    pub(crate) session_id: Option<String>,
    pub(crate) ticket: Option<String>,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl Inputs {
    /// Collects the inputs; `body_session` and `body_ticket` come from the JSON body.
    pub(crate) fn gather(
        headers: &HeaderMap,
        query: &HashMap<String, String>,
        body_session: Option<String>,
        body_ticket: Option<String>,
    ) -> Self {
        let q = |name: &str| query.get(name).filter(|v| !v.is_empty()).cloned();
        Inputs {
            token: header(headers, TOKEN_HEADER)
                .or_else(|| q(TOKEN_QUERY))
                .or_else(|| q(TOKEN_HEADER)),
            session_id: header(headers, SESSION_HEADER)
                .or_else(|| q(SESSION_PARAM))
                .or(body_session),
            ticket: header(headers, TICKET_HEADER)
                .or_else(|| q(TICKET_PARAM))
                .or(body_ticket),
        }
    }
}

/// A token whose hash and time window (or renewal ticket) verified.
pub(crate) struct Verified {
    pub(crate) token: LicenseToken,
    pub(crate) site_key: SiteKey,
    pub(crate) session: SessionId,
    /// A renewal ticket for this session verified (proof of an earlier admission).
    pub(crate) ticket_ok: bool,
    pub(crate) now: jiff::Timestamp,
}

impl Verified {
    /// What a renewal ticket for this request vouches for.
    pub(crate) fn ticket_subject(&self) -> TicketSubject<'_> {
        TicketSubject {
            site_id: &self.token.site_id,
            user_id: &self.token.user_id,
            cid: &self.token.cid,
            session: self.session.as_str(),
        }
    }
}

/// Decodes and verifies the token: site credentials, hash, then time window (a valid renewal
/// ticket stands in for an expired window, never for a bad hash).
pub(crate) async fn verify(state: &AppState, inputs: Inputs) -> Result<Verified, Rejection> {
    let text = inputs.token.ok_or_else(Rejection::token_missing)?;
    let token = LicenseToken::decode(&text)?;
    let Ok(site) = SiteId::parse("site_id", &token.site_id) else {
        return Err(Rejection::token_invalid());
    };
    let sites = state.sites.clone();
    let creds = tokio::task::spawn_blocking(move || sites.credentials(&site))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "site lookup task failed");
            Rejection::internal()
        })?
        .map_err(|e| {
            tracing::error!(error = %e, "site lookup failed");
            Rejection::internal()
        })?;
    let Some(creds) = creds else {
        tracing::warn!("license token for an unknown site");
        return Err(Rejection::token_invalid());
    };
    if !token.hash_verifies(creds.access_key.expose_secret()) {
        tracing::warn!(site_id = %creds.site_id, "license token hash does not verify");
        return Err(Rejection::token_invalid());
    }
    let session_text = inputs
        .session_id
        .unwrap_or_else(|| derived_session_id(&token.site_id, &token.hash));
    let session = SessionId::new(&session_text).map_err(|e| Rejection::from_csl(&e))?;
    let now = jiff::Timestamp::now();
    let mut verified = Verified {
        token,
        site_key: creds.site_key.clone(),
        session,
        ticket_ok: false,
        now,
    };
    let settings = &state.license.settings;
    if let Some(ticket) = &inputs.ticket {
        verified.ticket_ok = ticket_valid(
            ticket,
            verified.site_key.expose_secret(),
            &verified.ticket_subject(),
            now,
            settings.token_clock_skew,
        );
    }
    if let Err(e) =
        verified
            .token
            .check_time(now, settings.token_lifetime, settings.token_clock_skew)
    {
        let renewal = verified.ticket_ok && e.code == "TOKEN_EXPIRED";
        if !renewal {
            return Err(e);
        }
    }
    Ok(verified)
}
