//! The JUnit XML report of `test rules --junit=FILE`, shaped as Prometheus
//! 3.x's `util/junitxml` writes it through Go's `encoding/xml`: one
//! `<testsuite>` per unit-test file, one `<testcase>` per test group that
//! ran (`unnamed#N` for groups without a name), a `<failure>` per failed
//! check, and an `<error>` on a case named `unknown` when the file could
//! not be run at all. No indentation, no XML declaration.

use std::fmt::Write as _;

/// The whole report.
#[derive(Debug, Default)]
pub(crate) struct JUnit {
    suites: Vec<Suite>,
}

/// One unit-test file.
#[derive(Debug, Default)]
pub(crate) struct Suite {
    name: String,
    failures: usize,
    errors: usize,
    timestamp: String,
    cases: Vec<Case>,
}

/// One test group.
#[derive(Debug, Default)]
struct Case {
    name: String,
    failures: Vec<String>,
    error: String,
}

impl JUnit {
    /// Starts the suite of a file and hands it back.
    pub(crate) fn suite(&mut self, name: &str) -> &mut Suite {
        self.suites.push(Suite {
            name: name.to_string(),
            ..Suite::default()
        });
        let last = self.suites.len() - 1;
        &mut self.suites[last]
    }

    /// The report as Go's `xml.Encoder` prints it.
    pub(crate) fn to_xml(&self) -> String {
        let mut s = String::from("<testsuites>");
        for suite in &self.suites {
            let _ = write!(
                s,
                "<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" timestamp=\"{}\">",
                escape(&suite.name),
                suite.cases.len(),
                suite.failures,
                suite.errors,
                escape(&suite.timestamp)
            );
            for case in &suite.cases {
                let _ = write!(s, "<testcase name=\"{}\">", escape(&case.name));
                for f in &case.failures {
                    let _ = write!(s, "<failure>{}</failure>", escape(f));
                }
                if !case.error.is_empty() {
                    let _ = write!(s, "<error>{}</error>", escape(&case.error));
                }
                s.push_str("</testcase>");
            }
            s.push_str("</testsuite>");
        }
        s.push_str("</testsuites>");
        s
    }
}

impl Suite {
    /// Starts the case of a test group.
    pub(crate) fn case(&mut self, name: &str) {
        self.cases.push(Case {
            name: name.to_string(),
            ..Case::default()
        });
    }

    /// Records a failed check on the current case.
    pub(crate) fn fail(&mut self, msg: &str) {
        self.failures += 1;
        self.last_case().failures.push(msg.to_string());
    }

    /// Records why the file could not run, on the current case.
    pub(crate) fn abort(&mut self, msg: &str) {
        self.errors += 1;
        self.last_case().error = msg.to_string();
    }

    /// Sets when the file's tests started (`2006-01-02T15:04:05`).
    pub(crate) fn set_time(&mut self, t: String) {
        self.timestamp = t;
    }

    fn last_case(&mut self) -> &mut Case {
        if self.cases.is_empty() {
            self.case("unknown");
        }
        let last = self.cases.len() - 1;
        &mut self.cases[last]
    }
}

/// The current time as upstream stamps a suite (`2006-01-02T15:04:05`),
/// in UTC.
pub(crate) fn now_stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let t = crate::tsdb::format::go_time_utc(secs);
    t.get(..19).unwrap_or(&t).replacen(' ', "T", 1)
}

/// Go's `xml.EscapeText`: the five XML specials, tab and line breaks as
/// character references, characters XML cannot hold as U+FFFD.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// The XML 1.0 `Char` production.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_is_shaped_as_go_writes_it() {
        let mut j = JUnit::default();
        let s = j.suite("a.yml");
        s.set_time("2026-01-02T03:04:05".into());
        s.case("g1");
        s.case("unnamed#1");
        s.fail("    expr: \"up\",\n exp <1> & 'x'");
        s.fail("second");
        let s = j.suite("missing.yml");
        s.abort("open missing.yml: no such file or directory");
        assert_eq!(
            j.to_xml(),
            "<testsuites>\
             <testsuite name=\"a.yml\" tests=\"2\" failures=\"2\" errors=\"0\" skipped=\"0\" timestamp=\"2026-01-02T03:04:05\">\
             <testcase name=\"g1\"></testcase>\
             <testcase name=\"unnamed#1\"><failure>    expr: &#34;up&#34;,&#xA; exp &lt;1&gt; &amp; &#39;x&#39;</failure><failure>second</failure></testcase>\
             </testsuite>\
             <testsuite name=\"missing.yml\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" timestamp=\"\">\
             <testcase name=\"unknown\"><error>open missing.yml: no such file or directory</error></testcase>\
             </testsuite></testsuites>"
        );
    }

    #[test]
    fn stamp_has_go_layout() {
        let t = now_stamp();
        assert_eq!(t.len(), 19);
        assert_eq!(t.as_bytes()[10], b'T');
    }
}
