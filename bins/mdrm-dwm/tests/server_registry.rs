//! The recipient registry of a real `mdrm-server` (credentials with `server=`): two machines
//! (two sandboxes, each with its own local registry file) draw serial IDs from one sequence,
//! the server's errors map to the documented codes, and an embedding job recorded through the
//! server names the recipient when the leak is detected on the other machine.

mod common;

use common::{Sandbox, code_of, have_ffmpeg, json_of, natural_clip};
use mdrm_testkit::servers::KeyServer;
use serde_json::json;

const SITE: &str = "SRVR";
const ACCESS_KEY: &str = "c2VydmVyLXJlZ2lzdHJ5LWFjY2Vzcy1rZXk";

/// The real server, or `None` (a skip; a failure under MDRM_REQUIRE_TOOLS=1).
fn server() -> Option<KeyServer> {
    let s = KeyServer::start(SITE, ACCESS_KEY);
    if s.is_none() {
        assert!(
            !mdrm_testkit::tools_required(),
            "mdrm-server could not be built"
        );
        eprintln!("SKIPPED: the mdrm-server binary could not be built");
    }
    s
}

fn machine(server: &KeyServer, access_key: &str) -> Sandbox {
    let s = Sandbox::new();
    std::fs::write(
        s.path("credentials"),
        format!(
            "site_id={SITE}\nsite_key=integration-test-site-key\naccess_key={access_key}\nserver={}\n",
            server.url()
        ),
    )
    .unwrap();
    s
}

#[test]
fn two_machines_share_the_servers_id_sequence() {
    let Some(server) = server() else { return };
    let a = machine(&server, ACCESS_KEY);
    let b = machine(&server, ACCESS_KEY);
    let out = a.run(&["--json", "recipients", "add", "studio-a", "studio-b"]);
    assert_eq!(code_of(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let out = b.run(&["--json", "recipients", "add", "studio-c"]);
    assert_eq!(code_of(&out), 0);
    assert_eq!(json_of(&out)["recipients"][0]["dwm_id"], 3);
    // The local registry files were not used.
    assert!(!a.path("registry.json").exists() && !b.path("registry.json").exists());
    let list = json_of(&a.run(&["--json", "recipients", "list"]));
    let ids: Vec<_> = list["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["dwm_id"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("studio-a".into(), 1),
            ("studio-b".into(), 2),
            ("studio-c".into(), 3)
        ]
    );
    // The lookups `mdrm-dwm` makes: one recipient by name or by ID, a malformed ID refused.
    let lookup = |query: &str| {
        use base64::Engine;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{SITE}:{ACCESS_KEY}"));
        let mut resp = ureq::get(format!("{}/dwm/recipients?{query}", server.url()))
            .header("Authorization", format!("Basic {auth}"))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap();
        let status = resp.status().as_u16();
        let body: serde_json::Value =
            serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
        (status, body)
    };
    let (status, one) = lookup("name=studio-b");
    assert_eq!((status, one.as_array().map(Vec::len)), (200, Some(1)));
    assert_eq!(one[0]["dwm_id"], 2);
    assert_eq!(lookup("dwm_id=3").1[0]["name"], "studio-c");
    assert_eq!(lookup("name=nobody").1, json!([]));
    let (status, err) = lookup("dwm_id=three");
    assert_eq!(
        (status, err["error_code"].as_str()),
        (400, Some("BAD_REQUEST"))
    );
    // A name taken on the other machine: 314, as with the local registry.
    assert_eq!(code_of(&b.run(&["recipients", "add", "studio-a"])), 314);
    // A wrong access key: 324, and nothing about the key in the message.
    let wrong = machine(&server, "d3Jvbmcta2V5");
    let out = wrong.run(&["recipients", "list"]);
    assert_eq!(code_of(&out), 324);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("d3Jvbmcta2V5"));
}

#[test]
fn a_job_recorded_on_one_machine_names_the_recipient_on_another() {
    if !have_ffmpeg() {
        return;
    }
    let Some(server) = server() else { return };
    let a = machine(&server, ACCESS_KEY);
    let b = machine(&server, ACCESS_KEY);
    assert_eq!(code_of(&a.run(&["recipients", "add", "alpha", "beta"])), 0);
    std::fs::create_dir(a.path("out")).unwrap();
    let x264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "16"];
    natural_clip(&a.path("film.mp4"), 12, 960, 540, 0, &x264);
    a.write_job(
        "job.json",
        json!({"account_id": "acc", "content_id": "film", "input": "film.mp4",
               "output": "out/film.mp4", "recipients": ["beta"]}),
    );
    let out = a.run(&["--json", "embed", "job.json", "--preset", "veryfast"]);
    assert_eq!(code_of(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let marked = json_of(&out)["recipients"][0]["output"]
        .as_str()
        .unwrap()
        .to_owned();
    // Machine B sees the job and names the recipient of the detected ID.
    let jobs = json_of(&b.run(&["--json", "jobs"]));
    assert_eq!(jobs["jobs"][0]["recipient"], "beta");
    assert_eq!(jobs["jobs"][0]["dwm_id"], 2);
    let out = b.run(&["--json", "-q", "detect", &marked]);
    assert_eq!(code_of(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    assert_eq!(v["dwm_id"], 2, "{v}");
    assert_eq!(v["recipient"], "beta", "{v}");
}
