//! Alert-template expansions checked against Prometheus itself: every
//! expected string below is what `promtool test rules` (Debian's
//! Prometheus 2.42) printed for the same template, with the alert
//! `up{instance="h:1",job="j"} = 0.5` and the same query results. Cases
//! where Prometheus' output depends on the process (pointer addresses) or
//! on a `--web.external-url` that `promtool` does not set are left out.
//! One deliberate difference: Prometheus 3 types `.Value` as `interface {}`
//! (it may be a native histogram) where 2.42 said `float64`, which shows in
//! the type named by "can't evaluate field" errors; those cases expect 3's text.
//! `(?<name>re)`, which 2.42's Go refused, is left out: Prometheus 3's Go
//! accepts it, as Rust's regex does.

use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_template::{Context, Sample, Value, alert_template_data, expand_alert_text};

const CASES: &[(&str, &str)] = &[
    ("{{ $value }}", "0.5"),
    ("{{ $labels }}", "map[__name__:up instance:h:1 job:j]"),
    ("{{ .Labels.job }}", "j"),
    ("{{ $labels.nope }}", ""),
    (
        "{{ .Nope }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <.Nope>: can't evaluate field Nope in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }>",
    ),
    ("{{ $externalURL }}", ""),
    ("{{ $externalLabels }}", "map[]"),
    (
        "{{ . }}",
        "{map[__name__:up instance:h:1 job:j] map[]  0.5}",
    ),
    (
        "{{ printf \"%v|%.2f|%e|%g|%x|%X|%o|%b|%q|%5.1f|%-6d|%06d|%+d|% d\" 1234567.0 3.14159 1234.5 0.00001 255 255 8 5 \"q\\\"x\" 2.25 42 42 3 3 }}",
        "1.234567e+06|3.14|1.234500e+03|1e-05|ff|FF|10|101|\"q\\\"x\"|  2.2|42    |000042|+3| 3",
    ),
    (
        "{{ printf \"%s|%10s|%-10s|%.2s|%q|%x|% x|%#x|%T|%T|%T\" \"abc\" \"r\" \"l\" \"xyz\" \"a\\tb\" \"hi\" \"hi\" \"hi\" 1 1.5 \"s\" }}",
        "abc|         r|l         |xy|\"a\\tb\"|6869|68 69|0x6869|int|float64|string",
    ),
    ("{{ printf \"%d %s\" 1 }}", "1 %!s(MISSING)"),
    ("{{ printf \"%d\" 1 2 }}", "1%!(EXTRA int=2)"),
    ("{{ printf \"%d\" \"x\" }}", "%!d(string=x)"),
    ("{{ printf \"%s\" 1.5 }}", "%!s(float64=1.5)"),
    ("{{ printf \"%v\" nil }}", "<nil>"),
    (
        "{{ printf \"%t %v %c %U\" true false 65 65 }}",
        "true false A U+0041",
    ),
    (
        "{{ printf \"%8.3e|%G|%.3g|%g|%g\" 123456.789 1e-7 1234567.0 1e20 1e21 }}",
        "1.235e+05|1E-07|1.23e+06|1e+20|1e+21",
    ),
    (
        "{{ 1e21 }} {{ 100000.0 }} {{ 1e6 }} {{ 0.1 }} {{ 12345678.9 }} {{ 1.0 }} {{ 0x10 }} {{ 1_000 }} {{ 'a' }} {{ 0o17 }} {{ 0b101 }} {{ 1e3 }}",
        "1e+21 100000 1e+06 0.1 1.23456789e+07 1 16 1000 97 15 5 1000",
    ),
    (
        "{{ print 1 2 \"a\" 3 nil true }}|{{ println 1 \"a\" }}|{{ print }}",
        "1 2a3 <nil> true|1 a\n|",
    ),
    (
        "{{ html \"<a href='x'>&\\\"\" }} {{ js \"a'b\\\"<>&=\\n\" }} {{ urlquery \"a b&c/d?é\" }}",
        "&lt;a href=&#39;x&#39;&gt;&amp;&#34; a\\'b\\\"\\u003C\\u003E\\u0026\\u003D\\u000A a+b%26c%2Fd%3F%C3%A9",
    ),
    (
        "{{ len \"héllo\" }} {{ len $labels }} {{ index $labels \"job\" }} {{ index $labels \"zz\" }} {{ slice \"abcdef\" 1 3 }} {{ slice \"abc\" 1 }}",
        "6 3 j  bc bc",
    ),
    (
        "{{ and 1 0 }} {{ and 1 2 }} {{ or 0 \"\" }} {{ or 0 \"x\" }} {{ not 0 }} {{ not \"a\" }}",
        "0 2  x true false",
    ),
    (
        "{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }} {{ eq $value 0.5 }}",
        "true true true true true true false true",
    ),
    (
        "{{ eq 1 1.0 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <eq 1 1.0>: error calling eq: incompatible types for comparison>",
    ),
    (
        "{{ lt true false }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <lt true false>: error calling lt: invalid type for comparison>",
    ),
    (
        "{{ eq $labels 1 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <eq $labels 1>: error calling eq: incompatible types for comparison>",
    ),
    (
        "{{ lt 1 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <lt>: wrong number of args for lt: want 2 got 1>",
    ),
    (
        "{{ eq 1 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <eq 1>: error calling eq: missing argument for comparison>",
    ),
    (
        "{{ index $labels 1 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <index $labels 1>: error calling index: value has type int; should be string>",
    ),
    (
        "{{ index \"abc\" 5 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <index \"abc\" 5>: error calling index: index out of range: 5>",
    ),
    (
        "{{ len 3 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <len 3>: error calling len: len of type int>",
    ),
    (
        "{{ slice \"abc\" 2 1 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <slice \"abc\" 2 1>: error calling slice: invalid slice index: 2 > 1>",
    ),
    (
        "{{ $labels.job.x }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:122: executing \"__alert_A\" at <$labels.job.x>: can't evaluate field x in type string>",
    ),
    (
        "{{ .Value.x }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:121: executing \"__alert_A\" at <.Value.x>: can't evaluate field x in type float64>",
    ),
    (
        "{{ $value 1 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <$value>: can't give argument to non-function $value>",
    ),
    (
        "{{ .Labels.job 1 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:122: executing \"__alert_A\" at <.Labels.job>: job is not a method but has arguments>",
    ),
    (
        "{{ template \"nope\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:124: executing \"__alert_A\" at <{{template \"nope\"}}>: template \"nope\" not defined>",
    ),
    (
        "{{ nil }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <nil>: nil is not a command>",
    ),
    (
        "{{ humanize \"x\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <humanize \"x\">: error calling humanize: strconv.ParseFloat: parsing \"x\": invalid syntax>",
    ),
    (
        "{{ humanize $labels }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <humanize $labels>: error calling humanize: can't convert map[string]string to float>",
    ),
    (
        "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}",
        "__name__=up;instance=h:1;job=j;",
    ),
    (
        "{{ range $labels }}{{ . }},{{ else }}none{{ end }}",
        "up,h:1,j,",
    ),
    (
        "{{ range $externalLabels }}x{{ else }}none{{ end }}",
        "none",
    ),
    (
        "{{ range $i, $e := query \"up\" }}{{ $i }}:{{ $e.Labels.instance }}:{{ $e.Value }}{{ end }}",
        "0:h:1:0.5",
    ),
    (
        "{{ query \"up\" | first }}",
        "{map[__name__:up instance:h:1 job:j] 0.5}",
    ),
    (
        "{{ with query \"up\" }}{{ . | first | value | humanize }}{{ end }}",
        "500m",
    ),
    ("{{ with query \"nope\" }}yes{{ else }}no{{ end }}", "no"),
    ("{{ query \"up\" | first | label \"job\" }}", "j"),
    (
        "{{ (query \"up\" | first).Labels }}",
        "map[__name__:up instance:h:1 job:j]",
    ),
    ("{{ query \"sum(up)\" | first | value }}", "0.5"),
    (
        "{{ query \"up * 1e9\" | first | value | humanize }}",
        "500M",
    ),
    (
        "{{ if gt $value 0.1 }}big{{ else if lt $value 0.0 }}neg{{ else }}small{{ end }}",
        "big",
    ),
    (
        "{{ with $labels.job }}job={{ . }}{{ end }}{{ with $labels.nope }}x{{ else }}no{{ end }}",
        "job=jno",
    ),
    (
        "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}",
        "2",
    ),
    (
        "{{ define \"T\" }}[{{ . }}]{{ end }}{{ template \"T\" \"x\" }}{{ template \"T\" }}{{ template \"T\" $value }}",
        "[x][<no value>][0.5]",
    ),
    ("{{ block \"B\" $labels.job }}<{{ . }}>{{ end }}", "<j>"),
    ("a {{- \" b \" -}} c", "a b c"),
    ("{{/* comment */}}x{{- /* c */ -}} y", "xy"),
    (
        "{{ humanize 0 }} {{ humanize 1 }} {{ humanize 999.9 }} {{ humanize 1000 }} {{ humanize 0.001 }} {{ humanize -1234 }} {{ humanize 1e30 }} {{ humanize 1e-30 }} {{ humanize 123456789012 }}",
        "0 1 999.9 1k 1m -1.234k 1e+06Y 1e-06y 123.5G",
    ),
    (
        "{{ humanize1024 1023 }} {{ humanize1024 1024 }} {{ humanize1024 -2048 }} {{ humanize1024 1.5 }} {{ humanize1024 1e30 }}",
        "1023 1ki -2ki 1.5 8.272e+05Yi",
    ),
    (
        "{{ humanizeDuration 0.5 }} {{ humanizeDuration 59.99 }} {{ humanizeDuration 3599.9 }} {{ humanizeDuration -0.001 }} {{ humanizeDuration 1e-12 }} {{ humanizeDuration 90061 }}",
        "500ms 59.99s 59m 59s -1ms 1ps 1d 1h 1m 1s",
    ),
    (
        "{{ humanizePercentage 0.5 }} {{ humanizePercentage 1 }} {{ humanizePercentage 0.000012345 }} {{ humanizePercentage -0.5 }}",
        "50% 100% 0.001234% -50%",
    ),
    (
        "{{ humanizeTimestamp 0 }} {{ humanizeTimestamp 1.5 }} {{ humanizeTimestamp 1435065584.128 }} {{ humanizeTimestamp -1.5 }} {{ humanizeTimestamp 32503680000 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:237: executing \"__alert_A\" at <humanizeTimestamp 32503680000>: error calling humanizeTimestamp: 3.250368e+10 cannot be represented as a nanoseconds timestamp since it overflows int64>",
    ),
    (
        "{{ (1435065584.128 | toTime).Format \"2006-01-02T15:04:05.000Z07:00 Mon Jan _2 3:4:5 PM .999 ,000 MST -0700 002 06 1 2\" }}",
        "2015-06-23T13:19:44.128Z Tue Jun 23 1:19:44 PM .128 ,128 UTC +0000 174 15 6 23",
    ),
    (
        "{{ 1435065584.128 | toTime }}",
        "2015-06-23 13:19:44.128 +0000 UTC",
    ),
    ("{{ (0 | toTime).Unix }}", "0"),
    (
        "{{ title \"hello wORLD foo-bar o'neil 3d\" }} {{ toUpper \"é\" }} {{ toLower \"ÀB\" }}",
        "Hello WORLD Foo-Bar O'Neil 3d É àb",
    ),
    (
        "{{ reReplaceAll \"(\\\\w+):(\\\\d+)\" \"$2-$1\" \"h:1 x:22\" }} {{ reReplaceAll \"a\" \"${1}x\" \"aaa\" }} {{ match \"^h\" \"h:1\" }} {{ match \"(\" \"x\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:229: executing \"__alert_A\" at <match \"(\" \"x\">: error calling match: error parsing regexp: missing closing ): `(`>",
    ),
    (
        "{{ graphLink \"rate(x[5m]) > 0\" }} {{ tableLink \"a{b=\\\"c\\\"}\" }}",
        "/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+0&g0.tab=0 /graph?g0.expr=a%7Bb%3D%22c%22%7D&g0.tab=1",
    ),
    (
        "{{ stripPort \"h:1\" }} {{ stripPort \"[::1]:80\" }} {{ stripPort \"::1\" }} {{ stripDomain \"a.b.c:80\" }} {{ stripDomain \"[::1]:80\" }} {{ stripDomain \"a.b\" }}",
        "h ::1 ::1 a:80 [::1]:80 a",
    ),
    (
        "{{ parseDuration \"1d\" }} {{ parseDuration \"1w2d\" }} {{ parseDuration \"100ms\" }} {{ parseDuration \"0\" }}",
        "86400 777600 0.1 0",
    ),
    (
        "{{ parseDuration \"x\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <parseDuration \"x\">: error calling parseDuration: not a valid duration string: \"x\">",
    ),
    (
        "{{ parseDuration \"1m1h\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <parseDuration \"1m1h\">: error calling parseDuration: not a valid duration string: \"1m1h\">",
    ),
    (
        "{{ args 1 \"a\" }} {{ (args 1 2).arg1 }}",
        "map[arg0:1 arg1:a] 2",
    ),
    ("{{ safeHtml \"<b>\" }}", "<b>"),
    (
        "{{ \"1.5e3\" | humanize }} {{ \"0x10\" | humanize }} {{ \"inf\" | humanize }} {{ \" 1\" | humanize }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:149: executing \"__alert_A\" at <humanize>: error calling humanize: strconv.ParseFloat: parsing \"0x10\": invalid syntax>",
    ),
    (
        "{{ range $i, $e := $labels }}{{ if eq $i \"job\" }}{{ break }}{{ end }}{{ $i }}{{ end }}",
        "__name__instance",
    ),
    (
        "{{ $labels.instance | reReplaceAll \":.*\" \"\" | toUpper | printf \"%q\" }}",
        "\"H\"",
    ),
    (
        "{{ printf \"%v %v\" $labels.nope .Nope }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:143: executing \"__alert_A\" at <.Nope>: can't evaluate field Nope in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }>",
    ),
    (
        "{{ printf \"%5t|%-5v|%x|%X\" true 1 -255 \"Zz\" }}",
        " true|1    |-ff|5A7A",
    ),
    (
        "{{ printf \"%.0f %.1f %.0f %.0f\" 0.5 0.25 1.5 2.5 }}",
        "0 0.2 2 2",
    ),
    (
        "{{ printf \"%v %v %v\" 1e-5 123456.0 1234567.0 }}",
        "1e-05 123456 1.234567e+06",
    ),
    (
        "{{ printf \"%6.2f|%-8.3f|%08.3f\" 3.14159 2.5 -1.5 }}",
        "  3.14|2.500   |-001.500",
    ),
    (
        "{{ printf \"%3c|%-4q|%#q\" 65 \"x\" \"y\" }}",
        "  A|\"x\" |`y`",
    ),
    (
        "{{ $value | printf \"%.3f\" }} {{ 2 | printf \"%d-%d\" 1 }}",
        "0.500 1-2",
    ),
    ("{{ index (args 1 2) \"arg0\" }}", "1"),
    ("{{ len (query \"up\") }}", "1"),
    ("{{ (query \"up\" | first).Value }}", "0.5"),
    (
        "{{ range query \"up\" | sortByLabel \"job\" }}{{ .Labels.job }}{{ end }}",
        "j",
    ),
    ("{{ query \"up\" | first | strvalue }}|", "|"),
    ("{{ \"a\" | printf \"%s%s\" \"b\" }}", "ba"),
    ("{{ $labels.job | len }}", "1"),
    (
        "{{ if and $labels.job (eq $labels.job \"j\") }}ok{{ end }}",
        "ok",
    ),
    ("{{ or $labels.nope \"dflt\" }}", "dflt"),
    ("{{ not $labels.nope }}", "true"),
    (
        "{{ reReplaceAll \"(\" \"x\" \"y\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <reReplaceAll \"(\" \"x\" \"y\">: error calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: missing closing ): `(`>",
    ),
    (
        "{{ title \"don't it's rock'n'roll a.b a_b x-y éa 1st ab1cd o'neil l'avion\" }}",
        "Don'T It'S Rock'N'Roll A.B A_b X-Y Éa 1st Ab1cd O'Neil L'Avion",
    ),
    (
        "{{ match \"a)\" \"x\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <match \"a)\" \"x\">: error calling match: error parsing regexp: unexpected ): `a)`>",
    ),
    (
        "{{ match \"[a\" \"x\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <match \"[a\" \"x\">: error calling match: error parsing regexp: missing closing ]: `[a`>",
    ),
    (
        "{{ match \"a**\" \"x\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <match \"a**\" \"x\">: error calling match: error parsing regexp: invalid nested repetition operator: `**`>",
    ),
    (
        "{{ match \"\\\\q\" \"x\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <match \"\\\\q\" \"x\">: error calling match: error parsing regexp: invalid escape sequence: `\\q`>",
    ),
    (
        "{{ match \"*\" \"x\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <match \"*\" \"x\">: error calling match: error parsing regexp: missing argument to repetition operator: `*`>",
    ),
    (
        "{{ match \"[z-a]\" \"x\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <match \"[z-a]\" \"x\">: error calling match: error parsing regexp: invalid character class range: `z-a`>",
    ),
    (
        "{{ match \"x{2,1}\" \"x\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <match \"x{2,1}\" \"x\">: error calling match: error parsing regexp: invalid repeat count: `{2,1}`>",
    ),
    (
        "{{ match \"a{1001}\" \"x\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <match \"a{1001}\" \"x\">: error calling match: error parsing regexp: invalid repeat count: `{1001}`>",
    ),
    (
        "{{ printf \"%U %#U %c\" 233 233 233 }}",
        "U+00E9 U+00E9 'é' é",
    ),
    ("a\n  {{- 1 -}}\n  b", "a1b"),
    (
        "{{ slice \"héllo\" 1 3 }}|{{ len (slice \"héllo\" 1 3) }}",
        "é|2",
    ),
    (
        "{{ $a := args 1 2 }}{{ range $k, $v := $a }}{{ $k }}={{ $v }} {{ end }}",
        "arg0=1 arg1=2 ",
    ),
    (
        "{{ define \"L\" }}{{ range . }}<{{ . }}>{{ end }}{{ end }}{{ template \"L\" $labels }}",
        "<up><h:1><j>",
    ),
    (
        "{{ $x := \"outer\" }}{{ define \"V\" }}{{ . }}{{ end }}{{ template \"V\" $x }}{{ with $x }}{{ $x }}{{ end }}",
        "outerouter",
    ),
    ("{{ if not (eq $labels.job \"x\") }}y{{ end }}", "y"),
    (
        "{{ or }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <or>: wrong number of args for or: want at least 1 got 0>",
    ),
    (
        "{{ and }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <and>: wrong number of args for and: want at least 1 got 0>",
    ),
    (
        "{{ not 1 2 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <not>: wrong number of args for not: want 1 got 2>",
    ),
    (
        "{{ printf }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <printf>: wrong number of args for printf: want at least 1 got 0>",
    ),
    (
        "{{ index }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <index>: wrong number of args for index: want at least 1 got 0>",
    ),
    (
        "{{ slice \"abc\" 1 2 3 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <slice \"abc\" 1 2 3>: error calling slice: cannot 3-index slice a string>",
    ),
    (
        "{{ index $labels \"a\" \"b\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <index $labels \"a\" \"b\">: error calling index: cannot index slice/array with type string>",
    ),
    ("{{ html }}{{ js }}{{ urlquery }}|", "|"),
    ("{{ print nil }}{{ println }}|", "<nil>\n|"),
    (
        "{{ printf \"%v|%s|%d\" $labels $labels $labels }}",
        "map[__name__:up instance:h:1 job:j]|map[__name__:up instance:h:1 job:j]|map[%!d(string=__name__):%!d(string=up) %!d(string=instance):%!d(string=h:1) %!d(string=job):%!d(string=j)]",
    ),
    ("{{ printf \"%v\" (args) }}", "map[]"),
    (
        "{{ printf \"%.3v|%10.4v|%-10v|\" 3.14159 2.0 \"x\" }}",
        "3.14|         2|x         |",
    ),
    ("{{ printf \"%v %v\" true nil }}", "true <nil>"),
    ("{{ printf \"%s\" nil }}", "%!s(<nil>)"),
    (
        "{{ printf \"%!\" }} {{ printf \"%\" }} {{ printf \"%z\" 1 }}",
        "%!!(MISSING) %!(NOVERB) %!z(int=1)",
    ),
    ("{{ 0.1 | printf \"%.20f\" }}", "0.10000000000000000555"),
    (
        "{{ 1e100 }} {{ 1e-100 }} {{ 123456789.0 }} {{ 0.000001 }} {{ 0.0000001 }}",
        "1e+100 1e-100 1.23456789e+08 1e-06 1e-07",
    ),
    (
        "{{ -1.5 | humanize }} {{ 1e-3 | humanize }} {{ 0.0012345 | humanize }}",
        "-1.5 1m 1.234m",
    ),
    (
        "{{ humanizeDuration 0.000001234 }} {{ humanizeDuration 1.00001 }} {{ humanizeDuration 59.9999 }}",
        "1.234us 1s 60s",
    ),
    (
        "{{ humanizePercentage 0.99999 }} {{ humanize 999999 }} {{ humanize1024 1048575 }}",
        "100% 1000k 1024ki",
    ),
    (
        "{{ range $i, $c := \"ab\" }}{{ $i }}{{ end }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:131: executing \"__alert_A\" at <\"ab\">: range can't iterate over ab>",
    ),
    (
        "{{ range $labels.job }}x{{ end }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:128: executing \"__alert_A\" at <$labels.job>: range can't iterate over j>",
    ),
    (
        "{{ with $x := 1 }}{{ $x }}{{ end }}{{ $x := 2 }}{{ $x }}",
        "12",
    ),
    (
        "{{ template \"T\" }}{{ define \"T\" }}{{ $ }}|{{ . }}{{ end }}",
        "<no value>|<no value>",
    ),
    (
        "{{ range $k, $v := $labels }}{{ if eq $k \"instance\" }}{{ continue }}{{ end }}{{ $k }}{{ end }}",
        "__name__job",
    ),
    ("{{ $labels.instance | printf \"%s-%s\" \"x\" }}", "x-h:1"),
    ("{{ .Labels.instance | len | printf \"%03d\" }}", "003"),
    ("{{ (args 1).arg0 | printf \"%T\" }}", "int"),
    (
        "{{ printf \"%T %T\" $labels $value }}",
        "map[string]string float64",
    ),
    (
        "{{ ge 2 1.0 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <ge 2 1.0>: error calling ge: incompatible types for comparison>",
    ),
    (
        "{{ eq \"a\" 1 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <eq \"a\" 1>: error calling eq: incompatible types for comparison>",
    ),
    ("{{ eq nil nil }}", "true"),
    ("{{ ne nil 1 }}", "true"),
    (
        "{{ lt \"a\" 1 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <lt \"a\" 1>: error calling lt: incompatible types for comparison>",
    ),
    ("{{ eq $labels.nope \"\" }}", "true"),
    (
        "{{printf \"%*d|%.*f|%*d\" -3 7 2 3.14159 \"x\" 1}}",
        "7  |3.14|%!(BADWIDTH)1",
    ),
    ("{{printf \"%[2]d %[1]d %d\" 1 2}}", "2 1 2"),
    (
        "{{printf \"%[3]d|%[0]d|%[x]d\" 1 2}}",
        "%!d(BADINDEX)|%!d(BADINDEX)|%!d(BADINDEX)",
    ),
    ("{{printf \"%[1]*d|\" 4 7}}", "   7|"),
    (
        "{{ printf \"%08.3f|%+.2e|% x\" -3.14159 12345.678 \"ab\" }}",
        "-003.142|+1.23e+04|61 62",
    ),
    (
        "{{ printf \"%6.2v|%-8q|\" 3.14159 \"a\" }}",
        "   3.1|\"a\"     |",
    ),
    ("{{ printf \"%c%c\" 0x1F600 -1 }}", "😀�"),
    ("{{ printf \"%.*d\" -1 5 }}", "%!(BADPREC)5"),
    (
        "{{ printf \"%5s|%-5s|%.1s\" \"é\" \"é\" \"éa\" }}",
        "    é|é    |é",
    ),
    ("{{ printf \"%x\" \"é\" }}", "c3a9"),
    ("{{ printf \"%q\" \"\\u00e9\\x01\" }}", "\"é\\x01\""),
    ("{{ printf \"%v\" 1e-320 }}", "1e-320"),
    (
        "{{ printf \"%g %e\" 5e-324 1.7976931348623157e308 }}",
        "5e-324 1.797693e+308",
    ),
    (
        "{{ printf \"%.3g|%.10g|%g\" 100 1.0 100000000.0 }}",
        "%!g(int=100)|1|1e+08",
    ),
    (
        "{{ printf \"%05d|%-05d|%+05d\" 42 42 42 }}",
        "00042|42   |+0042",
    ),
    (
        "{{ printf \"%o %#o %b %#x %#X\" 8 8 5 255 255 }}",
        "10 010 101 0xff 0XFF",
    ),
    ("{{ printf \"%t\" 1 }}", "%!t(int=1)"),
    ("{{ printf \"%d\" true }}", "%!d(bool=true)"),
    ("{{ printf \"%s\" true }}", "%!s(bool=true)"),
    (
        "{{ printf \"%v\" (args 1 \"a\" 1.5 true) }}",
        "map[arg0:1 arg1:a arg2:1.5 arg3:true]",
    ),
    ("{{ printf \"%+q\" \"é\" }}", "\"\\u00e9\""),
    (
        "{{ printf \"%#v %+v\" $labels 1.5 }}",
        "map[string]string{\"__name__\":\"up\", \"instance\":\"h:1\", \"job\":\"j\"} 1.5",
    ),
    (
        "{{ $x := 0 }}{{ range $labels }}{{ $x = . }}{{ end }}{{ $x }}",
        "j",
    ),
    (
        "{{ range $k, $v := $labels }}{{ $ | printf \"%T\" }}{{ break }}{{ end }}",
        "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }",
    ),
    (
        "{{ range $labels }}{{ range $labels }}{{ break }}{{ end }}x{{ end }}",
        "xxx",
    ),
    (
        "{{ with $labels.job }}{{ $ | len }}{{ end }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:141: executing \"__alert_A\" at <len>: error calling len: len of type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }>",
    ),
    (
        "{{ define \"E\" }}{{ index . 5 }}{{ end }}{{ template \"E\" \"abc\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:131: executing \"E\" at <index . 5>: error calling index: index out of range: 5>",
    ),
    (
        "{{ define \"E\" }}\n\n  {{ .x.y }}{{ end }}{{ template \"E\" $labels }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:3:7: executing \"E\" at <.x.y>: can't evaluate field y in type string>",
    ),
    ("{{ if $labels.job }}{{ $y := 1 }}{{ end }}ok", "ok"),
    (
        "{{ range $i, $e := $labels }}{{ $i }}{{ else }}none{{ end }}",
        "__name__instancejob",
    ),
    ("{{ block \"X\" . }}{{ .Labels.job }}{{ end }}", "j"),
    (
        "{{ template \"Y\" . }}{{ define \"Y\" }}{{ $.Value }}{{ end }}",
        "0.5",
    ),
    ("{{ (index $labels \"job\") | printf \"%q\" }}", "\"j\""),
    ("{{ $labels.job | eq \"j\" }}", "true"),
    ("{{ \"j\" | eq $labels.job }}", "true"),
    ("{{ printf \"%d\" (len $labels) | print \"n=\" }}", "n=3"),
    (
        "{{ with $v := $value }}{{ $v | printf \"%.1f\" }}{{ end }}",
        "0.5",
    ),
    (
        "{{ range $v := query \"up\" }}{{ $v.Labels.job }}{{ end }}",
        "j",
    ),
    (
        "{{ (query \"up\").Labels }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:122: executing \"__alert_A\" at <\"up\">: can't evaluate field Labels in type template.queryResult>",
    ),
    (
        "{{ $v := query \"up\" }}{{ len $v }}{{ index $v 0 | value }}",
        "10.5",
    ),
    ("{{ index (query \"up\") 0 | label \"instance\" }}", "h:1"),
    ("{{ first (query \"up\") | strvalue | len }}", "0"),
    (
        "{{ query \"up\" | first | value | printf \"%T\" }}",
        "float64",
    ),
    ("{{ printf \"%T\" (query \"up\") }}", "template.queryResult"),
    (
        "{{ printf \"%T\" (query \"up\" | first) }}",
        "*template.sample",
    ),
    (
        "{{ label \"job\" (query \"nope\" | first) }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:143: executing \"__alert_A\" at <first>: error calling first: first() called on vector with no elements>",
    ),
    (
        "{{ value nil }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <value nil>: error calling value: runtime error: invalid memory address or nil pointer dereference>",
    ),
    (
        "{{ first nil }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <first nil>: error calling first: first() called on vector with no elements>",
    ),
    (
        "{{ label 1 (query \"up\" | first) }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:121: executing \"__alert_A\" at <1>: expected string; found 1>",
    ),
    (
        "{{ humanize }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <humanize>: wrong number of args for humanize: want 1 got 0>",
    ),
    (
        "{{ humanize 1 2 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <humanize>: wrong number of args for humanize: want 1 got 2>",
    ),
    (
        "{{ safeHtml 1 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:124: executing \"__alert_A\" at <1>: expected string; found 1>",
    ),
    (
        "{{ reReplaceAll \"a\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <reReplaceAll>: wrong number of args for reReplaceAll: want 3 got 1>",
    ),
    (
        "{{ sortByLabel \"x\" $labels }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:131: executing \"__alert_A\" at <$labels>: wrong type for value; expected template.queryResult; got map[string]string>",
    ),
    (
        "{{ toUpper $value }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:123: executing \"__alert_A\" at <$value>: wrong type for value; expected string; got float64>",
    ),
    (
        "{{ title nil }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:121: executing \"__alert_A\" at <nil>: cannot assign nil to string>",
    ),
    ("{{ $variáble := 1 }}{{ $variáble }}", "1"),
    (
        "{{ 0x1p4 }} {{ 0x_1F }} {{ 017 }} {{ 0o17 }} {{ .5 }} {{ 5. }} {{ +5 }} {{ 1e+2 }}",
        "16 31 15 15 0.5 5 5 100",
    ),
    (
        "{{ '\\n' }} {{ '\\x41' }} {{ '\\u00e9' }} {{ 'é' }}",
        "10 65 233 233",
    ),
    ("{{/* multi\nline */}}x", "x"),
    ("a\r\n{{- 1 -}}\r\nb", "a1b"),
    ("{{ \"a\" }}{{/* c */ -}}  b", "ab"),
    (
        "{{ 9223372036854775807 }} {{ -9223372036854775808 }}",
        "9223372036854775807 -9223372036854775808",
    ),
    (
        "{{ 9223372036854775808 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <9223372036854775808>: 9223372036854775808 overflows int>",
    ),
    ("{{ print 0x10 0X10 0b11 }}", "16 16 3"),
    ("{{ printf \"%T %T\" 1e3 0x1p4 }}", "float64 float64"),
    (
        "{{ printf \"%T\" 9223372036854775808 }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:127: executing \"__alert_A\" at <9223372036854775808>: 9223372036854775808 overflows int>",
    ),
    ("{{ $x := 1 }}{{ $x := 2 }}{{ $x }}", "2"),
    ("{{ range $i := $labels }}{{ $i }}{{ end }}", "uph:1j"),
    ("{{ if $labels }}{{ else if $value }}{{ end }}done", "done"),
    ("{{ 1_000.5 }}", "1000.5"),
    ("{{ humanize 1e3 }} {{ humanize 0x10 }}", "1k 16"),
    ("{{ printf \"%.1f\" 1 }}", "%!f(int=1)"),
    ("{{ printf \"%d\" 1.0 }}", "%!d(float64=1)"),
    (
        "{{ define \"T\" }}{{ len . }}{{ end }}{{ template \"T\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:131: executing \"T\" at <len .>: error calling len: reflect: call of reflect.Value.Type on zero Value>",
    ),
    (
        "{{ define \"T\" }}{{ index . \"a\" }}{{ end }}{{ template \"T\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:131: executing \"T\" at <index . \"a\">: error calling index: index of untyped nil>",
    ),
    (
        "{{ define \"T\" }}{{ slice . }}{{ end }}{{ template \"T\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:131: executing \"T\" at <slice .>: error calling slice: slice of untyped nil>",
    ),
    (
        "{{ define \"T\" }}{{ .x }}{{ end }}{{ template \"T\" }}",
        "<no value>",
    ),
    (
        "{{ define \"T\" }}{{ eq . nil }}{{ end }}{{ template \"T\" }}",
        "true",
    ),
    (
        "{{ define \"T\" }}{{ if . }}y{{ else }}n{{ end }}{{ end }}{{ template \"T\" }}",
        "n",
    ),
    (
        "{{ define \"T\" }}{{ range . }}y{{ else }}n{{ end }}{{ end }}{{ template \"T\" }}",
        "n",
    ),
    (
        "{{ define \"T\" }}{{ printf \"%v|%d\" . . }}{{ end }}{{ template \"T\" }}",
        "<nil>|%!d(<nil>)",
    ),
    (
        "{{ define \"T\" }}{{ humanize . }}{{ end }}{{ template \"T\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:131: executing \"T\" at <humanize .>: error calling humanize: can't convert <nil> to float>",
    ),
    (
        "{{ define \"T\" }}{{ not . }}{{ end }}{{ template \"T\" }}",
        "true",
    ),
    (
        "{{ define \"T\" }}{{ and . 1 }}|{{ or . 1 }}{{ end }}{{ template \"T\" }}",
        "<no value>|1",
    ),
    (
        "{{ define \"T\" }}{{ html . }}{{ js . }}{{ urlquery . }}{{ end }}{{ template \"T\" }}",
        "&lt;no value&gt;\\u003Cno value\\u003E%3Cno+value%3E",
    ),
    (
        "{{ define \"T\" }}{{ . | print }}{{ end }}{{ template \"T\" }}",
        "<nil>",
    ),
    (
        "{{ define \"T\" }}{{ with . }}y{{ else }}n{{ end }}{{ end }}{{ template \"T\" }}",
        "n",
    ),
    (
        "{{ define \"T\" }}{{ label \"a\" . }}{{ end }}{{ template \"T\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:131: executing \"T\" at <label \"a\" .>: error calling label: runtime error: invalid memory address or nil pointer dereference>",
    ),
    (
        "{{ define \"T\" }}{{ first . }}{{ end }}{{ template \"T\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:131: executing \"T\" at <first .>: error calling first: first() called on vector with no elements>",
    ),
    (
        "{{ define \"T\" }}{{ lt . 1 }}{{ end }}{{ template \"T\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:131: executing \"T\" at <lt . 1>: error calling lt: invalid type for comparison>",
    ),
    ("{{ toUpper \"straße ŉ ǰ ﬁ é\" }}", "STRAßE ŉ ǰ ﬁ É"),
    ("{{ toLower \"İSTANBUL ÀÉ Σ\" }}", "istanbul àé σ"),
    ("{{ title \"straße élan ﬁne\" }}", "Straße Élan ﬁne"),
    (
        "{{ reReplaceAll \"(a)\" \"$$1-${1}x-$1x\" \"a\" }}",
        "$1-ax-",
    ),
    ("{{ match \"(?i)^A\" \"abc\" }}", "true"),
    (
        "{{ humanizeDuration -0.5 }} {{ humanizeDuration -61 }} {{ humanizeDuration 0.0000000000001 }}",
        "-500ms -1m 1s 100fs",
    ),
    (
        "{{ stripDomain \"a.b.c.\" }} {{ stripDomain \".x\" }} {{ stripPort \":80\" }} {{ stripPort \"[::1]\" }} {{ stripDomain \"\" }}",
        "a   [::1] ",
    ),
    ("{{ \"1_000\" | humanize }}", "1k"),
    (
        "{{ \" 1\" | humanize }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:122: executing \"__alert_A\" at <humanize>: error calling humanize: strconv.ParseFloat: parsing \" 1\": invalid syntax>",
    ),
    ("{{ \"0x1p4\" | humanize }}", "16"),
    (
        "{{ \"Infinity\" | humanize }} {{ \"-inf\" | humanize }} {{ \"nan\" | humanize1024 }}",
        "+Inf -Inf NaN",
    ),
    (
        "{{ humanizeTimestamp \"x\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <humanizeTimestamp \"x\">: error calling humanizeTimestamp: strconv.ParseFloat: parsing \"x\": invalid syntax>",
    ),
    (
        "{{ parseDuration \"\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <parseDuration \"\">: error calling parseDuration: empty duration string>",
    ),
    (
        "{{ toTime \"x\" }}",
        "<error expanding template: error executing template __alert_A: template: __alert_A:1:115: executing \"__alert_A\" at <toTime \"x\">: error calling toTime: strconv.ParseFloat: parsing \"x\": invalid syntax>",
    ),
    (
        "{{ graphLink \"a b+c/ü\" }}",
        "/graph?g0.expr=a+b%2Bc%2F%C3%BC&g0.tab=0",
    ),
];

fn sample(labels: &[(&str, &str)], v: f64) -> Sample {
    Sample {
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        value: Value::Float(v),
    }
}

#[test]
fn matches_promtool() {
    let labels: BTreeMap<String, String> = [("__name__", "up"), ("instance", "h:1"), ("job", "j")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let query = Arc::new(|q: &str, _: i64| -> Result<Vec<Sample>, String> {
        Ok(match q {
            "up" => vec![sample(
                &[("__name__", "up"), ("instance", "h:1"), ("job", "j")],
                0.5,
            )],
            "sum(up)" => vec![sample(&[], 0.5)],
            "up * 1e9" => vec![sample(&[("instance", "h:1"), ("job", "j")], 5e8)],
            _ => vec![],
        })
    });
    let mut bad = Vec::new();
    for (text, want) in CASES {
        let data = alert_template_data(&labels, &BTreeMap::new(), "", Value::Float(0.5));
        let ctx = Context {
            query: Some(query.clone()),
            external_url: String::new(),
            timestamp_ms: 0,
        };
        let got = expand_alert_text("A", text, data, ctx);
        if got != *want {
            bad.push(format!("{text}\n   got: {got:?}\n  want: {want:?}"));
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
