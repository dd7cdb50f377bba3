//! The DWM recipient registry: serial watermark IDs per site, shared by every `mdrm-dwm` that
//! names this server in its credentials (`server=`), and the history of embedding jobs, so a
//! leak detected on any machine names the recipient.
//!
//! - `POST /dwm/recipients` `{"name": "..."}`: registers a recipient with the site's next
//!   serial ID (201 with the recipient; 409 `RECIPIENT_EXISTS`; 400 `BAD_NAME`).
//! - `GET /dwm/recipients`: the site's recipients in registration order; `?name=` or
//!   `?dwm_id=` selects one (a list of zero or one).
//! - `POST /dwm/jobs` (a job record) and `GET /dwm/jobs` (oldest first).
//!
//! Authentication: HTTP Basic with the site id as user name and the site's access key as
//! password, as for the CSL status endpoint. Each site sees only its own recipients and IDs.
//! Storage: `dwm-registry.sqlite` next to the keystore; IDs are handed out in a transaction,
//! so concurrent registrations never share one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use dwm_registry_api::name_is_valid;
pub use dwm_registry_api::{JobRecord, NewRecipient, Recipient, RecipientQuery};
use kms_client::SiteId;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::AppState;
use crate::api_error::ApiError;
use crate::error::ServerError;
use crate::license::status::basic_credentials;

/// The largest DWM ID (32-bit payload; 0 is not an ID).
const MAX_ID: i64 = u32::MAX as i64;

/// Why a registration was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The name is taken in this site.
    Exists,
    /// Every 32-bit ID is in use.
    Exhausted,
}

/// The registry database.
#[derive(Debug)]
pub struct DwmRegistry {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl DwmRegistry {
    /// The database file that goes with the keystore at `keystore`.
    pub fn path_next_to(keystore: &Path) -> PathBuf {
        keystore.with_file_name("dwm-registry.sqlite")
    }

    /// Opens (creating when missing) the registry at `path`.
    pub fn open(path: &Path) -> Result<Self, ServerError> {
        let err = |e: rusqlite::Error| ServerError::Registry {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS recipients (
                 site_id TEXT NOT NULL, name TEXT NOT NULL, dwm_id INTEGER NOT NULL,
                 registered TEXT NOT NULL,
                 PRIMARY KEY (site_id, name), UNIQUE (site_id, dwm_id));
             CREATE TABLE IF NOT EXISTS jobs (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT, site_id TEXT NOT NULL,
                 account_id TEXT NOT NULL, content_id TEXT NOT NULL, recipient TEXT NOT NULL,
                 dwm_id INTEGER NOT NULL, output TEXT NOT NULL, time TEXT NOT NULL);",
        )
        .map_err(err)?;
        Ok(DwmRegistry {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    fn failed(&self, e: rusqlite::Error) -> ServerError {
        ServerError::Registry {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, ServerError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn).map_err(|e| self.failed(e))
    }

    /// Registers `name` in `site` with the site's next serial ID.
    pub fn add(&self, site: &str, name: &str) -> Result<Result<Recipient, Refused>, ServerError> {
        let registered = now();
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists: Option<i64> = tx
                .query_row(
                    "SELECT dwm_id FROM recipients WHERE site_id = ?1 AND name = ?2",
                    params![site, name],
                    |r| r.get(0),
                )
                .optional()?;
            if exists.is_some() {
                return Ok(Err(Refused::Exists));
            }
            let last: i64 = tx.query_row(
                "SELECT COALESCE(MAX(dwm_id), 0) FROM recipients WHERE site_id = ?1",
                params![site],
                |r| r.get(0),
            )?;
            if last >= MAX_ID {
                return Ok(Err(Refused::Exhausted));
            }
            let id = last + 1;
            tx.execute(
                "INSERT INTO recipients (site_id, name, dwm_id, registered) VALUES (?1, ?2, ?3, ?4)",
                params![site, name, id, registered],
            )?;
            tx.commit()?;
            Ok(Ok(Recipient {
                name: name.to_string(),
                dwm_id: id as u32,
                registered: registered.clone(),
            }))
        })
    }

    /// The recipients of `site` that `query` selects, in registration order.
    pub fn list(&self, site: &str, query: &RecipientQuery) -> Result<Vec<Recipient>, ServerError> {
        self.with(|conn| {
            let mut st = conn.prepare(
                "SELECT name, dwm_id, registered FROM recipients WHERE site_id = ?1
                 AND (?2 IS NULL OR name = ?2) AND (?3 IS NULL OR dwm_id = ?3) ORDER BY dwm_id",
            )?;
            let id = query.dwm_id.map(i64::from);
            st.query_map(params![site, query.name, id], |r| {
                Ok(Recipient {
                    name: r.get(0)?,
                    dwm_id: r.get::<_, i64>(1)? as u32,
                    registered: r.get(2)?,
                })
            })?
            .collect()
        })
    }

    /// Records a finished job of `site`.
    pub fn record_job(&self, site: &str, job: &JobRecord) -> Result<(), ServerError> {
        self.with(|conn| {
            conn.execute(
                "INSERT INTO jobs (site_id, account_id, content_id, recipient, dwm_id, output, time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    site,
                    job.account_id,
                    job.content_id,
                    job.recipient,
                    i64::from(job.dwm_id),
                    job.output,
                    job.time
                ],
            )?;
            Ok(())
        })
    }

    /// The jobs of `site`, oldest first.
    pub fn jobs(&self, site: &str) -> Result<Vec<JobRecord>, ServerError> {
        self.with(|conn| {
            let mut st = conn.prepare(
                "SELECT account_id, content_id, recipient, dwm_id, output, time FROM jobs
                 WHERE site_id = ?1 ORDER BY seq",
            )?;
            st.query_map(params![site], |r| {
                Ok(JobRecord {
                    account_id: r.get(0)?,
                    content_id: r.get(1)?,
                    recipient: r.get(2)?,
                    dwm_id: r.get::<_, i64>(3)? as u32,
                    output: r.get(4)?,
                    time: r.get(5)?,
                })
            })?
            .collect()
        })
    }
}

/// The current time as RFC 3339 UTC, to the second.
fn now() -> String {
    let t = jiff::Timestamp::now();
    t.round(jiff::Unit::Second).unwrap_or(t).to_string()
}

/// The registry's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dwm/recipients", get(list_recipients).post(add_recipient))
        .route("/dwm/jobs", get(list_jobs).post(add_job))
}

/// The authenticated site of a request, or the answer to give.
async fn site_of(state: &AppState, headers: &HeaderMap) -> Result<SiteId, Response> {
    let Some((site, key)) = basic_credentials(headers) else {
        return Err(ApiError::auth_failed().into_response());
    };
    let sites = state.sites.clone();
    let checked = site.clone();
    match tokio::task::spawn_blocking(move || sites.authenticate(&checked, &key)).await {
        Ok(Ok(true)) => Ok(site),
        Ok(Ok(false)) => {
            tracing::warn!(site_id = %site, "dwm registry: authentication failed");
            Err(ApiError::auth_failed().into_response())
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "site lookup failed");
            Err(ApiError::internal().into_response())
        }
        Err(e) => {
            tracing::error!(error = %e, "site lookup task failed");
            Err(ApiError::internal().into_response())
        }
    }
}

/// Runs a registry call off the async threads; database failures become 500 (logged).
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&DwmRegistry) -> Result<T, ServerError> + Send + 'static,
) -> Result<T, Response> {
    let registry = Arc::clone(&state.dwm);
    match tokio::task::spawn_blocking(move || f(&registry)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "dwm registry failed");
            Err(ApiError::internal().into_response())
        }
        Err(e) => {
            tracing::error!(error = %e, "dwm registry task failed");
            Err(ApiError::internal().into_response())
        }
    }
}

async fn add_recipient(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<NewRecipient>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let site = match site_of(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(Json(NewRecipient { name })) = body else {
        return ApiError::bad_request("BAD_REQUEST", "expected a JSON body {\"name\": \"...\"}")
            .into_response();
    };
    if !name_is_valid(&name) {
        return ApiError::bad_request(
            "BAD_NAME",
            format!("a recipient name is {}", dwm_registry_api::NAME_RULE),
        )
        .into_response();
    }
    let site_id = site.as_str().to_string();
    let added = blocking(&state, move |r| r.add(&site_id, &name)).await;
    match added {
        Ok(Ok(rec)) => {
            tracing::info!(site_id = %site, dwm_id = rec.dwm_id, "dwm recipient registered");
            (StatusCode::CREATED, Json(rec)).into_response()
        }
        Ok(Err(Refused::Exists)) => ApiError::new(
            StatusCode::CONFLICT,
            "RECIPIENT_EXISTS",
            "a recipient with this name is already registered",
        )
        .into_response(),
        Ok(Err(Refused::Exhausted)) => ApiError::new(
            StatusCode::CONFLICT,
            "ID_SPACE_EXHAUSTED",
            "all 4294967295 DWM IDs of this site are in use",
        )
        .into_response(),
        Err(r) => r,
    }
}

async fn list_recipients(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<RecipientQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let site = match site_of(&state, &headers).await {
        Ok(s) => s.as_str().to_string(),
        Err(r) => return r,
    };
    let Ok(Query(query)) = query else {
        return ApiError::bad_request(
            "BAD_REQUEST",
            "the query takes name=<recipient> or dwm_id=<1..4294967295>",
        )
        .into_response();
    };
    match blocking(&state, move |r| r.list(&site, &query)).await {
        Ok(list) => Json(list).into_response(),
        Err(r) => r,
    }
}

async fn add_job(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<JobRecord>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let site = match site_of(&state, &headers).await {
        Ok(s) => s.as_str().to_string(),
        Err(r) => return r,
    };
    let Ok(Json(job)) = body else {
        return ApiError::bad_request("BAD_REQUEST", "expected a JSON job record").into_response();
    };
    match blocking(&state, move |r| r.record_job(&site, &job)).await {
        Ok(()) => StatusCode::CREATED.into_response(),
        Err(r) => r,
    }
}

async fn list_jobs(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let site = match site_of(&state, &headers).await {
        Ok(s) => s.as_str().to_string(),
        Err(r) => return r,
    };
    match blocking(&state, move |r| r.jobs(&site)).await {
        Ok(list) => Json(list).into_response(),
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_ids_per_site_names_unique_jobs_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = DwmRegistry::path_next_to(&dir.path().join("keystore.sqlite"));
        let reg = DwmRegistry::open(&path).unwrap();
        assert_eq!(reg.add("AAAA", "alice").unwrap().unwrap().dwm_id, 1);
        assert_eq!(reg.add("AAAA", "bob").unwrap().unwrap().dwm_id, 2);
        assert_eq!(reg.add("BBBB", "alice").unwrap().unwrap().dwm_id, 1);
        assert_eq!(reg.add("AAAA", "alice").unwrap(), Err(Refused::Exists));
        let all = RecipientQuery::default();
        let names: Vec<_> = reg
            .list("AAAA", &all)
            .unwrap()
            .into_iter()
            .map(|r| (r.name, r.dwm_id))
            .collect();
        assert_eq!(names, [("alice".to_string(), 1), ("bob".to_string(), 2)]);
        let bob = RecipientQuery {
            name: Some("bob".into()),
            dwm_id: None,
        };
        assert_eq!(reg.list("AAAA", &bob).unwrap()[0].dwm_id, 2);
        let id1 = RecipientQuery {
            name: None,
            dwm_id: Some(1),
        };
        assert_eq!(reg.list("BBBB", &id1).unwrap()[0].name, "alice");
        assert!(reg.list("BBBB", &bob).unwrap().is_empty());
        let job = JobRecord {
            account_id: "acc".into(),
            content_id: "movie".into(),
            recipient: "bob".into(),
            dwm_id: 2,
            output: "/out/movie_bob_2.mp4".into(),
            time: now(),
        };
        reg.record_job("AAAA", &job).unwrap();
        assert_eq!(reg.jobs("AAAA").unwrap(), [job]);
        assert!(reg.jobs("BBBB").unwrap().is_empty());
        drop(reg);
        // Persisted: a new server process sees the same IDs.
        let again = DwmRegistry::open(&path).unwrap();
        assert_eq!(again.add("AAAA", "carol").unwrap().unwrap().dwm_id, 3);
    }
}
