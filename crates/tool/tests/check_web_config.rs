//! `check web-config` beside `promtool check web-config` (Debian's promtool,
//! 2.42) on the good and bad files of `testdata/web_config/`.
//!
//! Both read the same relative paths from the crate directory, so messages
//! naming files are comparable; the verdict line and the exit code must
//! agree. Vigil follows Prometheus 3.x (exporter-toolkit 0.17), whose
//! wording differs from 2.42's (exporter-toolkit 0.8) in a few messages;
//! [`THREE_X`] holds 3.x's line for those, and promtool must still fail them.
//! The bcrypt hashes in the files are shaped as bcrypt output but hash no
//! known password: like upstream, the check reads only their form.

use std::path::Path;
use std::process::Command;

use vigil_tool::check_web_config::check_web_config;

const DIR: &str = "testdata/web_config";

/// Files whose 3.x message differs from 2.42's, with 3.x's reason.
const THREE_X: &[(&str, &str)] = &[
    // 3.x accepts inline `cert`/`key`, so it names both fields.
    ("bad_missing_cert.yml", "missing one of cert or cert_file"),
    ("bad_missing_key.yml", "missing one of key or key_file"),
    // 3.x reads the files itself before X509KeyPair.
    (
        "bad_cert_path.yml",
        "failed to read cert_file (testdata/web_config/missing.crt): open testdata/web_config/missing.crt: no such file or directory",
    ),
    (
        "bad_key_path.yml",
        "failed to read key_file (testdata/web_config/missing.key): open testdata/web_config/missing.key: no such file or directory",
    ),
    // 3.x lowercases these two messages.
    ("bad_client_auth.yml", "invalid ClientAuth: AskNicely"),
    (
        "bad_client_ca_no_auth.yml",
        "client CA's have been configured without a Client Auth Policy",
    ),
];

fn files() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yml"))
        .collect();
    v.sort();
    v
}

fn vigil(file: &str) -> (u8, String) {
    let mut err = Vec::new();
    let code = check_web_config(&[file.to_string()], &mut err).unwrap();
    (code, String::from_utf8(err).unwrap())
}

#[test]
fn verdicts_follow_file_names() {
    let files = files();
    assert!(files.len() >= 30, "test data missing: {files:?}");
    for name in &files {
        let path = format!("{DIR}/{name}");
        let (code, line) = vigil(&path);
        if name.starts_with("good_") {
            assert_eq!(
                (code, line.as_str()),
                (0, format!("{path} SUCCESS\n").as_str())
            );
        } else {
            assert_eq!(code, 1, "{name} passed: {line}");
            assert!(line.starts_with(&format!("{path} FAILED: ")), "{line}");
        }
    }
}

#[test]
fn several_files_give_one_line_each() {
    let files = [
        format!("{DIR}/good_tls.yml"),
        format!("{DIR}/bad_curve.yml"),
        format!("{DIR}/good_empty.yml"),
    ];
    let mut err = Vec::new();
    assert_eq!(check_web_config(&files, &mut err).unwrap(), 1);
    assert_eq!(
        String::from_utf8(err).unwrap(),
        format!(
            "{DIR}/good_tls.yml SUCCESS\n{DIR}/bad_curve.yml FAILED: unknown curve: CurveP999\n{DIR}/good_empty.yml SUCCESS\n"
        )
    );
}

#[test]
fn same_output_as_promtool() {
    let promtool = Command::new("promtool").arg("--version").output();
    if promtool.is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool is required in CI"
        );
        eprintln!("skipped: promtool not on PATH");
        return;
    }
    assert!(Path::new(DIR).is_dir());
    let mut compared = 0;
    for name in files() {
        let path = format!("{DIR}/{name}");
        let out = Command::new("promtool")
            .args(["check", "web-config", &path])
            .output()
            .unwrap();
        let theirs = String::from_utf8_lossy(&out.stderr).into_owned();
        let their_code = out.status.code().unwrap();
        let (code, ours) = vigil(&path);
        assert_eq!(
            i32::from(code),
            their_code,
            "{name}: promtool said {theirs}"
        );
        match THREE_X.iter().find(|(f, _)| *f == name) {
            Some((_, reason)) => {
                assert_eq!(ours, format!("{path} FAILED: {reason}\n"), "{name}");
                assert!(theirs.contains(" FAILED: "), "{name}: {theirs}");
            }
            None => assert_eq!(ours, theirs, "{name}"),
        }
        compared += 1;
    }
    eprintln!("{compared} web configuration files compared with promtool");
}
