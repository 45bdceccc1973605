//! The parser: items to trees, with Go's `text/template` parse errors
//! (`template: NAME:LINE: MESSAGE`). Functions must be known when parsing,
//! as in Go (`function "foo" not defined`), and so must variables.
//!
//! Nesting (parentheses and control structures) is bounded by
//! [`MAX_DEPTH`] so that hostile templates cannot overflow the stack.

use std::collections::BTreeMap;

use crate::ast::{Arg, Branch, Command, Node, Number, Pipe};
use crate::error::ParseError;
use crate::lex::{Item, Tok, lex};

/// Deepest nesting of parentheses and control structures accepted.
pub const MAX_DEPTH: usize = 200;

/// Parses `src` as template `name`: the main tree and every `define`d one
/// are added to `trees` (a redefinition replaces an empty tree only, as Go).
pub(crate) fn parse(
    name: &str,
    src: &str,
    has_func: &dyn Fn(&str) -> bool,
    trees: &mut BTreeMap<String, Vec<Node>>,
) -> Result<(), ParseError> {
    let items = lex(src);
    let mut p = Parser {
        name: name.to_string(),
        items,
        i: 0,
        line: 1,
        vars: vec!["$".to_string()],
        range_depth: 0,
        depth: 0,
        has_func,
        trees,
        action_line: 0,
    };
    let root = p.parse_root()?;
    p.add(name.to_string(), root)
}

struct Parser<'a> {
    name: String,
    items: Vec<Item>,
    i: usize,
    line: usize,
    vars: Vec<String>,
    range_depth: usize,
    depth: usize,
    has_func: &'a dyn Fn(&str) -> bool,
    trees: &'a mut BTreeMap<String, Vec<Node>>,
    action_line: usize,
}

/// What ended an item list.
enum End {
    End,
    Else,
}

fn is_empty_tree(list: &[Node]) -> bool {
    list.iter().all(|n| match n {
        Node::Text(t) => t.trim().is_empty(),
        _ => false,
    })
}

type R<T> = Result<T, ParseError>;

impl Parser<'_> {
    fn err<T>(&self, msg: impl Into<String>) -> R<T> {
        Err(ParseError {
            name: self.name.clone(),
            line: self.line,
            msg: msg.into(),
        })
    }

    fn next(&mut self) -> Item {
        let idx = self.i.min(self.items.len().saturating_sub(1));
        let item = self.items.get(idx).cloned().unwrap_or(Item {
            tok: Tok::Eof,
            pos: 0,
            line: 1,
            val: String::new(),
        });
        if self.i < self.items.len() {
            self.i += 1;
        }
        self.line = item.line;
        item
    }

    fn backup(&mut self) {
        self.i = self.i.saturating_sub(1);
    }

    fn peek(&mut self) -> Item {
        let it = self.next();
        self.backup();
        it
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let it = self.next();
            if it.tok != Tok::Space {
                return it;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let it = self.next_non_space();
        self.backup();
        it
    }

    fn unexpected<T>(&self, item: &Item, context: &str) -> R<T> {
        if item.tok == Tok::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != item.line {
                extra = format!(" in action started at {}:{}", self.name, self.action_line);
                if item.val.ends_with(" action") {
                    extra = extra.get(" in action".len()..).unwrap_or("").to_string();
                }
            }
            return self.err(format!("{}{}", item.val, extra));
        }
        self.err(format!("unexpected {} in {}", item.describe(), context))
    }

    fn expect(&mut self, tok: Tok, context: &str) -> R<Item> {
        let it = self.next_non_space();
        if it.tok != tok {
            return self.unexpected(&it, context);
        }
        Ok(it)
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("max expression depth exceeded");
        }
        Ok(())
    }

    fn add(&mut self, name: String, list: Vec<Node>) -> R<()> {
        match self.trees.get(&name) {
            Some(old) if !is_empty_tree(old) => {
                if !is_empty_tree(&list) {
                    return self.err(format!(
                        "template: multiple definition of template {}",
                        crate::gofmt::quote(&name)
                    ));
                }
            }
            _ => {
                self.trees.insert(name, list);
            }
        }
        Ok(())
    }

    fn parse_root(&mut self) -> R<Vec<Node>> {
        let mut root = Vec::new();
        loop {
            let it = self.peek();
            if it.tok == Tok::Eof {
                return Ok(root);
            }
            if it.tok == Tok::LeftDelim {
                let save = self.i;
                self.next();
                let after = self.next_non_space();
                if after.tok == Tok::Keyword && after.val == "define" {
                    self.definition()?;
                    continue;
                }
                self.i = save;
            }
            match self.text_or_action()? {
                Ok(n) => root.push(n),
                Err(End::End) => return self.err("unexpected {{end}}"),
                Err(End::Else) => return self.err("unexpected {{else}}"),
            }
        }
    }

    fn definition(&mut self) -> R<()> {
        let context = "define clause";
        let it = self.next_non_space();
        if it.tok != Tok::Str && it.tok != Tok::RawStr {
            return self.unexpected(&it, context);
        }
        let name = self.unquote(&it)?;
        self.expect(Tok::RightDelim, context)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        if let End::Else = end {
            return self.err(format!("unexpected {{{{else}}}} in {context}"));
        }
        self.add(name, list)
    }

    /// One text or action; an `{{end}}`/`{{else}}` is returned as `Err(End)`.
    fn text_or_action(&mut self) -> R<Result<Node, End>> {
        let it = self.next_non_space();
        match it.tok {
            Tok::Text => Ok(Ok(Node::Text(it.val))),
            Tok::LeftDelim => {
                self.action_line = it.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            _ => self.unexpected(&it, "input"),
        }
    }

    fn item_list(&mut self) -> R<(Vec<Node>, End)> {
        let mut list = Vec::new();
        while self.peek_non_space().tok != Tok::Eof {
            match self.text_or_action()? {
                Ok(n) => list.push(n),
                Err(end) => return Ok((list, end)),
            }
        }
        self.err("unexpected EOF")
    }

    fn action(&mut self) -> R<Result<Node, End>> {
        let it = self.next_non_space();
        if it.tok == Tok::Keyword {
            match it.val.as_str() {
                "block" => return self.block().map(Ok),
                "break" | "continue" => {
                    if self.range_depth == 0 {
                        return self.err(format!("{{{{{}}}}} outside {{{{range}}}}", it.val));
                    }
                    self.expect(Tok::RightDelim, &it.val)?;
                    return Ok(Ok(if it.val == "break" {
                        Node::Break
                    } else {
                        Node::Continue
                    }));
                }
                "else" => {
                    let peek = self.peek_non_space();
                    if peek.tok == Tok::Keyword && (peek.val == "if" || peek.val == "with") {
                        return Ok(Err(End::Else));
                    }
                    self.expect(Tok::RightDelim, "else")?;
                    return Ok(Err(End::Else));
                }
                "end" => {
                    self.expect(Tok::RightDelim, "end")?;
                    return Ok(Err(End::End));
                }
                "if" => return self.control("if").map(|b| Ok(Node::If(b))),
                "range" => return self.control("range").map(|b| Ok(Node::Range(b))),
                "with" => return self.control("with").map(|b| Ok(Node::With(b))),
                "template" => return self.template_call().map(Ok),
                _ => {}
            }
        }
        self.backup();
        let pipe = self.pipeline("command", Tok::RightDelim)?;
        Ok(Ok(Node::Action(pipe)))
    }

    fn control(&mut self, context: &str) -> R<Branch> {
        self.enter()?;
        let nvars = self.vars.len();
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, end) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        if let End::Else = end {
            let peek = self.peek_non_space();
            let chained = peek.tok == Tok::Keyword
                && context != "range"
                && (peek.val == "if" && context == "if" || peek.val == "with" && context == "with");
            if chained {
                // `{{else if}}`: a nested control that shares our `{{end}}`.
                self.next_non_space();
                let inner = self.control(context)?;
                let node = if context == "if" {
                    Node::If(inner)
                } else {
                    Node::With(inner)
                };
                else_list = Some(vec![node]);
            } else {
                let (l, end) = self.item_list()?;
                if let End::Else = end {
                    return self.err("expected end; found {{else}}");
                }
                else_list = Some(l);
            }
        }
        self.vars.truncate(nvars);
        self.depth -= 1;
        Ok(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    /// The quoted name of `template`/`block`, and its position (which is
    /// the node's position, as in Go).
    fn template_name(&mut self, context: &str) -> R<(String, usize)> {
        let it = self.next_non_space();
        match it.tok {
            Tok::Str | Tok::RawStr => Ok((self.unquote(&it)?, it.pos)),
            _ => self.unexpected(&it, context),
        }
    }

    fn template_call(&mut self) -> R<Node> {
        let context = "template clause";
        let (name, pos) = self.template_name(context)?;
        let next = self.next_non_space();
        let pipe = if next.tok == Tok::RightDelim {
            None
        } else {
            self.backup();
            Some(self.pipeline(context, Tok::RightDelim)?)
        };
        Ok(Node::Template { pos, name, pipe })
    }

    fn block(&mut self) -> R<Node> {
        let context = "block clause";
        let (name, pos) = self.template_name(context)?;
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved_range = std::mem::take(&mut self.range_depth);
        self.enter()?;
        let (list, end) = self.item_list()?;
        self.depth -= 1;
        self.vars = saved_vars;
        self.range_depth = saved_range;
        if let End::Else = end {
            return self.err(format!("unexpected {{{{else}}}} in {context}"));
        }
        self.add(name.clone(), list)?;
        Ok(Node::Template {
            pos,
            name,
            pipe: Some(pipe),
        })
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> R<Pipe> {
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: start.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // Declarations: `$x :=`, `$x =`, `$i, $e :=` (range only).
        loop {
            let v = self.peek_non_space();
            if v.tok != Tok::Variable {
                break;
            }
            let save = self.i;
            self.next_non_space();
            let next = self.peek_non_space();
            match next.tok {
                Tok::Declare | Tok::Assign => {
                    self.next_non_space();
                    pipe.is_assign = next.tok == Tok::Assign;
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    break;
                }
                Tok::Char1 if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    if context == "range" && pipe.decl.len() < 2 {
                        let p = self.peek_non_space();
                        if matches!(p.tok, Tok::Variable | Tok::RightDelim | Tok::RightParen) {
                            continue;
                        }
                        return self.err("range can only initialize variables");
                    }
                    return self.err(format!("too many declarations in {context}"));
                }
                _ => {
                    self.i = save;
                    break;
                }
            }
        }
        loop {
            let it = self.next_non_space();
            if it.tok == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match it.tok {
                Tok::Bool
                | Tok::Char
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::RawStr
                | Tok::Str
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                Tok::Keyword if it.val == "nil" => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return self.unexpected(&it, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> R<()> {
        if pipe.cmds.is_empty() {
            return self.err(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool(..)
                        | Arg::Dot(_)
                        | Arg::Nil(_)
                        | Arg::Number { .. }
                        | Arg::Str { .. }
                )
            ) {
                return self.err(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> R<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let it = self.next();
            match it.tok {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return self.unexpected(&it, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.err("empty command");
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> R<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().tok != Tok::Field {
            return Ok(Some(node));
        }
        let chain_pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().tok == Tok::Field {
            let f = self.next();
            fields.push(f.val.get(1..).unwrap_or("").to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Var { mut idents, .. } => {
                idents.extend(fields);
                Arg::Var {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Bool(..) | Arg::Str { .. } | Arg::Number { .. } | Arg::Nil(_) | Arg::Dot(_) => {
                return self.err(format!(
                    "unexpected . after term {}",
                    crate::gofmt::quote(&node.to_string())
                ));
            }
            other => Arg::Chain {
                pos: chain_pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    fn term(&mut self) -> R<Option<Arg>> {
        let it = self.next_non_space();
        Ok(Some(match it.tok {
            Tok::Identifier => {
                if !(self.has_func)(&it.val) {
                    return self.err(format!(
                        "function {} not defined",
                        crate::gofmt::quote(&it.val)
                    ));
                }
                Arg::Ident {
                    pos: it.pos,
                    name: it.val,
                }
            }
            Tok::Dot => Arg::Dot(it.pos),
            Tok::Keyword if it.val == "nil" => Arg::Nil(it.pos),
            Tok::Variable => {
                let idents: Vec<String> = it.val.split('.').map(str::to_string).collect();
                let first = idents.first().cloned().unwrap_or_default();
                if !self.vars.contains(&first) {
                    return self.err(format!(
                        "undefined variable {}",
                        crate::gofmt::quote(&first)
                    ));
                }
                Arg::Var {
                    pos: it.pos,
                    idents,
                }
            }
            Tok::Field => Arg::Field {
                pos: it.pos,
                idents: vec![it.val.get(1..).unwrap_or("").to_string()],
            },
            Tok::Bool => Arg::Bool(it.pos, it.val == "true"),
            Tok::Char | Tok::Number => self.number(&it)?,
            Tok::LeftParen => {
                self.enter()?;
                let pipe = self.pipeline("parenthesized pipeline", Tok::RightParen)?;
                self.depth -= 1;
                Arg::Pipe(Box::new(pipe))
            }
            Tok::Str | Tok::RawStr => Arg::Str {
                pos: it.pos,
                value: self.unquote(&it)?,
                quoted: it.val,
            },
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }

    fn unquote(&self, it: &Item) -> R<String> {
        match crate::unquote::unquote(&it.val) {
            Some(s) => Ok(s),
            None => self.err("invalid syntax"),
        }
    }

    fn number(&self, it: &Item) -> R<Arg> {
        let text = it.val.clone();
        let value = if it.tok == Tok::Char {
            let s = crate::unquote::unquote(&text);
            let mut chars = s.as_deref().unwrap_or("").chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Number {
                    int: Some(i64::from(u32::from(c))),
                    uint: Some(u64::from(u32::from(c))),
                    float: Some(f64::from(u32::from(c))),
                    float_syntax: false,
                },
                _ => return self.err(format!("malformed character constant: {text}")),
            }
        } else {
            match crate::unquote::parse_number(&text) {
                Ok(v) => v,
                Err(msg) => return self.err(msg),
            }
        };
        Ok(Arg::Number {
            pos: it.pos,
            text,
            value,
        })
    }
}
