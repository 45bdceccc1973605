//! Bridging RE2 (Go `regexp/syntax`, what Prometheus accepts) and Rust's
//! `regex` dialect.
//!
//! The two agree on most syntax; where they differ in ways a user could
//! notice, we side with RE2 (documented at <https://github.com/google/re2/wiki/Syntax>
//! and Go's `regexp/syntax` package docs):
//!
//! - Rejected because RE2 rejects them (or reads them differently): the `x`,
//!   `u` and `R` flags, `\u`/`\U` escapes, `\<` and `\>`
//!   assertions, nested bracket classes and class set operations (`[a&&b]` is
//!   three literal characters to RE2), repetition counts above 1000, and a
//!   repetition operator applied directly to another (`a**`).
//! - Escaped because RE2 reads a `{` that does not start a well-formed
//!   repetition (`{n}`, `{n,}`, `{n,m}`, digits only) as a literal, where Rust
//!   reports an error or, for `a{ 1}`, accepts spaces: `a{`, `{}`, `x{,5}`.
//! - Rewritten because Rust lacks them: RE2's octal escapes (`\012`) and
//!   `\Q...\E` literal quoting.
//! - Rewritten because RE2's Perl classes and `\b` are ASCII-only while
//!   Rust's are Unicode-aware: `\d`, `\w`, `\s` (RE2's `\s` is `[\t\n\f\r ]`,
//!   without `\v`) and `\b`/`\B` are replaced by explicit ASCII equivalents.

use regex_syntax::ast::{
    self, Assertion, AssertionKind, Ast, ClassPerlKind, ClassSetBinaryOp, ClassSetItem, Flag,
    Flags, FlagsItemKind, GroupKind, HexLiteralKind, LiteralKind, RepetitionKind, RepetitionRange,
};

/// RE2's maximum repetition count (`a{1001}` is an error in Go).
const MAX_REPEAT: u32 = 1000;
/// RE2's maximum nesting depth (Rust's default of 250 is stricter).
pub(crate) const NEST_LIMIT: u32 = 1000;

/// Checks `pattern` against RE2's syntax and returns the equivalent pattern
/// in Rust's dialect, or a message saying what is wrong.
pub(crate) fn to_rust_dialect(pattern: &str) -> Result<String, String> {
    let escaped = preprocess(pattern);
    let pattern = escaped.as_str();
    let parsed = ast::parse::ParserBuilder::new()
        .nest_limit(NEST_LIMIT)
        .build()
        .parse(pattern)
        .map_err(|e| e.kind().to_string())?;
    let mut rewrites = ast::visit(
        &parsed,
        Check {
            rewrites: Vec::new(),
        },
    )?;
    if rewrites.is_empty() {
        return Ok(pattern.to_owned());
    }
    // Spans do not overlap (Perl classes and assertions are leaves); apply
    // them in order, copying the text between them.
    rewrites.sort_by_key(|r| r.0);
    let mut out = String::with_capacity(pattern.len() + 16 * rewrites.len());
    let mut pos = 0;
    for (start, end, repl) in rewrites {
        let Some(before) = pattern.get(pos..start) else {
            return Err("internal error rewriting pattern".to_owned());
        };
        out.push_str(before);
        out.push_str(repl);
        pos = end;
    }
    out.push_str(pattern.get(pos..).unwrap_or_default());
    Ok(out)
}

/// Whether `s` (starting at a `{`) is an RE2 counted repetition:
/// `{digits}`, `{digits,}` or `{digits,digits}`; returns its byte length.
fn repeat_len(s: &[u8]) -> Option<usize> {
    let digits = |from: usize| {
        s.iter()
            .skip(from)
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let n = digits(1);
    if n == 0 {
        return None;
    }
    let mut i = 1 + n;
    if s.get(i) == Some(&b',') {
        i += 1 + digits(i + 1);
    }
    (s.get(i) == Some(&b'}')).then_some(i + 1)
}

/// Rewrites the escape at the start of `s` (which starts with `\\`) into
/// Rust's dialect; returns the bytes consumed. RE2 octal escapes (`\0`,
/// `\012`, `\12`; a lone `\1`..`\7` is a backreference and stays, to be
/// rejected) become `\x{..}`; `\Q...\E` (only `in_class == false`) becomes
/// escaped literals; braced arguments (`\x{41}`, `\p{Greek}`) are copied.
fn escape(s: &str, in_class: bool, out: &mut String) -> usize {
    let b = s.as_bytes();
    match b.get(1) {
        Some(b'p' | b'P' | b'x') if b.get(2) == Some(&b'{') => {
            let len = s.find('}').map_or(s.len(), |end| end + 1);
            out.push_str(&s[..len]);
            len
        }
        Some(d @ b'0'..=b'7') => {
            let more = b
                .iter()
                .skip(2)
                .take(2)
                .take_while(|c| (b'0'..=b'7').contains(c))
                .count();
            if *d != b'0' && more == 0 {
                out.push_str(&s[..2]);
                return 2;
            }
            let digits = &s[1..2 + more];
            let value = u32::from_str_radix(digits, 8).unwrap_or(0);
            out.push_str(&format!("\\x{{{value:x}}}"));
            2 + more
        }
        Some(b'Q') if !in_class => {
            let body = &s[2..];
            let (text, len) = match body.find("\\E") {
                Some(end) => (&body[..end], 2 + end + 2),
                None => (body, s.len()),
            };
            out.push_str(&regex_syntax::escape(text));
            len
        }
        _ => {
            let len = s[1..].chars().next().map_or(1, |c| 1 + c.len_utf8());
            out.push_str(&s[..len]);
            len
        }
    }
}

/// Rewrites what RE2 and Rust read differently before parsing: literal `{`
/// (escaped unless it starts a repetition) and the escapes handled by
/// [`escape`]. Bracket classes are copied apart from their escapes.
fn preprocess(pattern: &str) -> String {
    let bytes = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut i = 0;
    while i < bytes.len() {
        let rest = &pattern[i..];
        i += match bytes[i] {
            b'\\' => escape(rest, false, &mut out),
            b'[' => class(rest, &mut out),
            b'{' => match repeat_len(&bytes[i..]) {
                Some(n) => {
                    out.push_str(&rest[..n]);
                    n
                }
                None => {
                    out.push_str("\\{");
                    1
                }
            },
            _ => {
                let n = rest.chars().next().map_or(1, char::len_utf8);
                out.push_str(&rest[..n]);
                n
            }
        };
    }
    out
}

/// Copies the bracket class at the start of `s` (which starts with `[`),
/// rewriting its escapes; an unclosed class runs to the end of `s` and is
/// reported by the parser. Returns the bytes consumed.
fn class(s: &str, out: &mut String) -> usize {
    let b = s.as_bytes();
    let mut j = 1;
    if b.get(j) == Some(&b'^') {
        j += 1;
    }
    // A `]` right after the opening bracket is a literal.
    if b.get(j) == Some(&b']') {
        j += 1;
    }
    out.push_str(&s[..j]);
    while j < b.len() {
        let rest = &s[j..];
        j += match b[j] {
            b'\\' => escape(rest, true, out),
            b'[' if b.get(j + 1) == Some(&b':') => {
                let n = rest[2..].find(":]").map_or(rest.len(), |k| k + 4);
                out.push_str(&rest[..n]);
                n
            }
            b']' => {
                out.push(']');
                return j + 1;
            }
            _ => {
                let n = rest.chars().next().map_or(1, char::len_utf8);
                out.push_str(&rest[..n]);
                n
            }
        };
    }
    j
}

struct Check {
    /// `(start, end, replacement)` byte ranges of `pattern` to replace.
    rewrites: Vec<(usize, usize, &'static str)>,
}

impl Check {
    fn flags(flags: &Flags) -> Result<(), String> {
        for item in &flags.items {
            if let FlagsItemKind::Flag(flag) = item.kind {
                let name = match flag {
                    Flag::CaseInsensitive
                    | Flag::MultiLine
                    | Flag::DotMatchesNewLine
                    | Flag::SwapGreed => continue,
                    Flag::Unicode => 'u',
                    Flag::CRLF => 'R',
                    Flag::IgnoreWhitespace => 'x',
                };
                return Err(format!("invalid or unsupported Perl syntax: flag `{name}`"));
            }
        }
        Ok(())
    }

    fn perl(&mut self, class: &ast::ClassPerl) {
        let repl = match (&class.kind, class.negated) {
            (ClassPerlKind::Digit, false) => "[0-9]",
            (ClassPerlKind::Digit, true) => "[^0-9]",
            (ClassPerlKind::Word, false) => "[0-9A-Za-z_]",
            (ClassPerlKind::Word, true) => "[^0-9A-Za-z_]",
            (ClassPerlKind::Space, false) => "[\\t\\n\\f\\r ]",
            (ClassPerlKind::Space, true) => "[^\\t\\n\\f\\r ]",
        };
        self.rewrites
            .push((class.span.start.offset, class.span.end.offset, repl));
    }

    fn literal(lit: &ast::Literal) -> Result<(), String> {
        match lit.kind {
            LiteralKind::HexFixed(HexLiteralKind::X) | LiteralKind::HexBrace(HexLiteralKind::X) => {
                Ok(())
            }
            LiteralKind::HexFixed(_) | LiteralKind::HexBrace(_) => {
                Err("invalid escape sequence: `\\u`/`\\U` (use `\\x{...}`)".to_owned())
            }
            _ => Ok(()),
        }
    }
}

impl ast::Visitor for Check {
    type Output = Vec<(usize, usize, &'static str)>;
    type Err = String;

    fn finish(self) -> Result<Self::Output, String> {
        Ok(self.rewrites)
    }

    fn visit_pre(&mut self, node: &Ast) -> Result<(), String> {
        match node {
            Ast::Flags(set) => Check::flags(&set.flags),
            Ast::Group(g) => match &g.kind {
                GroupKind::NonCapturing(flags) => Check::flags(flags),
                GroupKind::CaptureIndex(_) | GroupKind::CaptureName { .. } => Ok(()),
            },
            Ast::Literal(lit) => Check::literal(lit),
            Ast::ClassPerl(class) => {
                self.perl(class);
                Ok(())
            }
            Ast::Assertion(a) => self.assertion(a),
            Ast::Repetition(rep) => {
                if matches!(*rep.ast, Ast::Repetition(_)) {
                    return Err("invalid nested repetition operator".to_owned());
                }
                let (lo, hi) = match rep.op.kind {
                    RepetitionKind::Range(RepetitionRange::Exactly(n))
                    | RepetitionKind::Range(RepetitionRange::AtLeast(n)) => (n, n),
                    RepetitionKind::Range(RepetitionRange::Bounded(m, n)) => (m, n),
                    _ => (0, 0),
                };
                if lo > MAX_REPEAT || hi > MAX_REPEAT {
                    return Err(format!("invalid repeat count: more than {MAX_REPEAT}"));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn visit_class_set_item_pre(&mut self, item: &ClassSetItem) -> Result<(), String> {
        match item {
            ClassSetItem::Bracketed(_) => {
                Err("nested character classes are not supported by RE2".to_owned())
            }
            ClassSetItem::Perl(class) => {
                self.perl(class);
                Ok(())
            }
            ClassSetItem::Literal(lit) => Check::literal(lit),
            _ => Ok(()),
        }
    }

    fn visit_class_set_binary_op_pre(&mut self, _op: &ClassSetBinaryOp) -> Result<(), String> {
        Err("character class set operations (`&&`, `--`, `~~`) are not supported by RE2".to_owned())
    }
}

impl Check {
    fn assertion(&mut self, a: &Assertion) -> Result<(), String> {
        let repl = match a.kind {
            AssertionKind::StartLine
            | AssertionKind::EndLine
            | AssertionKind::StartText
            | AssertionKind::EndText => return Ok(()),
            AssertionKind::WordBoundary => "(?-u:\\b)",
            AssertionKind::NotWordBoundary => "(?-u:\\B)",
            _ => {
                return Err(
                    "invalid escape sequence: only `\\b` and `\\B` word boundaries are supported"
                        .to_owned(),
                );
            }
        };
        self.rewrites
            .push((a.span.start.offset, a.span.end.offset, repl));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::to_rust_dialect;

    #[test]
    fn rejects_non_re2_syntax() {
        for bad in [
            "(?x)a b",
            "(?u)a",
            "(?R)a",
            "\\u0041",
            "\\U00000041",
            "\\<a",
            "a\\>",
            "[[a]]",
            "[a&&b]",
            "[a--b]",
            "a{1001}",
            "a{2,1001}",
            "(a",
            "[\\0-\\7]",
            "a)",
            "\\",
            "(?P=n)",
            "(?=a)",
            "a\\1",
            "a**",
            "a+*",
            "a{2}{3}",
        ] {
            assert!(to_rust_dialect(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn literal_braces_like_re2() {
        for (re2, rust) in [
            ("a{", "a\\{"),
            ("{}", "\\{}"),
            ("a{ 1}", "a\\{ 1}"),
            ("a{,5}", "a\\{,5}"),
            ("a{1,2", "a\\{1,2"),
            ("x{2}{", "x{2}\\{"),
            ("a{2}b{3,}c{1,4}", "a{2}b{3,}c{1,4}"),
            ("[{]{2}", "[{]{2}"),
            ("[]{]", "[]{]"),
            ("[[:alpha:]{]x{", "[[:alpha:]{]x\\{"),
            ("\\x{41}\\p{Greek}\\{", "\\x{41}\\p{Greek}\\{"),
            ("é{ü", "é\\{ü"),
            (
                "\\0\\12\\101[\\0-\\07]",
                "\\x{0}\\x{a}\\x{41}[\\x{0}-\\x{7}]",
            ),
            ("\\Qa.b{\\E+\\Q*", "a\\.b\\{+\\*"),
            // RE2 has no `\b{start}`: a word boundary, then a literal.
            ("\\b{start}", "(?-u:\\b)\\{start}"),
        ] {
            assert_eq!(to_rust_dialect(re2).unwrap(), rust, "{re2:?}");
        }
        assert!(
            to_rust_dialect("{2}").is_err(),
            "a valid repeat still needs an operand"
        );
        assert!(to_rust_dialect("[a").is_err());
        assert!(to_rust_dialect("\\").is_err());
        assert!(to_rust_dialect("\\p{").is_err());
    }

    #[test]
    fn rewrites_perl_classes_to_ascii() {
        assert_eq!(to_rust_dialect("\\d+").unwrap(), "[0-9]+");
        assert_eq!(
            to_rust_dialect("a[\\w.]\\S").unwrap(),
            "a[[0-9A-Za-z_].][^\\t\\n\\f\\r ]"
        );
        assert_eq!(to_rust_dialect("\\bx\\B").unwrap(), "(?-u:\\b)x(?-u:\\B)");
        assert_eq!(to_rust_dialect("ü\\d").unwrap(), "ü[0-9]");
        assert_eq!(to_rust_dialect("a{1000}").unwrap(), "a{1000}");
        assert_eq!(to_rust_dialect("(?i)a(?s-m:b)").unwrap(), "(?i)a(?s-m:b)");
    }
}
