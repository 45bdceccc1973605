//! The test-script parser: turns a `.test` file into [`Command`]s.
//!
//! Lines are trimmed and `#` comment lines become blank, so (as upstream)
//! a comment inside a `load` or `eval` block ends the block. A block's
//! lines run until the next blank line. Times (`at`, `from`, `to`, `step`,
//! load intervals) are Prometheus durations counted from the Unix epoch.

use regex::Regex;
use vigil_model::Labels;

use super::series::{SequenceValue, SeriesError, parse_metric_prefix, parse_series_desc};

/// A parsed script.
#[derive(Debug, Clone)]
pub struct Script {
    /// The commands, in file order.
    pub commands: Vec<Command>,
}

/// One command of a script.
#[derive(Debug, Clone)]
pub enum Command {
    /// `load <interval>` (or `load_with_nhcb`) with its series.
    Load(LoadCmd),
    /// `clear`: drop all loaded data.
    Clear,
    /// `eval …` with its expectations.
    Eval(Box<EvalCmd>),
}

/// A `load` block.
#[derive(Debug, Clone)]
pub struct LoadCmd {
    /// 1-based line of the `load` line.
    pub line: usize,
    /// Milliseconds between consecutive values.
    pub interval: i64,
    /// `load_with_nhcb`: also convert classic histograms to native
    /// histograms with custom buckets.
    pub with_nhcb: bool,
    /// The series, in file order.
    pub series: Vec<LoadSeries>,
}

/// One series of a `load` block.
#[derive(Debug, Clone)]
pub struct LoadSeries {
    /// 1-based line of the series.
    pub line: usize,
    /// Its labels.
    pub labels: Labels,
    /// Its values; position `i` is at `i * interval` ms.
    pub values: Vec<SequenceValue>,
    /// Start-timestamp offsets from a preceding `metric@st …` line, one per
    /// value (`None` where omitted), in ms relative to each sample.
    pub start_offsets: Option<Vec<Option<i64>>>,
}

/// What kind of query an `eval` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalKind {
    /// An instant query at `at` ms.
    Instant {
        /// Evaluation time in ms.
        at: i64,
    },
    /// A range query.
    Range {
        /// First step, ms.
        start: i64,
        /// Last step, ms (inclusive).
        end: i64,
        /// Step, ms.
        step: i64,
    },
}

/// Which kind of `expect` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpectKind {
    /// `expect ordered`.
    Ordered,
    /// `expect fail`.
    Fail,
    /// `expect warn`.
    Warn,
    /// `expect no_warn`.
    NoWarn,
    /// `expect info`.
    Info,
    /// `expect no_info`.
    NoInfo,
}

/// How an `expect` line matches a message.
#[derive(Debug, Clone)]
pub enum MessageMatch {
    /// No `msg:`/`regex:` part: anything matches.
    Any,
    /// `msg: …`: exact match.
    Exact(String),
    /// `regex: …`: unanchored regex search.
    Regex(Regex),
}

impl MessageMatch {
    /// Whether `s` matches.
    pub fn matches(&self, s: &str) -> bool {
        match self {
            MessageMatch::Any => true,
            MessageMatch::Exact(m) => m == s,
            MessageMatch::Regex(r) => r.is_match(s),
        }
    }

    /// `message "…"` / `pattern "…"`, for failure messages.
    pub fn describe(&self) -> String {
        match self {
            MessageMatch::Any => "pattern \"^.*$\"".into(),
            MessageMatch::Exact(m) => format!("message {m:?}"),
            MessageMatch::Regex(r) => format!("pattern {:?}", r.as_str()),
        }
    }
}

/// One `expect` line.
#[derive(Debug, Clone)]
pub struct Expect {
    /// The kind.
    pub kind: ExpectKind,
    /// The message matcher.
    pub matcher: MessageMatch,
}

/// An expected result series.
#[derive(Debug, Clone)]
pub struct ExpectedSeries {
    /// Its labels.
    pub labels: Labels,
    /// Its values (one per step for range results).
    pub values: Vec<SequenceValue>,
    /// Position among the result lines (1-based, as upstream counts it),
    /// checked when the order matters.
    pub pos: usize,
}

/// What an `eval` expects as value.
#[derive(Debug, Clone)]
pub enum Expected {
    /// Series (possibly none at all: an empty result).
    Series(Vec<ExpectedSeries>),
    /// A scalar (a line with a bare number).
    Scalar(f64),
}

/// An `eval` command.
#[derive(Debug, Clone)]
pub struct EvalCmd {
    /// 1-based line of the `eval` line: the case's identity.
    pub line: usize,
    /// The query text.
    pub expr: String,
    /// Instant or range.
    pub kind: EvalKind,
    /// For an instant query, `expect range vector from … to … step …`:
    /// the range result's timestamps (start, end, step in ms). The query
    /// then runs at `end`.
    pub range_vector: Option<(i64, i64, i64)>,
    /// `eval_fail`.
    pub legacy_fail: bool,
    /// `eval_warn`.
    pub legacy_warn: bool,
    /// `eval_info`.
    pub legacy_info: bool,
    /// `eval_ordered`.
    pub legacy_ordered: bool,
    /// `expected_fail_message …` (with `eval_fail`).
    pub expected_fail_message: Option<String>,
    /// `expected_fail_regexp …` (with `eval_fail`).
    pub expected_fail_regexp: Option<Regex>,
    /// The `expect` lines.
    pub expects: Vec<Expect>,
    /// The expected value.
    pub expected: Expected,
    /// `expect string "…"`.
    pub expected_string: Option<String>,
    /// Skip the range-mode cross-check (range-vector and string results).
    pub exclude_from_range_query: bool,
}

impl EvalCmd {
    /// The `expect` lines of one kind.
    pub fn expects_of(&self, kind: ExpectKind) -> impl Iterator<Item = &MessageMatch> {
        self.expects
            .iter()
            .filter(move |e| e.kind == kind)
            .map(|e| &e.matcher)
    }

    /// Whether any `expect` line of `kind` is present.
    pub fn has(&self, kind: ExpectKind) -> bool {
        self.expects.iter().any(|e| e.kind == kind)
    }

    /// Whether the result order is checked.
    pub fn is_ordered(&self) -> bool {
        self.legacy_ordered || self.has(ExpectKind::Ordered)
    }

    /// Whether the query must fail.
    pub fn is_fail(&self) -> bool {
        self.legacy_fail || self.has(ExpectKind::Fail)
    }

    /// The evaluation time of an instant query.
    pub fn eval_time(&self) -> i64 {
        match (self.range_vector, self.kind) {
            (Some((_, end, _)), _) => end,
            (None, EvalKind::Instant { at }) => at,
            (None, EvalKind::Range { start, .. }) => start,
        }
    }
}

/// A script that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {msg}")]
pub struct ScriptError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub msg: String,
}

fn err(line_idx: usize, msg: impl Into<String>) -> ScriptError {
    ScriptError {
        line: line_idx + 1,
        msg: msg.into(),
    }
}

fn series_err(line_idx: usize, e: SeriesError) -> ScriptError {
    err(line_idx, format!("bad series description at {e}"))
}

/// The regexes of the command syntax (compiled once per parse; patterns
/// are constant, so compiling cannot fail at run time in practice, but a
/// failure is still reported rather than panicking).
struct Patterns {
    load: Regex,
    eval_instant: Regex,
    eval_range: Regex,
    expect: Regex,
    expect_range: Regex,
}

impl Patterns {
    fn new() -> Result<Patterns, ScriptError> {
        let re = |p: &str| Regex::new(p).map_err(|e| err(0, format!("internal pattern: {e}")));
        Ok(Patterns {
            load: re(r"^load(?:_(with_nhcb))?\s+(.+?)$")?,
            eval_instant: re(
                r"^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$",
            )?,
            eval_range: re(
                r"^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$",
            )?,
            expect: re(
                r"^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$",
            )?,
            expect_range: re(r"^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$")?,
        })
    }
}

/// Parses a duration counted from the epoch into milliseconds.
pub(super) fn duration_ms(s: &str) -> Result<i64, String> {
    crate::parse_duration(s).map(|ns| ns / 1_000_000)
}

/// Trimmed lines with comment lines blanked.
fn lines_of(input: &str) -> Vec<&str> {
    input
        .split('\n')
        .map(|l| {
            let l = l.trim();
            if l.starts_with('#') { "" } else { l }
        })
        .collect()
}

/// Parses a whole script.
pub fn parse_script(input: &str) -> Result<Script, ScriptError> {
    let pats = Patterns::new()?;
    let lines = lines_of(input);
    let mut commands = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines.get(i).copied().unwrap_or("");
        if l.is_empty() {
            i += 1;
            continue;
        }
        let first = l
            .split([' ', '\t'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if first == "clear" {
            commands.push(Command::Clear);
            i += 1;
        } else if first.starts_with("load") {
            let (next, cmd) = parse_load(&pats, &lines, i)?;
            commands.push(Command::Load(cmd));
            i = next;
        } else if first.starts_with("eval") {
            let (next, cmd) = parse_eval(&pats, &lines, i)?;
            commands.push(Command::Eval(Box::new(cmd)));
            i = next;
        } else {
            return Err(err(i, format!("invalid command {l:?}")));
        }
    }
    Ok(Script { commands })
}

/// Parses a `load` block starting at line `i`; returns the index of the
/// first line after it.
fn parse_load(pats: &Patterns, lines: &[&str], i: usize) -> Result<(usize, LoadCmd), ScriptError> {
    let l = lines.get(i).copied().unwrap_or("");
    let caps = pats.load.captures(l).ok_or_else(|| {
        err(
            i,
            "invalid load command. (load[_with_nhcb] <step:duration>)",
        )
    })?;
    let with_nhcb = caps.get(1).is_some();
    let step = caps.get(2).map_or("", |m| m.as_str());
    let interval =
        duration_ms(step).map_err(|e| err(i, format!("invalid step definition {step:?}: {e}")))?;
    let mut cmd = LoadCmd {
        line: i + 1,
        interval,
        with_nhcb,
        series: Vec::new(),
    };
    let mut pending_st: Option<(usize, Labels, Vec<Option<i64>>)> = None;
    let mut j = i + 1;
    while let Some(def) = lines.get(j).copied() {
        if def.is_empty() {
            break;
        }
        if is_st_line(def) {
            if let Some((pl, _, _)) = pending_st {
                return Err(err(pl, "@st line has no following sample line"));
            }
            let (labels, offsets) = parse_st_line(def).map_err(|m| err(j, m))?;
            pending_st = Some((j, labels, offsets));
            j += 1;
            continue;
        }
        let desc = parse_series_desc(def).map_err(|e| series_err(j, e))?;
        let mut start_offsets = None;
        if let Some((pl, labels, offsets)) = pending_st.take() {
            if labels != desc.labels {
                return Err(err(
                    pl,
                    "@st metric does not match the following sample line metric",
                ));
            }
            if offsets.len() != desc.values.len() {
                return Err(err(
                    pl,
                    format!(
                        "@st line has {} values but sample line has {}",
                        offsets.len(),
                        desc.values.len()
                    ),
                ));
            }
            start_offsets = Some(offsets);
        }
        cmd.series.push(LoadSeries {
            line: j + 1,
            labels: desc.labels,
            values: desc.values,
            start_offsets,
        });
        j += 1;
    }
    if let Some((pl, _, _)) = pending_st {
        return Err(err(pl, "@st line has no following sample line"));
    }
    Ok((j, cmd))
}

/// Whether the first word of the line ends in `@st`.
fn is_st_line(l: &str) -> bool {
    l.split_once([' ', '\t'])
        .is_some_and(|(head, _)| head.ends_with("@st"))
}

/// `metric{…}@st <offsets>`.
fn parse_st_line(l: &str) -> Result<(Labels, Vec<Option<i64>>), String> {
    let (head, rest) = l
        .split_once([' ', '\t'])
        .ok_or("invalid @st line: missing value sequence")?;
    let metric = head.strip_suffix("@st").unwrap_or(head);
    let (labels, tail) = parse_metric_prefix(metric)
        .map_err(|e| format!("invalid @st line metric {metric:?}: {e}"))?;
    if !tail.trim().is_empty() {
        return Err(format!("invalid @st line metric {metric:?}"));
    }
    let mut out = Vec::new();
    for item in rest.split_whitespace() {
        parse_st_item(item, &mut out)
            .map_err(|e| format!("invalid @st sequence: invalid ST item {item:?}: {e}"))?;
    }
    Ok((labels, out))
}

/// One item of an `@st` sequence: `_`, `_xN`, `<d>`, `<d>xN`, `<d>±<d>xN`.
fn parse_st_item(item: &str, out: &mut Vec<Option<i64>>) -> Result<(), String> {
    if item == "_" {
        out.push(None);
        return Ok(());
    }
    if let Some(n) = item.strip_prefix("_x") {
        let n: usize = n
            .parse()
            .ok()
            .filter(|&n| n > 0 && n <= 10_000_000)
            .ok_or("invalid repeat count")?;
        out.extend(std::iter::repeat_n(None, n));
        return Ok(());
    }
    let (base, rest) = duration_prefix(item)?;
    if rest.is_empty() {
        out.push(Some(base));
        return Ok(());
    }
    let repeat = |s: &str| -> Result<usize, String> {
        s.parse::<usize>()
            .ok()
            .filter(|&n| n <= 10_000_000)
            .ok_or_else(|| "invalid repeat count".to_string())
    };
    if let Some(n) = rest.strip_prefix('x') {
        let n = repeat(n)?;
        out.extend(std::iter::repeat_n(Some(base), n + 1));
        return Ok(());
    }
    let (neg, rest) = if let Some(r) = rest.strip_prefix('-') {
        (true, r)
    } else if let Some(r) = rest.strip_prefix('+') {
        (false, r)
    } else {
        return Err(format!("unexpected character {:?} after duration", rest));
    };
    let (delta, rest2) =
        duration_prefix(rest).map_err(|e| format!("invalid step duration: {e}"))?;
    let delta = if neg { -delta } else { delta };
    let n = rest2
        .strip_prefix('x')
        .ok_or("expected 'x<count>' after step duration")?;
    let n = repeat(n)?;
    let mut v = base;
    for _ in 0..=n {
        out.push(Some(v));
        v = v.saturating_add(delta);
    }
    Ok(())
}

/// A signed duration at the start of `s` (digits then unit letters, never
/// `x`, which separates the repeat count); returns ms and the rest.
fn duration_prefix(s: &str) -> Result<(i64, &str), String> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..).unwrap_or("")),
        Some(b'+') => (false, s.get(1..).unwrap_or("")),
        Some(_) => (false, s),
        None => return Err("empty duration".into()),
    };
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(format!("expected digits in duration {s:?}"));
    }
    let unit = body
        .bytes()
        .skip(digits)
        .take_while(|b| b.is_ascii_alphabetic() && *b != b'x')
        .count();
    let (dur, rest) = body.split_at((digits + unit).min(body.len()));
    let ms = duration_ms(dur).map_err(|e| format!("invalid duration {dur:?}: {e}"))?;
    Ok((if neg { -ms } else { ms }, rest))
}

/// Go's `strconv.ParseInt(s, 0, 64)` then `ParseFloat(s, 64)`: how a bare
/// number line (an expected scalar) is recognised.
pub(super) fn parse_go_number(s: &str) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..).unwrap_or("")),
        Some(b'+') => (false, s.get(1..).unwrap_or("")),
        _ => (false, s),
    };
    let sign = if neg { -1.0 } else { 1.0 };
    let lower = body.to_ascii_lowercase();
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let clean: String = lower.chars().filter(|&c| c != '_').collect();
    let int = |digits: &str, radix: u32| i64::from_str_radix(digits, radix).ok();
    let as_int = if let Some(h) = clean.strip_prefix("0x") {
        int(h, 16)
    } else if let Some(b) = clean.strip_prefix("0b") {
        int(b, 2)
    } else if let Some(o) = clean.strip_prefix("0o") {
        int(o, 8)
    } else if clean.len() > 1 && clean.starts_with('0') && clean.bytes().all(|b| b.is_ascii_digit())
    {
        int(clean.get(1..).unwrap_or(""), 8)
    } else if clean.bytes().all(|b| b.is_ascii_digit()) {
        int(&clean, 10)
    } else {
        None
    };
    if let Some(v) = as_int {
        return Some(sign * v as f64);
    }
    match clean.as_str() {
        "inf" | "infinity" => return Some(sign * f64::INFINITY),
        "nan" if !s.starts_with(['+', '-']) => return Some(f64::NAN),
        _ => {}
    }
    // Only plain decimal floats remain (hexadecimal floats do not occur in
    // scripts); refuse anything Rust would read that Go would not.
    if clean
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
    {
        return clean.parse::<f64>().ok().map(|v| sign * v);
    }
    None
}

#[path = "script_eval.rs"]
mod eval;
use eval::parse_eval;

#[cfg(test)]
#[path = "script_tests.rs"]
mod tests;
