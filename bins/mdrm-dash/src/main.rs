//! `mdrm-dash`: package MP4 inputs into an encrypted DASH presentation (MPD + init and media
//! segments per representation), cenc or cbcs, with Widevine, PlayReady and ClearKey
//! signalling. Thin wiring of `packager::dash` (the job) and `packager::runner`.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use indicatif::ProgressDrawTarget;
use packager::dash::{self, DashOptions};
use packager::progress::{BarProgress, NoProgress, Progress};
use packager::runner::{self, PackagerCli};
use packager::{CliProfile, CommonArgs, JobKind, Verbosity};

/// The protection scheme.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum SchemeArg {
    /// AES-128 CTR (Widevine, PlayReady, most players).
    Cenc,
    /// AES-128 CBC with the 1:9 pattern (CMAF, FairPlay-compatible, modern DRM clients).
    Cbcs,
}

/// Package MP4 files into an encrypted DASH presentation.
///
/// Several -i inputs form one adaptive package (video rungs in one AdaptationSet, audio per
/// language). Side-loaded WebVTT subtitles: -i "[+format=webvtt,+language=de]subs_de.vtt".
/// Keys: --encryption-key + --key-id (16 bytes each, base64), else the embedded keystore
/// (default, no server needed) or a key server (--kms-url). The result document goes to
/// stdout; the packaging log to stderr.
#[derive(Parser, Debug)]
#[command(name = "mdrm-dash", version)]
struct DashCli {
    #[command(flatten)]
    common: CommonArgs,
    /// Protection scheme.
    #[arg(long = "protection-scheme", value_enum, default_value = "cenc")]
    protection_scheme: SchemeArg,
    /// Include MP4-embedded TTML (stpp) subtitle tracks of the inputs.
    #[arg(long = "subtitles")]
    subtitles: bool,
    /// Write keys.json (KIDs and content keys, W3C ClearKey JWK set) next to the MPD.
    #[arg(long = "write-clearkey-json")]
    write_clearkey_json: bool,
}

impl PackagerCli for DashCli {
    fn common(&self) -> &CommonArgs {
        &self.common
    }
}

fn main() -> ExitCode {
    let started = runner::local_time();
    let env =
        runner::key_environment(directories::BaseDirs::new().map(|d| d.data_dir().to_path_buf()));
    let outcome = runner::run_cli::<DashCli, _, _>(
        JobKind::Dash,
        std::env::args_os().collect(),
        &started,
        io::stderr,
        |args, log| {
            let settings = args.common.validate(CliProfile::DASH)?;
            let options = DashOptions {
                scheme: match args.protection_scheme {
                    SchemeArg::Cenc => cenc::Scheme::Cenc,
                    SchemeArg::Cbcs => cenc::Scheme::Cbcs,
                },
                subtitles: args.subtitles,
                write_clearkey_json: args.write_clearkey_json,
                ..DashOptions::default()
            };
            let mut progress: Box<dyn Progress> =
                if settings.verbosity != Verbosity::Quiet && io::stderr().is_terminal() {
                    Box::new(BarProgress::new(ProgressDrawTarget::stderr()))
                } else {
                    Box::new(NoProgress)
                };
            dash::run(&settings, &options, &env, log, progress.as_mut()).map(|_| ())
        },
    );
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(outcome.stdout.as_bytes());
    let _ = stdout.flush();
    ExitCode::from(outcome.status)
}
