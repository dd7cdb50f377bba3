//! The HTTP side of kms-client against real loopback sockets: CPIX client retries, JSON error
//! answers, unreachable servers, and the CID callback. The "servers" here are minimal
//! HTTP/1.1 responders scripted per test (mdrm-server's own tests cover the real service).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keys::TrackType;
use kms_client::cpix::{KeySecret, parse, write};
use kms_client::{
    AccessKey, ContentId, CpixClient, Error, HttpOptions, KeyRequest, KeySource, SiteId,
    resolve_content_id,
};

/// One request as the responder saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    target: String,
    body: String,
}

type Handler = dyn Fn(usize, &Seen) -> (u16, &'static str, String) + Send + Sync;

/// Serves `handler(request number, request)` on a free loopback port, one connection per
/// request (`Connection: close`).
fn serve(handler: Box<Handler>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { continue };
            let req = read_request(&stream);
            log.lock().unwrap().push(req.clone());
            let (status, ctype, body) = handler(n, &req);
            let mut s = stream;
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, seen)
}

fn read_request(stream: &TcpStream) -> Seen {
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        if h == "\r\n" || h.is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).unwrap();
    Seen {
        method,
        target,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn quick() -> HttpOptions {
    HttpOptions {
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(5),
        attempts: 3,
        backoff: Duration::from_millis(20),
        ..HttpOptions::default()
    }
}

fn client(url: &str) -> CpixClient {
    CpixClient::new(
        url,
        SiteId::parse("s", "DEMO").unwrap(),
        AccessKey::parse("a", "TheAccessKey").unwrap(),
        quick(),
    )
    .unwrap()
}

/// Answers a CPIX request the way a key server would: keys filled in, KIDs kept.
fn answer_keeping_kids(body: &str) -> String {
    let mut doc = parse(body).unwrap();
    for (i, k) in doc.content_keys.iter_mut().enumerate() {
        k.secret = KeySecret::Plain(keys::ContentKey::new([i as u8 + 1; 16]));
    }
    write(&doc)
}

#[test]
fn retries_5xx_then_succeeds_and_sends_the_token_in_the_path() {
    let (url, seen) = serve(Box::new(|n, req| {
        if n < 2 {
            (503, "text/plain", "busy".into())
        } else {
            (200, "application/xml", answer_keeping_kids(&req.body))
        }
    }));
    let mut req = KeyRequest::single(None, ContentId::parse("c", "movie-9").unwrap());
    req.multi_key = true;
    req.track_types = vec![TrackType::Audio, TrackType::Hd];
    let set = client(&url).fetch(&req).unwrap();
    assert_eq!(
        set.for_track(TrackType::Audio).unwrap().key.secret_bytes(),
        &[1; 16]
    );
    assert_eq!(
        set.for_track(TrackType::Hd).unwrap().key.secret_bytes(),
        &[2; 16]
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "two 503s retried");
    assert_eq!(seen[0].method, "POST");
    let token = seen[0]
        .target
        .strip_prefix("/v2/cpix/pallycon/getKey/")
        .expect("default path");
    let (site, key) = kms_client::enc_token::decode(token).unwrap();
    assert_eq!(site.as_str(), "DEMO");
    assert_eq!(key.expose_secret(), "TheAccessKey");
    let sent = parse(&seen[0].body).unwrap();
    assert_eq!(sent.content_id.as_deref(), Some("movie-9"));
    assert_eq!(sent.version.as_deref(), Some("2.3"));
    assert!(seen[0].body.contains(r#"intendedTrackType="AUDIO""#));
}

#[test]
fn a_console_token_is_sent_verbatim() {
    let (url, seen) = serve(Box::new(|_, req| {
        (200, "application/xml", answer_keeping_kids(&req.body))
    }));
    let c = CpixClient::with_token(
        &format!("{url}/v1/cpix/pallycon/getKey/"),
        None,
        kms_client::KmsToken::parse("t", "Q29uc29sZVRva2Vu").unwrap(),
        quick(),
    )
    .unwrap();
    c.fetch(&KeyRequest::single(
        None,
        ContentId::parse("c", "m").unwrap(),
    ))
    .unwrap();
    assert_eq!(
        seen.lock().unwrap()[0].target,
        "/v1/cpix/pallycon/getKey/Q29uc29sZVRva2Vu"
    );
    assert!(!format!("{c:?}").contains("Q29uc29sZVRva2Vu"));
}

#[test]
fn persistent_5xx_is_2002_after_the_attempts() {
    let (url, seen) = serve(Box::new(|_, _| {
        (
            500,
            "application/json",
            r#"{"error_code":"E500","error_message":"db down"}"#.into(),
        )
    }));
    let e = client(&url)
        .fetch(&KeyRequest::single(
            None,
            ContentId::parse("c", "m").unwrap(),
        ))
        .unwrap_err();
    match e {
        Error::ServerAnswer {
            status,
            code,
            message,
        } => {
            assert_eq!(status, 500);
            assert_eq!(code.as_deref(), Some("E500"));
            assert_eq!(message, "db down");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[test]
fn json_with_status_200_is_an_error_and_4xx_is_not_retried() {
    let (url, seen) = serve(Box::new(|n, _| match n {
        0 => (
            200,
            "application/json",
            r#"{"errorCode":"1001","errorMessage":"invalid token"}"#.into(),
        ),
        _ => (
            403,
            "text/html",
            "<html><body>Forbidden\n by proxy</body></html>".into(),
        ),
    }));
    let c = client(&url);
    let req = KeyRequest::single(None, ContentId::parse("c", "m").unwrap());
    match c.fetch(&req).unwrap_err() {
        Error::ServerAnswer {
            status: 200,
            code,
            message,
        } => {
            assert_eq!(code.as_deref(), Some("1001"));
            assert_eq!(message, "invalid token");
        }
        other => panic!("{other:?}"),
    }
    match c.fetch(&req).unwrap_err() {
        Error::ServerAnswer {
            status: 403,
            code: None,
            message,
        } => {
            assert!(message.contains("Forbidden by proxy"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn answers_without_usable_keys_are_2004_and_2005() {
    let (url, _) = serve(Box::new(|n, req| match n {
        // The request echoed back: no key values.
        0 => (200, "application/xml", req.body.clone()),
        // Not CPIX at all.
        _ => (200, "application/xml", "<html/>".into()),
    }));
    let c = client(&url);
    let req = KeyRequest::single(None, ContentId::parse("c", "m").unwrap());
    assert!(matches!(c.fetch(&req), Err(Error::NoKey { .. })));
    assert!(matches!(c.fetch(&req), Err(Error::MalformedCpix { .. })));
}

#[test]
fn closed_port_is_2001_after_retries() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = client(&format!("http://127.0.0.1:{port}/"))
        .fetch(&KeyRequest::single(
            None,
            ContentId::parse("c", "m").unwrap(),
        ))
        .unwrap_err();
    assert!(matches!(e, Error::Connection { .. }), "{e:?}");
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
}

#[test]
fn cid_callback_text_json_errors() {
    let (url, seen) = serve(Box::new(|n, _| match n {
        0 => (200, "text/plain", "cid-from-text\n".into()),
        1 => (200, "application/json", r#"{"cid":"cid from json"}"#.into()),
        2 => (
            404,
            "application/json",
            r#"{"message":"unknown file"}"#.into(),
        ),
        _ => (200, "text/plain", "line one\nline two".into()),
    }));
    let cb = format!("{url}/cid?token=SecretInQuery");
    let name = "Mein Film (2024) ü.mp4";
    let a = resolve_content_id(None, Some(&cb), name, &quick()).unwrap();
    assert_eq!(a.as_str(), "cid-from-text");
    let b = resolve_content_id(None, Some(&cb), name, &quick()).unwrap();
    assert_eq!(b.as_str(), "cid from json");
    let e = resolve_content_id(None, Some(&cb), name, &quick()).unwrap_err();
    assert!(
        matches!(e, Error::ServerAnswer { status: 404, .. }),
        "{e:?}"
    );
    let e = resolve_content_id(None, Some(&cb), name, &quick()).unwrap_err();
    assert!(
        matches!(e, Error::ServerAnswer { status: 200, .. }),
        "{e:?}"
    );
    assert!(!e.to_string().contains("SecretInQuery"), "{e}");
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].method, "GET");
    // The file name arrives percent-encoded as the `filename` parameter, the URL's own query kept.
    let target = &seen[0].target;
    assert!(
        target.starts_with("/cid?token=SecretInQuery&filename="),
        "{target}"
    );
    let encoded = target.split("filename=").nth(1).unwrap();
    assert!(!encoded.contains(' '), "{target}");
    assert!(
        encoded.contains("%C3%BC") || encoded.contains("%c3%bc"),
        "{target}"
    );

    // Unreachable callback: 2001.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = resolve_content_id(
        None,
        Some(&format!("http://127.0.0.1:{port}/cid")),
        name,
        &quick(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Connection { .. }), "{e:?}");
}
