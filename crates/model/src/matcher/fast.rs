//! Regex fast paths, in the spirit of Prometheus' `FastRegexMatcher`
//! (`model/labels/regexp.go`).
//!
//! The pattern is parsed into `regex-syntax`'s HIR (after the RE2 dialect
//! bridging in the private `syntax` module) and its *shape* decides how values are
//! matched: an exact literal, a finite set of strings (case-insensitive ones
//! compared position by position against the folded character sets), a
//! literal prefix/suffix/substring around `.*`, a few alternatives before or
//! after `.*` (`(api|web).*`, `(?i)foo.*`), `.*`/`.+` alone, a literal prefix
//! in front of an arbitrary regex, or the full regex. Every fast path is an
//! exact rewrite of the HIR, so it answers exactly as the anchored regex
//! would; the property test in `matcher::tests` checks that.

use std::collections::HashSet;

use regex_syntax::hir::{Class, Hir, HirKind, Look};
use xxhash_rust::xxh3::Xxh3DefaultBuilder;

use super::MatcherError;
use super::syntax::{NEST_LIMIT, to_rust_dialect};

/// Largest number of strings (or char-class sequences) a finite pattern may
/// expand to before we stop enumerating; Prometheus uses the same limit.
const MAX_SET_MATCHES: usize = 256;
/// Largest character class enumerated as part of a finite set.
const MAX_CLASS_CHARS: usize = 256;
/// Up to this many strings a linear scan beats hashing.
const LINEAR_SET_MAX: usize = 16;
/// Largest bounded repetition (`a{0,8}`) unrolled into a finite set.
const MAX_UNROLL: u32 = 16;

/// A compiled, fully anchored regex with a fast path for its shape.
#[derive(Debug, Clone)]
pub struct FastMatcher {
    pattern: String,
    kind: Kind,
    /// Exact finite set of matched strings, in pattern order.
    set: Option<Vec<String>>,
    prefix: Option<String>,
}

/// A run of any characters: `.*`, `.+`, `.{3,}`, or their `(?-s)` forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AnyRun {
    /// Minimum number of characters.
    min: u32,
    /// Whether `\n` is among the characters (`(?s)`, our default).
    nl: bool,
}

impl AnyRun {
    fn matches(self, s: &str) -> bool {
        if !self.nl && s.contains('\n') {
            return false;
        }
        match self.min {
            0 => true,
            // A non-empty &str has at least one char.
            1 => !s.is_empty(),
            n => s.len() >= n as usize && s.chars().nth(n as usize - 1).is_some(),
        }
    }
}

/// A sorted set of characters allowed at one position.
type Unit = Box<[char]>;

/// Inclusive range of byte lengths of the strings a set can match; most
/// non-matching values are rejected by length alone.
#[derive(Debug, Clone, Copy)]
struct Lens(usize, usize);

impl Lens {
    fn of(lens: impl Iterator<Item = usize>) -> Lens {
        lens.fold(Lens(usize::MAX, 0), |Lens(lo, hi), n| {
            Lens(lo.min(n), hi.max(n))
        })
    }

    fn admits(self, s: &str) -> bool {
        (self.0..=self.1).contains(&s.len())
    }
}

/// Byte lengths a sequence of character sets can match.
fn seq_lens(seq: &[Unit]) -> (usize, usize) {
    seq.iter().fold((0, 0), |(lo, hi), u| {
        let min = u.iter().map(|c| c.len_utf8()).min().unwrap_or(0);
        let max = u.iter().map(|c| c.len_utf8()).max().unwrap_or(0);
        (lo + min, hi + max)
    })
}

#[derive(Debug, Clone)]
enum Kind {
    Literal(String),
    /// Few strings, scanned linearly; `lens` is the byte-length range.
    SmallSet(Vec<String>, Lens),
    Set(HashSet<String, Xxh3DefaultBuilder>, Lens),
    /// Alternatives, each a sequence of character sets (case-insensitive
    /// literals): cheaper than hashing all their case variants.
    Seqs(Vec<Vec<Unit>>, Lens),
    Any(AnyRun),
    Prefix(String, AnyRun),
    Suffix(AnyRun, String),
    PrefixSuffix(String, AnyRun, String),
    Contains(AnyRun, String, AnyRun),
    /// `(foo|bar).*`, `(?i)foo.*`: one of a few alternatives, then any run.
    SeqsPrefix(Vec<Vec<Unit>>, AnyRun),
    /// `.*(foo|bar)`, `.*(?i)foo`: any run, then one of a few alternatives.
    SeqsSuffix(AnyRun, Vec<Vec<Unit>>),
    /// `.*a.*|.*b.*`: contains any of the literals.
    ContainsAny(Vec<String>),
    PrefixRegex(String, regex::Regex),
    Regex(regex::Regex),
}

/// One element of a flattened top-level concatenation.
enum Piece<'a> {
    Lit(String),
    Any(AnyRun),
    Other(&'a Hir),
}

impl FastMatcher {
    /// Compiles `pattern` as `^(?s:pattern)$` with RE2 syntax.
    pub fn new(pattern: &str) -> Result<FastMatcher, MatcherError> {
        let bad = |message: String| MatcherError::BadRegex {
            pattern: pattern.to_owned(),
            message,
        };
        let rust = to_rust_dialect(pattern).map_err(bad)?;
        let hir = regex_syntax::ParserBuilder::new()
            .dot_matches_new_line(true)
            .nest_limit(NEST_LIMIT)
            .build()
            .parse(&rust)
            .map_err(|e| bad(e.to_string()))?;
        // The pattern parsed on its own, so wrapping it cannot change its meaning.
        let compile = || {
            regex::RegexBuilder::new(&format!("^(?:{rust})$"))
                .dot_matches_new_line(true)
                .nest_limit(NEST_LIMIT)
                .build()
                .map_err(|e| bad(e.to_string()))
        };

        let mut pieces = Vec::new();
        flatten(&hir, &mut pieces);
        // Anchors at the very ends are implied by the full anchoring.
        while matches!(
            pieces.first().map(|h| h.kind()),
            Some(HirKind::Look(Look::Start))
        ) {
            pieces.remove(0);
        }
        while matches!(
            pieces.last().map(|h| h.kind()),
            Some(HirKind::Look(Look::End))
        ) {
            pieces.pop();
        }

        let mut m = FastMatcher {
            pattern: pattern.to_owned(),
            kind: Kind::Literal(String::new()),
            set: None,
            prefix: None,
        };
        if let Some(seqs) = seqs_of_concat(&pieces) {
            m.set_from_seqs(seqs);
            return Ok(m);
        }
        let hirs = pieces;
        let pieces = merge_pieces(&hirs);
        m.kind = match pieces.as_slice() {
            [Piece::Any(a)] => Kind::Any(*a),
            [Piece::Lit(p), Piece::Any(a)] => Kind::Prefix(p.clone(), *a),
            [Piece::Any(a), Piece::Lit(s)] => Kind::Suffix(*a, s.clone()),
            [Piece::Lit(p), Piece::Any(a), Piece::Lit(s)] => {
                Kind::PrefixSuffix(p.clone(), *a, s.clone())
            }
            [Piece::Any(a), Piece::Lit(c), Piece::Any(b)] => Kind::Contains(*a, c.clone(), *b),
            [Piece::Other(h)] => match contains_any(h) {
                Some(lits) => Kind::ContainsAny(lits),
                None => Kind::Regex(compile()?),
            },
            _ => match seq_affix(&hirs) {
                Some(kind) => kind,
                None => match pieces.first() {
                    Some(Piece::Lit(p)) => Kind::PrefixRegex(p.clone(), compile()?),
                    _ => Kind::Regex(compile()?),
                },
            },
        };
        if let Some(Piece::Lit(p)) = pieces.first() {
            m.prefix = Some(p.clone());
        }
        Ok(m)
    }

    fn set_from_seqs(&mut self, seqs: Vec<Vec<Unit>>) {
        let expanded: usize = seqs
            .iter()
            .map(|s| s.iter().fold(1usize, |n, u| n.saturating_mul(u.len())))
            .fold(0usize, usize::saturating_add);
        let seqs_lens = Lens::of(seqs.iter().flat_map(|s| {
            let (lo, hi) = seq_lens(s);
            [lo, hi]
        }));
        if expanded > MAX_SET_MATCHES {
            self.kind = Kind::Seqs(seqs, seqs_lens);
            return;
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for seq in &seqs {
            let mut strings = vec![String::new()];
            for unit in seq {
                strings = strings
                    .iter()
                    .flat_map(|s| {
                        unit.iter().map(move |c| {
                            let mut t = s.clone();
                            t.push(*c);
                            t
                        })
                    })
                    .collect();
            }
            for s in strings {
                if seen.insert(s.clone()) {
                    out.push(s);
                }
            }
        }
        let lens = Lens::of(out.iter().map(String::len));
        self.kind = match out.as_slice() {
            [one] => {
                self.prefix = Some(one.clone());
                Kind::Literal(one.clone())
            }
            _ if out.len() <= LINEAR_SET_MAX => Kind::SmallSet(out.clone(), lens),
            // Case variants multiply the strings; matching the few original
            // alternatives position by position is cheaper than hashing.
            _ if seqs.len() <= LINEAR_SET_MAX => Kind::Seqs(seqs, seqs_lens),
            _ => {
                let mut set = HashSet::with_capacity_and_hasher(out.len(), Xxh3DefaultBuilder);
                set.extend(out.iter().cloned());
                Kind::Set(set, lens)
            }
        };
        self.set = Some(out);
    }

    /// Whether `s` matches the whole pattern.
    pub fn is_match(&self, s: &str) -> bool {
        match &self.kind {
            Kind::Literal(l) => s == l,
            Kind::SmallSet(v, lens) => lens.admits(s) && v.iter().any(|x| x == s),
            Kind::Set(set, lens) => lens.admits(s) && set.contains(s),
            Kind::Seqs(seqs, lens) => lens.admits(s) && seqs.iter().any(|seq| seq_matches(seq, s)),
            Kind::Any(a) => a.matches(s),
            Kind::Prefix(p, a) => s.strip_prefix(p.as_str()).is_some_and(|r| a.matches(r)),
            Kind::Suffix(a, x) => s.strip_suffix(x.as_str()).is_some_and(|r| a.matches(r)),
            Kind::PrefixSuffix(p, a, x) => s
                .strip_prefix(p.as_str())
                .and_then(|r| r.strip_suffix(x.as_str()))
                .is_some_and(|r| a.matches(r)),
            Kind::Contains(AnyRun { min: 0, nl: true }, c, AnyRun { min: 0, nl: true }) => {
                s.contains(c.as_str())
            }
            Kind::Contains(a, c, b) => contains_between(s, *a, c, *b),
            Kind::SeqsPrefix(seqs, a) => seqs
                .iter()
                .any(|q| seq_prefix_end(q, s).is_some_and(|n| a.matches(&s[n..]))),
            Kind::SeqsSuffix(a, seqs) => seqs
                .iter()
                .any(|q| seq_suffix_start(q, s).is_some_and(|n| a.matches(&s[..n]))),
            Kind::ContainsAny(lits) => lits.iter().any(|l| s.contains(l.as_str())),
            Kind::PrefixRegex(p, re) => s.starts_with(p.as_str()) && re.is_match(s),
            Kind::Regex(re) => re.is_match(s),
        }
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The exact finite set of strings the pattern matches, if known.
    pub fn set_matches(&self) -> Option<&[String]> {
        self.set.as_deref()
    }

    /// A case-sensitive literal every match starts with, if known.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// Whether the pattern matches every string (`.*`).
    pub fn matches_all(&self) -> bool {
        matches!(self.kind, Kind::Any(AnyRun { min: 0, nl: true }))
    }

    /// Whether the pattern matches exactly the non-empty strings (`.+`).
    pub fn matches_non_empty(&self) -> bool {
        matches!(self.kind, Kind::Any(AnyRun { min: 1, nl: true }))
    }

    /// Whether the pattern provably matches nothing (e.g. an empty class).
    pub fn matches_nothing(&self) -> bool {
        self.set.as_ref().is_some_and(Vec::is_empty)
    }

    /// Whether a fast path is used instead of running the regex on every value.
    pub fn is_optimized(&self) -> bool {
        !matches!(self.kind, Kind::Regex(_))
    }
}

/// Flattens captures and concatenations into a list of pieces.
fn flatten<'a>(h: &'a Hir, out: &mut Vec<&'a Hir>) {
    match h.kind() {
        HirKind::Capture(c) => flatten(&c.sub, out),
        HirKind::Concat(subs) => subs.iter().for_each(|s| flatten(s, out)),
        _ => out.push(h),
    }
}

fn strip_captures(mut h: &Hir) -> &Hir {
    while let HirKind::Capture(c) = h.kind() {
        h = &c.sub;
    }
    h
}

/// `.*`-like repetitions of "any char" (or "any char but `\n`").
fn any_run(h: &Hir) -> Option<AnyRun> {
    let HirKind::Repetition(rep) = h.kind() else {
        return None;
    };
    if rep.max.is_some() {
        return None;
    }
    let HirKind::Class(Class::Unicode(class)) = strip_captures(&rep.sub).kind() else {
        return None;
    };
    let r: Vec<(char, char)> = class
        .ranges()
        .iter()
        .map(|r| (r.start(), r.end()))
        .collect();
    let nl = match r.as_slice() {
        [('\0', '\u{10FFFF}')] => true,
        [('\0', '\t'), ('\u{b}', '\u{10FFFF}')] => false,
        _ => return None,
    };
    Some(AnyRun { min: rep.min, nl })
}

fn literal(h: &Hir) -> Option<String> {
    match h.kind() {
        HirKind::Literal(l) => String::from_utf8(l.0.to_vec()).ok(),
        _ => None,
    }
}

fn merge_pieces<'a>(hirs: &[&'a Hir]) -> Vec<Piece<'a>> {
    let mut out: Vec<Piece<'a>> = Vec::with_capacity(hirs.len());
    for h in hirs {
        let piece = if let Some(l) = literal(h) {
            Piece::Lit(l)
        } else if let Some(a) = any_run(h) {
            Piece::Any(a)
        } else {
            Piece::Other(h)
        };
        match (out.last_mut(), piece) {
            (Some(Piece::Lit(prev)), Piece::Lit(l)) => prev.push_str(&l),
            // `.*.+` is `.+`: runs over the same alphabet concatenate.
            (Some(Piece::Any(prev)), Piece::Any(a)) if prev.nl == a.nl => {
                prev.min = prev.min.saturating_add(a.min);
            }
            (_, p) => out.push(p),
        }
    }
    out
}

/// `.*a.*|.*b.*` with case-sensitive literals and newline-matching dots.
fn contains_any(h: &Hir) -> Option<Vec<String>> {
    let HirKind::Alternation(alts) = strip_captures(h).kind() else {
        return None;
    };
    let all = AnyRun { min: 0, nl: true };
    let mut out = Vec::with_capacity(alts.len());
    for alt in alts {
        let mut hirs = Vec::new();
        flatten(alt, &mut hirs);
        match merge_pieces(&hirs).as_slice() {
            [Piece::Any(a), Piece::Lit(l), Piece::Any(b)] if *a == all && *b == all => {
                out.push(l.clone())
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Whether some occurrence of `needle` splits `s` into parts matching `a`
/// and `b`; occurrences may overlap, so every start position is tried.
fn contains_between(s: &str, a: AnyRun, needle: &str, b: AnyRun) -> bool {
    let mut from = 0;
    while let Some(i) = s.get(from..).and_then(|rest| rest.find(needle)) {
        let at = from + i;
        let (left, right) = (&s[..at], &s[at + needle.len()..]);
        if a.matches(left) && b.matches(right) {
            return true;
        }
        // Advance by one character (needle is non-empty, so s[at..] is too).
        from = at + s[at..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// A finite head or tail next to an any-run at the other end:
/// `(foo|bar).*`, `.*(?i)error`. Literal heads and tails are handled (faster)
/// by the `Prefix`/`Suffix` kinds before this is tried.
fn seq_affix(hirs: &[&Hir]) -> Option<Kind> {
    // Let chains would read better but need Rust 1.88; the MSRV is 1.85.
    let small = |part: &[&Hir]| {
        let seqs = seqs_of_concat(part)?;
        (!part.is_empty() && !seqs.is_empty() && seqs.len() <= LINEAR_SET_MAX).then_some(seqs)
    };
    let (last, init) = hirs.split_last()?;
    if let (Some(a), Some(seqs)) = (any_run(last), small(init)) {
        return Some(Kind::SeqsPrefix(seqs, a));
    }
    let (first, tail) = hirs.split_first()?;
    if let (Some(a), Some(seqs)) = (any_run(first), small(tail)) {
        return Some(Kind::SeqsSuffix(a, seqs));
    }
    None
}

/// Byte offset where `seq` ends if it matches a prefix of `s`.
fn seq_prefix_end(seq: &[Unit], s: &str) -> Option<usize> {
    let mut chars = s.char_indices();
    let mut end = 0;
    for unit in seq {
        let (i, c) = chars.next()?;
        unit.binary_search(&c).ok()?;
        end = i + c.len_utf8();
    }
    Some(end)
}

/// Byte offset where `seq` starts if it matches a suffix of `s`.
fn seq_suffix_start(seq: &[Unit], s: &str) -> Option<usize> {
    let mut chars = s.char_indices().rev();
    let mut start = s.len();
    for unit in seq.iter().rev() {
        let (i, c) = chars.next()?;
        unit.binary_search(&c).ok()?;
        start = i;
    }
    Some(start)
}

fn seq_matches(seq: &[Unit], s: &str) -> bool {
    let mut chars = s.chars();
    for unit in seq {
        match chars.next() {
            Some(c) if unit.binary_search(&c).is_ok() => {}
            _ => return false,
        }
    }
    chars.next().is_none()
}

fn seqs_of_concat(pieces: &[&Hir]) -> Option<Vec<Vec<Unit>>> {
    let mut acc: Vec<Vec<Unit>> = vec![Vec::new()];
    for p in pieces {
        acc = product(acc, seqs(p)?)?;
    }
    Some(acc)
}

fn product(a: Vec<Vec<Unit>>, b: Vec<Vec<Unit>>) -> Option<Vec<Vec<Unit>>> {
    if a.len().saturating_mul(b.len()) > MAX_SET_MATCHES {
        return None;
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in &a {
        for y in &b {
            let mut s = x.clone();
            s.extend(y.iter().cloned());
            out.push(s);
        }
    }
    Some(out)
}

/// The alternatives of a finite pattern as sequences of character sets, or
/// `None` if the pattern is not finite or too large to enumerate.
fn seqs(h: &Hir) -> Option<Vec<Vec<Unit>>> {
    match h.kind() {
        HirKind::Empty => Some(vec![Vec::new()]),
        HirKind::Literal(_) => {
            let l = literal(h)?;
            Some(vec![l.chars().map(|c| Box::from([c])).collect()])
        }
        HirKind::Class(Class::Unicode(class)) => {
            let mut n = 0usize;
            for r in class.ranges() {
                n += (r.end() as usize) - (r.start() as usize) + 1;
                if n > MAX_CLASS_CHARS {
                    return None;
                }
            }
            if n == 0 {
                // Matches nothing: no alternatives at all.
                return Some(Vec::new());
            }
            let chars: Vec<char> = class
                .ranges()
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .collect();
            Some(vec![vec![chars.into_boxed_slice()]])
        }
        HirKind::Capture(c) => seqs(&c.sub),
        HirKind::Concat(subs) => {
            let refs: Vec<&Hir> = subs.iter().collect();
            seqs_of_concat(&refs)
        }
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(seqs(a)?);
                if out.len() > MAX_SET_MATCHES {
                    return None;
                }
            }
            Some(out)
        }
        HirKind::Repetition(rep) => {
            let max = rep.max?;
            if max > MAX_UNROLL {
                return None;
            }
            let sub = seqs(&rep.sub)?;
            let mut out = Vec::new();
            let mut power: Vec<Vec<Unit>> = vec![Vec::new()];
            for k in 0..=max {
                if k >= rep.min {
                    out.extend(power.iter().cloned());
                    if out.len() > MAX_SET_MATCHES {
                        return None;
                    }
                }
                if k < max {
                    power = product(power, sub.clone())?;
                }
            }
            Some(out)
        }
        // regex-syntax spells "matches nothing" as an empty byte class.
        HirKind::Class(Class::Bytes(class)) if class.ranges().is_empty() => Some(Vec::new()),
        HirKind::Class(Class::Bytes(_)) | HirKind::Look(_) => None,
    }
}
