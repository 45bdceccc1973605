//! `vigil pushgateway`'s HTTP surface beyond pushes: hostile input, the
//! body limit, the unchecked mode, API v1, the admin and lifecycle
//! endpoints, the status page, `Accept` negotiation and the route prefix.
//! Where Debian's pushgateway is installed, the endpoints' status codes are
//! compared with it too.

mod pushgateway_support;

use pushgateway_support::*;
use vigil_exposition::{ProtobufParser, collect};

#[test]
fn hostile_input_is_a_400_and_changes_nothing() {
    let gw = start_vigil(&["--push.max-body-bytes=1000"]);
    let ok = call(
        gw.port,
        "PUT",
        "/metrics/job/a",
        None,
        b"# TYPE g gauge\ng 1\n",
    );
    assert_eq!(ok.status, 200);
    let before = scrape(gw.port);
    let big = vec![b'#'; 5000];
    let cases: Vec<(&str, Option<&str>, Vec<u8>)> = vec![
        ("/metrics/job/a", None, big),
        ("/metrics/job/a", Some(PROTOBUF), b"\x05abc".to_vec()),
        (
            "/metrics/job/a",
            Some(PROTOBUF),
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01".to_vec(),
        ),
        ("/metrics/job/a", None, b"g{\xff=\"1\"} 1\n".to_vec()),
        ("/metrics/job/a", None, b"g 1\n\x00\x00".to_vec()),
        ("/metrics/job/%ff", None, b"g 1\n".to_vec()),
        ("/metrics/job/a/l@base64/_w==", None, b"g 1\n".to_vec()),
        ("/metrics/job/a/l@base64/A", None, b"g 1\n".to_vec()),
    ];
    for (path, ct, body) in cases {
        let r = call(gw.port, "PUT", path, ct, &body);
        assert_eq!(
            r.status,
            400,
            "{path} {:?}: {}",
            &body[..body.len().min(20)],
            r.text()
        );
        assert!(!r.text().is_empty(), "a message explains the 400");
    }
    let long = format!("/metrics/job/a{}", "/l/v".repeat(2000));
    assert_eq!(call(gw.port, "PUT", &long, None, b"").status, 200);
    assert_eq!(call(gw.port, "DELETE", &long, None, b"").status, 202);
    assert_eq!(
        call(gw.port, "PUT", "/metrics/job/a/../b", None, b"").status,
        301
    );
    assert_eq!(scrape(gw.port).len(), before.len());
    let same: Vec<_> = scrape(gw.port)
        .into_iter()
        .filter(|(k, _)| !k.contains("push_"))
        .collect();
    let was: Vec<_> = before
        .into_iter()
        .filter(|(k, _)| !k.contains("push_"))
        .collect();
    assert_eq!(same, was);
}

#[test]
fn gzip_bodies_are_decoded_within_the_limit() {
    use std::io::Write as _;
    let gw = start_vigil(&["--push.max-body-bytes=1000"]);
    let gz = |body: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(body).expect("gzip");
        e.finish().expect("gzip")
    };
    let ok = gz(b"# TYPE zipped gauge\nzipped 3\n");
    let r = request(
        gw.port,
        "PUT",
        "/metrics/job/z",
        &[("Content-Encoding", "gzip")],
        &ok,
    )
    .expect("push");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        scrape(gw.port).get("{__name__=\"zipped\", job=\"z\"}"),
        Some(&3.0)
    );
    // Scrapes are compressed for clients that accept gzip.
    let r = request(
        gw.port,
        "GET",
        "/metrics",
        &[("Accept-Encoding", "gzip")],
        b"",
    )
    .expect("scrape");
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&r.body[..]), &mut text)
        .expect("gunzip");
    assert!(text.contains("zipped{instance=\"\",job=\"z\"} 3"), "{text}");
    // Small on the wire, over the limit once decoded.
    let bomb = gz(&[b'#'; 100_000]);
    assert!(bomb.len() < 1000);
    let r = request(
        gw.port,
        "PUT",
        "/metrics/job/z",
        &[("Content-Encoding", "gzip")],
        &bomb,
    )
    .expect("push");
    assert_eq!(r.status, 400, "{}", r.text());
    let r = request(
        gw.port,
        "PUT",
        "/metrics/job/z",
        &[("Content-Encoding", "gzip")],
        b"xx",
    )
    .expect("push");
    assert_eq!(r.status, 400);
}

#[test]
fn unchecked_pushes_answer_202() {
    let gw = start_vigil(&["--push.disable-consistency-check"]);
    let a = call(
        gw.port,
        "PUT",
        "/metrics/job/a",
        None,
        b"# TYPE g gauge\ng 1\n",
    );
    let b = call(
        gw.port,
        "PUT",
        "/metrics/job/b",
        None,
        b"# TYPE g counter\ng 1\n",
    );
    let t = call(gw.port, "PUT", "/metrics/job/c", None, b"g 1 1000\n");
    assert_eq!((a.status, b.status, t.status), (202, 202, 202));
    assert_eq!(
        call(gw.port, "PUT", "/metrics/job/c", None, b"g{\n").status,
        400
    );
}

#[test]
fn api_admin_lifecycle_and_page() {
    let gw = start_vigil(&["--web.enable-admin-api"]);
    let body = b"# HELP s A summary.\n# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\n# TYPE g gauge\ng{v=\"<b>\"} 4\n";
    assert_eq!(
        call(gw.port, "PUT", "/metrics/job/j/instance/i", None, body).status,
        200
    );
    let r = call(gw.port, "GET", "/api/v1/metrics", None, b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(v["status"], "success");
    let g = &v["data"][0];
    assert_eq!(g["labels"]["job"], "j");
    assert_eq!(g["last_push_successful"], true);
    assert_eq!(g["s"]["type"], "SUMMARY");
    assert_eq!(g["s"]["help"], "A summary.");
    assert_eq!(g["s"]["metrics"][0]["count"], "3");
    assert_eq!(g["s"]["metrics"][0]["quantiles"]["0.5"], "1");
    assert_eq!(g["g"]["metrics"][0]["value"], "4");
    assert_eq!(g["push_time_seconds"]["type"], "GAUGE");
    assert!(
        g["s"]["time_stamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let st = call(gw.port, "GET", "/api/v1/status", None, b"");
    let v: serde_json::Value = serde_json::from_slice(&st.body).expect("json");
    assert_eq!(v["data"]["flags"]["web.enable-admin-api"], "true");
    let page = call(gw.port, "GET", "/", None, b"").text();
    assert!(
        page.contains("job=&quot;j&quot;") && page.contains("&lt;b&gt;"),
        "{page}"
    );
    assert!(!page.contains("<b>"));
    // Protobuf on request.
    let r = request(gw.port, "GET", "/metrics", &[("Accept", PROTOBUF)], b"").expect("scrape");
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/vnd.google.protobuf"))
    );
    let fams = collect(&mut ProtobufParser::new(&r.body)).expect("protobuf");
    assert!(fams.iter().any(|f| f.name == "s"));
    // Admin wipe, lifecycle off.
    assert_eq!(
        call(gw.port, "PUT", "/api/v1/admin/wipe", None, b"").status,
        202
    );
    assert!(scrape(gw.port).is_empty());
    assert_eq!(call(gw.port, "PUT", "/-/quit", None, b"").status, 403);
    assert_eq!(call(gw.port, "GET", "/-/quit", None, b"").status, 405);
}

#[test]
fn lifecycle_quit_and_route_prefix() {
    let mut gw = start_other_vigil_prefixed();
    assert_eq!(
        call(gw.port, "PUT", "/pg/metrics/job/x", None, b"g 1\n").status,
        200
    );
    assert_eq!(call(gw.port, "GET", "/metrics", None, b"").status, 404);
    let r = call(gw.port, "GET", "/pg/metrics", None, b"");
    assert!(
        r.text().contains("g{instance=\"\",job=\"x\"} 1"),
        "{}",
        r.text()
    );
    assert_eq!(
        call(gw.port, "PUT", "/pg/api/v1/admin/wipe", None, b"").status,
        404
    );
    assert_eq!(call(gw.port, "POST", "/pg/-/quit", None, b"").status, 200);
    assert!(wait_for(10, || matches!(gw.child.try_wait(), Ok(Some(_)))));
}

fn start_other_vigil_prefixed() -> Proc {
    let port = free_port();
    let args = vec![
        "pushgateway".to_string(),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--web.route-prefix=/pg/".to_string(),
        "--web.enable-lifecycle".to_string(),
    ];
    start_other(env!("CARGO_BIN_EXE_vigil"), &args, port, "/pg/-/ready")
}

#[test]
fn endpoint_status_codes_match_debian() {
    if !have_peer(DEBIAN_PUSHGATEWAY) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for flags in [&[][..], &["--web.enable-admin-api"][..]] {
        let debian = start_debian(&dir.path().join("d.data"), flags);
        let vigil = start_vigil(flags);
        for (method, path) in [
            ("GET", "/-/healthy"),
            ("GET", "/-/ready"),
            ("GET", "/api/v1/metrics"),
            ("GET", "/api/v1/status"),
            ("OPTIONS", "/api/v1/metrics"),
            ("PUT", "/api/v1/admin/wipe"),
            ("GET", "/-/quit"),
            ("PUT", "/-/quit"),
            ("GET", "/"),
            ("GET", "/nope"),
            ("PUT", "/metrics/job/"),
            ("PUT", "/metrics/job@base64/"),
            ("PUT", "/metrics/job//x"),
        ] {
            let d = call(debian.port, method, path, None, b"");
            let v = call(vigil.port, method, path, None, b"");
            assert_eq!(d.status, v.status, "{method} {path} with {flags:?}");
        }
    }
}

#[test]
fn utf8_names_when_enabled() {
    let legacy = start_vigil(&[]);
    let body = b"{\"my.metric\",\"lab.el\"=\"v\"} 1\n";
    assert_eq!(
        call(legacy.port, "PUT", "/metrics/job/j", None, body).status,
        400
    );
    // (`U__a_2e_b` is itself a valid legacy label name.)
    let gw = start_vigil(&["--push.enable-utf8-names"]);
    let r = call(gw.port, "PUT", "/metrics/job/j/U__a_2e_b/x", None, body);
    assert_eq!(r.status, 200, "{}", r.text());
    // Legacy consumers get escaped names...
    let m = scrape(gw.port);
    assert!(
        m.keys()
            .any(|k| k.starts_with("{__name__=\"my_metric\"") && k.contains("a_b=\"x\"")),
        "{m:#?}"
    );
    // ...and consumers asking for UTF-8 get them as pushed.
    let accept = format!("{PROTOBUF}; escaping=allow-utf-8");
    let r = request(gw.port, "GET", "/metrics", &[("Accept", &accept)], b"").expect("scrape");
    let fams = collect(&mut ProtobufParser::new(&r.body)).expect("protobuf");
    let f = fams
        .iter()
        .find(|f| f.name == "my.metric")
        .expect("utf-8 family");
    assert_eq!(f.samples[0].labels.get("a.b"), Some("x"));
    assert_eq!(f.samples[0].labels.get("lab.el"), Some("v"));
}
