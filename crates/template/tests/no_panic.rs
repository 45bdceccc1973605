//! Hostile templates never panic: random fragment soups, every prefix of
//! realistic templates, and deep nesting all end in `Ok` or `Err`.

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_template::{Context, Expander, Limits, Sample, Template, Value, alert_template_data};

const FRAGMENTS: [&str; 52] = [
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "if ",
    "range ",
    "end",
    "else",
    "else if ",
    "with ",
    "$x",
    " := ",
    " = ",
    "(",
    ")",
    " | ",
    ".",
    ".Labels",
    ".Value",
    "$labels.instance",
    "\"s\"",
    "`r`",
    "'c'",
    "1",
    "-2.5",
    "0x1f",
    "printf \"%v %d\" ",
    "humanize ",
    "query \"up\"",
    "first",
    "template \"T\" ",
    "define \"T\"",
    "block \"B\" .",
    " ",
    "\n",
    "/*",
    "*/",
    "break",
    "continue",
    "$",
    ", ",
    "eq ",
    "index ",
    "slice ",
    "len ",
    "nil",
    "true",
    "é",
    "\u{a0}",
    "and ",
    "or ",
    "label \"a\" ",
];

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

fn ctx() -> Context {
    let s = Sample {
        labels: [
            ("__name__".to_string(), "up".to_string()),
            ("a".to_string(), "b".to_string()),
        ]
        .into(),
        value: Value::Float(1.0),
    };
    Context {
        query: Some(Arc::new(move |_: &str, _: i64| Ok(vec![s.clone()]))),
        external_url: "http://x/y".into(),
        timestamp_ms: 0,
    }
}

fn data() -> Value {
    let labels: BTreeMap<String, String> = [("instance".to_string(), "h:1".to_string())].into();
    alert_template_data(&labels, &BTreeMap::new(), "http://x", Value::Float(2.0))
}

fn exercise(text: &str) {
    let e = Expander::new(text, "fuzz", data(), ctx());
    let _ = e.expand();
    let _ = e.expand_html(&[]);
    let _ = e.parse_test();
    let small = Template::new("t").limits(Limits {
        max_output: 4096,
        max_steps: 20_000,
    });
    let _ = small.render(text, &data());
}

#[test]
fn random_fragments() {
    let mut rng = Lcg(42);
    for _ in 0..8_000 {
        let n = 1 + rng.next() % 30;
        let text: String = (0..n)
            .map(|_| FRAGMENTS[rng.next() % FRAGMENTS.len()])
            .collect();
        exercise(&text);
    }
}

#[test]
fn every_prefix() {
    let texts = [
        "{{define \"x\"}}{{.arg0}} {{.arg1}}{{end}}{{template \"x\" (args 1 \"2\")}}",
        "{{ range query \"metric\" | sortByLabel \"instance\" }}{{.Labels.instance}}:{{.Value}}: {{end}}",
        "{{ (\"-30m\" | parseDuration | toDuration | (now | toTime).Add).UnixMilli }}",
        "{{ printf \"%0.2f\" (parseDuration \"1h2m10ms\") }}{{/* c */}}{{- if eq 1 1 -}} y {{- else if 2 }}{{ end }}",
        "{{ $x := query \"metric\" | first }}{{ $x.Labels.foo }}{{ range $i, $e := . }}{{ break }}{{ end }}",
        "{{ with $labels }}{{ .instance | reReplaceAll \"(.*):.*\" \"$1\" | title }}{{ else }}none{{ end }}",
        "{{ block \"B\" . }}{{ humanizeDuration $value }} {{ 'x' }} {{ `raw` }} {{ \"q\\\"e\" }}{{ end }}",
    ];
    for t in texts {
        for (i, _) in t.char_indices() {
            exercise(&t[..i]);
            exercise(&t[i..]);
        }
    }
}

#[test]
fn deep_nesting() {
    for n in [10, 100, 199, 200, 201, 1000, 20_000] {
        exercise(&format!("{{{{{}1{}}}}}", "(".repeat(n), ")".repeat(n)));
        exercise(&format!("{}x{}", "{{if 1}}".repeat(n), "{{end}}".repeat(n)));
        exercise(&format!("{}x", "{{range 2}}".repeat(n)));
        exercise(&"{{".repeat(n));
        exercise(&"}}{{end}}".repeat(n));
        exercise(&format!(
            "{}{}",
            "{{define \"a\"}}{{template \"a\" .}}{{end}}", "{{template \"a\" .}}"
        ));
        exercise(&format!(
            "{{{{define \"a\"}}}}{{{{tmpl \"a\" .}}}}{{{{end}}}}{{{{tmpl \"a\" .}}}}{}",
            " ".repeat(n % 7)
        ));
    }
}
