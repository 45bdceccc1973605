//! `vigil pushgateway` beside Debian's `prometheus-pushgateway` (1.5.1):
//! the same pushes go to both, and every status code and, at checkpoints,
//! the set of samples on `/metrics` (each gateway's own metrics left out)
//! must agree, and so must `GET /api/v1/metrics` at the end (group labels,
//! `last_push_successful`, every family's type, help and metrics). Push
//! times are compared as "zero or not", since the two gateways receive each
//! push at slightly different times.
//!
//! Deliberate differences: the steps marked with `differs` (each says why),
//! and these, not exercised as equalities here:
//! - Error messages: the status code is compared, the wording is Vigil's
//!   own where the Go libraries' text names Go types (e.g. `untyped:<value:1 >`).
//! - Protobuf samples with `timestamp_ms: 0`: Vigil reads 0 as "no
//!   timestamp" (as Prometheus does) and accepts the push; upstream refuses
//!   any timestamp field that is set.
//! - Bodies larger than `--push.max-body-bytes` (default 64 MiB, after
//!   `gzip`/`snappy` decoding) are refused with 400; upstream has no limit.
//! - Families declared with `# TYPE` but without samples are dropped by
//!   Vigil; upstream keeps them, but they have no samples to compare.
//! - When two groups' push-time gauges clash (keys differing only by
//!   `instance=""`, possible because a failed push creates its group
//!   unchecked), Debian's `/metrics` answers 500 until one group is
//!   deleted; Vigil keeps serving (with both push-time samples).
//! - Vigil does not export the Go runtime's `go_*` metrics, yet refuses
//!   pushes that would clash with their types, as upstream does.

mod pushgateway_support;

use pushgateway_support::*;

/// One step: method, path, content type, body, expected status (the
/// expectation documents intent; the real check is that both agree).
struct Step {
    method: &'static str,
    path: &'static str,
    protobuf: bool,
    body: &'static str,
    expect: u16,
    /// A deliberate difference: Debian's status, and why Vigil differs.
    debian: Option<(u16, &'static str)>,
    /// Send the body gzip-compressed (`Content-Encoding: gzip`).
    gzip: bool,
}

/// Sends `s`'s body gzip-compressed.
const fn gz(mut s: Step) -> Step {
    s.gzip = true;
    s
}

/// Marks `s` as a deliberate difference from Debian's pushgateway.
const fn differs(mut s: Step, debian_status: u16, why: &'static str) -> Step {
    s.debian = Some((debian_status, why));
    s
}

const fn step(method: &'static str, path: &'static str, body: &'static str, expect: u16) -> Step {
    Step {
        method,
        path,
        protobuf: false,
        body,
        expect,
        debian: None,
        gzip: false,
    }
}

const fn pb(method: &'static str, path: &'static str, body: &'static str, expect: u16) -> Step {
    Step {
        method,
        path,
        protobuf: true,
        body,
        expect,
        debian: None,
        gzip: false,
    }
}

/// Why Vigil refuses invalid metric names in protobuf bodies.
const INVALID_NAMES: &str = "Debian's 1.5.1 accepts a protobuf family named `bad-name` and then serves \
`bad-name{...} 1`, an exposition Prometheus cannot parse; Vigil checks names as the \
Pushgateway does without --push.enable-utf8-names and refuses the push";

/// Compare `/metrics` of both gateways here.
const CHECK: Step = step("CHECK", "", "", 0);

const STEPS: &[Step] = &[
    // Plain pushes, grouping labels override body labels.
    step(
        "PUT",
        "/metrics/job/a",
        "# HELP g A gauge.\n# TYPE g gauge\ng{x=\"1\"} 1\ng{x=\"2\",job=\"zzz\"} 2\n",
        200,
    ),
    step("POST", "/metrics/job/a", "# TYPE c counter\nc 5\n", 200),
    step(
        "PUT",
        "/metrics/job/b/instance/i1",
        "# HELP g Other help.\n# TYPE g gauge\ng{instance=\"other\"} 3\nuntyped_one 4\n",
        200,
    ),
    // base64 job and label values, `/` inside values, `=` for empty.
    step(
        "PUT",
        "/metrics/job@base64/eC95/path@base64/L3Zhci90bXA=",
        "# TYPE g gauge\ng 7\n",
        200,
    ),
    step(
        "PUT",
        "/metrics/job/c/instance@base64/=",
        "# TYPE g gauge\ng{instance=\"dropped\"} 8\n",
        200,
    ),
    step(
        "PUT",
        "/metrics/job/c/empty/",
        "# TYPE g gauge\ng{x=\"e\"} 9\n",
        200,
    ),
    // The body's instance stays when the key has none.
    step(
        "PUT",
        "/metrics/job/d",
        "# TYPE h gauge\nh{instance=\"kept\"} 1\n",
        200,
    ),
    // Protobuf: summary, histogram, counter.
    pb(
        "PUT",
        "/metrics/job/p",
        "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns{quantile=\"0.9\"} 2\ns_sum 10\ns_count 4\n# TYPE hist histogram\nhist_bucket{le=\"1\"} 1\nhist_bucket{le=\"5\"} 3\nhist_bucket{le=\"+Inf\"} 4\nhist_sum 9\nhist_count 4\n# TYPE pc counter\npc 3\n",
        200,
    ),
    pb(
        "POST",
        "/metrics/job/p/instance/x",
        "# TYPE pc counter\npc 4\n",
        200,
    ),
    CHECK,
    // POST replaces only the families in the body.
    step(
        "POST",
        "/metrics/job/a",
        "# TYPE g gauge\ng{x=\"3\"} 30\n",
        200,
    ),
    // Inconsistent pushes: type clash (also untyped vs gauge), timestamps,
    // duplicates in a body and across groups, suffix collisions, clashes
    // with the gateway's own metrics. Each records a failure time.
    step("PUT", "/metrics/job/e", "# TYPE g counter\ng 1\n", 400),
    step("PUT", "/metrics/job/e", "g 1\n", 400),
    step("PUT", "/metrics/job/f", "# TYPE t gauge\nt 1 1000\n", 400),
    step(
        "PUT",
        "/metrics/job/f",
        "# TYPE dup gauge\ndup{a=\"1\"} 1\ndup{a=\"1\"} 2\n",
        400,
    ),
    step(
        "PUT",
        "/metrics/job/d/instance/kept",
        "# TYPE h gauge\nh 2\n",
        400,
    ),
    step(
        "PUT",
        "/metrics/job/f",
        "# TYPE s_count gauge\ns_count 1\n",
        400,
    ),
    step(
        "PUT",
        "/metrics/job/f",
        "# TYPE hist_bucket gauge\nhist_bucket 1\n",
        400,
    ),
    step(
        "PUT",
        "/metrics/job/f",
        "# TYPE process_cpu_seconds_total gauge\nprocess_cpu_seconds_total 1\n",
        400,
    ),
    step(
        "PUT",
        "/metrics/job/f",
        "# TYPE go_goroutines counter\ngo_goroutines 1\n",
        400,
    ),
    pb(
        "PUT",
        "/metrics/job/f",
        "# TYPE p_s summary\np_s_sum 1\np_s_count 1\n# TYPE p_s_sum gauge\np_s_sum 2\n",
        400,
    ),
    CHECK,
    // Empty grouping values count as labels: different series for `foo=""`,
    // the same push-time series for `instance=""` (so even empty pushes fail).
    step("PUT", "/metrics/job/dd/foo/", "q 1\n", 200),
    step("PUT", "/metrics/job/dd", "q 2\n", 200),
    step("PUT", "/metrics/job/ee/instance/", "r 1\n", 200),
    step("PUT", "/metrics/job/ee", "r 2\n", 400),
    step("PUT", "/metrics/job/ee", "", 400),
    // The failed pushes created group {job="ee"} (for its failure time), whose
    // push-time series now clash with {job="ee",instance=""}'s: Debian's
    // /metrics answers 500 until one of them goes (see the module docs).
    step("DELETE", "/metrics/job/ee", "", 202),
    CHECK,
    // Compressed bodies, text and protobuf.
    gz(step(
        "PUT",
        "/metrics/job/gz",
        "# TYPE gzipped gauge\ngzipped 1\n",
        200,
    )),
    gz(pb(
        "POST",
        "/metrics/job/gz",
        "# TYPE gzipped_pb counter\ngzipped_pb 2\n",
        200,
    )),
    // Names only protobuf can carry: invalid metric and label names.
    differs(
        pb("PUT", "/metrics/job/names", "{\"bad-name\"} 1\n", 400),
        200,
        INVALID_NAMES,
    ),
    step("DELETE", "/metrics/job/names", "", 202),
    pb(
        "PUT",
        "/metrics/job/names",
        "ok{\"bad-label\"=\"x\"} 1\n",
        400,
    ),
    step("DELETE", "/metrics/job/names", "", 202),
    pb("PUT", "/metrics/job/names", "ok{__reserved=\"x\"} 1\n", 400),
    step("DELETE", "/metrics/job/names", "", 202),
    pb("PUT", "/metrics/job/names", "ok{l=\"\"} 1\n", 200),
    // A histogram over an existing summary name, a summary over a histogram.
    step(
        "PUT",
        "/metrics/job/types",
        "# TYPE s histogram\ns_bucket{le=\"+Inf\"} 1\ns_sum 1\ns_count 1\n",
        400,
    ),
    pb(
        "PUT",
        "/metrics/job/types",
        "# TYPE hist summary\nhist_sum 1\nhist_count 1\n",
        400,
    ),
    CHECK,
    // A failed push leaves the group's earlier metrics alone.
    step(
        "POST",
        "/metrics/job/b/instance/i1",
        "# TYPE c gauge\nc 1\n",
        400,
    ),
    // Re-typing a family is fine when the pushed group is its only holder.
    step(
        "POST",
        "/metrics/job/solo",
        "# TYPE solo gauge\nsolo 1\n",
        200,
    ),
    step(
        "POST",
        "/metrics/job/solo",
        "# TYPE solo counter\nsolo 2\n",
        200,
    ),
    step(
        "POST",
        "/metrics/job/p/instance/x",
        "# TYPE pc gauge\npc 1\n",
        400,
    ),
    // Same help mismatch as above, and a clashing push_time_seconds, are fine.
    step(
        "PUT",
        "/metrics/job/g",
        "# HELP g Third help.\n# TYPE g gauge\ng 1\n# TYPE push_time_seconds counter\npush_time_seconds 5\n",
        200,
    ),
    CHECK,
    // Malformed bodies and URLs change nothing.
    step("PUT", "/metrics/job/m", "g{x=1} 1\n", 400),
    step("PUT", "/metrics/job/m", "g 1 2 3\n", 400),
    step(
        "PUT",
        "/metrics/job/m",
        "# TYPE g gauge\ng{x=\"\\q\"} 1\n",
        400,
    ),
    step("PUT", "/metrics/job/m/odd", "", 400),
    step("PUT", "/metrics/job/m/__reserved/x", "", 400),
    step("PUT", "/metrics/job/m/bad-name/x", "", 400),
    step("PUT", "/metrics/job/m/l@base64/!!", "", 400),
    step("PUT", "/metrics/job@base64/=", "", 400),
    step("PUT", "/metrics/job@base64/%21", "", 400),
    step("GET", "/metrics/job/m", "", 405),
    CHECK,
    // Empty bodies: PUT empties the group, POST only bumps the push time.
    step("PUT", "/metrics/job/b/instance/i1", "", 200),
    step("POST", "/metrics/job/new", "", 200),
    // Deletes: existing, missing, with base64 labels.
    step("DELETE", "/metrics/job/d", "", 202),
    step("DELETE", "/metrics/job/never", "", 202),
    step(
        "DELETE",
        "/metrics/job@base64/eC95/path@base64/L3Zhci90bXA=",
        "",
        202,
    ),
    step(
        "PUT",
        "/metrics/job/x%2Fy/a/b",
        "# TYPE g gauge\ng 11\n",
        400,
    ),
    step("PUT", "/metrics/job/q/a%2Fb", "# TYPE g gauge\ng 11\n", 200),
];

/// Samples with the push-time gauges reduced to "set or not"; empty when
/// the scrape fails (Debian applies writes from a queue and may briefly
/// serve an inconsistent state).
fn normalized(port: u16) -> Vec<(String, f64)> {
    let mut samples: Vec<(String, f64)> = try_scrape_all(port)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let time = k.starts_with("{__name__=\"push_");
            (
                k,
                if time {
                    f64::from(u8::from(v != 0.0))
                } else {
                    v
                },
            )
        })
        .collect();
    samples.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    samples
}

/// The main sequence: pushes, consistency failures, malformed input,
/// empty bodies and deletes.
#[test]
fn same_status_codes_and_samples_as_debian_pushgateway() {
    if !have_peer(DEBIAN_PUSHGATEWAY) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let debian = start_debian(&dir.path().join("debian.data"), &[]);
    let vigil = start_vigil(&[]);
    for (i, s) in STEPS.iter().enumerate() {
        if s.method == "CHECK" {
            compare_samples(i, debian.port, vigil.port);
            continue;
        }
        let body = if s.protobuf {
            text_to_protobuf(s.body)
        } else {
            s.body.as_bytes().to_vec()
        };
        let body = if s.gzip { gzip(&body) } else { body };
        let mut headers = Vec::new();
        if s.protobuf {
            headers.push(("Content-Type", PROTOBUF));
        }
        if s.gzip {
            headers.push(("Content-Encoding", "gzip"));
        }
        let send = |port| {
            request(port, s.method, s.path, &headers, &body)
                .unwrap_or_else(|e| panic!("step {i} on port {port}: {e}"))
        };
        let (d, v) = (send(debian.port), send(vigil.port));
        if let Some((debian_status, why)) = s.debian {
            assert_eq!(d.status, debian_status, "step {i}: Debian changed ({why})");
            assert_eq!(v.status, s.expect, "step {i}: {}", v.text());
            continue;
        }
        assert_eq!(
            d.status,
            v.status,
            "step {i} {} {}: Debian said {} {:?}, Vigil said {} {:?}",
            s.method,
            s.path,
            d.status,
            d.text(),
            v.status,
            v.text()
        );
        assert_eq!(
            v.status,
            s.expect,
            "step {i} {} {}: {}",
            s.method,
            s.path,
            v.text()
        );
    }
    compare_samples(STEPS.len(), debian.port, vigil.port);
    let (d, v) = (api_groups(debian.port), api_groups(vigil.port));
    assert_eq!(d.len(), v.len());
    for (dg, vg) in d.iter().zip(&v) {
        assert_eq!(dg, vg, "GET /api/v1/metrics differs (Debian, then Vigil)");
    }
}

fn gzip(body: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(body).expect("gzip");
    e.finish().expect("gzip")
}

/// Compares both gateways' samples (after Debian's write queue settles).
fn compare_samples(i: usize, debian: u16, vigil: u16) {
    let expected = normalized(vigil);
    assert!(
        expected.len() > 3,
        "too few samples to compare: {expected:?}"
    );
    let settled = wait_for(5, || normalized(debian) == expected);
    assert!(
        settled,
        "at step {i}:\nDebian: {:#?}\nVigil: {expected:#?}",
        try_scrape(debian).map(|_| normalized(debian)),
    );
}

/// `GET /api/v1/metrics` with the times taken out: `time_stamp` dropped,
/// push-time values reduced to "set or not"; groups sorted by labels.
fn api_groups(port: u16) -> Vec<serde_json::Value> {
    use serde_json::Value;
    let r = call(port, "GET", "/api/v1/metrics", None, b"");
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(v["status"], "success");
    let mut groups = v["data"].as_array().cloned().unwrap_or_default();
    for g in &mut groups {
        let Some(obj) = g.as_object_mut() else {
            continue;
        };
        for (name, fam) in obj.iter_mut() {
            let Some(f) = fam.as_object_mut() else {
                continue;
            };
            f.remove("time_stamp");
            if name.starts_with("push_") {
                if let Some(ms) = f.get_mut("metrics").and_then(Value::as_array_mut) {
                    for m in ms {
                        let set = m["value"] != "0";
                        m["value"] = Value::Bool(set);
                    }
                }
            }
        }
    }
    groups.sort_by_key(|g| g["labels"].to_string());
    groups
}

#[test]
fn same_status_codes_without_consistency_check() {
    if !have_peer(DEBIAN_PUSHGATEWAY) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let flag = "--push.disable-consistency-check";
    let debian = start_debian(&dir.path().join("debian.data"), &[flag]);
    let vigil = start_vigil(&[flag]);
    let steps = [
        step("PUT", "/metrics/job/a", "# TYPE g gauge\ng 1\n", 202),
        step("PUT", "/metrics/job/b", "# TYPE g counter\ng 1\n", 202),
        step("POST", "/metrics/job/c", "t 1 1000\n", 202),
        step("PUT", "/metrics/job/c", "t{ 1\n", 400),
        step("PUT", "/metrics/job/c/odd", "", 400),
        step("DELETE", "/metrics/job/a", "", 202),
    ];
    for s in &steps {
        let d = call(debian.port, s.method, s.path, None, s.body.as_bytes());
        let v = call(vigil.port, s.method, s.path, None, s.body.as_bytes());
        assert_eq!(
            (d.status, v.status),
            (s.expect, s.expect),
            "{} {}",
            s.method,
            s.path
        );
    }
}
