//! Parsing any rule file never panics: every conformance YAML file (rule
//! files and others), their truncations and some hostile inputs end in
//! groups or errors.

use std::path::Path;

use vigil_rules::rulefmt::{self, ParseOptions};

fn exercise(b: &[u8]) {
    let _ = rulefmt::parse(b, &ParseOptions::default());
    let ignore = ParseOptions {
        ignore_unknown_fields: true,
        ..ParseOptions::default()
    };
    let _ = rulefmt::parse(b, &ignore);
}

#[test]
fn conformance_files_and_truncations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
    if !dir.is_dir() {
        assert!(std::env::var_os("CI").is_none(), "conformance data missing");
        println!("skipped");
        return;
    }
    let mut n = 0;
    for sub in ["rulefmt", "promtool", "config"] {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let is_yaml = p.extension().is_some_and(|x| x == "yml" || x == "yaml");
            if !is_yaml {
                continue;
            }
            let b = std::fs::read(&p).unwrap();
            exercise(&b);
            n += 1;
            if b.len() > 16 * 1024 || sub == "config" {
                continue;
            }
            for cut in (0..b.len()).step_by(17) {
                exercise(&b[..cut]);
                exercise(&b[cut..]);
            }
        }
    }
    assert!(n > 10);
}

#[test]
fn hostile_inputs() {
    let inputs: [&[u8]; 12] = [
        b"",
        b"\xff\xfe",
        b"groups",
        b"groups: 5",
        b"groups: [1, 2]",
        b"groups:\n- rules: {}\n",
        b"groups:\n- name: a\n  rules:\n  - 5\n",
        b"groups:\n- name: a\n  rules:\n  - alert: x\n    expr: up\n    labels: {a: '{{'}\n",
        b"&a [*a]",
        b"a: &a\n  b: *a\n",
        b"groups:\n- name: a\n  interval: -1m\n",
        b"---\n---\ngroups: []\n",
    ];
    for i in inputs {
        exercise(i);
    }
    let deep = format!("groups: {}{}", "[".repeat(10_000), "]".repeat(10_000));
    exercise(deep.as_bytes());
    let many = "groups:\n".to_string() + &"- name: x\n".repeat(2000);
    let (_, errs) = rulefmt::parse(many.as_bytes(), &ParseOptions::default());
    assert_eq!(errs.len(), 1999);
}
