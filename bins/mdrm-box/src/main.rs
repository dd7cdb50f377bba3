//! `mdrm-box`: inspect, rewrite and fragment MP4 files.

fn main() {
    eprintln!("mdrm-box: under construction");
    std::process::exit(2);
}
