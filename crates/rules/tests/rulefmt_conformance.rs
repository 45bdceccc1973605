//! Conformance of `rulefmt` with Prometheus: upstream's rule-file test data
//! (`shared/conformance/rulefmt`: `*.good.yaml` and `test*.yaml` load,
//! `*.bad.yaml` are refused with upstream's message), the rule files of
//! promtool's test data judged as `promtool check rules` judges them, and
//! the cases of upstream's `rulefmt_test.go`.
//!
//! Without the conformance directory the file-based tests print "skipped",
//! or fail when `CI` is set.

use std::path::{Path, PathBuf};

use vigil_model::names::ValidationScheme;
use vigil_rules::rulefmt::{self, ParseOptions, RuleError, check_duplicates};

fn conformance() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "conformance data missing at {}",
        dir.display()
    );
    println!("skipped: no conformance data at {}", dir.display());
    None
}

fn opts(scheme: ValidationScheme) -> ParseOptions {
    ParseOptions {
        name_validation: scheme,
        ..ParseOptions::default()
    }
}

/// Upstream's `TestParseFileFailure` expectations (a substring of the first
/// error), and the exact message (after the `FILE: ` prefix): positions and
/// words as Debian's promtool 2.42 prints them, except where Prometheus 3
/// changed them (`0:0: 0:0:` for the absent record/alert pair, the type
/// `rulefmt.Rule` in unknown-field errors, the braces check).
const BAD: [(&str, &str, Option<&str>); 11] = [
    (
        "duplicate_grp.bad.yaml",
        "groupname: \"yolo\" is repeated in the same file",
        Some("3:5: groupname: \"yolo\" is repeated in the same file"),
    ),
    (
        "bad_expr.bad.yaml",
        "parse error",
        Some(
            "5:15: group \"yolo\", rule 1, \"yolo\": could not parse expression: 1:6: parse error: expected type range vector in call to function \"rate\", got instant vector",
        ),
    ),
    (
        "record_and_alert.bad.yaml",
        "only one of 'record' and 'alert' must be set",
        Some(
            "4:17: 5:16: group \"yolo\", rule 1, \"Hello\": only one of 'record' and 'alert' must be set",
        ),
    ),
    (
        "no_rec_alert.bad.yaml",
        "one of 'record' or 'alert' must be set",
        Some("0:0: 0:0: group \"yolo\", rule 1, \"\": one of 'record' or 'alert' must be set"),
    ),
    (
        "noexpr.bad.yaml",
        "field 'expr' must be set in rule",
        Some("0:0: group \"yolo\", rule 1, \"ylo\": field 'expr' must be set in rule"),
    ),
    (
        "invalid_record_name.bad.yaml",
        "braces present in the recording rule name; should it be in expr?: strawberry{flavor=\"sweet\"}",
        Some(
            "4:17: group \"yolo\", rule 1, \"strawberry{flavor=\\\"sweet\\\"}\": braces present in the recording rule name; should it be in expr?: strawberry{flavor=\"sweet\"}",
        ),
    ),
    (
        "bad_field.bad.yaml",
        "field annotation not found",
        Some("yaml: unmarshal errors:\n  line 8: field annotation not found in type rulefmt.Rule"),
    ),
    (
        "invalid_label_name.bad.yaml",
        "invalid label name",
        Some("group \"yolo\", rule 1, \"hola\": invalid label name: __name__"),
    ),
    (
        "record_and_for.bad.yaml",
        "invalid field 'for' in recording rule",
        Some("4:17: group \"yolo\", rule 1, \"Hello\": invalid field 'for' in recording rule"),
    ),
    (
        "record_and_keep_firing_for.bad.yaml",
        "invalid field 'keep_firing_for' in recording rule",
        Some(
            "4:17: group \"yolo\", rule 1, \"Hello\": invalid field 'keep_firing_for' in recording rule",
        ),
    ),
    (
        "legacy_validation_annotation.bad.yaml",
        "invalid annotation name: ins-tance",
        Some("group \"yolo\", rule 1, \"hola\": invalid annotation name: ins-tance"),
    ),
];

fn scheme_for(name: &str) -> ValidationScheme {
    if name.starts_with("legacy_validation") {
        ValidationScheme::Legacy
    } else {
        ValidationScheme::Utf8
    }
}

#[test]
fn rulefmt_testdata() {
    let Some(dir) = conformance() else { return };
    let dir = dir.join("rulefmt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut good, mut bad, mut exact, mut problems) = (0, 0, 0, Vec::new());
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let (groups, errs) = rulefmt::parse_file(f, &opts(scheme_for(&name)));
        if name.ends_with(".bad.yaml") {
            let Some(first) = errs.first() else {
                problems.push(format!("{name}: accepted"));
                continue;
            };
            bad += 1;
            let msg = first.to_string();
            let prefix = format!("{}: ", f.display());
            let unprefixed = msg.strip_prefix(&prefix).unwrap_or(&msg);
            match BAD.iter().find(|(n, _, _)| *n == name) {
                Some((_, part, full)) => {
                    if !msg.contains(part) {
                        problems.push(format!("{name}: {msg:?} lacks {part:?}"));
                    }
                    if let Some(full) = full {
                        if unprefixed == *full {
                            exact += 1;
                        } else {
                            problems.push(format!("{name}: got {unprefixed:?}, want {full:?}"));
                        }
                    }
                }
                None => problems.push(format!("{name}: no expectation")),
            }
        } else if name.ends_with(".yaml") {
            if errs.is_empty() && groups.is_some() {
                good += 1;
            } else {
                problems.push(format!(
                    "{name}: refused: {:?}",
                    errs.iter().map(ToString::to_string).collect::<Vec<_>>()
                ));
            }
        }
    }
    println!("rulefmt: {good} good loaded, {bad} bad refused, {exact} exact messages");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(bad, BAD.len());
    assert_eq!(exact, BAD.iter().filter(|b| b.2.is_some()).count());
}

#[test]
fn aliases_resolve() {
    let Some(dir) = conformance() else { return };
    let (groups, errs) = rulefmt::parse_file(
        &dir.join("rulefmt/test_aliases.yaml"),
        &opts(ValidationScheme::Utf8),
    );
    assert!(errs.is_empty(), "{errs:?}");
    let expr = "sum without(instance) (rate(errors_total[5m]))\n/\nsum without(instance) (rate(requests_total[5m]))\n";
    for g in groups.unwrap().groups {
        assert_eq!(g.rules[0].alert, "HighAlert");
        assert_eq!(g.rules[0].labels["severity"], "critical");
        assert_eq!(
            g.rules[0].annotations["description"],
            "stuff's happening with {{ $.labels.service }}"
        );
        assert_eq!(g.rules[1].record, "new_metric");
        assert_eq!(g.rules[2].alert, "HighAlert");
        assert_eq!(g.rules[3].alert, "HighAlert2");
        for r in &g.rules {
            assert_eq!(r.expr, expr);
        }
    }
}

#[derive(Debug, PartialEq, Clone, Copy)]
enum Verdict {
    Success,
    Failed,
    /// Duplicate rules: promtool prints them and fails only with `--lint-fatal`.
    Lint,
}

fn check_rules(path: &Path, o: &ParseOptions) -> Verdict {
    let out = rulefmt::check_file(path, o, true);
    if !out.errors.is_empty() {
        Verdict::Failed
    } else if !out.duplicates.is_empty() {
        Verdict::Lint
    } else {
        Verdict::Success
    }
}

#[test]
fn promtool_check_rules() {
    let Some(dir) = conformance() else { return };
    let dir = dir.join("promtool");
    let all_features = ParseOptions {
        promql: vigil_promql::ParseOptions::all(),
        ..ParseOptions::default()
    };
    let ignore = ParseOptions {
        ignore_unknown_fields: true,
        ..ParseOptions::default()
    };
    let d = ParseOptions::default();
    let expectations: [(&str, &ParseOptions, Verdict); 14] = [
        ("rules.yml", &d, Verdict::Success),
        ("rules-bad.yml", &d, Verdict::Failed),
        ("rules_duplicates.yml", &d, Verdict::Lint),
        ("rules_extrafields.yml", &d, Verdict::Failed),
        ("rules_extrafields.yml", &ignore, Verdict::Success),
        // Upstream's large file repeats some record names (only benchmarked upstream).
        ("rules_large.yml", &d, Verdict::Lint),
        ("bad-rules-error.yml", &d, Verdict::Success),
        ("bad-rules-syntax.yml", &d, Verdict::Failed),
        ("prometheus-rules.lint.yml", &d, Verdict::Lint),
        ("features.yml", &all_features, Verdict::Success),
        ("features.yml", &d, Verdict::Failed),
        ("at-modifier.yml", &d, Verdict::Success),
        ("negative-offset.yml", &d, Verdict::Success),
        ("prometheus-config.rules.good.yml", &d, Verdict::Success),
    ];
    let mut wrong = Vec::new();
    for (file, o, want) in expectations {
        let got = check_rules(&dir.join(file), o);
        if got != want {
            wrong.push(format!("{file}: got {got:?}, want {want:?}"));
        }
    }
    println!(
        "promtool check rules: {} of {} verdicts agree",
        expectations.len() - wrong.len(),
        expectations.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let (_, errs) = rulefmt::parse_file(&dir.join("rules-bad.yml"), &d);
    let msg = errs[0].to_string();
    assert!(msg.ends_with("group \"alerts\", rule 1, \"InstanceDown\": annotation \"summary\": template: __alert_InstanceDown:1: undefined variable \"$label\""), "{msg}");
    // The exact messages Debian's promtool prints for these files.
    let (_, errs) = rulefmt::parse_file(&dir.join("bad-rules-syntax.yml"), &d);
    assert!(
        errs[0].to_string().ends_with(
            "bad-rules-syntax.yml: 7:15: group \"bad-syntax\", rule 1, \"x\": could not parse expression: 1:7: parse error: unexpected end of input"
        ),
        "{}",
        errs[0]
    );
    let (_, errs) = rulefmt::parse_file(&dir.join("rules_extrafields.yml"), &d);
    assert!(
        errs[0].to_string().ends_with(
            "rules_extrafields.yml: yaml: unmarshal errors:\n  line 7: field namespace not found in type rulefmt.RuleGroup\n  line 21: field ownership not found in type rulefmt.RuleGroup"
        ),
        "{}",
        errs[0]
    );
    let (g, _) = rulefmt::parse_file(&dir.join("rules_duplicates.yml"), &d);
    let dups = check_duplicates(&g.unwrap().groups);
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0].metric, "job:test:count_over_time1m");
    assert_eq!(
        rulefmt::DuplicateRule::report(&dups),
        "1 duplicate rule(s) found.\nMetric: job:test:count_over_time1m\nLabel(s):\nMight cause inconsistency while recording expressions"
    );
    // promtool: "SUCCESS: 5 rules found".
    assert_eq!(
        rulefmt::check_file(&dir.join("rules.yml"), &d, true).rules,
        5
    );
    assert!(dups[0].labels.is_empty());
}

fn parse_str(s: &str) -> (Option<rulefmt::RuleGroups>, Vec<RuleError>) {
    rulefmt::parse(s.as_bytes(), &ParseOptions::default())
}

#[test]
fn template_parsing() {
    let rule = |labels: &str, summary: &str, extra: &str| {
        format!(
            "groups:\n- name: example\n  rules:\n  - alert: InstanceDown\n    expr: up == 0\n    for: 5m\n    labels:\n      severity: \"{labels}\"\n    annotations:\n      summary: \"{summary}\"\n{extra}"
        )
    };
    let ok = rule("page", "Instance {{ $labels.instance }} down", "");
    assert!(parse_str(&ok).1.is_empty());
    let with_group_labels = ok.replace(
        "- name: example\n",
        "- name: example\n  labels:\n    team: myteam\n",
    );
    assert!(parse_str(&with_group_labels).1.is_empty());
    for bad in [
        rule("page", "Instance {{ $label.instance }} down", ""),
        rule(
            "{{$this_is_wrong}}",
            "Instance {{ $labels.instance }} down",
            "",
        ),
        rule(
            "page",
            "Instance {{ $labels.instance }} down",
            "      description: \"{{$labels.quantile * 100}}\"\n",
        ),
    ] {
        let (g, errs) = parse_str(&bad);
        assert!(g.is_some());
        assert!(!errs.is_empty(), "{bad}");
    }
}

#[test]
fn unique_error_nodes() {
    let src = "
groups:
- name: example
  rules:
  - alert: InstanceDown
    expr: up ===== 0
    for: 5m
  - alert: InstanceUp
    expr: up ===== 1
    for: 5m
";
    let (_, errs) = parse_str(src);
    assert_eq!(errs.len(), 2);
    let pos = |e: &RuleError| match e {
        RuleError::Rule { pos, .. } => *pos,
        _ => None,
    };
    assert_eq!(pos(&errs[0]), Some((6, 11)));
    assert_eq!(pos(&errs[1]), Some((9, 11)));
}

#[test]
fn error_display() {
    let e = RuleError::Rule {
        group: "some group".into(),
        index: 1,
        name: "some rule name".into(),
        pos: Some((10, 20)),
        alt: Some((11, 21)),
        msg: "some error".into(),
    };
    assert_eq!(
        e.to_string(),
        "10:20: 11:21: group \"some group\", rule 1, \"some rule name\": some error"
    );
    let e = RuleError::Rule {
        group: "some group".into(),
        index: 1,
        name: "some rule name".into(),
        pos: None,
        alt: None,
        msg: "some error".into(),
    };
    assert_eq!(
        e.to_string(),
        "group \"some group\", rule 1, \"some rule name\": some error"
    );
}

#[test]
fn fields_and_yaml_errors() {
    let (g, errs) = parse_str(
        "groups:\n- name: g\n  interval: 30s\n  query_offset: 1m\n  limit: 10\n  labels: {a: b}\n  rules:\n  - alert: A\n    expr: up\n    for: 5m\n    keep_firing_for: 1m\n",
    );
    assert!(errs.is_empty(), "{errs:?}");
    let g = &g.unwrap().groups[0];
    assert_eq!(
        (g.interval, g.query_offset, g.limit),
        (30_000_000_000, Some(60_000_000_000), 10)
    );
    assert_eq!(g.rules[0].for_, 300_000_000_000);
    assert_eq!(g.rules[0].keep_firing_for, 60_000_000_000);
    let (g, errs) = parse_str("groups:\n- name: g\n  interval: 5x\n");
    assert!(g.is_none());
    assert!(
        errs[0].to_string().contains("unknown unit \"x\""),
        "{}",
        errs[0]
    );
    let (_, errs) = parse_str("groups:\n- name: g\n  bogus: 1\n");
    assert_eq!(
        errs[0].to_string(),
        "yaml: unmarshal errors:\n  line 3: field bogus not found in type rulefmt.RuleGroup"
    );
    let (g, errs) = parse_str("");
    assert!(errs.is_empty() && g.unwrap().groups.is_empty());
    let (_, errs) = parse_str(
        "groups:\n- name: g\n  rules:\n  - record: a\n    expr: 1\n    annotations: {x: y}\n",
    );
    assert_eq!(
        errs[0].to_string(),
        "4:13: group \"g\", rule 1, \"a\": invalid field 'annotations' in recording rule"
    );
}

#[test]
fn scalars_keep_their_text() {
    let (g, errs) = parse_str(
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: 1.0\n    labels: {v: 1.10, b: true, n: ~, q: \"x\"}\n",
    );
    assert!(errs.is_empty(), "{errs:?}");
    let r = &g.unwrap().groups[0].rules[0];
    assert_eq!(r.expr, "1.0");
    assert_eq!(r.labels["v"], "1.10");
    assert_eq!(r.labels["b"], "true");
    assert_eq!(r.labels["n"], "");
    let ignore = ParseOptions {
        ignore_unknown_fields: true,
        ..ParseOptions::default()
    };
    let (g, errs) = rulefmt::parse(
        b"groups:\n- name: g\n  extra: 1\n  rules:\n  - record: a\n    expr: 2\n    owner: me\n",
        &ignore,
    );
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(g.unwrap().groups[0].rules[0].expr, "2");
}

#[test]
fn type_errors_in_go_words() {
    let cases = [
        (
            "groups:\n- name: g\n  limit: abc\n",
            "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `abc` into int",
        ),
        (
            "groups:\n- name: g\n  rules: 5\n",
            "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!int `5` into []rulefmt.Rule",
        ),
        (
            "groups:\n- name: [a]\n",
            "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!seq into string",
        ),
        (
            "groups: {}\n",
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!map into []rulefmt.RuleGroup",
        ),
    ];
    for (src, want) in cases {
        let (g, errs) = parse_str(src);
        assert!(g.is_none());
        assert_eq!(errs[0].to_string(), want, "{src}");
    }
}

#[test]
fn duplicate_keys() {
    let (g, errs) =
        parse_str("groups:\n- name: g\n  rules:\n  - record: a\n    expr: 1\n    expr: 2\n");
    assert!(g.is_none());
    assert_eq!(
        errs[0].to_string(),
        "yaml: unmarshal errors:\n  line 6: mapping key \"expr\" already defined at line 5"
    );
    let (g, errs) = parse_str(
        "groups:\n- name: g\n  rules:\n  - record: a\n    expr: 1\n    labels:\n      x: 1\n      x: 2\n",
    );
    assert!(g.is_none(), "{errs:?}");
    assert_eq!(
        errs[0].to_string(),
        "yaml: unmarshal errors:\n  line 8: mapping key \"x\" already defined at line 7"
    );
}

#[test]
fn anchored_items_keep_positions() {
    let src = "groups:\n- name: g\n  rules:\n  - &r\n    record: a\n    expr: rate(x)\n";
    let (_, errs) = parse_str(src);
    assert_eq!(
        errs[0].to_string().split(": group").next(),
        Some("6:11"),
        "{}",
        errs[0]
    );
}

/// YAML syntax errors as Debian's promtool prints them (each twice, since
/// upstream decodes the file twice).
#[test]
fn syntax_errors_match_promtool() {
    let cases = [
        (
            "groups:\n- name: a\n  rules:\n  - record: \"x\n",
            "yaml: line 4: found unexpected end of stream",
        ),
        (
            "groups:\n\t- name: a\n",
            "yaml: line 2: found character that cannot start any token",
        ),
        (
            "groups:\n- name: a\n  rules: [\n",
            "yaml: line 3: did not find expected node content",
        ),
        (
            "groups: {a: 1",
            "yaml: line 1: did not find expected ',' or '}'",
        ),
        (
            "groups:\n- name: a\n  - name: b\n",
            "yaml: line 1: did not find expected key",
        ),
        (
            "groups:\n- name: a\nb: c: d\n",
            "yaml: line 3: mapping values are not allowed in this context",
        ),
    ];
    let mut bad = Vec::new();
    for (src, want) in cases {
        let (g, errs) = parse_str(src);
        let got: Vec<String> = errs.iter().map(ToString::to_string).collect();
        if g.is_some() || got != [want, want] {
            bad.push(format!("{src:?}: got {got:?}, want {want:?} twice"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    let (g, errs) = parse_str("groups:\n- name: a\n  limit: 1.5\n");
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(g.unwrap().groups[0].limit, 1);
}

/// Validation errors, all of them and in order, as Debian's promtool
/// prints them for the same files.
#[test]
fn validation_errors_match_promtool() {
    let cases: [(&str, &[&str]); 4] = [
        (
            "groups:\n- name: \"\"\n  rules: []\n- rules: []\n",
            &[
                "2:3: Groupname must not be empty",
                "4:3: Groupname must not be empty",
                "4:3: groupname: \"\" is repeated in the same file",
            ],
        ),
        (
            "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up\n        labels:\n          x: \"{{ nope }}\"\n        annotations:\n          y: \"{{ .Foo \"\n",
            &[
                "group \"a\", rule 1, \"A\": label \"x\": template: __alert_A:1: function \"nope\" not defined",
                "group \"a\", rule 1, \"A\": annotation \"y\": template: __alert_A:1: unclosed action",
            ],
        ),
        (
            "groups:\n  - name: a\n    rules:\n      - record: r\n        expr: |\n          sum(\n        for: 5m\n        annotations: {a: b}\n",
            &[
                "5:15: group \"a\", rule 1, \"r\": could not parse expression: 2:1: parse error: unclosed left parenthesis",
                "4:17: group \"a\", rule 1, \"r\": invalid field 'annotations' in recording rule",
                "4:17: group \"a\", rule 1, \"r\": invalid field 'for' in recording rule",
            ],
        ),
        (
            "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: \"up\"\n        for: 5m\n      - alert: A\n        expr: 'up +'\n",
            &[
                "8:15: group \"a\", rule 2, \"A\": could not parse expression: 1:5: parse error: unexpected end of input",
            ],
        ),
    ];
    for (src, want) in cases {
        let (_, errs) = parse_str(src);
        let got: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(got, want, "{src}");
    }
}

#[test]
fn rules_print_as_yaml() {
    let (g, errs) = parse_str(
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 90m\n    labels: {severity: page}\n    annotations:\n      summary: \"Instance {{ $labels.instance }} down\"\n  - record: r\n    expr: sum(up)\n",
    );
    assert!(errs.is_empty());
    let g = g.unwrap();
    assert_eq!(
        g.groups[0].rules[0].to_yaml(),
        "alert: A\nexpr: up == 0\nfor: 1h30m\nlabels:\n  severity: page\nannotations:\n  summary: Instance {{ $labels.instance }} down\n"
    );
    assert_eq!(g.groups[0].rules[1].to_yaml(), "record: r\nexpr: sum(up)\n");
}

#[test]
fn bom_and_documents() {
    let (_, errs) =
        parse_str("\u{feff}groups:\n- name: g\n  rules:\n  - record: a\n    expr: rate(x)\n");
    assert!(
        errs[0].to_string().starts_with("5:11: group"),
        "{}",
        errs[0]
    );
    assert!(rulefmt::has_multiple_documents(
        b"groups: []\n---\ngroups: []\n"
    ));
    assert!(!rulefmt::has_multiple_documents(b"groups: []\n"));
    let (g, errs) = parse_str("groups:\n- name: a\n---\ngroups:\n- name: b\n");
    assert!(errs.is_empty());
    assert_eq!(g.unwrap().groups[0].name, "a");
}
