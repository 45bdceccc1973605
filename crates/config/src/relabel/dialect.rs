//! RE2's Perl classes for the capturing regex.
//!
//! Matching goes through the model crate's RE2-faithful `FastMatcher`; the
//! capture groups of `replace`/`labelmap` come from a `regex::Regex`, whose
//! `\d`, `\w`, `\s` and `\b` are Unicode-aware where RE2's are ASCII-only.
//! Rewriting them to explicit ASCII classes keeps group boundaries equal
//! to Prometheus' (`(\w+)(.*)` on `abé` captures `ab`, not `abé`).

use regex_syntax::ast::{self, Ast, ClassPerlKind, ClassSetItem};

/// `pattern` with Perl classes and word boundaries made ASCII-only, or
/// `None` if it does not parse (the caller then keeps the pattern as is).
pub(crate) fn ascii_classes(pattern: &str) -> Option<String> {
    let parsed = ast::parse::Parser::new().parse(pattern).ok()?;
    let mut edits = ast::visit(&parsed, Collect(Vec::new())).ok()?;
    if edits.is_empty() {
        return Some(pattern.to_owned());
    }
    edits.sort_by_key(|e| e.0);
    let mut out = String::with_capacity(pattern.len() + 16 * edits.len());
    let mut pos = 0;
    for (start, end, text) in edits {
        out.push_str(pattern.get(pos..start)?);
        out.push_str(text);
        pos = end;
    }
    out.push_str(pattern.get(pos..)?);
    Some(out)
}

fn perl(kind: &ClassPerlKind, negated: bool) -> &'static str {
    match (kind, negated) {
        (ClassPerlKind::Digit, false) => "[0-9]",
        (ClassPerlKind::Digit, true) => "[^0-9]",
        (ClassPerlKind::Word, false) => "[0-9A-Za-z_]",
        (ClassPerlKind::Word, true) => "[^0-9A-Za-z_]",
        (ClassPerlKind::Space, false) => "[\\t\\n\\f\\r ]",
        (ClassPerlKind::Space, true) => "[^\\t\\n\\f\\r ]",
    }
}

struct Collect(Vec<(usize, usize, &'static str)>);

impl ast::Visitor for Collect {
    type Output = Vec<(usize, usize, &'static str)>;
    type Err = ();

    fn finish(self) -> Result<Self::Output, ()> {
        Ok(self.0)
    }

    fn visit_pre(&mut self, a: &Ast) -> Result<(), ()> {
        match a {
            Ast::ClassPerl(c) => self.0.push((
                c.span.start.offset,
                c.span.end.offset,
                perl(&c.kind, c.negated),
            )),
            Ast::Assertion(x) => {
                let text = match x.kind {
                    ast::AssertionKind::WordBoundary => "(?-u:\\b)",
                    ast::AssertionKind::NotWordBoundary => "(?-u:\\B)",
                    _ => return Ok(()),
                };
                self.0.push((x.span.start.offset, x.span.end.offset, text));
            }
            _ => {}
        }
        Ok(())
    }

    fn visit_class_set_item_pre(&mut self, item: &ClassSetItem) -> Result<(), ()> {
        // Inside brackets a nested class (`[a[0-9]]`) keeps the meaning.
        if let ClassSetItem::Perl(c) = item {
            self.0.push((
                c.span.start.offset,
                c.span.end.offset,
                perl(&c.kind, c.negated),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ascii_classes;

    #[test]
    fn rewrites() {
        assert_eq!(
            ascii_classes(r"(\w+)(.*)").as_deref(),
            Some("([0-9A-Za-z_]+)(.*)")
        );
        assert_eq!(
            ascii_classes(r"[\d.]+\b").as_deref(),
            Some(r"[[0-9].]+(?-u:\b)")
        );
        assert_eq!(ascii_classes("plain").as_deref(), Some("plain"));
        let re = regex::Regex::new(&format!(
            "^(?s:{})$",
            ascii_classes(r"(\w+)(.*)").unwrap_or_default()
        ))
        .expect("compiles");
        let caps = re.captures("abé").expect("matches");
        assert_eq!(caps.get(1).map(|m| m.as_str()), Some("ab"));
    }
}
