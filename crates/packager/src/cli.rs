//! Command-line parsing shared by the packaging CLIs: clap never prints or exits; its errors
//! become result codes (1101 no arguments, 1102 invalid value, 1103 missing value / wrong
//! number of values); `--help` and `--version` are handed back as text to print; a config
//! file's settings are injected before the user's arguments for flags the user did not give.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command, CommandFactory, FromArgMatches};

use crate::config::{self, ConfigValue, Setting};
use crate::error::Error;

const AT: &str = "packager::cli::parse";

/// What the command line asks for.
#[derive(Debug)]
pub enum Parsed<T> {
    /// Run the job with these arguments.
    Run(T),
    /// Print this help text on stdout and exit 0.
    Help(String),
    /// Print this version text on stdout and exit 0.
    Version(String),
}

/// Parses `argv` (program name first) into the CLI's parser type `T`.
///
/// `T` must flatten [`crate::CommonArgs`] (for `--config-file`). Flags may repeat; the last
/// one wins (`args_override_self`).
pub fn parse<T: CommandFactory + FromArgMatches>(argv: Vec<OsString>) -> Result<Parsed<T>, Error> {
    if argv.len() <= 1 {
        return Err(Error::NoArguments);
    }
    let mut cmd = T::command().args_override_self(true);
    // First pass: the user's arguments alone, to learn which flags they gave.
    let user = match cmd.try_get_matches_from_mut(argv.iter()) {
        Ok(m) => m,
        Err(e) => return help_or_error(e),
    };
    let mut full = argv.clone();
    if let Some(path) = user.get_one::<PathBuf>("config_file") {
        let settings = config::load(path)?;
        let injected = settings_to_args(&cmd, &user, &settings, path)?;
        full = std::iter::once(argv[0].clone())
            .chain(injected)
            .chain(argv[1..].iter().cloned())
            .collect();
    }
    let mut matches = match cmd.try_get_matches_from_mut(full) {
        Ok(m) => m,
        Err(e) => return help_or_error(e),
    };
    T::from_arg_matches_mut(&mut matches)
        .map(Parsed::Run)
        .map_err(map_clap_error)
}

/// Help and version requests come back as texts to print; everything else is an error.
fn help_or_error<T>(e: clap::Error) -> Result<Parsed<T>, Error> {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            Ok(Parsed::Help(e.render().to_string()))
        }
        ErrorKind::DisplayVersion => Ok(Parsed::Version(e.render().to_string())),
        _ => Err(map_clap_error(e)),
    }
}

/// Converts config settings into `--name=value` arguments, skipping flags the user gave.
fn settings_to_args(
    cmd: &Command,
    user: &ArgMatches,
    settings: &[Setting],
    path: &std::path::Path,
) -> Result<Vec<OsString>, Error> {
    let bad = |reason: String| Error::Config {
        path: path.to_path_buf(),
        reason,
        at: AT,
    };
    let mut out = Vec::new();
    for (name, value) in settings {
        let arg = cmd
            .get_arguments()
            .find(|a| {
                a.get_long() == Some(name.as_str())
                    || (name.chars().count() == 1
                        && a.get_short().map(String::from).as_deref() == Some(name))
                    || a.get_all_aliases()
                        .into_iter()
                        .flatten()
                        .any(|al| al == name)
            })
            .filter(|a| !matches!(a.get_action(), ArgAction::Help | ArgAction::Version))
            .ok_or_else(|| bad(format!("unknown setting {name:?} (use a long flag name)")))?;
        let id = arg.get_id().as_str();
        if id == "config_file" {
            return Err(bad("a config file cannot name another config file".into()));
        }
        if user.value_source(id) == Some(ValueSource::CommandLine) {
            continue;
        }
        let long = arg
            .get_long()
            .ok_or_else(|| bad(format!("setting {name:?} has no long flag")))?;
        let takes_value = matches!(arg.get_action(), ArgAction::Set | ArgAction::Append);
        match (takes_value, value) {
            (false, ConfigValue::Flag(true)) => out.push(OsString::from(format!("--{long}"))),
            (false, ConfigValue::Flag(false)) => {}
            (false, ConfigValue::Text(t)) => match t.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => out.push(OsString::from(format!("--{long}"))),
                "false" | "no" | "0" => {}
                _ => return Err(bad(format!("setting {name:?}: expected true or false"))),
            },
            (false, ConfigValue::List(_)) => {
                return Err(bad(format!("setting {name:?}: expected true or false")));
            }
            (true, ConfigValue::Text(t)) => out.push(OsString::from(format!("--{long}={t}"))),
            (true, ConfigValue::List(items)) => {
                if !matches!(arg.get_action(), ArgAction::Append) && items.len() != 1 {
                    return Err(Error::WrongValueCount {
                        arg: format!("--{long}"),
                        reason: format!(
                            "config file {} gives {} values, expected one",
                            path.display(),
                            items.len()
                        ),
                        at: AT,
                    });
                }
                for t in items {
                    out.push(OsString::from(format!("--{long}={t}")));
                }
            }
            (true, ConfigValue::Flag(_)) => {
                return Err(bad(format!("setting {name:?} needs a value")));
            }
        }
    }
    Ok(out)
}

/// Maps a clap error to our codes; help and version become [`Parsed`] texts via the caller.
fn map_clap_error(e: clap::Error) -> Error {
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        _ => String::new(),
    };
    let arg = flag_name(&arg);
    let invalid_value = match e.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let reason = first_line(&e);
    match e.kind() {
        ErrorKind::InvalidValue if invalid_value.as_deref() == Some("") => Error::WrongValueCount {
            arg,
            reason: "a value is required but none was given".into(),
            at: AT,
        },
        ErrorKind::WrongNumberOfValues
        | ErrorKind::TooManyValues
        | ErrorKind::TooFewValues
        | ErrorKind::NoEquals => Error::WrongValueCount {
            arg,
            reason,
            at: AT,
        },
        ErrorKind::UnknownArgument => {
            let found = match e.get(ContextKind::InvalidArg) {
                Some(ContextValue::String(s)) => s.clone(),
                _ => String::new(),
            };
            Error::invalid(found, "unknown argument (see --help)", AT)
        }
        _ => Error::invalid(
            if arg.is_empty() {
                "arguments".into()
            } else {
                arg
            },
            reason,
            AT,
        ),
    }
}

/// `--site-id <ID>` -> `--site-id`.
fn flag_name(usage: &str) -> String {
    usage
        .split([' ', '<', '='])
        .next()
        .unwrap_or("")
        .trim_end_matches("...")
        .to_owned()
}

/// clap's message without the `error: ` prefix, usage and tips.
fn first_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    text.lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ")
        .to_owned()
}

/// True when `argv` contains `--json` (to pick the result format when parsing itself failed).
pub fn wants_json(argv: &[OsString]) -> bool {
    argv.iter().skip(1).any(|a| a == OsStr::new("--json"))
}

/// The first `-i`/`--input` value in `argv`, for the log's `Failed file :` line when parsing
/// failed.
pub fn first_input(argv: &[OsString]) -> Option<PathBuf> {
    let mut it = argv.iter().skip(1);
    while let Some(a) = it.next() {
        let s = a.to_string_lossy();
        if s == "-i" || s == "--input" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = s.strip_prefix("--input=") {
            return Some(PathBuf::from(v));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::CommonArgs;
    use crate::error_code::ErrorCode;
    use clap::{Args, Parser};

    #[derive(Parser, Debug)]
    #[command(name = "mdrm-test", version = "1.2.3", about = "test CLI")]
    struct TestCli {
        #[command(flatten)]
        common: CommonArgs,
        /// A CLI-specific flag.
        #[arg(long = "decrypt")]
        decrypt: bool,
        #[command(flatten)]
        extra: Extra,
    }

    #[derive(Args, Debug)]
    struct Extra {
        /// A CLI-specific value.
        #[arg(long = "block-size")]
        block_size: Option<u64>,
    }

    fn argv(args: &[&str]) -> Vec<OsString> {
        std::iter::once("mdrm-test")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect()
    }

    fn run(args: &[&str]) -> Result<TestCli, Error> {
        match parse::<TestCli>(argv(args))? {
            Parsed::Run(c) => Ok(c),
            other => panic!("{other:?}"),
        }
    }

    fn code(args: &[&str]) -> i32 {
        run(args).unwrap_err().code().value()
    }

    #[test]
    fn no_arguments_is_1101() {
        assert_eq!(
            parse::<TestCli>(argv(&[])).unwrap_err().code(),
            ErrorCode::NoArguments
        );
    }

    #[test]
    fn help_and_version_are_texts() {
        match parse::<TestCli>(argv(&["--help"])).unwrap() {
            Parsed::Help(t) => assert!(t.contains("--site-id") && t.contains("--decrypt"), "{t}"),
            other => panic!("{other:?}"),
        }
        match parse::<TestCli>(argv(&["--version"])).unwrap() {
            Parsed::Version(t) => assert!(t.contains("1.2.3")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn clap_errors_map_to_codes_naming_the_flag() {
        let e = run(&["-i", "a", "--site-id"]).unwrap_err();
        assert_eq!(e.code().value(), 1103, "{e}");
        assert!(e.info().starts_with("--site-id"), "{}", e.info());
        let e = run(&["--site-id", "--contents-id", "x"]).unwrap_err();
        assert_eq!(e.code().value(), 1103, "{e}");
        assert!(e.info().starts_with("--site-id"), "{}", e.info());
        assert_eq!(code(&["-i"]), 1103);
        let e = run(&["--bogus"]).unwrap_err();
        assert_eq!(e.code().value(), 1102);
        assert!(e.info().starts_with("--bogus"), "{}", e.info());
        let e = run(&["--block-size", "abc"]).unwrap_err();
        assert_eq!(e.code().value(), 1102);
        assert!(e.info().starts_with("--block-size"), "{}", e.info());
        assert_eq!(code(&["-q", "-v", "-i", "x"]), 1102);
        // A value given to a flag that takes none: wrong number of values.
        assert_eq!(code(&["--decrypt=yes"]), 1103);
    }

    #[test]
    fn repeated_flags_last_wins_but_inputs_accumulate() {
        let c = run(&[
            "--site-id",
            "AAAA",
            "--site-id",
            "BBBB",
            "-i",
            "a",
            "b",
            "-i",
            "c",
        ])
        .unwrap();
        assert_eq!(c.common.site_id.as_deref(), Some("BBBB"));
        let inputs: Vec<_> = c
            .common
            .inputs
            .iter()
            .map(|p| p.to_str().unwrap())
            .collect();
        assert_eq!(inputs, ["a", "b", "c"]);
    }

    fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    }

    #[test]
    fn json_xml_and_flags_give_the_same_result() {
        let dir = mdrm_testkit::temp_dir();
        let key = keys::to_base64(&[5u8; 32]);
        let json = write(
            dir.path(),
            "c.json",
            &format!(
                r#"{{"site_id":"DEMO","contents-id":"cid-9","encryption_key":"{key}","no-verify":true,"input":["m.mp4"],"block-size":8192}}"#
            ),
        );
        let xml = write(
            dir.path(),
            "c.xml",
            &format!(
                "<config><site-id>DEMO</site-id><contents_id>cid-9</contents_id><encryption-key>{key}</encryption-key><no-verify/><i>m.mp4</i><block-size>8192</block-size></config>"
            ),
        );
        let from_json = run(&["--config-file", &json]).unwrap();
        let from_xml = run(&["--config-file", &xml]).unwrap();
        let from_flags = run(&[
            "--site-id",
            "DEMO",
            "--contents-id",
            "cid-9",
            "--encryption-key",
            &key,
            "--no-verify",
            "-i",
            "m.mp4",
            "--block-size",
            "8192",
        ])
        .unwrap();
        let settings = |c: &TestCli| {
            let mut s = c.common.validate(crate::CliProfile::NCG).unwrap();
            s.log_file = None;
            (s, c.extra.block_size)
        };
        let mut a = settings(&from_json);
        let mut b = settings(&from_xml);
        let c = settings(&from_flags);
        assert_eq!(a.1, Some(8192));
        a.0.inputs.clone_from(&c.0.inputs);
        b.0.inputs.clone_from(&c.0.inputs);
        assert_eq!(from_json.common.inputs, from_flags.common.inputs);
        assert_eq!(from_xml.common.inputs, from_flags.common.inputs);
        assert_eq!(a, c);
        assert_eq!(b, c);
    }

    #[test]
    fn command_line_overrides_the_config_file() {
        let dir = mdrm_testkit::temp_dir();
        let json = write(
            dir.path(),
            "c.json",
            r#"{"site-id":"FILE","contents-id":"from-file","i":["file.mp4"],"overwrite":true}"#,
        );
        let c = run(&["--config-file", &json, "--site-id", "CMDL", "-i", "cmd.mp4"]).unwrap();
        assert_eq!(c.common.site_id.as_deref(), Some("CMDL"));
        assert_eq!(c.common.contents_id.as_deref(), Some("from-file"));
        assert_eq!(c.common.inputs, [PathBuf::from("cmd.mp4")]);
        assert!(c.common.overwrite);
        // Also when the flag comes before --config-file.
        let c = run(&["--site-id", "CMDL", "--config-file", &json]).unwrap();
        assert_eq!(c.common.site_id.as_deref(), Some("CMDL"));
    }

    #[test]
    fn bad_config_files_are_1102_or_1103() {
        let dir = mdrm_testkit::temp_dir();
        let unknown = write(dir.path(), "u.json", r#"{"colour":"red"}"#);
        let e = run(&["--config-file", &unknown]).unwrap_err();
        assert_eq!(e.code().value(), 1102);
        assert!(e.info().contains("colour"), "{}", e.info());
        let nested = write(dir.path(), "n.json", r#"{"config-file":"x.json"}"#);
        assert_eq!(code(&["--config-file", &nested]), 1102);
        let two = write(dir.path(), "t.json", r#"{"site-id":["A","B"]}"#);
        assert_eq!(code(&["--config-file", &two]), 1103);
        let flag_value = write(dir.path(), "f.json", r#"{"site-id":true}"#);
        assert_eq!(code(&["--config-file", &flag_value]), 1102);
        let bad_bool = write(dir.path(), "b.json", r#"{"overwrite":"maybe"}"#);
        assert_eq!(code(&["--config-file", &bad_bool]), 1102);
        let broken = write(dir.path(), "x.xml", "<config><site-id>");
        assert_eq!(code(&["--config-file", &broken]), 1102);
        assert_eq!(code(&["--config-file", "/nonexistent/c.json"]), 1102);
        // A value starting with '-' from a file is a value, not a flag.
        let dash = write(dir.path(), "d.json", r#"{"contents-id":"-cid"}"#);
        assert_eq!(
            run(&["--config-file", &dash])
                .unwrap()
                .common
                .contents_id
                .as_deref(),
            Some("-cid")
        );
    }

    #[test]
    fn helpers_scan_raw_arguments() {
        assert!(wants_json(&argv(&["-i", "x", "--json"])));
        assert!(!wants_json(&argv(&["--jsonx"])));
        assert_eq!(
            first_input(&argv(&["--site-id", "A", "-i", "m.mp4"])),
            Some("m.mp4".into())
        );
        assert_eq!(first_input(&argv(&["--input=n.mp4"])), Some("n.mp4".into()));
        assert_eq!(first_input(&argv(&["-q"])), None);
    }
}
