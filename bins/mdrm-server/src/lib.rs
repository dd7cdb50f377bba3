//! `mdrm-server`: the self-hosted mdrm back end, one HTTP service with several faces.
//!
//! - [`keys`]: the CPIX key service for packagers (keys in the SQLite keystore shared with the
//!   packagers' embedded mode).
//! - [`license`]: the ClearKey license service for players, with concurrent stream limiting
//!   on every license request and renewal (memory or Redis store).
//! - [`dwm_registry`]: the DWM recipient registry shared by `mdrm-dwm` installations.
//!
//! Adding a face = adding a module with a `routes() -> Router<AppState>` function and one
//! `.merge(...)` line in [`router`]. The binary (`main.rs`) only parses flags, sets up logs
//! and calls [`AppState::open`], [`router`] and [`serve`].

pub mod api_error;
pub mod config;
pub mod dwm_registry;
pub mod error;
pub mod keys;
pub mod license;
pub mod logging;
pub mod secret;
pub mod sites;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use kms_client::Keystore;

use crate::config::Settings;
use crate::dwm_registry::DwmRegistry;
use crate::error::ServerError;
use crate::keys::signalling::SignallingSettings;
use crate::license::LicenseService;
use crate::secret::ServerSecret;
use crate::sites::Sites;

/// What every face shares. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The keystore (content keys, site records).
    pub keystore: Arc<Keystore>,
    /// The site registry.
    pub sites: Sites,
    /// Settings for the signalling written into CPIX answers.
    pub signalling: Arc<SignallingSettings>,
    /// The license service (stream limiter included).
    pub license: Arc<LicenseService>,
    /// The DWM recipient registry.
    pub dwm: Arc<DwmRegistry>,
}

/// Facts about start-up worth a log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Startup {
    /// The server secret file was created now.
    pub secret_created: bool,
    /// Sites added or updated from the settings file.
    pub sites_from_settings: usize,
    /// Sites configured in total.
    pub sites_total: usize,
}

impl AppState {
    /// Opens the keystore and the server secret (creating both when missing), applies the
    /// sites of the settings file and opens the CSL store (a Redis store needs to be inside a
    /// tokio runtime).
    pub fn open(settings: &Settings) -> Result<(Self, Startup), ServerError> {
        let license = Arc::new(LicenseService::open(settings.license.clone())?);
        let keystore = Arc::new(Keystore::open(&settings.database)?);
        let dwm = Arc::new(DwmRegistry::open(&DwmRegistry::path_next_to(
            &settings.database,
        ))?);
        let (secret, secret_created) = ServerSecret::load_or_create(&settings.secret_file)?;
        let sites = Sites::new(Arc::clone(&keystore), Arc::new(secret));
        for s in &settings.sites {
            sites.put(s)?;
        }
        let startup = Startup {
            secret_created,
            sites_from_settings: settings.sites.len(),
            sites_total: sites.list()?.len(),
        };
        let signalling = SignallingSettings {
            clearkey_license_url: settings.clearkey_license_url(),
            playready_la_url: settings.playready_la_url.clone(),
            widevine_provider: settings.widevine_provider.clone(),
        };
        Ok((
            AppState {
                keystore,
                sites,
                signalling: Arc::new(signalling),
                license,
                dwm,
            },
            startup,
        ))
    }
}

async fn health() -> &'static str {
    "ok"
}

/// The whole HTTP service: `GET /healthz` plus every face, with request logging.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .merge(keys::routes())
        .merge(license::routes())
        .merge(dwm_registry::routes())
        .layer(middleware::from_fn(logging::log_requests))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes open requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| ServerError::Serve(e.to_string()))
}
