//! PromQL lexer: turns a query into tokens with byte positions.
//!
//! The lexer is modal like Prometheus' own: inside `{…}` only label-matcher
//! tokens exist, right after `[` a small duration-expression grammar applies,
//! and the keyword table decides between identifiers and keywords. Lexing stops
//! at the first error, which becomes a final [`Kind::Error`] token.

pub use crate::token::{Kind, Token};
use crate::token::{duration_keyword, keyword, quote_rune, unicode_desc};

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn is_alpha(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_alnum(c: char) -> bool {
    is_alpha(c) || c.is_ascii_digit()
}

fn is_alnum_opt(c: Option<char>) -> bool {
    c.is_some_and(is_alnum)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Statements,
    DurationExpr,
}

/// The lexer. Use [`lex`] to get all tokens at once.
#[derive(Debug)]
struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    width: usize,
    state: State,
    paren_depth: i64,
    brace_open: bool,
    bracket_open: bool,
    got_colon: bool,
    got_duration: bool,
    tokens: Vec<Token>,
    done: bool,
}

/// Lexes the whole input. The result always ends with an [`Kind::Eof`] or a
/// [`Kind::Error`] token; comments are dropped.
pub fn lex(input: &str) -> Vec<Token> {
    let mut l = Lexer {
        input,
        pos: 0,
        start: 0,
        width: 0,
        state: State::Statements,
        paren_depth: 0,
        brace_open: false,
        bracket_open: false,
        got_colon: false,
        got_duration: false,
        tokens: Vec::new(),
        done: false,
    };
    while !l.done {
        match l.state {
            State::Statements if l.brace_open => l.inside_braces(),
            State::Statements => l.statements(),
            State::DurationExpr => l.duration_expr(),
        }
    }
    l.tokens
}

impl Lexer<'_> {
    fn next(&mut self) -> Option<char> {
        match self.input[self.pos..].chars().next() {
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                Some(c)
            }
            None => {
                self.width = 0;
                None
            }
        }
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn backup(&mut self) {
        self.pos -= self.width;
        self.width = 0;
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.next();
                true
            }
            _ => false,
        }
    }

    fn is(&self, valid: &str) -> bool {
        self.peek().is_some_and(|c| valid.contains(c))
    }

    fn emit(&mut self, kind: Kind) {
        self.tokens.push(Token {
            kind,
            start: self.start,
            end: self.pos,
            message: None,
        });
        self.start = self.pos;
    }

    fn error(&mut self, message: String) {
        self.tokens.push(Token {
            kind: Kind::Error,
            start: self.start,
            end: self.input.len(),
            message: Some(message),
        });
        self.done = true;
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.next();
        }
        self.start = self.pos;
    }

    fn line_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' || c == '\r' {
                break;
            }
            self.next();
        }
        self.start = self.pos;
    }

    fn statements(&mut self) {
        if self.input[self.pos..].starts_with('#') {
            self.line_comment();
            return;
        }
        let Some(r) = self.next() else {
            if self.paren_depth != 0 {
                self.error("unclosed left parenthesis".into());
            } else if self.bracket_open {
                self.error("unclosed left bracket".into());
            } else {
                self.emit(Kind::Eof);
                self.done = true;
            }
            return;
        };
        match r {
            ',' => self.emit(Kind::Comma),
            c if is_space(c) => self.skip_spaces(),
            '*' => self.emit(Kind::Mul),
            '/' => self.emit(Kind::Div),
            '%' => self.emit(Kind::Mod),
            '+' => self.emit(Kind::Add),
            '-' => self.emit(Kind::Sub),
            '^' => self.emit(Kind::Pow),
            '=' => match self.peek() {
                Some('=') => {
                    self.next();
                    self.emit(Kind::EqlC);
                }
                Some('~') => self.error("unexpected character after '=': '~'".into()),
                _ => self.emit(Kind::Eql),
            },
            '!' => {
                let t = self.next();
                if t == Some('=') {
                    self.emit(Kind::Neq);
                } else {
                    self.error(format!("unexpected character after '!': {}", quote_rune(t)));
                }
            }
            '<' => match self.peek() {
                Some('=') => {
                    self.next();
                    self.emit(Kind::Lte);
                }
                Some('/') => {
                    self.next();
                    self.emit(Kind::TrimUpper);
                }
                _ => self.emit(Kind::Lss),
            },
            '>' => match self.peek() {
                Some('=') => {
                    self.next();
                    self.emit(Kind::Gte);
                }
                Some('/') => {
                    self.next();
                    self.emit(Kind::TrimLower);
                }
                _ => self.emit(Kind::Gtr),
            },
            c if c.is_ascii_digit()
                || (c == '.' && self.peek().is_some_and(|d| d.is_ascii_digit())) =>
            {
                self.backup();
                self.number_or_duration();
            }
            '"' | '\'' => self.string(r),
            '`' => self.raw_string(),
            c if is_alpha(c) || c == ':' => {
                if !self.bracket_open {
                    self.backup();
                    self.keyword_or_identifier();
                    return;
                }
                if c == ':' {
                    if self.got_colon {
                        self.error("unexpected colon ':'".into());
                        return;
                    }
                    self.emit(Kind::Colon);
                    self.got_colon = true;
                    return;
                }
                if !self.duration_keyword_at(c) {
                    self.error(format!(
                        "unexpected character: {}, expected ':'",
                        quote_rune(Some(c))
                    ));
                }
            }
            '(' => {
                self.emit(Kind::LeftParen);
                self.paren_depth += 1;
            }
            ')' => {
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    // Prometheus replaces the token with the error.
                    self.start = self.pos;
                    self.error("unexpected right parenthesis ')'".into());
                } else {
                    self.emit(Kind::RightParen);
                }
            }
            '{' => {
                self.emit(Kind::LeftBrace);
                self.brace_open = true;
            }
            '[' => {
                if self.bracket_open {
                    self.error("unexpected left bracket '['".into());
                    return;
                }
                self.got_colon = false;
                self.emit(Kind::LeftBracket);
                self.skip_spaces();
                self.bracket_open = true;
                self.state = State::DurationExpr;
            }
            ']' => {
                if !self.bracket_open {
                    self.error("unexpected right bracket ']'".into());
                    return;
                }
                self.emit(Kind::RightBracket);
                self.bracket_open = false;
            }
            '@' => self.emit(Kind::At),
            c => self.error(format!("unexpected character: {}", quote_rune(Some(c)))),
        }
    }

    /// Tries to read `step`, `range`, `max_of` or `min_of` whose first
    /// character `c` has already been consumed.
    fn duration_keyword_at(&mut self, c: char) -> bool {
        if !matches!(c.to_ascii_lowercase(), 's' | 'r' | 'm') {
            return false;
        }
        while self.peek().is_some_and(is_alpha) {
            self.next();
        }
        let word = self.input[self.start..self.pos].to_ascii_lowercase();
        match duration_keyword(&word) {
            Some(k) => {
                self.emit(k);
                true
            }
            None => false,
        }
    }

    fn duration_expr(&mut self) {
        let Some(r) = self.next() else {
            self.error("unexpected end of input in duration expression".into());
            return;
        };
        match r {
            ']' => {
                self.emit(Kind::RightBracket);
                self.bracket_open = false;
                self.got_colon = false;
                self.state = State::Statements;
            }
            ':' => {
                if !self.got_duration || self.got_colon {
                    self.start = self.pos;
                    self.error(if self.got_duration {
                        "unexpected repeated colon in duration expression".into()
                    } else {
                        "unexpected colon before duration in duration expression".into()
                    });
                } else {
                    self.emit(Kind::Colon);
                    self.got_colon = true;
                }
            }
            '(' => {
                self.emit(Kind::LeftParen);
                self.paren_depth += 1;
            }
            ')' => {
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    // Prometheus replaces the token with the error.
                    self.start = self.pos;
                    self.error("unexpected right parenthesis ')'".into());
                } else {
                    self.emit(Kind::RightParen);
                }
            }
            c if is_space(c) => self.skip_spaces(),
            '+' => self.emit(Kind::Add),
            '-' => self.emit(Kind::Sub),
            '*' => self.emit(Kind::Mul),
            '/' => self.emit(Kind::Div),
            '%' => self.emit(Kind::Mod),
            '^' => self.emit(Kind::Pow),
            ',' => self.emit(Kind::Comma),
            c if c.is_ascii_digit()
                || (c == '.' && self.peek().is_some_and(|d| d.is_ascii_digit())) =>
            {
                self.backup();
                self.got_duration = true;
                self.state = State::Statements;
                self.number_or_duration();
            }
            c => {
                if !self.duration_keyword_at(c) {
                    self.error(format!(
                        "unexpected character in duration expression: {}",
                        quote_rune(Some(c))
                    ));
                }
            }
        }
    }

    fn inside_braces(&mut self) {
        if self.input[self.pos..].starts_with('#') {
            self.line_comment();
            return;
        }
        let Some(r) = self.next() else {
            self.error("unexpected end of input inside braces".into());
            return;
        };
        match r {
            c if is_space(c) => self.skip_spaces(),
            c if is_alpha(c) => {
                while is_alnum_opt(self.peek()) {
                    self.next();
                }
                self.emit(Kind::Identifier);
            }
            ',' => self.emit(Kind::Comma),
            '"' | '\'' => self.string(r),
            '`' => self.raw_string(),
            '=' => {
                if self.peek() == Some('~') {
                    self.next();
                    self.emit(Kind::EqlRegex);
                } else {
                    self.emit(Kind::Eql);
                }
            }
            '!' => match self.next() {
                Some('~') => self.emit(Kind::NeqRegex),
                Some('=') => self.emit(Kind::Neq),
                nr => self.error(format!(
                    "unexpected character after '!' inside braces: {}",
                    quote_rune(nr)
                )),
            },
            '{' => self.error("unexpected left brace '{'".into()),
            '}' => {
                self.emit(Kind::RightBrace);
                self.brace_open = false;
            }
            c => self.error(format!(
                "unexpected character inside braces: {}",
                quote_rune(Some(c))
            )),
        }
    }

    fn keyword_or_identifier(&mut self) {
        while self.peek().is_some_and(|c| is_alnum(c) || c == ':') {
            self.next();
        }
        let word = &self.input[self.start..self.pos];
        match keyword(&word.to_ascii_lowercase()) {
            Some(k @ (Kind::Fill | Kind::FillLeft | Kind::FillRight)) => {
                if self.followed_by_left_paren() {
                    self.emit(k);
                } else {
                    self.emit(Kind::Identifier);
                }
            }
            Some(k) => self.emit(k),
            None if word.contains(':') => self.emit(Kind::MetricIdentifier),
            None => self.emit(Kind::Identifier),
        }
    }

    fn followed_by_left_paren(&self) -> bool {
        self.input[self.pos..]
            .chars()
            .find(|c| !is_space(*c))
            .is_some_and(|c| c == '(')
    }

    fn number_or_duration(&mut self) {
        if self.scan_number() {
            self.emit(Kind::Number);
            return;
        }
        if self.accept_remaining_duration() {
            self.backup();
            self.emit(Kind::Duration);
            return;
        }
        let text = &self.input[self.start..self.pos];
        self.error(format!(
            "bad number or duration syntax: {}",
            vigil_model::quote::quote(text)
        ));
    }

    fn accept_remaining_duration(&mut self) -> bool {
        if !self.accept("smhdwy") {
            return false;
        }
        self.accept("s");
        while self.accept("0123456789") {
            while self.accept("0123456789") {}
            if !self.accept("smhdw") {
                return false;
            }
            self.accept("s");
        }
        let c = self.next();
        !is_alnum_opt(c)
    }

    fn scan_number(&mut self) -> bool {
        let initial = self.pos;
        let mut digits = "0123456789";
        if self.accept("0") && self.accept("xX") {
            self.accept("_");
            digits = "0123456789abcdefABCDEF";
        }
        let hex = digits.len() > 10;
        self.accept(".");
        self.accept(digits);
        let mut dot = false;
        let mut exp = false;
        while self.is(digits) || self.is("._eE") {
            if self.is(".") && dot {
                self.accept(".");
                return false;
            }
            if self.is("eE") && exp {
                self.accept("eE");
                return false;
            }
            if self.accept(".") {
                dot = true;
                if self.accept("_.") || hex {
                    return false;
                }
                continue;
            }
            if self.accept("eE") {
                exp = true;
                self.accept("+-");
                if self.accept("._eE") || self.peek().is_none() {
                    return false;
                }
                continue;
            }
            if self.accept("_") {
                if self.accept("._eE") || self.peek().is_none() {
                    return false;
                }
                continue;
            }
            while self.accept(digits) {}
        }
        if self.pos == initial {
            return false;
        }
        !is_alnum_opt(self.peek())
    }

    fn string(&mut self, quote: char) {
        loop {
            match self.next() {
                Some('\\') => {
                    if let Err(msg) = self.escape(quote) {
                        self.error(msg);
                        return;
                    }
                }
                None | Some('\n') => {
                    self.error("unterminated quoted string".into());
                    return;
                }
                Some('\u{fffd}') => {
                    self.error("invalid UTF-8 rune".into());
                    return;
                }
                Some(c) if c == quote => break,
                Some(_) => {}
            }
        }
        self.emit(Kind::String);
    }

    fn escape(&mut self, quote: char) -> Result<(), String> {
        let mut ch = self.next();
        let (mut n, base, max) = match ch {
            Some('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\') => return Ok(()),
            Some(c) if c == quote => return Ok(()),
            Some('0'..='7') => (3, 8, 255),
            Some('x') => {
                ch = self.next();
                (2, 16, 255)
            }
            Some('u') => {
                ch = self.next();
                (4, 16, 0x10ffff)
            }
            Some('U') => {
                ch = self.next();
                (8, 16, 0x10ffff)
            }
            None => return Err("escape sequence not terminated".into()),
            Some(c) => return Err(format!("unknown escape sequence {}", unicode_desc(Some(c)))),
        };
        let mut x: u32 = 0;
        while n > 0 {
            let d = ch.and_then(|c| c.to_digit(16)).unwrap_or(16);
            if d >= base {
                if ch.is_none() {
                    return Err("escape sequence not terminated".into());
                }
                return Err(format!(
                    "illegal character {} in escape sequence",
                    unicode_desc(ch)
                ));
            }
            x = x.wrapping_mul(base).wrapping_add(d);
            n -= 1;
            if n > 0 {
                ch = self.next();
            }
        }
        if x > max || (0xD800..0xE000).contains(&x) {
            return Err("escape sequence is an invalid Unicode code point".into());
        }
        Ok(())
    }

    fn raw_string(&mut self) {
        loop {
            match self.next() {
                None => {
                    self.error("unterminated raw string".into());
                    return;
                }
                Some('\u{fffd}') => {
                    self.error("invalid UTF-8 rune".into());
                    return;
                }
                Some('`') => break,
                Some(_) => {}
            }
        }
        self.emit(Kind::String);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<(Kind, &str)> {
        lex(input)
            .into_iter()
            .map(|t| {
                let text = if t.kind == Kind::Error {
                    t.message.map_or("", |m| Box::leak(m.into_boxed_str()))
                } else {
                    &input[t.start..t.end]
                };
                (t.kind, text)
            })
            .collect()
    }

    #[test]
    fn tokens_and_positions() {
        use Kind::*;
        assert_eq!(
            kinds("sum by (a) (rate(x:y{b=~\"c\"}[5m:1m] offset -1h30m @ end()))"),
            vec![
                (Sum, "sum"),
                (By, "by"),
                (LeftParen, "("),
                (Identifier, "a"),
                (RightParen, ")"),
                (LeftParen, "("),
                (Identifier, "rate"),
                (LeftParen, "("),
                (MetricIdentifier, "x:y"),
                (LeftBrace, "{"),
                (Identifier, "b"),
                (EqlRegex, "=~"),
                (String, "\"c\""),
                (RightBrace, "}"),
                (LeftBracket, "["),
                (Duration, "5m"),
                (Colon, ":"),
                (Duration, "1m"),
                (RightBracket, "]"),
                (Offset, "offset"),
                (Sub, "-"),
                (Duration, "1h30m"),
                (At, "@"),
                (End, "end"),
                (LeftParen, "("),
                (RightParen, ")"),
                (RightParen, ")"),
                (RightParen, ")"),
                (Eof, ""),
            ]
        );
        let toks = lex("  foo # c\n + 1");
        assert_eq!((toks[0].start, toks[0].end), (2, 5));
        assert_eq!((toks[1].kind, toks[1].start), (Kind::Add, 11));
    }

    #[test]
    fn numbers_and_keywords() {
        use Kind::*;
        assert_eq!(kinds("0x1F")[0], (Number, "0x1F"));
        assert_eq!(kinds("1_000.5e-3")[0], (Number, "1_000.5e-3"));
        assert_eq!(kinds("NaN")[0], (Number, "NaN"));
        assert_eq!(kinds("iNf")[0], (Number, "iNf"));
        assert_eq!(kinds("1y2w")[0], (Duration, "1y2w"));
        assert_eq!(kinds("100ms")[0], (Duration, "100ms"));
        assert_eq!(kinds("AND")[0], (Land, "AND"));
        assert_eq!(kinds("fill (")[0], (Fill, "fill"));
        assert_eq!(kinds("fill + 1")[0], (Identifier, "fill"));
        assert_eq!(kinds("a </ b")[1], (TrimUpper, "</"));
        assert_eq!(kinds("a >/ b")[1], (TrimLower, ">/"));
    }

    #[test]
    fn errors() {
        let err = |q: &str| kinds(q).pop().map(|(_, m)| m.to_string());
        assert_eq!(err("\"abc"), Some("unterminated quoted string".into()));
        assert_eq!(err("`abc"), Some("unterminated raw string".into()));
        assert_eq!(
            err(r#""\q""#),
            Some("unknown escape sequence U+0071 'q'".into())
        );
        assert_eq!(
            err(r#""\xZZ""#),
            Some("illegal character U+005A 'Z' in escape sequence".into())
        );
        assert_eq!(
            err(r#""\uD800""#),
            Some("escape sequence is an invalid Unicode code point".into())
        );
        assert_eq!(
            err("1.2.3"),
            Some("bad number or duration syntax: \"1.2.\"".into())
        );
        assert_eq!(err("foo[5m"), Some("unclosed left bracket".into()));
        assert_eq!(err("foo[5m]]"), Some("unexpected right bracket ']'".into()));
        assert_eq!(
            err("{a=\"b\""),
            Some("unexpected end of input inside braces".into())
        );
        assert_eq!(
            err("a ! b"),
            Some("unexpected character after '!': ' '".into())
        );
        assert_eq!(err("$"), Some("unexpected character: '$'".into()));
    }
}
