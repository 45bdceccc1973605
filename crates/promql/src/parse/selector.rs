//! Vector selectors (`name{label="v", "utf8.name"}`), label matchers and the
//! label lists of `by`/`without`/`on`/`ignoring`/`group_…` clauses.

use vigil_model::{MatchType, Matcher};

use super::{PResult, Parser};
use crate::ast::{Expr, PosRange, VectorSelector};
use crate::lex::{Kind, Token};

const MATCH_CTX: &str = "label matching";
const GROUP_CTX: &str = "grouping opts";

fn match_type(kind: Kind) -> Option<MatchType> {
    Some(match kind {
        Kind::Eql => MatchType::Equal,
        Kind::Neq => MatchType::NotEqual,
        Kind::EqlRegex => MatchType::Regexp,
        Kind::NeqRegex => MatchType::NotRegexp,
        _ => return None,
    })
}

impl Parser<'_> {
    /// Parses a selector; `name` is the already consumed metric name token.
    pub(super) fn vector_selector(&mut self, name: Option<Token>) -> PResult<Expr> {
        let (name_str, mut pos) = match &name {
            Some(t) => (self.text(t).to_string(), PosRange::new(t.start, t.end)),
            None => (
                String::new(),
                PosRange::new(self.peek().start, self.peek().end),
            ),
        };
        let mut matchers = Vec::new();
        if self.peek_kind() == Kind::LeftBrace {
            let brace_start = self.peek().start;
            let (ms, end) = self.label_matchers()?;
            matchers = ms;
            if name.is_none() {
                pos.start = brace_start;
            }
            pos.end = end;
        }
        if !name_str.is_empty() {
            match Matcher::new(MatchType::Equal, "__name__", &name_str) {
                Ok(m) => matchers.push(m),
                Err(e) => self.error_at(pos, e.to_string()),
            }
        }
        Ok(Expr::VectorSelector(VectorSelector {
            name: name_str,
            matchers,
            offset: 0,
            offset_expr: None,
            at: None,
            anchored: false,
            smoothed: false,
            bypass_empty_matcher_check: false,
            pos,
        }))
    }

    /// `{ matcher, … }`; returns the matchers and the end of `}`.
    fn label_matchers(&mut self) -> PResult<(Vec<Matcher>, usize)> {
        self.advance();
        let mut out = Vec::new();
        if let Some(t) = self.accept(Kind::RightBrace) {
            return Ok((out, t.end));
        }
        loop {
            if let Some(m) = self.label_matcher()? {
                out.push(m);
            }
            match self.peek_kind() {
                Kind::Comma => {
                    self.advance();
                    if let Some(t) = self.accept(Kind::RightBrace) {
                        return Ok((out, t.end));
                    }
                }
                Kind::RightBrace => {
                    let t = self.advance();
                    return Ok((out, t.end));
                }
                _ => return Err(self.unexpected(MATCH_CTX, "\",\" or \"}\"")),
            }
        }
    }

    fn label_matcher(&mut self) -> PResult<Option<Matcher>> {
        let name_tok = match self.peek_kind() {
            Kind::Identifier | Kind::String => self.advance(),
            _ => return Err(self.unexpected(MATCH_CTX, "identifier or \"}\"")),
        };
        let name = if name_tok.kind == Kind::String {
            self.unquote_token(&name_tok)
        } else {
            self.text(&name_tok).to_string()
        };
        let Some(mt) = match_type(self.peek_kind()) else {
            if name_tok.kind == Kind::String {
                // A bare quoted string names the metric.
                return Ok(self.new_matcher(
                    MatchType::Equal,
                    "__name__",
                    &name,
                    PosRange::new(name_tok.start, name_tok.end),
                ));
            }
            return Err(self.unexpected(MATCH_CTX, "label matching operator"));
        };
        self.advance();
        if self.peek_kind() != Kind::String {
            return Err(self.unexpected(MATCH_CTX, "string"));
        }
        let value_tok = self.advance();
        let value = self.unquote_token(&value_tok);
        Ok(self.new_matcher(
            mt,
            &name,
            &value,
            PosRange::new(name_tok.start, value_tok.end),
        ))
    }

    fn new_matcher(
        &mut self,
        mt: MatchType,
        name: &str,
        value: &str,
        pos: PosRange,
    ) -> Option<Matcher> {
        match Matcher::new(mt, name, value) {
            Ok(m) => Some(m),
            Err(e) => {
                let msg =
                    super::regex_error::go_regex_error(value).unwrap_or_else(|| e.to_string());
                self.error_at(pos, msg);
                None
            }
        }
    }

    /// `( label, … )` after `by`, `without`, `on`, `ignoring`, `group_…`.
    pub(super) fn grouping_labels(&mut self) -> PResult<Vec<String>> {
        if self.peek_kind() != Kind::LeftParen {
            return Err(self.unexpected(GROUP_CTX, "\"(\""));
        }
        self.advance();
        let mut labels = Vec::new();
        if self.accept(Kind::RightParen).is_some() {
            return Ok(labels);
        }
        loop {
            let k = self.peek_kind();
            let t = if k.is_maybe_label() || k == Kind::String {
                self.advance()
            } else {
                return Err(self.unexpected(GROUP_CTX, "label"));
            };
            let label = if t.kind == Kind::String {
                let bytes = self.unquote_token_bytes(&t);
                match String::from_utf8(bytes) {
                    Ok(s) => s,
                    Err(e) => {
                        let b = e.into_bytes();
                        let quoted = crate::printer::quote_bytes(&b);
                        self.error_at(
                            PosRange::new(t.start, t.end),
                            format!("invalid label name for grouping: {quoted}"),
                        );
                        String::from_utf8_lossy(&b).into_owned()
                    }
                }
            } else {
                self.text(&t).to_string()
            };
            if label.is_empty() {
                self.error_at(
                    PosRange::new(t.start, t.end),
                    format!(
                        "invalid label name for grouping: {}",
                        vigil_model::quote::quote(&label)
                    ),
                );
            }
            labels.push(label);
            match self.peek_kind() {
                Kind::Comma => {
                    self.advance();
                    if self.accept(Kind::RightParen).is_some() {
                        return Ok(labels);
                    }
                }
                Kind::RightParen => {
                    self.advance();
                    return Ok(labels);
                }
                _ => return Err(self.unexpected(GROUP_CTX, "\",\" or \")\"")),
            }
        }
    }
}
