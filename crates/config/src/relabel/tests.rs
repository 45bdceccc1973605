//! Table-driven relabeling tests. Each case is written the way users see
//! relabeling: input labels, the YAML rules, and the expected labels (or
//! `drop`). The cases follow the behaviours upstream's `relabel_test.go`
//! pins down; the test code is our own.

use vigil_model::{Labels, ValidationScheme};

use super::expand::expand;
use super::{
    RelabelConfig, hashmod, is_legacy_name_with_vars, process, process_builder, process_cow,
};

/// Parses `a=foo,b=bar` (values may not contain `,`; `\n` is a newline).
fn labels(s: &str) -> Labels {
    let pairs: Vec<(String, String)> = s
        .split(',')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(n, v)| (n.to_owned(), v.replace("\\n", "\n")))
        .collect();
    Labels::from_pairs(&pairs)
}

fn rules(yaml: &str, scheme: ValidationScheme) -> Vec<RelabelConfig> {
    let mut cfgs: Vec<RelabelConfig> =
        serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
    for c in &mut cfgs {
        c.validate(scheme).unwrap_or_else(|e| panic!("{yaml}: {e}"));
    }
    cfgs
}

/// `(input, rules, expected)`; expected `None` means the series is dropped.
const CASES: &[(&str, &str, Option<&str>)] = &[
    // replace with ${1} twice
    (
        "a=foo,b=bar,c=baz",
        "- {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch${1}-ch${1}'}",
        Some("a=foo,b=bar,c=baz,d=choo-choo"),
    ),
    // two sources joined with the separator, chained rules
    (
        "a=foo,b=bar,c=baz",
        "- {source_labels: [a, b], regex: 'f(.*);(.*)r', target_label: a, replacement: 'b${1}${2}m'}\n- {source_labels: [c, a], regex: '(b).*b(.*)ba(.*)', target_label: d, replacement: '$1$2$2$3'}",
        Some("a=boobam,b=bar,c=baz,d=boooom"),
    ),
    // drop on match, keep on match
    (
        "a=foo",
        "- {source_labels: [a], regex: '.*o.*', action: drop}",
        None,
    ),
    (
        "a=foo,b=bar",
        "- {source_labels: [a, b], regex: '.*o.*', action: drop}",
        None,
    ),
    (
        "a=foo",
        "- {source_labels: [a], regex: '.*o.*', action: keep}",
        Some("a=foo"),
    ),
    (
        "a=foo",
        "- {source_labels: [a], regex: 'no-match', action: keep}",
        None,
    ),
    // the regex is anchored: a partial match does not count
    (
        "a=abc",
        "- {source_labels: [a], regex: 'b', action: drop}",
        Some("a=abc"),
    ),
    (
        "a=abc",
        "- {source_labels: [a], regex: 'no-match', action: drop}",
        Some("a=abc"),
    ),
    // a missing source label is the empty string
    (
        "a=foo",
        "- {source_labels: [b], regex: '^$', action: keep}",
        Some("a=foo"),
    ),
    // replace: no match leaves labels alone
    (
        "a=foo",
        "- {source_labels: [a], regex: 'x(.*)', target_label: b, replacement: 'x'}",
        Some("a=foo"),
    ),
    // replace: empty result deletes the target
    (
        "a=foo,b=bar",
        "- {source_labels: [c], regex: '(.*)', target_label: b, replacement: '$1'}",
        Some("a=foo"),
    ),
    // replace with the defaults copies a label
    (
        "a=foo",
        "- {source_labels: [a], target_label: b}",
        Some("a=foo,b=foo"),
    ),
    // empty value, default regex, literal replacement: set it
    (
        "a=foo",
        "- {target_label: b, replacement: static}",
        Some("a=foo,b=static"),
    ),
    // $1x names group `1x`, which does not exist: expands to nothing
    (
        "a=foo",
        "- {source_labels: [a], regex: '(f)(.*)', target_label: b, replacement: '$1x'}",
        Some("a=foo"),
    ),
    // $$ is a literal dollar; a malformed reference stays as text
    (
        "a=foo",
        "- {source_labels: [a], regex: '(.*)', target_label: b, replacement: '$$${1}$'}",
        Some("a=foo,b=$foo$"),
    ),
    // named groups
    (
        "a=foo",
        "- {source_labels: [a], regex: '(?P<x>f)(?P<y>.*)', target_label: b, replacement: '${y}-$x'}",
        Some("a=foo,b=oo-f"),
    ),
    // target label from a capture group
    (
        "a=some-name-value",
        "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', target_label: '${1}', replacement: '${2}'}",
        Some("a=some-name-value,name=value"),
    ),
    // an invalid target after expansion is skipped (legacy scheme)
    (
        "a=some-name-value",
        "- {source_labels: [a], regex: 'some-([^-]+)-([^,]+)', target_label: '${3}', replacement: '${1}'}",
        Some("a=some-name-value"),
    ),
    // (?s) by default: `.` matches a newline
    (
        "a=foo\\nbar",
        "- {source_labels: [a], regex: 'foo.bar', action: drop}",
        None,
    ),
    // hashmod: the same MD5-derived value as Prometheus
    (
        "a=foo,b=bar,c=baz",
        "- {source_labels: [c], target_label: d, modulus: 1000, action: hashmod}",
        Some("a=foo,b=bar,c=baz,d=976"),
    ),
    (
        "a=foo\\nbar",
        "- {source_labels: [a], target_label: b, modulus: 1000, action: hashmod}",
        Some("a=foo\\nbar,b=734"),
    ),
    // labelmap
    (
        "a=foo,b1=bar,b2=baz",
        "- {regex: '(b.*)', replacement: 'bar_${1}', action: labelmap}",
        Some("a=foo,b1=bar,b2=baz,bar_b1=bar,bar_b2=baz"),
    ),
    (
        "__meta_my_bar=aaa,__meta_my_baz=bbb,__meta_other=ccc",
        "- {regex: '__meta_(my.*)', replacement: '${1}', action: labelmap}",
        Some("__meta_my_bar=aaa,__meta_my_baz=bbb,__meta_other=ccc,my_bar=aaa,my_baz=bbb"),
    ),
    // labeldrop / labelkeep
    (
        "a=foo,b=bar,c=baz",
        "- {regex: '(b.*)', action: labeldrop}",
        Some("a=foo,c=baz"),
    ),
    (
        "a=foo,b=bar,c=baz",
        "- {regex: '(b.*)', action: labelkeep}",
        Some("b=bar"),
    ),
    (
        "aaa=foo,aab=bar,aac=baz",
        "- {regex: 'aa(b.*)', action: labeldrop}",
        Some("aaa=foo,aac=baz"),
    ),
    // lowercase / uppercase
    (
        "foo=bAr123Foo",
        "- {source_labels: [foo], target_label: foo_lower, action: lowercase}",
        Some("foo=bAr123Foo,foo_lower=bar123foo"),
    ),
    (
        "foo=bAr123Foo",
        "- {source_labels: [foo], target_label: foo_upper, action: uppercase}",
        Some("foo=bAr123Foo,foo_upper=BAR123FOO"),
    ),
    (
        "foo=BaR,bar=BAz",
        "- {source_labels: [foo, bar], target_label: lower, action: lowercase}",
        Some("bar=BAz,foo=BaR,lower=bar;baz"),
    ),
    // keepequal / dropequal
    (
        "__tmp_port=1234,__port1=1234,__port2=5678",
        "- {source_labels: [__tmp_port], target_label: __port1, action: keepequal}",
        Some("__port1=1234,__port2=5678,__tmp_port=1234"),
    ),
    (
        "__tmp_port=1234,__port1=1234,__port2=5678",
        "- {source_labels: [__tmp_port], target_label: __port2, action: keepequal}",
        None,
    ),
    (
        "__tmp_port=1234,__port1=1234,__port2=5678",
        "- {source_labels: [__tmp_port], target_label: __port1, action: dropequal}",
        None,
    ),
    (
        "__tmp_port=1234,__port1=1234,__port2=5678",
        "- {source_labels: [__tmp_port], target_label: __port2, action: dropequal}",
        Some("__port1=1234,__port2=5678,__tmp_port=1234"),
    ),
    // action names are case-insensitive
    (
        "a=foo",
        "- {source_labels: [a], regex: 'foo', action: DROP}",
        None,
    ),
];

#[test]
fn relabel_table() {
    for (i, (input, yaml, want)) in CASES.iter().enumerate() {
        let cfgs = rules(yaml, ValidationScheme::Legacy);
        let got = process(&labels(input), &cfgs);
        let want = want.map(labels);
        assert_eq!(got, want, "case {i}: {input} with {yaml}");
    }
}

#[test]
fn builder_in_place_agrees_with_process() {
    for (i, (input, yaml, want)) in CASES.iter().enumerate() {
        let cfgs = rules(yaml, ValidationScheme::Legacy);
        let mut b = labels(input).to_builder();
        let kept = process_builder(&mut b, &cfgs);
        let got = kept.then(|| b.build());
        assert_eq!(got, want.map(labels), "case {i}: {input} with {yaml}");
    }
}

#[test]
fn utf8_target_from_capture() {
    let cfgs = rules(
        "- {source_labels: [a], regex: '(.*)', target_label: '${1}', replacement: x}",
        ValidationScheme::Utf8,
    );
    let got = process(&labels("a=some.name"), &cfgs);
    assert_eq!(got, Some(labels("a=some.name,some.name=x")));
    // Legacy refuses the dotted name after expansion.
    let cfgs = rules(
        "- {source_labels: [a], regex: '(.*)', target_label: '${1}', replacement: x}",
        ValidationScheme::Legacy,
    );
    assert_eq!(
        process(&labels("a=some.name"), &cfgs),
        Some(labels("a=some.name"))
    );
}

#[test]
fn keep_drop_borrow_without_copying() {
    let input = labels("__name__=up,job=x");
    let cfgs = rules(
        "- {source_labels: [__name__], regex: 'up|down', action: keep}\n- {source_labels: [job], regex: 'y', action: drop}",
        ValidationScheme::Utf8,
    );
    assert!(matches!(
        process_cow(&input, &cfgs),
        Some(std::borrow::Cow::Borrowed(_))
    ));
}

/// `(yaml, error fragment)` for rules Prometheus refuses.
const INVALID: &[(&str, &str)] = &[
    (
        "{action: hashmod, target_label: a}",
        "relabel configuration for hashmod requires non-zero modulus",
    ),
    (
        "{action: replace}",
        "relabel configuration for replace action requires 'target_label' value",
    ),
    (
        "{action: lowercase}",
        "relabel configuration for lowercase action requires 'target_label' value",
    ),
    (
        "{action: keepequal, source_labels: [a]}",
        "relabel configuration for keepequal action requires 'target_label' value",
    ),
    (
        "{action: keepequal, source_labels: [a], target_label: b, regex: '(.*)'}",
        "keepequal action requires only 'source_labels' and `target_label`, and no other fields",
    ),
    (
        "{action: labeldrop, source_labels: [a]}",
        "labeldrop action requires only 'regex', and no other fields",
    ),
    (
        "{action: labelkeep, separator: ','}",
        "labelkeep action requires only 'regex', and no other fields",
    ),
    (
        "{action: uppercase, target_label: a, replacement: x}",
        "'replacement' can not be set for uppercase action",
    ),
    (
        "{action: replace, target_label: '1a'}",
        "\"1a\" is invalid 'target_label' for replace action",
    ),
    (
        "{action: replace, target_label: '${'}",
        "is invalid 'target_label' for replace action",
    ),
    (
        "{action: labelmap, replacement: 'a-b'}",
        "\"a-b\" is invalid 'replacement' for labelmap action",
    ),
    ("{action: ''}", "relabel action cannot be empty"),
];

#[test]
fn validation_errors() {
    for (yaml, want) in INVALID {
        let mut c: RelabelConfig =
            serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
        let err = c.validate(ValidationScheme::Legacy).expect_err(yaml);
        assert!(err.contains(want), "{yaml}: got {err}, want {want}");
    }
    let bad: Result<RelabelConfig, _> = serde_yaml_ng::from_str("{action: explode}");
    assert!(bad.is_err_and(|e| e.to_string().contains("unknown relabel action \"explode\"")));
    let bad: Result<RelabelConfig, _> = serde_yaml_ng::from_str("{regex: 'a(b'}");
    assert!(bad.is_err_and(|e| e.to_string().contains("error parsing regexp")));
}

#[test]
fn legacy_target_names_with_variables() {
    for (s, valid) in [
        ("-label", false),
        ("label", true),
        ("label${1}", true),
        ("${1}label", true),
        ("${1}", true),
        ("${", false),
        ("$", false),
        ("${}", false),
        ("foo${", false),
        ("$1", true),
        ("asd$2asd", true),
        ("-foo${1}bar-", false),
        ("bar.foo${1}bar", false),
        ("_${1}_", true),
        ("foo${bar}foo", true),
    ] {
        assert_eq!(is_legacy_name_with_vars(s), valid, "{s}");
    }
}

#[test]
fn expand_like_go() {
    let re = regex::Regex::new("^(?s:(?P<first>a)(b)?)$").expect("regex");
    let caps = re.captures("a").expect("match");
    for (tpl, want) in [
        ("$1", "a"),
        ("${1}", "a"),
        ("$first", "a"),
        ("${first}x", "ax"),
        ("$2", ""),
        ("$10", ""),
        ("$$1", "$1"),
        ("${", "${"),
        ("$", "$"),
        ("x$-y", "x$-y"),
        ("$01", ""),
    ] {
        let mut out = String::new();
        expand(&mut out, tpl, &re, &caps);
        assert_eq!(out, want, "{tpl}");
    }
}

#[test]
fn hashmod_matches_prometheus() {
    assert_eq!(hashmod("baz", 1000), 976);
    assert_eq!(hashmod("foo\nbar", 1000), 734);
    assert_eq!(hashmod("x", 0), 0);
}

#[test]
fn serializes_like_prometheus() {
    let cfgs = rules(
        "- {source_labels: [a], target_label: b}",
        ValidationScheme::Utf8,
    );
    let text = serde_yaml_ng::to_string(&cfgs).expect("yaml");
    assert!(text.contains("separator: ;"), "{text}");
    assert!(
        !text.contains("regex:"),
        "the implicit default is omitted: {text}"
    );
    assert!(text.contains("replacement: $1"), "{text}");
    assert!(text.contains("action: replace"), "{text}");
}

/// `(yaml, scheme, expected error or "" for valid)`, after upstream's
/// `TestRelabelValidate`.
const VALIDATE: &[(&str, ValidationScheme, &str)] = &[
    (
        "{action: lowercase, target_label: '${3}'}",
        ValidationScheme::Utf8,
        "",
    ),
    (
        "{action: lowercase, target_label: '${3}'}",
        ValidationScheme::Legacy,
        "\"${3}\" is invalid 'target_label' for lowercase action",
    ),
    (
        "{source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '${3}'}",
        ValidationScheme::Utf8,
        "",
    ),
    (
        "{source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '0${3}'}",
        ValidationScheme::Utf8,
        "",
    ),
    (
        "{source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '-${3}'}",
        ValidationScheme::Utf8,
        "",
    ),
    (
        "{source_labels: [a], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '-${3}'}",
        ValidationScheme::Legacy,
        "is invalid 'target_label' for replace action",
    ),
    (
        "{regex: '__meta_kubernetes_pod_label_(strimzi_io_.+)', action: labelmap, replacement: '$1'}",
        ValidationScheme::Legacy,
        "",
    ),
    (
        "{regex: '__meta_(.+)', action: labelmap, replacement: '${1}'}",
        ValidationScheme::Legacy,
        "",
    ),
];

#[test]
fn validate_by_scheme() {
    for (yaml, scheme, want) in VALIDATE {
        let mut c: RelabelConfig =
            serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
        match (c.validate(*scheme), *want) {
            (Ok(()), "") => {}
            (Err(e), w) if !w.is_empty() && e.contains(w) => {}
            (got, _) => panic!("{yaml} ({scheme:?}): got {got:?}, want {want:?}"),
        }
    }
}
