//! `mdrm-server`: flag parsing, logging set-up and serving; the logic lives in the library.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use kms_client::defaults::{DATA_DIR_NAME, KEYSTORE_FILE_NAME};
use kms_client::{AccessKey, SiteId, enc_token};
use mdrm_server::config::{DefaultPaths, FileSettings, FlagSettings, Settings};
use mdrm_server::error::ServerError;
use mdrm_server::license::settings::LicenseFlags;
use mdrm_server::license::token::{TokenRequest, issue_token};
use mdrm_server::logging::{self, LogFormat};
use mdrm_server::secret::ServerSecret;
use mdrm_server::sites::{SiteCredentials, SiteKey, Sites, generate_access_key};
use mdrm_server::{AppState, router, serve};

/// The server secret's file name next to the keystore.
const SECRET_FILE_NAME: &str = "server-secret.key";

#[derive(Parser)]
#[command(
    name = "mdrm-server",
    version,
    about = "The self-hosted mdrm back end: CPIX key service for packagers, ClearKey license \
        service with concurrent stream limiting for players.",
    long_about = "The self-hosted mdrm back end: CPIX key service for packagers, ClearKey license \
        service with concurrent stream limiting for players.\n\n\
        Without a command it serves HTTP (default 127.0.0.1:8480). Packagers use it with\n\
        --kms-url http://127.0.0.1:8480/ --site-id ID --access-key KEY.\n\
        Key path: POST /v2/cpix/pallycon/getKey/{enc-token} (also /v1/..., /cpix/pallycon/getKey/...,\n\
        and /cpix/getKey?enc-token=...). Health: GET /healthz.\n\
        Licenses: POST /license/clearkey (token in the pallycon-customdata-v2 header or ?token=),\n\
        POST /license/clearkey/release, GET /license/csl/status?user_id= (HTTP Basic: site id,\n\
        access key).\n\n\
        Log level: MDRM_LOG (e.g. info, debug; tracing filter syntax).",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct StoreArgs {
    /// Settings file (TOML; JSON when the name ends in .json). Flags override it.
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Keystore database [default: $XDG_DATA_HOME/mdrm/keystore.sqlite, the packagers'
    /// embedded keystore, usually ~/.local/share/mdrm/keystore.sqlite].
    #[arg(long = "db", global = true, value_name = "PATH")]
    database: Option<PathBuf>,
    /// Server secret sealing site secrets, created with mode 0600 when missing
    /// [default: $XDG_DATA_HOME/mdrm/server-secret.key].
    #[arg(long, global = true, value_name = "PATH")]
    secret_file: Option<PathBuf>,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1].
    #[arg(long, value_name = "IP")]
    bind: Option<String>,
    /// TCP port [default: 8480].
    #[arg(long, value_name = "PORT")]
    port: Option<u16>,
    /// Base URL clients reach this server at, for URLs written into answers (ClearKey license
    /// URL = <public-url>/license/clearkey) [default: http://<bind>:<port>].
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Log format on stderr [default: text].
    #[arg(long, value_enum)]
    log_format: Option<LogFormat>,
    /// PlayReady license URL written into PlayReady headers (LA_URL) [default: none].
    #[arg(long, value_name = "URL")]
    playready_la_url: Option<String>,
    /// Widevine provider written into Widevine PSSH data [default: none].
    #[arg(long, value_name = "NAME")]
    widevine_provider: Option<String>,
    /// Where concurrent-stream leases live: `memory` (one server) or `redis://host:port/db`
    /// (shared by replicas) [default: memory].
    #[arg(long, value_name = "STORE")]
    csl_store: Option<String>,
    /// What to do while the CSL store fails: closed, open or open-for-renewals (playing
    /// streams keep playing, new ones are refused) [default: open-for-renewals].
    #[arg(long, value_name = "MODE")]
    csl_fail_mode: Option<String>,
    /// Streams one user may play at once, for sites without their own setting [default: 3].
    #[arg(long, value_name = "N")]
    csl_max_streams: Option<u32>,
    /// How often a playing stream must renew its license, e.g. 600, 30s, 10m [default: 10m].
    #[arg(long, value_name = "DURATION")]
    csl_renewal_interval: Option<String>,
    /// Extra time a stream's slot is held beyond the renewal interval [default: 0].
    #[arg(long, value_name = "DURATION")]
    csl_grace: Option<String>,
    /// Turn concurrent stream limiting off for sites without their own setting.
    #[arg(long)]
    no_csl: bool,
    /// How long a license token is accepted after its timestamp [default: 10m].
    #[arg(long, value_name = "DURATION")]
    token_lifetime: Option<String>,
}

impl ServeArgs {
    fn none() -> Self {
        ServeArgs {
            bind: None,
            port: None,
            public_url: None,
            log_format: None,
            playready_la_url: None,
            widevine_provider: None,
            csl_store: None,
            csl_fail_mode: None,
            csl_max_streams: None,
            csl_renewal_interval: None,
            csl_grace: None,
            no_csl: false,
            token_lifetime: None,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Manage sites (who may ask for keys).
    #[command(subcommand)]
    Site(SiteCommand),
    /// Print a license token for a site (for tests and demos; production tokens come from the
    /// service's own back end, in the same format).
    Token(TokenArgs),
}

#[derive(Args)]
struct TokenArgs {
    /// The site id.
    #[arg(long)]
    site_id: String,
    /// The user id (`LICENSETOKEN` for none).
    #[arg(long)]
    user_id: String,
    /// The content id used when packaging.
    #[arg(long)]
    cid: String,
    /// The policy JSON [default: {"policy_version":2}].
    #[arg(long, value_name = "JSON")]
    policy: Option<String>,
    /// drm_type [default: ClearKey].
    #[arg(long, default_value = "ClearKey")]
    drm_type: String,
}

#[derive(Subcommand)]
enum SiteCommand {
    /// Add a site, or replace its credentials. Prints generated credentials once, in the
    /// credentials-file format (site_id=, access_key=, site_key=, kms_token=).
    Add {
        /// The 4-character site id.
        #[arg(long)]
        site_id: String,
        /// Use this access key instead of generating one (not printed back).
        #[arg(long)]
        access_key: Option<String>,
        /// Use this 32-character site key instead of generating one (not printed back).
        #[arg(long)]
        site_key: Option<String>,
    },
    /// List the site ids.
    List,
    /// Remove a site (its content keys stay in the keystore).
    Remove {
        /// The site id.
        #[arg(long)]
        site_id: String,
    },
}

fn default_paths() -> DefaultPaths {
    let dir = directories::BaseDirs::new().map(|d| d.data_dir().join(DATA_DIR_NAME));
    DefaultPaths {
        database: dir.as_ref().map(|d| d.join(KEYSTORE_FILE_NAME)),
        secret_file: dir.map(|d| d.join(SECRET_FILE_NAME)),
    }
}

fn settings(store: &StoreArgs, serve: ServeArgs) -> Result<Settings, ServerError> {
    let file = store
        .config
        .as_deref()
        .map(FileSettings::load)
        .transpose()?;
    let flags = FlagSettings {
        bind: serve.bind,
        port: serve.port,
        database: store.database.clone(),
        secret_file: store.secret_file.clone(),
        public_url: serve.public_url,
        log_format: serve.log_format,
        playready_la_url: serve.playready_la_url,
        widevine_provider: serve.widevine_provider,
        license: LicenseFlags {
            csl_store: serve.csl_store,
            csl_fail_mode: serve.csl_fail_mode,
            max_streams_per_user: serve.csl_max_streams,
            renewal_interval: serve.csl_renewal_interval,
            grace: serve.csl_grace,
            no_csl: serve.no_csl,
            token_lifetime: serve.token_lifetime,
        },
    };
    Settings::resolve(flags, file, default_paths())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("install the SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
    tracing::info!("shutting down");
}

fn run_serve(store: StoreArgs, serve_args: ServeArgs) -> Result<(), ServerError> {
    let settings = settings(&store, serve_args)?;
    logging::init(settings.log_format, std::env::var("MDRM_LOG").ok());
    if let Some(path) = &store.config
        && !settings.sites.is_empty()
        && std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
    {
        tracing::warn!(
            settings_file = %path.display(),
            "the settings file holds site secrets and other users can read it; chmod 600 it"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ServerError::Serve(e.to_string()))?;
    // The Redis CSL store is opened inside the runtime.
    let entered = runtime.enter();
    let (state, startup) = AppState::open(&settings)?;
    drop(entered);
    tracing::info!(
        database = %settings.database.display(),
        secret_file = %settings.secret_file.display(),
        secret_created = startup.secret_created,
        sites = startup.sites_total,
        sites_from_settings = startup.sites_from_settings,
        public_url = %settings.public_url,
        csl_store = ?settings.license.csl_store,
        csl_fail_mode = %settings.license.fail_mode,
        csl_default = ?settings.license.default_csl,
        csl_site_entries = settings.license.sites.len(),
        "mdrm-server starting"
    );
    runtime.block_on(async {
        state.license.spawn_sweeper();
        let addr = SocketAddr::new(settings.bind, settings.port);
        let listener =
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| ServerError::Bind {
                    addr: addr.to_string(),
                    reason: e.to_string(),
                })?;
        let local = listener.local_addr().map_err(|e| ServerError::Bind {
            addr: addr.to_string(),
            reason: e.to_string(),
        })?;
        tracing::info!(addr = %local, "listening");
        serve(listener, router(state), shutdown_signal()).await
    })
}

fn open_sites(store: &StoreArgs) -> Result<Sites, ServerError> {
    let settings = settings(store, ServeArgs::none())?;
    let keystore = kms_client::Keystore::open(&settings.database)?;
    let (secret, _) = ServerSecret::load_or_create(&settings.secret_file)?;
    Ok(Sites::new(keystore.into(), secret.into()))
}

fn invalid(e: kms_client::Error) -> ServerError {
    ServerError::InvalidArgument {
        what: "--site-id / --access-key".into(),
        reason: e.to_string(),
    }
}

fn run_site(store: StoreArgs, cmd: SiteCommand) -> Result<(), ServerError> {
    let sites = open_sites(&store)?;
    match cmd {
        SiteCommand::Add {
            site_id,
            access_key,
            site_key,
        } => {
            let site_id = SiteId::parse("--site-id", &site_id).map_err(invalid)?;
            let access_given = access_key.is_some();
            let site_key_given = site_key.is_some();
            let access_key = match access_key {
                Some(k) => AccessKey::parse("--access-key", &k).map_err(invalid)?,
                None => generate_access_key(),
            };
            let site_key = match site_key {
                Some(k) => SiteKey::parse(&k)?,
                None => SiteKey::generate(),
            };
            let creds = SiteCredentials {
                site_id,
                access_key,
                site_key,
            };
            sites.put(&creds)?;
            println!("site_id={}", creds.site_id);
            if !access_given {
                println!("access_key={}", creds.access_key.expose_secret());
                println!(
                    "kms_token={}",
                    enc_token::encode(&creds.site_id, &creds.access_key)
                );
            }
            if !site_key_given {
                println!("site_key={}", creds.site_key.expose_secret());
            }
            eprintln!(
                "site {} saved; these credentials are shown once. Packagers: --kms-url http://<server>:<port>/ --site-id {} --access-key <access_key>",
                creds.site_id, creds.site_id
            );
        }
        SiteCommand::List => {
            for id in sites.list()? {
                println!("{id}");
            }
        }
        SiteCommand::Remove { site_id } => {
            let site_id = SiteId::parse("--site-id", &site_id).map_err(invalid)?;
            if !sites.remove(&site_id)? {
                return Err(ServerError::InvalidArgument {
                    what: "--site-id".into(),
                    reason: format!("no site {site_id}"),
                });
            }
            eprintln!("site {site_id} removed");
        }
    }
    Ok(())
}

fn run_token(store: StoreArgs, args: TokenArgs) -> Result<(), ServerError> {
    let sites = open_sites(&store)?;
    let site_id = SiteId::parse("--site-id", &args.site_id).map_err(invalid)?;
    let creds = sites
        .credentials(&site_id)?
        .ok_or_else(|| ServerError::InvalidArgument {
            what: "--site-id".into(),
            reason: format!("no site {site_id}"),
        })?;
    let policy = args
        .policy
        .unwrap_or_else(|| r#"{"policy_version":2}"#.to_string());
    let request = TokenRequest {
        drm_type: &args.drm_type,
        site_id: site_id.as_str(),
        user_id: &args.user_id,
        cid: &args.cid,
        policy_json: &policy,
        timestamp: jiff::Timestamp::now(),
        key_rotation: false,
    };
    let token = issue_token(
        &request,
        creds.access_key.expose_secret(),
        creds.site_key.expose_secret(),
    )
    .map_err(|r| ServerError::InvalidArgument {
        what: "--policy".into(),
        reason: r.message,
    })?;
    println!("{token}");
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => run_serve(cli.store, cli.serve),
        Some(Command::Site(cmd)) => run_site(cli.store, cmd),
        Some(Command::Token(args)) => run_token(cli.store, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mdrm-server: {e}");
            tracing::error!(error = %e, "mdrm-server stopped");
            ExitCode::FAILURE
        }
    }
}
