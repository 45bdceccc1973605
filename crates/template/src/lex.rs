//! The lexer: splits template text into items as Go's `text/template/parse`
//! lexer does (text, delimiters, and the tokens inside actions), including the
//! `{{- ` / ` -}}` trim markers and `{{/* */}}` comments.
//!
//! Lexing is eager: the whole input becomes a `Vec<Item>` ending in `Eof` or
//! in one `Error` item. Go lexes lazily, but since the parser consumes items
//! in order the first error it meets is the same.

/// Kind of an item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// Plain text outside actions.
    Text,
    /// `{{` (with its trim marker if any).
    LeftDelim,
    /// `}}`.
    RightDelim,
    /// `(`.
    LeftParen,
    /// `)`.
    RightParen,
    /// A run of spaces inside an action.
    Space,
    /// A function name.
    Identifier,
    /// `.Foo` (text includes the dot).
    Field,
    /// `$x` (text includes the dollar).
    Variable,
    /// A double-quoted string, still quoted.
    Str,
    /// A back-quoted string, still quoted.
    RawStr,
    /// A character constant, still quoted.
    Char,
    /// A number, as written.
    Number,
    /// `true` or `false`.
    Bool,
    /// A lone `.`.
    Dot,
    /// `|`.
    Pipe,
    /// `:=`.
    Declare,
    /// `=`.
    Assign,
    /// Any other printable ASCII character (`,` among them).
    Char1,
    /// A keyword (`if`, `range`, ...); `nil` included.
    Keyword,
    /// End of input.
    Eof,
    /// A lexing error; the text is the message.
    Error,
}

/// One lexed item.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) tok: Tok,
    /// Byte offset in the input.
    pub(crate) pos: usize,
    /// 1-based line where the item starts.
    pub(crate) line: usize,
    pub(crate) val: String,
}

impl Item {
    /// Go's `item.String()`, used in "unexpected X in Y" messages.
    pub(crate) fn describe(&self) -> String {
        match self.tok {
            Tok::Eof => "EOF".to_string(),
            Tok::Error => self.val.clone(),
            Tok::Keyword => format!("<{}>", self.val),
            _ if self.val.chars().count() > 10 => {
                let cut: String = self.val.chars().take(10).collect();
                format!("{}...", crate::gofmt::quote(&cut))
            }
            _ => crate::gofmt::quote(&self.val),
        }
    }
}

const KEYWORDS: [&str; 11] = [
    "block", "break", "continue", "define", "else", "end", "if", "range", "nil", "template", "with",
];

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Go's `%#U` of a rune: `U+0041 'A'`, or `U+00A0` when not printable.
pub(crate) fn sharp_u(c: char) -> String {
    if crate::gofmt::is_print(c) {
        format!("U+{:04X} '{}'", c as u32, c)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    start: usize,
    line: usize,
    start_line: usize,
    items: Vec<Item>,
    paren_depth: usize,
}

/// Lexes `src` into items; the last item is `Eof` or `Error`.
pub(crate) fn lex(src: &str) -> Vec<Item> {
    let mut l = Lexer {
        src,
        pos: 0,
        start: 0,
        line: 1,
        start_line: 1,
        items: Vec::new(),
        paren_depth: 0,
    };
    l.run();
    l.items
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn emit(&mut self, tok: Tok) {
        let val = self.src.get(self.start..self.pos).unwrap_or("").to_string();
        self.items.push(Item {
            tok,
            pos: self.start,
            line: self.start_line,
            val,
        });
        self.ignore();
    }

    fn ignore(&mut self) {
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn error(&mut self, msg: String) {
        self.items.push(Item {
            tok: Tok::Error,
            pos: self.start,
            line: self.start_line,
            val: msg,
        });
    }

    /// Advances over `n` bytes that are known to be ASCII-free of newlines
    /// or counts newlines when they are not.
    fn skip(&mut self, n: usize) {
        let end = (self.pos + n).min(self.src.len());
        let lines = self
            .src
            .get(self.pos..end)
            .map_or(0, |s| s.bytes().filter(|b| *b == b'\n').count());
        self.line += lines;
        self.pos = end;
    }

    fn run(&mut self) {
        loop {
            // Text up to the next left delimiter.
            let Some(off) = self.rest().find("{{") else {
                self.pos = self.src.len();
                self.line += self
                    .src
                    .get(self.start..)
                    .map_or(0, |s| s.matches('\n').count());
                if self.pos > self.start {
                    self.emit(Tok::Text);
                }
                self.items.push(Item {
                    tok: Tok::Eof,
                    pos: self.pos,
                    line: self.line,
                    val: String::new(),
                });
                return;
            };
            let delim_pos = self.pos + off;
            let after = self.src.as_bytes().get(delim_pos + 2..).unwrap_or(&[]);
            let trim = after.first() == Some(&b'-') && after.get(1).is_some_and(|c| is_space(*c));
            let mut text_end = delim_pos;
            if trim {
                let text = self.src.get(self.start..delim_pos).unwrap_or("");
                text_end = self.start + text.trim_end_matches([' ', '\t', '\r', '\n']).len();
            }
            self.skip(delim_pos - self.pos);
            if text_end > self.start {
                let val = self.src.get(self.start..text_end).unwrap_or("").to_string();
                self.items.push(Item {
                    tok: Tok::Text,
                    pos: self.start,
                    line: self.start_line,
                    val,
                });
            }
            self.ignore();
            if !self.left_delim(trim) {
                return;
            }
        }
    }

    /// After text: lexes `{{`, an optional comment, and the action.
    /// Returns false when lexing stopped (error or end).
    fn left_delim(&mut self, trim: bool) -> bool {
        self.skip(2);
        let after_marker = if trim { 2 } else { 0 };
        if self
            .rest()
            .get(after_marker..)
            .is_some_and(|r| r.starts_with("/*"))
        {
            self.skip(after_marker);
            self.ignore();
            return self.comment();
        }
        self.emit(Tok::LeftDelim);
        self.skip(after_marker);
        self.ignore();
        self.paren_depth = 0;
        self.inside_action()
    }

    fn comment(&mut self) -> bool {
        let Some(end) = self.rest().find("*/") else {
            self.error("unclosed comment".into());
            return false;
        };
        self.skip(end + 2);
        let (delim, trim) = self.at_right_delim();
        if !delim {
            self.error("comment ends before closing delimiter".into());
            return false;
        }
        self.skip(if trim { 4 } else { 2 });
        if trim {
            self.skip_leading_space();
        }
        self.ignore();
        true
    }

    /// Whether the input is at `}}` or ` -}}`, and whether with the marker.
    fn at_right_delim(&self) -> (bool, bool) {
        let r = self.rest().as_bytes();
        if r.len() >= 4 && is_space(r[0]) && r[1] == b'-' && &r[2..4] == b"}}" {
            return (true, true);
        }
        (r.starts_with(b"}}"), false)
    }

    fn skip_leading_space(&mut self) {
        let n = self.rest().len()
            - self
                .rest()
                .trim_start_matches([' ', '\t', '\r', '\n'])
                .len();
        self.skip(n);
    }

    fn inside_action(&mut self) -> bool {
        loop {
            let (delim, trim) = self.at_right_delim();
            if delim {
                if self.paren_depth > 0 {
                    self.error("unclosed left paren".into());
                    return false;
                }
                if trim {
                    self.skip(2);
                    self.ignore();
                }
                self.skip(2);
                self.emit(Tok::RightDelim);
                if trim {
                    self.skip_leading_space();
                    self.ignore();
                }
                return true;
            }
            let Some(c) = self.peek() else {
                self.error("unclosed action".into());
                return false;
            };
            let ok = match c {
                ' ' | '\t' | '\r' | '\n' => {
                    // Stop before a space that starts ` -}}`.
                    while let Some(c) = self.peek() {
                        if !matches!(c, ' ' | '\t' | '\r' | '\n') || self.at_right_delim().1 {
                            break;
                        }
                        self.bump();
                    }
                    if self.pos > self.start {
                        self.emit(Tok::Space);
                    }
                    true
                }
                '=' => {
                    self.bump();
                    self.emit(Tok::Assign);
                    true
                }
                ':' => {
                    self.bump();
                    if self.peek() != Some('=') {
                        self.error("expected :=".into());
                        return false;
                    }
                    self.bump();
                    self.emit(Tok::Declare);
                    true
                }
                '|' => {
                    self.bump();
                    self.emit(Tok::Pipe);
                    true
                }
                '"' => self.quote(),
                '`' => self.raw_quote(),
                '\'' => self.char_const(),
                '$' => {
                    self.bump();
                    self.field_or_variable(Tok::Variable)
                }
                '.' => {
                    let next = self.rest().chars().nth(1);
                    if next.is_some_and(|c| c.is_ascii_digit()) {
                        self.number()
                    } else {
                        self.bump();
                        self.field_or_variable(Tok::Field)
                    }
                }
                '+' | '-' | '0'..='9' => self.number(),
                '(' => {
                    self.bump();
                    self.paren_depth += 1;
                    self.emit(Tok::LeftParen);
                    true
                }
                ')' => {
                    // Go emits the parenthesis before checking the depth,
                    // so the parser reports an unbalanced one first.
                    self.bump();
                    self.emit(Tok::RightParen);
                    if self.paren_depth == 0 {
                        self.error(format!("unexpected right paren {}", sharp_u(c)));
                        return false;
                    }
                    self.paren_depth -= 1;
                    true
                }
                c if is_alnum(c) => self.identifier(),
                c if c.is_ascii() && crate::gofmt::is_print(c) => {
                    self.bump();
                    self.emit(Tok::Char1);
                    true
                }
                c => {
                    self.error(format!("unrecognized character in action: {}", sharp_u(c)));
                    false
                }
            };
            if !ok {
                return false;
            }
        }
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(' ' | '\t' | '\r' | '\n') => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            Some(_) => self.rest().starts_with("}}"),
        }
    }

    fn identifier(&mut self) -> bool {
        while self.peek().is_some_and(is_alnum) {
            self.bump();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\0');
            self.error(format!("bad character {}", sharp_u(c)));
            return false;
        }
        let word = self.src.get(self.start..self.pos).unwrap_or("");
        let tok = if KEYWORDS.contains(&word) {
            Tok::Keyword
        } else if word == "true" || word == "false" {
            Tok::Bool
        } else {
            Tok::Identifier
        };
        self.emit(tok);
        true
    }

    fn field_or_variable(&mut self, tok: Tok) -> bool {
        if self.at_terminator() {
            self.emit(if tok == Tok::Variable {
                Tok::Variable
            } else {
                Tok::Dot
            });
            return true;
        }
        while self.peek().is_some_and(is_alnum) {
            self.bump();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\0');
            self.error(format!("bad character {}", sharp_u(c)));
            return false;
        }
        self.emit(tok);
        true
    }

    fn quote(&mut self) -> bool {
        self.bump();
        loop {
            match self.bump() {
                Some('\\') => {
                    if matches!(self.peek(), None | Some('\n')) {
                        self.error("unterminated quoted string".into());
                        return false;
                    }
                    self.bump();
                }
                None | Some('\n') => {
                    self.error("unterminated quoted string".into());
                    return false;
                }
                Some('"') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::Str);
        true
    }

    fn raw_quote(&mut self) -> bool {
        self.bump();
        loop {
            match self.bump() {
                None => {
                    self.error("unterminated raw quoted string".into());
                    return false;
                }
                Some('`') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::RawStr);
        true
    }

    fn char_const(&mut self) -> bool {
        self.bump();
        loop {
            match self.bump() {
                Some('\\') => {
                    if matches!(self.peek(), None | Some('\n')) {
                        self.error("unterminated character constant".into());
                        return false;
                    }
                    self.bump();
                }
                None | Some('\n') => {
                    self.error("unterminated character constant".into());
                    return false;
                }
                Some('\'') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::Char);
        true
    }

    fn accept(&mut self, set: &str) -> bool {
        if self.peek().is_some_and(|c| set.contains(c)) {
            self.bump();
            return true;
        }
        false
    }

    fn accept_run(&mut self, set: &str) {
        while self.accept(set) {}
    }

    /// Scans a number as Go's lexer does (sign, base prefix, digits with
    /// `_`, fraction, exponent, imaginary suffix); the parser validates it.
    fn number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            let bad = self.src.get(self.start..self.pos + 1).unwrap_or("");
            self.error(format!("bad number syntax: {}", crate::gofmt::quote(bad)));
            return false;
        }
        self.emit(Tok::Number);
        true
    }
}
