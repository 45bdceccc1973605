//! Mirrors every case of Prometheus' `template/template_test.go`
//! (`TestTemplateExpansion` and `Test_floatToTime`), run through
//! [`Expander`] with the same time, external URL and query results.

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_template::{Context, ElemType, Expander, Sample, Value};

struct Case {
    text: &'static str,
    output: &'static str,
    input: Value,
    options: Option<Vec<String>>,
    query: Vec<Sample>,
    fail: Option<&'static str>,
    html: bool,
}

fn case(text: &'static str, output: &'static str) -> Case {
    Case {
        text,
        output,
        input: Value::Nil,
        options: None,
        query: Vec::new(),
        fail: None,
        html: false,
    }
}

impl Case {
    fn input(mut self, v: Value) -> Self {
        self.input = v;
        self
    }
    fn html(mut self) -> Self {
        self.html = true;
        self
    }
    fn fail(mut self, msg: &'static str) -> Self {
        self.fail = Some(msg);
        self
    }
    fn options(mut self, o: &[&str]) -> Self {
        self.options = Some(o.iter().map(|s| s.to_string()).collect());
        self
    }
    fn query(mut self, q: Vec<Sample>) -> Self {
        self.query = q;
        self
    }
}

fn sample(labels: &[(&str, &str)], v: Value) -> Sample {
    Sample {
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        value: v,
    }
}

fn floats(v: &[f64]) -> Value {
    Value::list(
        v.iter().map(|f| Value::Float(*f)).collect(),
        ElemType::Float,
    )
}
fn strs(v: &[&str]) -> Value {
    Value::list(
        v.iter().map(|s| Value::from(*s)).collect(),
        ElemType::String,
    )
}
fn ints(v: &[i64]) -> Value {
    Value::list(v.iter().map(|i| Value::Int(*i)).collect(), ElemType::Int)
}
fn uints(v: &[u64]) -> Value {
    Value::list(v.iter().map(|i| Value::Uint(*i)).collect(), ElemType::Uint)
}

const HIST: &str = "{count:3, sum:10}";

fn cases() -> Vec<Case> {
    let metric_a = || {
        vec![sample(
            &[("__name__", "metric"), ("instance", "a")],
            Value::Float(11.0),
        )]
    };
    vec![
        case("plain text", "plain text"),
        case("{{ 1 }}", "1"),
        case("{{ . | value }}", HIST).input(Value::Sample(Arc::new(sample(&[], Value::Histogram(HIST.into()))))),
        case("{{\u{a0}}}", "").fail("error parsing template test: template: test:1: unrecognized character in action: U+00A0"),
        case("{{ \"<b>\" }}", "&lt;b&gt;").html(),
        // Not upstream's: html/template also escapes `+` and quotes.
        case("{{ \"a+b'\\\"&\" }}", "a&#43;b&#39;&#34;&amp;").html(),
        case("{{ \"<b>\" | safeHtml }}", "<b>").html(),
        case("{{ \"<b>\" }}", "<b>"),
        case("{{define \"x\"}}{{.arg0}} {{.arg1}}{{end}}{{template \"x\" (args 1 \"2\")}}", "1 2"),
        case("{{ query \"1.5\" | first | value }}", "1.5").query(vec![sample(&[], Value::Float(1.5))]),
        case("{{ query \"metric{instance='a'}\" | first | value }}", "11").query(metric_a()),
        case("{{ query \"metric{instance='a'}\" | first | value }}", HIST)
            .query(vec![sample(&[("__name__", "metric"), ("instance", "a")], Value::Histogram(HIST.into()))]),
        case("{{ query \"metric{instance='a'}\" | first | label \"instance\" }}", "a").query(metric_a()),
        case("{{ query \"metric{__value__='a'}\" | first | strvalue }}", "a")
            .query(vec![sample(&[("__name__", "metric"), ("__value__", "a")], Value::Float(11.0))]),
        case("{{ query \"metric{instance='a'}\" | first | label \"foo\" }}", "").query(metric_a()),
        case("{{ $x := query \"metric\" | first }}{{ $x.Labels.foo }}", "").query(metric_a()),
        case("{{ $x := query \"metric\" | first }}{{ $x.Labels.foo }}", "").query(metric_a()).html(),
        case("{{ range query \"metric\" | sortByLabel \"instance\" }}{{.Labels.instance}}:{{.Value}}: {{end}}", "a:11: b:21: ").query(vec![
            sample(&[("__name__", "metric"), ("instance", "b")], Value::Float(21.0)),
            sample(&[("__name__", "metric"), ("instance", "a")], Value::Float(11.0)),
        ]),
        case("{{ \"foo.example.com\" | stripPort }}", "foo.example.com"),
        case("{{ \"foo.example.com:12345\" | stripPort }}", "foo.example.com"),
        case("{{ \"192.0.2.1\" | stripPort }}", "192.0.2.1"),
        case("{{ \"192.0.2.1:12345\" | stripPort }}", "192.0.2.1"),
        case("{{ \"2001:0DB8::1\" | stripPort }}", "2001:0DB8::1"),
        case("{{ \"[2001:0DB8::1]:12345\" | stripPort }}", "2001:0DB8::1"),
        case("{{ \"[2001:0DB8::1]::12345\" | stripPort }}", "[2001:0DB8::1]::12345"),
        case("{{ .Foo }}", "<no value>"),
        case("{{ .Foo }}", "<no value>").options(&[]),
        case("{{ .Foo }}", "").options(&["missingkey=error"]).fail(
            "error executing template test: template: test:1:3: executing \"test\" at <.Foo>: nil data; no entry for key \"Foo\"",
        ),
        case("{{ .Foo }}", "").html(),
        case("{{ .Foo }}", "").options(&[]).html(),
        case("{{ .Foo }}", "").options(&["missingkey=error"]).html().fail(
            "error executing template test: template: test:1:3: executing \"test\" at <.Foo>: nil data; no entry for key \"Foo\"",
        ),
        case("{{", "").fail("error parsing template test: template: test:1: unclosed action"),
        case("{{ query \"missing\" | first }}", "").fail(
            "error executing template test: template: test:1:21: executing \"test\" at <first>: error calling first: first() called on vector with no elements",
        ),
        case("{{ (query \"missing\").banana }}", "").fail(
            "error executing template test: template: test:1:10: executing \"test\" at <\"missing\">: can't evaluate field banana in type template.queryResult",
        ),
        case("{{ reReplaceAll \"(a)b\" \"x$1\" \"ab\" }}", "xa"),
        case("{{ range . }}{{ humanize . }}:{{ end }}", "0:1:1.235M:120m:").input(floats(&[0.0, 1.0, 1234567.0, 0.12])),
        case("{{ range . }}{{ humanize . }}:{{ end }}", "0:1:1.235M:120m:").input(strs(&["0.0", "1.0", "1234567.0", ".12"])),
        case("{{ humanize \"one\" }}", "").fail(
            "error executing template test: template: test:1:3: executing \"test\" at <humanize \"one\">: error calling humanize: strconv.ParseFloat: parsing \"one\": invalid syntax",
        ),
        case("{{ range . }}{{ humanize . }}:{{ end }}", "0:-1:1:1.235M:9.223E:").input(ints(&[0, -1, 1, 1234567, i64::MAX])),
        case("{{ range . }}{{ humanize . }}:{{ end }}", "0:1:1.235M:18.45E:").input(uints(&[0, 1, 1234567, u64::MAX])),
        case("{{ range . }}{{ humanize1024 . }}:{{ end }}", "0:1:1Mi:0.12:").input(floats(&[0.0, 1.0, 1048576.0, 0.12])),
        case("{{ range . }}{{ humanize1024 . }}:{{ end }}", "0:1:1Mi:0.12:").input(strs(&["0.0", "1.0", "1048576.0", ".12"])),
        case("{{ humanize1024 \"one\" }}", "").fail(
            "error executing template test: template: test:1:3: executing \"test\" at <humanize1024 \"one\">: error calling humanize1024: strconv.ParseFloat: parsing \"one\": invalid syntax",
        ),
        case("{{ range . }}{{ humanize1024 . }}:{{ end }}", "0:-1:1:1.177Mi:8Ei:").input(ints(&[0, -1, 1, 1234567, i64::MAX])),
        case("{{ range . }}{{ humanize1024 . }}:{{ end }}", "0:1:1.177Mi:16Ei:").input(uints(&[0, 1, 1234567, u64::MAX])),
        case("{{ range . }}{{ humanizeDuration . }}:{{ end }}", "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:")
            .input(floats(&[0.0, 1.0, 60.0, 3600.0, 86400.0, 86400.0 + 3600.0, -(86400.0 * 2.0 + 3600.0 * 3.0 + 60.0 * 4.0 + 5.0), 899.99])),
        case("{{ range . }}{{ humanizeDuration . }}:{{ end }}", "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:").input(strs(&["0", "1", "60", "3600", "86400"])),
        case("{{ range . }}{{ humanizeDuration . }}:{{ end }}", "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:")
            .input(floats(&[0.1, 0.0001, 0.12345, 60.1, 60.5, 1.2345, 12.345])),
        case("{{ range . }}{{ humanizeDuration . }}:{{ end }}", "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:")
            .input(strs(&[".1", ".0001", ".12345", "60.1", "60.5", "1.2345", "12.345"])),
        case("{{ humanizeDuration \"one\" }}", "").fail(
            "error executing template test: template: test:1:3: executing \"test\" at <humanizeDuration \"one\">: error calling humanizeDuration: strconv.ParseFloat: parsing \"one\": invalid syntax",
        ),
        case("{{ range . }}{{ humanizeDuration . }}:{{ end }}", "0s:-1s:1s:14d 6h 56m 7s:").input(ints(&[0, -1, 1, 1234567])),
        case("{{ range . }}{{ humanizeDuration . }}:{{ end }}", "0s:1s:14d 6h 56m 7s:").input(uints(&[0, 1, 1234567])),
        case(
            "{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}",
            "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:",
        )
        .input(floats(&[f64::INFINITY, f64::NEG_INFINITY, f64::NAN])),
        case(
            "{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}",
            "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:",
        )
        .input(strs(&["+Inf", "-Inf", "NaN"])),
        case(
            "{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}",
            "-22.22%:0%:12.35%:123.5%",
        ),
        case("{{ range . }}{{ humanizePercentage . }}:{{ end }}", "0%:-100%:100%:1.235e+08%:9.223e+20%:").input(ints(&[0, -1, 1, 1234567, i64::MAX])),
        case("{{ range . }}{{ humanizePercentage . }}:{{ end }}", "0%:100%:1.235e+08%:1.845e+21%:").input(uints(&[0, 1, 1234567, u64::MAX])),
        case(
            "{{ \"-0.22222\" | humanizePercentage }}:{{ \"0.0\" | humanizePercentage }}:{{ \"0.1234567\" | humanizePercentage }}:{{ \"1.23456\" | humanizePercentage }}",
            "-22.22%:0%:12.35%:123.5%",
        ),
        case("{{ \"one\" | humanizePercentage }}", "").fail(
            "error executing template test: template: test:1:11: executing \"test\" at <humanizePercentage>: error calling humanizePercentage: strconv.ParseFloat: parsing \"one\": invalid syntax",
        ),
        case(
            "{{ range . }}{{ humanizeTimestamp . }}:{{ end }}",
            "1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:",
        )
        .input(ints(&[0, -1, 1, 1234567, 9223372036])),
        case(
            "{{ range . }}{{ humanizeTimestamp . }}:{{ end }}",
            "1970-01-01 00:00:00 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:",
        )
        .input(uints(&[0, 1, 1234567, 9223372036])),
        case("{{ range . }}{{ humanizeTimestamp . }}:{{ end }}", "").input(ints(&[i64::MIN, i64::MAX])).fail(
            "error executing template test: template: test:1:16: executing \"test\" at <humanizeTimestamp .>: error calling humanizeTimestamp: -9.223372036854776e+18 cannot be represented as a nanoseconds timestamp since it overflows int64",
        ),
        case("{{ range . }}{{ humanizeTimestamp . }}:{{ end }}", "").input(uints(&[u64::MAX])).fail(
            "error executing template test: template: test:1:16: executing \"test\" at <humanizeTimestamp .>: error calling humanizeTimestamp: 1.8446744073709552e+19 cannot be represented as a nanoseconds timestamp since it overflows int64",
        ),
        case("{{ 1435065584.128 | humanizeTimestamp }}", "2015-06-23 13:19:44.128 +0000 UTC"),
        case("{{ \"1435065584.128\" | humanizeTimestamp }}", "2015-06-23 13:19:44.128 +0000 UTC"),
        case("{{ (1435065584.128 | toTime).Format \"2006\" }}", "2015"),
        case("{{ (\"1435065584.128\" | toTime).Format \"2006\" }}", "2015"),
        case("{{ (1800 | toDuration).String }}", "30m0s"),
        case("{{ (\"1800\" | toDuration).String }}", "30m0s"),
        case("{{ now }}", "1.353755652e+09"),
        case("{{ (now | toTime).Format \"Mon Jan 2 15:04:05 2006\" }}", "Sat Nov 24 11:14:12 2012"),
        case("{{ (\"-30m\" | parseDuration | toDuration | (now | toTime).Add).UnixMilli }}", "1353753852000"),
        case("{{ \"aa bb CC\" | title }}", "Aa Bb CC"),
        case("{{ \"aa bb CC\" | toUpper }}", "AA BB CC"),
        case("{{ \"aA bB CC\" | toLower }}", "aa bb cc"),
        case("{{ match \"a+\" \"aa\" }} {{ match \"a+\" \"b\" }}", "true false"),
        case("{{ graphLink \"up\" }}", "/graph?g0.expr=up&g0.tab=0"),
        case("{{ tableLink \"up\" }}", "/graph?g0.expr=up&g0.tab=1"),
        case("{{ define \"a\" }}x{{ end }}{{ $name := \"a\"}}{{ tmpl $name . }}", "x").html(),
        case("{{ pathPrefix }}", "/path/prefix"),
        case("{{ externalURL }}", "http://testhost:9090/path/prefix"),
        case("{{ printf \"%0.2f\" (parseDuration \"1h2m10ms\") }}", "3720.01"),
        case("{{ printf \"%0.2f\" (parseDuration \"-1h2m10ms\") }}", "-3720.01"),
        case("{{ \"foo.example.com\" | stripDomain }}", "foo"),
        case("{{ \"foo.example.com:12345\" | stripDomain }}", "foo:12345"),
        case("{{ \"192.0.2.1\" | stripDomain }}", "192.0.2.1"),
        case("{{ \"192.0.2.1:12345\" | stripDomain }}", "192.0.2.1:12345"),
        case("{{ \"2001:0DB8::1\" | stripDomain }}", "2001:0DB8::1"),
        case("{{ \"[2001:0DB8::1]:12345\" | stripDomain }}", "[2001:0DB8::1]:12345"),
        case("{{ \"[2001:0DB8::1]::12345\" | stripDomain }}", "[2001:0DB8::1]::12345"),
    ]
}

#[test]
fn template_expansion_matches_prometheus() {
    let mut failures = Vec::new();
    let all = cases();
    for c in &all {
        let q = c.query.clone();
        let ctx = Context {
            query: Some(Arc::new(move |_: &str, _: i64| Ok(q.clone()))),
            external_url: "http://testhost:9090/path/prefix".into(),
            timestamp_ms: 1353755652000,
        };
        let mut e = Expander::new(c.text, "test", c.input.clone(), ctx);
        if let Some(o) = &c.options {
            e = e.with_options(o.clone());
        }
        let got = if c.html {
            e.expand_html(&[])
        } else {
            e.expand()
        };
        match (c.fail, got) {
            (None, Ok(out)) if out == c.output => {}
            (Some(msg), Err(err)) if err.to_string() == msg => {}
            (_, got) => failures.push(format!(
                "{:?}: got {:?}",
                c.text,
                got.map_err(|e| e.to_string())
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn alert_template_defs() {
    let labels: BTreeMap<String, String> =
        [("instance".to_string(), "host:9100".to_string())].into();
    let ext: BTreeMap<String, String> = [("cluster".to_string(), "eu".to_string())].into();
    let data = vigil_template::alert_template_data(&labels, &ext, "http://prom", Value::Float(0.5));
    let out = vigil_template::expand_alert_template(
        "Down",
        "{{ $labels.instance }} {{ $value }} {{ $externalLabels.cluster }} {{ $externalURL }} [{{ $labels.missing }}]",
        data,
        Context::default(),
    )
    .unwrap();
    assert_eq!(out, "host:9100 0.5 eu http://prom []");
    let data = vigil_template::alert_template_data(&labels, &ext, "", Value::Float(1536.0));
    let out = vigil_template::expand_alert_text(
        "Down",
        "{{ $value | humanize1024 | printf \"%d\" }}",
        data,
        Context::default(),
    );
    assert_eq!(out, "%!d(string=1.5ki)");
    let bad = vigil_template::expand_alert_text(
        "Down",
        "{{ index 1 2 }}",
        Value::Nil,
        Context::default(),
    );
    assert!(bad.starts_with("<error expanding template: error executing template __alert_Down: template: __alert_Down:1:"), "{bad}");
    let s = Arc::new(Sample {
        labels: [("a".to_string(), "b".to_string())].into(),
        value: Value::Float(2.0),
    });
    let out = Expander::new(
        "{{ . }} {{ print . }}",
        "t",
        Value::Sample(s),
        Context::default(),
    )
    .expand()
    .unwrap();
    assert_eq!(out, "{map[a:b] 2} &{map[a:b] 2}");
    assert!(vigil_template::parse_alert_template("X", "{{ $label.instance }}").is_err());
    assert!(vigil_template::parse_alert_template("X", "{{$labels.quantile * 100}}").is_err());
}

#[test]
fn extra_functions_override() {
    use vigil_template::{Func, FuncMap, Param};
    let mut m = FuncMap::new();
    m.insert(
        "humanize".into(),
        Func::new(vec![Param::Any], |_| Ok(Value::from("custom"))),
    );
    m.insert(
        "twice".into(),
        Func::new(vec![Param::Str], |a| {
            Ok(Value::from(a[0].as_str().unwrap_or("").repeat(2)))
        }),
    );
    let out = Expander::new(
        "{{ humanize 1 }} {{ twice \"ab\" }}",
        "t",
        Value::Nil,
        Context::default(),
    )
    .with_funcs(m)
    .expand()
    .unwrap();
    assert_eq!(out, "custom abab");
}

#[test]
fn shareable_between_threads() {
    fn check<T: Send + Sync>() {}
    check::<vigil_template::Template>();
    check::<vigil_template::Expander>();
    check::<Value>();
}

#[test]
fn html_strings_compare_as_strings() {
    let out = Expander::new(
        "{{ eq (safeHtml \"a\") \"a\" }} {{ lt (safeHtml \"a\") \"b\" }}",
        "t",
        Value::Nil,
        Context::default(),
    )
    .expand()
    .unwrap();
    assert_eq!(out, "true true");
}

/// Upstream's `Test_floatToTime`, through `toTime`.
#[test]
fn float_to_time() {
    let run = |t: &str| {
        Expander::new(t, "test", Value::Nil, Context::default())
            .expand()
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        run("{{ 1657155181 | toTime }}").unwrap(),
        "2022-07-07 00:53:01 +0000 UTC"
    );
    for big in [
        "1.79769313486231570814527423731704356798070e+300",
        "-1.79769313486231570814527423731704356798070e+300",
    ] {
        let err = run(&format!("{{{{ {big} | toTime }}}}")).unwrap_err();
        assert!(
            err.contains(
                "cannot be represented as a nanoseconds timestamp since it overflows int64"
            ),
            "{err}"
        );
    }
}
