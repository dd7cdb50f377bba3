//! Shared helpers of the mdrm-dwm integration tests: a sandbox (credentials, registry, HOME)
//! and test clips made with ffmpeg.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) const SITE_KEY: &str = "integration-test-site-key";

/// A temporary folder with credentials and a registry, running the real binary.
pub(crate) struct Sandbox {
    pub(crate) dir: tempfile::TempDir,
}

impl Sandbox {
    pub(crate) fn new() -> Self {
        let s = Sandbox {
            dir: mdrm_testkit::temp_dir(),
        };
        s.write_credentials("credentials", SITE_KEY);
        s
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn write_credentials(&self, name: &str, site_key: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(
            &p,
            format!("site_id=TEST\nsite_key={site_key}\naccess_key=dGVzdA==\n"),
        )
        .unwrap();
        p
    }

    /// Runs `mdrm-dwm --credentials <sandbox>/credentials --registry <sandbox>/registry.json ARGS`.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.run_with("credentials", args)
    }

    pub(crate) fn run_with(&self, creds: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_mdrm-dwm"))
            .arg("--credentials")
            .arg(self.path(creds))
            .arg("--registry")
            .arg(self.path("registry.json"))
            .args(args)
            .current_dir(self.dir.path())
            .env("HOME", self.dir.path())
            .env_remove("MDRM_DWM_REGISTRY")
            .output()
            .expect("run mdrm-dwm")
    }

    pub(crate) fn write_job(&self, name: &str, json: serde_json::Value) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
        p
    }
}

/// The DWM code printed on stderr (`error <code>: ...`), and the exit status it maps to.
pub(crate) fn code_of(out: &Output) -> u16 {
    let err = String::from_utf8_lossy(&out.stderr);
    let code = err
        .lines()
        .rev()
        .find_map(|l| {
            let i = l.find("error ")?;
            let rest = &l[i + 6..];
            rest.split(':').next()?.trim().parse::<u16>().ok()
        })
        .unwrap_or(0);
    let status = out.status.code().expect("exit status");
    assert_eq!(
        status,
        i32::from(u8::try_from(code).unwrap_or(255)),
        "exit status {status} does not match code {code}: {err}"
    );
    code
}

/// Parses stdout as JSON.
pub(crate) fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Runs ffmpeg with `args` (panics on failure).
pub(crate) fn ffmpeg(args: &[&str]) {
    let ff = mdrm_testkit::ffmpeg().expect("ffmpeg");
    let out = Command::new(ff)
        .args(["-nostdin", "-hide_banner", "-v", "error", "-y"])
        .args(args)
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A natural-looking clip with a sine audio track: 0 and 2 two fractal zooms with grain, 1 a
/// blurred Game of Life (large flat areas).
pub(crate) fn natural_clip(
    path: &Path,
    seconds: u32,
    w: u32,
    h: u32,
    variant: u32,
    codec: &[&str],
) {
    let src = match variant % 3 {
        0 => format!(
            "mandelbrot=s={w}x{h}:r=25:maxiter=120:start_scale=2.5:end_scale=0.4,noise=alls=4:allf=t"
        ),
        2 => format!(
            "mandelbrot=s={w}x{h}:r=25:maxiter=200:start_x=-0.743643887037151:start_y=0.13182590420533:start_scale=0.05:end_scale=0.004,hue=h=40,noise=alls=5:allf=t"
        ),
        _ => format!(
            "life=s={}x{}:seed=1:mold=25:ratio=0.08:life_color=#d8c8a0:death_color=#202830:rate=25,scale={w}x{h}:flags=bicubic,gblur=sigma=2,noise=alls=4:allf=t",
            w / 4,
            h / 4
        ),
    };
    let secs = seconds.to_string();
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        &src,
        "-f",
        "lavfi",
        "-i",
        "sine=f=440:r=48000",
        "-t",
        &secs,
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-pix_fmt",
        "yuv420p",
    ];
    args.extend_from_slice(codec);
    args.extend_from_slice(&["-c:a", "aac", "-b:a", "64k"]);
    let p = path.to_str().unwrap();
    args.push(p);
    ffmpeg(&args);
}

/// A small test-pattern clip (fast to make) in the given codec.
pub(crate) fn pattern_clip(path: &Path, seconds: u32, size: &str, codec: &[&str]) {
    let src = format!("testsrc2=s={size}:r=25");
    let secs = seconds.to_string();
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        &src,
        "-f",
        "lavfi",
        "-i",
        "sine=f=220:r=48000",
        "-t",
        &secs,
        "-map",
        "0:v",
        "-map",
        "1:a",
    ];
    args.extend_from_slice(codec);
    args.push(path.to_str().unwrap());
    ffmpeg(&args);
}

/// Packet timestamps of a stream (`v:0`, `a:0`), sorted.
pub(crate) fn packet_times(path: &Path, stream: &str) -> Vec<String> {
    let probe = mdrm_testkit::ffprobe().expect("ffprobe");
    let out = Command::new(probe)
        .args([
            "-v",
            "error",
            "-select_streams",
            stream,
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .unwrap();
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect();
    let num = |t: &String| {
        t.trim_end_matches(',')
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("{}: packet time {t:?}", path.display()))
    };
    v.sort_by(|a, b| num(a).total_cmp(&num(b)));
    v
}

/// ffprobe's codec name of the first video stream.
pub(crate) fn video_codec(path: &Path) -> String {
    let probe = mdrm_testkit::ffprobe().expect("ffprobe");
    let out = Command::new(probe)
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,pix_fmt",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// True when ffmpeg is available (else the test prints SKIPPED, or fails under
/// MDRM_REQUIRE_TOOLS=1).
pub(crate) fn have_ffmpeg() -> bool {
    mdrm_testkit::ffmpeg().is_some() && mdrm_testkit::ffprobe().is_some()
}
