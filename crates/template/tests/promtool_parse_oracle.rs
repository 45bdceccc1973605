//! Template parse errors checked against Prometheus itself: each expected
//! message is what `promtool check rules` (Debian's Prometheus 2.42)
//! reported for an alert annotation holding the template (`OK` when it
//! parsed), after Prometheus' `$labels`/`$value` definitions are prepended.

const CASES: &[(&str, &str)] = &[
    ("{{if}}", "template: __alert_A:1: missing value for if"),
    ("{{end}}", "template: __alert_A:1: unexpected {{end}}"),
    ("{{else}}", "template: __alert_A:1: unexpected {{else}}"),
    ("{{if true}}", "template: __alert_A:1: unexpected EOF"),
    (
        "{{foo}}",
        "template: __alert_A:1: function \"foo\" not defined",
    ),
    ("{{$x}}", "template: __alert_A:1: undefined variable \"$x\""),
    (
        "{{1 | 2}}",
        "template: __alert_A:1: non executable command in pipeline stage 2",
    ),
    (
        "{{\"a}}",
        "template: __alert_A:1: unterminated quoted string",
    ),
    (
        "{{`a}}",
        "template: __alert_A:1: unterminated raw quoted string",
    ),
    (
        "{{break}}",
        "template: __alert_A:1: {{break}} outside {{range}}",
    ),
    ("a\n{{", "template: __alert_A:2: unclosed action"),
    ("{{(1}}", "template: __alert_A:1: unclosed left paren"),
    (
        "{{)}}",
        "template: __alert_A:1: unexpected \")\" in command",
    ),
    ("{{3x}}", "template: __alert_A:1: bad number syntax: \"3x\""),
    ("{{/* x }}", "template: __alert_A:1: unclosed comment"),
    (
        "{{/* x */ 1}}",
        "template: __alert_A:1: comment ends before closing delimiter",
    ),
    (
        "{{.a * 2}}",
        "template: __alert_A:1: unexpected \"*\" in operand",
    ),
    ("{{$x := 1}}{{$x:1}}", "template: __alert_A:1: expected :="),
    (
        "{{a:b}}",
        "template: __alert_A:1: function \"a\" not defined",
    ),
    (
        "{{range $a, $b, $c := .}}{{end}}",
        "template: __alert_A:1: too many declarations in range",
    ),
    (
        "{{define \"x\"}}a{{end}}{{define \"x\"}}b{{end}}",
        "template: __alert_A:1: template: multiple definition of template \"x\"",
    ),
    (
        "{{template .x}}",
        "template: __alert_A:1: unexpected \".x\" in template clause",
    ),
    ("{{with}}", "template: __alert_A:1: missing value for with"),
    (
        "{{0x}}",
        "template: __alert_A:1: illegal number syntax: \"0x\"",
    ),
    (
        "{{\"x\".y}}",
        "template: __alert_A:1: unexpected . after term \"\\\"x\\\"\"",
    ),
    ("{{.a | }}", "OK"),
    ("{{}}", "template: __alert_A:1: missing value for command"),
    (
        "{{ \\ }}",
        "template: __alert_A:1: unexpected \"\\\\\" in command",
    ),
    (
        "{{1.2.3}}",
        "template: __alert_A:1: unexpected \".3\" in operand",
    ),
    ("{{else if}}", "template: __alert_A:1: unexpected {{else}}"),
    (
        "{{if 1}}{{else if}}{{end}}",
        "template: __alert_A:1: missing value for if",
    ),
    (
        "{{range .}}{{else}}{{else}}{{end}}",
        "template: __alert_A:1: expected end; found {{else}}",
    ),
    (
        "{{  }}",
        "template: __alert_A:1: unrecognized character in action: U+00A0",
    ),
    (
        "{{'ab'}}",
        "template: __alert_A:1: malformed character constant: 'ab'",
    ),
    ("{{\"\\q\"}}", "template: __alert_A:1: invalid syntax"),
    ("{{nil}}", "OK"),
    (
        "{{ . | nil }}",
        "template: __alert_A:1: non executable command in pipeline stage 2",
    ),
    ("{{ (1 }}", "template: __alert_A:1: unclosed left paren"),
    (
        "{{ 1) }}",
        "template: __alert_A:1: unexpected \")\" in command",
    ),
    (
        "{{$x := }}",
        "template: __alert_A:1: missing value for command",
    ),
    ("{{ printf }}", "OK"),
    ("{{ len 1 2 }}", "OK"),
    (
        "{{block}}",
        "template: __alert_A:1: unexpected \"}}\" in block clause",
    ),
    (
        "{{define}}",
        "template: __alert_A:1: unexpected \"}}\" in define clause",
    ),
    (
        "{{template}}",
        "template: __alert_A:1: unexpected \"}}\" in template clause",
    ),
    ("{{ .X.Y.Z 1 }}", "OK"),
    ("{{3 | .x}}", "OK"),
    (
        "{{ if 1 }}{{ continue }}{{ end }}",
        "template: __alert_A:1: {{continue}} outside {{range}}",
    ),
    ("{{range $i, $e := 1}}{{end}}", "OK"),
    ("{{ $ }}", "OK"),
    ("{{ $.x }}", "OK"),
    ("{{/**/}}", "OK"),
    ("{{- /* */ -}}", "OK"),
    ("{{-3}}", "OK"),
    ("{{- 3}}", "OK"),
    (
        "{{ 0b2 }}",
        "template: __alert_A:1: bad number syntax: \"0b2\"",
    ),
    (
        "{{ 0x }}",
        "template: __alert_A:1: illegal number syntax: \"0x\"",
    ),
    (
        "{{ 18446744073709551616 }}",
        "template: __alert_A:1: integer overflow: \"18446744073709551616\"",
    ),
    (
        "{{ 1e400 }}",
        "template: __alert_A:1: illegal number syntax: \"1e400\"",
    ),
    (
        "{{ 08 }}",
        "template: __alert_A:1: integer overflow: \"08\"",
    ),
    (
        "{{ 1__0 }}",
        "template: __alert_A:1: illegal number syntax: \"1__0\"",
    ),
];

#[test]
fn parse_errors_match_promtool() {
    let mut bad = Vec::new();
    for (text, want) in CASES {
        let got = match vigil_template::parse_alert_template("A", text) {
            Ok(()) => "OK".to_string(),
            Err(e) => e.to_string(),
        };
        if got != *want {
            bad.push(format!("{text:?}\n   got: {got:?}\n  want: {want:?}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} differ:\n{}",
        bad.len(),
        CASES.len(),
        bad.join("\n")
    );
}
