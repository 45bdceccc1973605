//! `vigil tool query …` against a running `vigil server` that scrapes
//! itself every second, compared byte for byte (stdout, stderr, exit code)
//! with Debian's `promtool query …` on the same server and the same
//! arguments. Every case pins its times so both tools ask the same thing.

#[path = "server_support/mod.rs"]
mod server_support;
#[path = "pushgateway_support/mod.rs"]
mod support;

use std::process::Command;

use server_support::{api, start_server};
use support::{free_port, have_peer, wait_for};

const PROMTOOL: &str = "/usr/bin/promtool";

fn run(program: &str, args: &[String]) -> (i32, String, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn vigil_query(args: &[String]) -> (i32, String, String) {
    let mut full = vec!["tool".to_string(), "query".to_string()];
    full.extend_from_slice(args);
    run(env!("CARGO_BIN_EXE_vigil"), &full)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn query_output_matches_promtool_byte_for_byte() {
    let compare = have_peer(PROMTOOL);
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .expect("write config");
    let _server = start_server(
        &config,
        &dir.path().join("data"),
        port,
        &dir.path().join("log"),
        &[],
    );
    // Wait (bounded) until a few scrapes are stored, then query a moment
    // inside them so that the answers no longer change.
    let have_samples = wait_for(60, || {
        let r = api(port, "/api/v1/query?query=count_over_time(up[1m])");
        r["data"]["result"][0]["value"][1]
            .as_str()
            .and_then(|v| v.parse::<f64>().ok())
            .is_some_and(|n| n >= 5.0)
    });
    assert!(have_samples, "the server did not scrape itself");
    let now = api(port, "/api/v1/query?query=time()")["data"]["result"][0]
        .as_f64()
        .expect("time() answers a scalar");
    let t = format!("{}", now.floor() - 1.0);
    let start = format!("{}", now.floor() - 4.0);
    let url = format!("http://127.0.0.1:{port}");
    let no_server = format!("http://127.0.0.1:{}", free_port());
    let cases: Vec<Vec<String>> = vec![
        strings(&["instant", &url, "up", "--time", &t]),
        strings(&["instant", &url, "sum by (job) (up)", "--time", &t]),
        strings(&["instant", &url, "up{job=\"nope\"}", "--time", &t]),
        strings(&["instant", &url, "1 + 1.5", "--time", &t]),
        strings(&["instant", &url, "\"a <string>\"", "--time", &t]),
        strings(&["instant", &url, "up[3s]", "--time", &t]),
        strings(&["instant", &url, "vector(1/0)", "--time", &t]),
        strings(&["instant", &url, "up{", "--time", &t]),
        strings(&["instant", &url, "rate(up)", "--time", &t]),
        strings(&["instant", &url, "up", "--time", "yesterday"]),
        strings(&["instant", &url, "up", "--time", "2024-01-02T03:04:05.5Z"]),
        strings(&["instant", &format!("{url}/nope"), "up", "--time", &t]),
        strings(&[
            "range", &url, "up", "--start", &start, "--end", &t, "--step", "1s",
        ]),
        strings(&["range", &url, "up * 2", "--start", &start, "--end", &t]),
        strings(&["range", &url, "up", "--start", &t, "--end", &start]),
        strings(&["range", &url, "up", "--start", "x", "--end", &t]),
        strings(&["labels", &url, "job"]),
        strings(&["labels", &url, "__name__", "--match", "up"]),
        strings(&["labels", &url, "nope"]),
        strings(&["labels", &url, "job", "--start", "bad"]),
        strings(&["series", &url, "--match", "up"]),
        strings(&[
            "series",
            &url,
            "--match",
            "up",
            "--match",
            "scrape_samples_scraped",
        ]),
        strings(&["series", &url, "--match", "nothing_here"]),
        strings(&["series", &url, "--match", "up{"]),
        strings(&["-o", "json", "instant", &url, "up", "--time", &t]),
        strings(&["-o", "json", "instant", &url, "2", "--time", &t]),
        strings(&["-o", "json", "instant", &url, "\"<b>&\"", "--time", &t]),
        strings(&[
            "-o", "json", "range", &url, "up", "--start", &start, "--end", &t, "--step", "2s",
        ]),
        strings(&["-o", "json", "labels", &url, "job"]),
        strings(&["-o", "json", "series", &url, "--match", "up"]),
    ];
    let (mut agree, mut known, mut differ) = (0, 0, Vec::new());
    for args in &cases {
        let got = vigil_query(args);
        if !compare {
            assert!(got.0 == 0 || got.0 == 1, "{args:?}: {got:?}");
            continue;
        }
        let want = run(PROMTOOL, &{
            let mut a = vec!["query".to_string()];
            a.extend_from_slice(args);
            a
        });
        if got == want {
            agree += 1;
        } else if args.iter().any(|a| a.starts_with('"'))
            && want.2.contains("unexpected value type \"string\"")
        {
            // promtool 2.42's client_golang cannot decode string results;
            // 3.x's prints them (the value itself, or `[t,"…"]` in JSON).
            known += 1;
            let expected = if args.first().is_some_and(|a| a == "-o") {
                format!("[{t},\"\\u003cb\\u003e\\u0026\"]\n")
            } else {
                "a <string>\n".to_string()
            };
            assert_eq!(got, (0, expected, String::new()), "{args:?}");
        } else {
            differ.push(format!(
                "{args:?}\n  vigil:    {got:?}\n  promtool: {want:?}"
            ));
        }
    }
    // Connection errors: Go names the dialled address its own way, so only
    // the exit code and the common part are compared.
    let got = vigil_query(&strings(&["instant", &no_server, "up", "--time", &t]));
    assert_eq!(got.0, 1, "{got:?}");
    assert!(got.2.starts_with("query error: Post \""), "{got:?}");
    assert!(got.2.contains("connection refused"), "{got:?}");
    if compare {
        println!(
            "{agree} of {} cases agree with promtool 2.42; {known} differ where 2.42 fails and 3.x does not",
            cases.len()
        );
        assert!(differ.is_empty(), "differences:\n{}", differ.join("\n"));
    }
}

#[test]
fn bad_arguments_fail_like_promtool() {
    // Neither needs a server: the time is checked before any request.
    let got = vigil_query(&strings(&[
        "range",
        "http://127.0.0.1:1",
        "up",
        "--start",
        "10",
        "--end",
        "5",
    ]));
    assert_eq!(
        got,
        (
            1,
            String::new(),
            "start time is not before end time\n".into()
        )
    );
    let got = vigil_query(&strings(&[
        "analyze",
        "--server",
        "http://127.0.0.1:1",
        "--type",
        "summary",
        "--match",
        "x",
    ]));
    assert_eq!(
        got,
        (
            1,
            String::new(),
            "analyze type is summary, must be 'histogram'\n".into()
        )
    );
}
