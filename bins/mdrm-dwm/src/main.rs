//! `mdrm-dwm`: embed an invisible DWM ID per recipient, detect it in a leaked copy.
//! Argument parsing and wiring only; the work is in the library half of this crate.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mdrm_dwm::credentials::{Credentials, DEMO_SITE_ID};
use mdrm_dwm::detect::{self, DetectOptions};
use mdrm_dwm::embed::{self, EmbedOptions};
use mdrm_dwm::error::{ErrorCode, Failure, Result, fail};
use mdrm_dwm::ffmpeg::Tools;
use mdrm_dwm::jobfile::parse_hms;
use mdrm_dwm::{STOP, registry, report};

/// Distributor watermarking: one invisible DWM ID per recipient, read back from a leak.
#[derive(Debug, Parser)]
#[command(name = "mdrm-dwm", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Credentials file (site_id=, site_key=, access_key= lines) [default: ~/.mdrm/credentials]
    #[arg(long, global = true, value_name = "FILE")]
    credentials: Option<PathBuf>,
    /// Recipient registry file [default: $MDRM_DWM_REGISTRY, else the user's data directory]
    #[arg(long, global = true, value_name = "FILE")]
    registry: Option<PathBuf>,
    /// Use the built-in public demo key (and burn "DEMO" into embedded outputs)
    #[arg(long, global = true)]
    demo: bool,
    /// The ffmpeg executable [default: ffmpeg on PATH]
    #[arg(long, global = true, value_name = "PATH")]
    ffmpeg: Option<PathBuf>,
    /// The ffprobe executable [default: ffprobe on PATH]
    #[arg(long, global = true, value_name = "PATH")]
    ffprobe: Option<PathBuf>,
    /// Print the result as JSON
    #[arg(long, global = true)]
    json: bool,
    /// No log lines or progress bar on stderr
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Threads for the watermark DSP [default: all cores]
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Embed each recipient's DWM ID into its own copy of the job's input
    Embed {
        /// The job file (dwm_info.json)
        job: PathBuf,
        /// Use NVIDIA decode/encode (NVDEC/NVENC) when FFmpeg has them and they work
        #[arg(long)]
        hwaccel: bool,
        /// Encoder quality override (x264/x265/VP9 CRF, NVENC CQ)
        #[arg(long, value_name = "N")]
        crf: Option<u32>,
        /// Encoder preset override (x264/x265 preset, VP9 cpu-used, NVENC preset)
        #[arg(long, value_name = "NAME")]
        preset: Option<String>,
    },
    /// Read the DWM ID from a leaked copy (blind), or from one captured frame (non-blind)
    Detect {
        /// The suspect video file
        file: Option<PathBuf>,
        /// A captured frame (PNG) of the leak, for non-blind detection
        #[arg(long, value_name = "PNG", requires = "original")]
        frame: Option<PathBuf>,
        /// The original (unmarked) video, for non-blind detection
        #[arg(long, value_name = "VIDEO", requires = "frame")]
        original: Option<PathBuf>,
        /// Time of the captured frame in the original (HH:MM:SS[.mmm]); searched when absent
        #[arg(long, value_name = "TIME")]
        time: Option<String>,
        /// Start of the span to analyse (HH:MM:SS[.mmm])
        #[arg(long, value_name = "TIME")]
        start: Option<String>,
        /// Length of the span to analyse, in seconds
        #[arg(long, value_name = "SECONDS")]
        duration: Option<f64>,
        /// Analyse the whole span even after an ID is found
        #[arg(long)]
        full: bool,
        /// Evaluation: also report the raw bit error rate against this DWM ID
        #[arg(long, value_name = "ID", hide = true)]
        expect_id: Option<u32>,
    },
    /// Manage the recipient registry
    Recipients {
        #[command(subcommand)]
        action: RecipientsCommand,
    },
    /// List the recorded embedding jobs
    Jobs,
}

#[derive(Debug, Subcommand)]
enum RecipientsCommand {
    /// Register recipients; each gets the next serial DWM ID
    Add {
        /// Names to register
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// List registered recipients and their DWM IDs
    List,
}

fn home() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf())
}

fn credentials_path(cli: &Cli) -> PathBuf {
    cli.credentials.clone().unwrap_or_else(|| {
        home()
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".mdrm")
            .join("credentials")
    })
}

fn registry_path(cli: &Cli) -> PathBuf {
    if let Some(p) = &cli.registry {
        return p.clone();
    }
    if let Some(p) = std::env::var_os("MDRM_DWM_REGISTRY") {
        return PathBuf::from(p);
    }
    let dir = directories::ProjectDirs::from("", "", "mdrm")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".mdrm"));
    dir.join(if cli.demo {
        "dwm-registry-demo.json"
    } else {
        "dwm-registry.json"
    })
}

fn seconds(flag: &str, v: &Option<String>) -> Result<Option<f64>> {
    match v {
        None => Ok(None),
        Some(s) => parse_hms(s)
            .or_else(|| s.parse::<f64>().ok().filter(|x| *x >= 0.0))
            .map(Some)
            .ok_or_else(|| {
                Failure::new(
                    ErrorCode::Configuration,
                    format!("{flag} {s:?} is not HH:MM:SS[.mmm] or seconds"),
                )
            }),
    }
}

fn print(json: bool, text: String, value: serde_json::Value) {
    if json {
        println!("{value:#}");
    } else {
        print!("{text}");
    }
}

fn run(cli: &Cli) -> Result<ErrorCode> {
    let quiet = cli.quiet;
    let mut log = |line: &str| {
        if !quiet {
            eprintln!("mdrm-dwm: {line}");
        }
    };
    if let Some(n) = cli.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .map_err(|e| Failure::new(ErrorCode::Configuration, format!("--threads: {e}")))?;
    }
    match &cli.command {
        Command::Embed {
            job,
            hwaccel,
            crf,
            preset,
        } => {
            let tools = Tools::locate(cli.ffmpeg.as_deref(), cli.ffprobe.as_deref())?;
            let opts = EmbedOptions {
                job: job.clone(),
                demo: cli.demo,
                credentials: credentials_path(cli),
                registry: registry_path(cli),
                hwaccel: *hwaccel,
                crf: *crf,
                preset: preset.clone(),
                progress: !quiet,
            };
            let r = embed::run(&opts, &tools, &mut log)?;
            print(cli.json, report::embed_text(&r), report::embed_json(&r));
            Ok(r.code())
        }
        Command::Detect {
            file,
            frame,
            original,
            time,
            start,
            duration,
            full,
            expect_id,
        } => {
            if duration.is_some_and(|d| d <= 0.0 || !d.is_finite()) {
                return fail(ErrorCode::Configuration, "--duration must be positive");
            }
            let tools = Tools::locate(cli.ffmpeg.as_deref(), cli.ffprobe.as_deref())?;
            let opts = DetectOptions {
                file: file.clone(),
                frame: frame.clone(),
                original: original.clone(),
                time: seconds("--time", time)?,
                start: seconds("--start", start)?,
                duration: *duration,
                full: *full,
                demo: cli.demo,
                credentials: credentials_path(cli),
                registry: registry_path(cli),
                expect_id: *expect_id,
                progress: !quiet,
            };
            let r = detect::run(&opts, &tools, &mut log)?;
            print(cli.json, report::detect_text(&r), report::detect_json(&r));
            Ok(ErrorCode::Success)
        }
        Command::Recipients { action } => {
            let creds = if cli.demo {
                Credentials::demo()
            } else {
                Credentials::load(&credentials_path(cli))?
            };
            let mut reg = registry::open(&creds, &registry_path(cli))?;
            match action {
                RecipientsCommand::Add { names } => {
                    let mut added = Vec::new();
                    for n in names {
                        added.push(reg.add(n)?);
                    }
                    print(
                        cli.json,
                        report::recipients_text(&added),
                        report::recipients_json(&added),
                    );
                }
                RecipientsCommand::List => {
                    let list = reg.list()?;
                    print(
                        cli.json,
                        report::recipients_text(&list),
                        report::recipients_json(&list),
                    );
                }
            }
            if creds.site_id == DEMO_SITE_ID && cli.demo {
                log("demo registry (public demo key)");
            }
            Ok(ErrorCode::Success)
        }
        Command::Jobs => {
            let creds = if cli.demo {
                Credentials::demo()
            } else {
                Credentials::load(&credentials_path(cli))?
            };
            let reg = registry::open(&creds, &registry_path(cli))?;
            let jobs = reg.jobs()?;
            print(cli.json, report::jobs_text(&jobs), report::jobs_json(&jobs));
            Ok(ErrorCode::Success)
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind as K;
            let code = match e.kind() {
                K::DisplayHelp
                | K::DisplayVersion
                | K::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    return ExitCode::SUCCESS;
                }
                K::UnknownArgument | K::InvalidSubcommand => ErrorCode::UnknownCommand,
                _ => ErrorCode::Configuration,
            };
            let _ = e.print();
            eprintln!("error {}: {}", code.code(), code.meaning());
            return ExitCode::from(code.exit_status());
        }
    };
    let _ = ctrlc::set_handler(|| STOP.store(true, std::sync::atomic::Ordering::SeqCst));
    match run(&cli) {
        Ok(code) => {
            if code != ErrorCode::Success {
                eprintln!("error {}: {}", code.code(), code.meaning());
            }
            ExitCode::from(code.exit_status())
        }
        Err(f) => {
            eprintln!("mdrm-dwm: {f}");
            if cli.json {
                println!("{:#}", report::failure_json(&f));
            }
            ExitCode::from(f.code.exit_status())
        }
    }
}
