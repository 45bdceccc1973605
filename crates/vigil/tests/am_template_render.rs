//! Debian's `amtool template render` (0.25, which has the command) against
//! `vigil tool am template render` on the same template files, texts and
//! data: stdout and exit codes must be equal.
//!
//! Known differences, left out of the comparison on purpose:
//! - Debian's amtool does not load Alertmanager's default templates
//!   (`{{ template "__subject" . }}` fails there: its build leaves the
//!   embedded templates out), while upstream amtool and Vigil load them.
//!   Vigil follows upstream; the default templates are checked against
//!   Vigil alone below.
//! - A `template.KV` printed as a whole: 0.25 has no `String` method on it
//!   and prints `map[a:b]`, newer Alertmanager (and Vigil) print `a=b`.
//!   The texts here print labels through `SortedPairs` and by name.
//! - stderr: the error messages mostly agree but JSON syntax errors are
//!   worded by different parsers, and kingpin adds a blank line.
//! - The example data's times are "now", so no text prints them.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const AMTOOL: &str = "/usr/bin/amtool";
/// How long one run may take before it is killed and the test fails.
const LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, PartialEq)]
struct Run {
    code: i32,
    stdout: String,
}

/// Skips (or fails, under CI) when amtool is missing.
fn missing(what: &str) -> bool {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing, and CI is set");
    }
    println!("skipped: {what} is missing");
    true
}

/// Runs a program in `dir`, killing it if it outlives [`LIMIT`].
fn run(program: &str, args: &[String], dir: &Path) -> Run {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    // Read stdout on a thread so a large output cannot block the child.
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).unwrap();
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} {args:?} took more than {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let stdout = reader.join().unwrap();
    let code = status.code().unwrap_or(-1);
    if code != 0 {
        println!("{program}: exit {code}: {}", err.trim_end());
    }
    Run { code, stdout }
}

fn amtool(args: &[String], dir: &Path) -> Run {
    let mut a = vec!["template".to_string(), "render".to_string()];
    a.extend_from_slice(args);
    run(AMTOOL, &a, dir)
}

fn vigil(args: &[String], dir: &Path) -> Run {
    let mut a: Vec<String> = ["tool", "am", "template", "render"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    a.extend_from_slice(args);
    run(env!("CARGO_BIN_EXE_vigil"), &a, dir)
}

const TEMPLATE_FILE: &str = r#"{{ define "my.title" }}[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}{{ end }}
{{ define "my.body" }}{{ range .Alerts.Firing }}- {{ .Labels.instance }} since {{ .StartsAt }} ({{ .Fingerprint }})
{{ end }}{{ range .Alerts.Resolved }}resolved {{ .Labels.instance }} at {{ .EndsAt }}
{{ end }}common:{{ range .CommonLabels.SortedPairs }} {{ .Name }}={{ .Value | toUpper }}{{ end }}
{{ end }}"#;

const DATA: &str = r#"{
  "receiver": "team-x",
  "status": "firing",
  "alerts": [
    {"status": "firing", "labels": {"alertname": "Down", "instance": "a:9100", "job": "node"},
     "annotations": {"summary": "a is down"}, "startsAt": "2024-01-02T03:04:05Z",
     "generatorURL": "http://prom/graph", "fingerprint": "0123456789abcdef"},
    {"status": "firing", "labels": {"alertname": "Down", "instance": "b:9100", "job": "node"},
     "startsAt": "2024-01-02T03:05:00.5Z", "fingerprint": "fedcba9876543210"},
    {"status": "resolved", "labels": {"alertname": "Down", "instance": "c:9100", "job": "node"},
     "startsAt": "2024-01-02T02:00:00Z", "endsAt": "2024-01-02T03:00:00Z"}
  ],
  "groupLabels": {"alertname": "Down"},
  "commonLabels": {"alertname": "Down", "job": "node"},
  "commonAnnotations": {},
  "externalURL": "http://am:9093"
}"#;

fn flags(glob: &str, text: &str, extra: &[&str]) -> Vec<String> {
    let mut v = vec![
        format!("--template.glob={glob}"),
        format!("--template.text={text}"),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

#[test]
fn template_render_matches_amtool() {
    if !Path::new(AMTOOL).exists() && missing(AMTOOL) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("vigil-am-template-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("my.tmpl"), TEMPLATE_FILE).unwrap();
    std::fs::write(
        dir.join("other.tmpl"),
        r#"{{ define "other" }}OTHER{{ end }}"#,
    )
    .unwrap();
    std::fs::write(dir.join("data.json"), DATA).unwrap();
    std::fs::write(dir.join("wrong.json"), r#"{"receiver": 5}"#).unwrap();
    std::fs::write(dir.join("syntax.json"), "{bad").unwrap();
    std::fs::write(
        dir.join("broken.tmpl.bad"),
        "{{ define \"x\" }}{{ nosuch }}{{ end }}",
    )
    .unwrap();

    let with_data = "--template.data=data.json";
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "file define, .Alerts.Firing, .CommonLabels, toUpper, data file",
            flags(
                "*.tmpl",
                r#"{{ template "my.title" . }}
{{ template "my.body" . }}{{ len .Alerts }} {{ .Receiver }} {{ .ExternalURL }} {{ .CommonLabels.job | toUpper }} {{ template "other" . }}"#,
                &[with_data],
            ),
        ),
        (
            "two globs, example data",
            vec![
                "--template.glob=my.tmpl".into(),
                "--template.glob=oth*.tmpl".into(),
                r#"--template.text={{ template "my.title" . }}|{{ template "other" . }}|{{ .Receiver }}|{{ .Status }}|{{ len .Alerts }}|{{ len .Alerts.Firing }}|{{ len .Alerts.Resolved }}|{{ range .Alerts }}{{ .Fingerprint }} {{ .GeneratorURL }} {{ .Status }} {{ .Labels.SortedPairs.Names }} {{ .Annotations.SortedPairs.Values }};{{ end }}|{{ .GroupLabels.SortedPairs.Values }}|{{ .CommonLabels.commonlabelkey1 | toUpper }}|{{ .CommonAnnotations.commonannotationkey2 }}|{{ .ExternalURL }}|{{ .CommonLabels.nope }}|"#.into(),
            ],
        ),
        (
            "html type escapes values",
            flags(
                "my.tmpl",
                r#"<b>{{ .Receiver }}&{{ "<x>" }}</b>"#,
                &["--template.type=html", with_data],
            ),
        ),
        ("text type given", flags("my.tmpl", "{{ .Status }}", &["--template.type=text", with_data])),
        ("glob matching nothing", flags("nothing*.tmpl", "{{ .Receiver }}", &[])),
        ("empty text", flags("my.tmpl", "", &[])),
        ("undefined template", flags("my.tmpl", r#"{{ template "nope" . }}"#, &[])),
        ("unknown field", flags("my.tmpl", "{{ .Nope }}", &[])),
        ("unknown function in the text", flags("my.tmpl", "{{ nosuch }}", &[])),
        ("unknown function in a file", flags("*.bad", "x", &[])),
        ("bad glob", flags("[", "x", &[])),
        ("bad type", flags("my.tmpl", "x", &["--template.type=xml"])),
        ("missing data file", flags("my.tmpl", "x", &["--template.data=nope.json"])),
        ("wrongly typed data", flags("my.tmpl", "x", &["--template.data=wrong.json"])),
        ("unparsable data", flags("my.tmpl", "x", &["--template.data=syntax.json"])),
        ("no --template.text", vec!["--template.glob=my.tmpl".into()]),
        ("no --template.glob", vec!["--template.text=x".into()]),
    ];
    let mut failures = Vec::new();
    for (name, args) in &cases {
        let want = amtool(args, &dir);
        let got = vigil(args, &dir);
        if want != got {
            failures.push(format!("{name}:\n amtool: {want:?}\n vigil:  {got:?}"));
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The default templates (which Debian's amtool does not load) on the
/// example data, checked against what upstream's templates give.
#[test]
fn default_templates_on_example_data() {
    let dir =
        std::env::temp_dir().join(format!("vigil-am-template-default-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let got = vigil(
        &flags(
            "nothing*.tmpl",
            r#"{{ template "__subject" . }}|{{ template "slack.default.username" . }}|{{ template "__alertmanagerURL" . }}"#,
            &[],
        ),
        &dir,
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        got,
        Run {
            code: 0,
            stdout: "[ALERTSTATUS] grouplabelvalue1 grouplabelvalue2 |Alertmanager|https://example.com/#/alerts?receiver=receiver".into(),
        }
    );
}
