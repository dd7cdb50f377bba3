//! `mdrm-hls`: package MP4 inputs (and side-loaded WebVTT) into an encrypted HLS package:
//! SAMPLE-AES MPEG-TS for FairPlay (default), HLS-NCG AES-128, or AES-128 with a key URI of
//! the user's; media playlists per rendition and a master playlist. Thin wiring of
//! `packager::hls` (the job) and `packager::runner`.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use indicatif::ProgressDrawTarget;
use packager::hls::{self, HlsFormat, HlsJobOptions, HlsMode};
use packager::progress::{BarProgress, NoProgress, Progress};
use packager::runner::{self, PackagerCli};
use packager::{CliProfile, CommonArgs, JobKind, Verbosity};

/// The segment format.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    /// MPEG-2 transport stream segments.
    Ts,
    /// Fragmented MP4 segments with cbcs and #EXT-X-MAP.
    Fmp4,
}

/// Package MP4 files into an encrypted HLS package (master.m3u8 + one folder per rendition).
///
/// Default: HLS-AES for FairPlay (SAMPLE-AES, key URI skd://CID, CID = the content id). --use-ncg-drm: HLS-NCG
/// (AES-128, key from the NCG license service, needs --site-id). --hls-key-uri URI: AES-128
/// with that key URI (ClearKey-style players such as hls.js); --write-key-file also writes
/// the 16-byte key where a relative URI resolves. Several -i inputs form one ladder; WebVTT
/// subtitles: -i "[+format=webvtt,+language=de]subs_de.vtt". Keys: --encryption-key (32
/// bytes, key + IV, base64), else the embedded keystore (default) or a key server
/// (--kms-url). The result document goes to stdout; the packaging log to stderr.
#[derive(Parser, Debug)]
#[command(name = "mdrm-hls", version)]
struct HlsCli {
    #[command(flatten)]
    common: CommonArgs,
    /// HLS-NCG: AES-128 MPEG-TS whose key the NCG license service delivers.
    #[arg(long = "use-ncg-drm")]
    use_ncg_drm: bool,
    /// Segment format.
    #[arg(long = "hls-format", value_enum, default_value = "ts")]
    hls_format: FormatArg,
    /// AES-128 with this key URI in #EXT-X-KEY (players fetch the 16-byte key from it).
    #[arg(
        long = "hls-key-uri",
        value_name = "URI",
        conflicts_with = "use_ncg_drm"
    )]
    hls_key_uri: Option<String>,
    /// With --hls-key-uri: write the 16-byte key file where the relative URI resolves.
    #[arg(long = "write-key-file", requires = "hls_key_uri")]
    write_key_file: bool,
}

impl PackagerCli for HlsCli {
    fn common(&self) -> &CommonArgs {
        &self.common
    }
}

fn main() -> ExitCode {
    let started = runner::local_time();
    let env =
        runner::key_environment(directories::BaseDirs::new().map(|d| d.data_dir().to_path_buf()));
    let outcome = runner::run_cli::<HlsCli, _, _>(
        JobKind::Hls,
        std::env::args_os().collect(),
        &started,
        io::stderr,
        |args, log| {
            let settings = args.common.validate(CliProfile::HLS)?;
            let mode = match (args.use_ncg_drm, args.hls_key_uri) {
                (true, _) => HlsMode::Ncg,
                (false, Some(uri)) => HlsMode::KeyUri {
                    uri,
                    write_key_file: args.write_key_file,
                },
                (false, None) => HlsMode::FairPlay,
            };
            let options = HlsJobOptions {
                mode,
                format: match args.hls_format {
                    FormatArg::Ts => HlsFormat::Ts,
                    FormatArg::Fmp4 => HlsFormat::Fmp4,
                },
            };
            let mut progress: Box<dyn Progress> =
                if settings.verbosity != Verbosity::Quiet && io::stderr().is_terminal() {
                    Box::new(BarProgress::new(ProgressDrawTarget::stderr()))
                } else {
                    Box::new(NoProgress)
                };
            hls::run(&settings, &options, &env, log, progress.as_mut()).map(|_| ())
        },
    );
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(outcome.stdout.as_bytes());
    let _ = stdout.flush();
    ExitCode::from(outcome.status)
}
