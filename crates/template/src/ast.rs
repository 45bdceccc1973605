//! The parse tree, shaped like Go's `text/template/parse` nodes. Each node
//! keeps its byte position, which execution errors turn into `line:col`, and
//! prints back (`Display`) as Go's `Node.String()` does for the `at <…>` part
//! of execution errors.

use std::fmt;

/// A node of a list (the body of a template, branch or range).
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Literal text.
    Text(String),
    /// `{{pipeline}}`.
    Action(Pipe),
    /// `{{if}}` (also the `else if` chain).
    If(Branch),
    /// `{{range}}`.
    Range(Branch),
    /// `{{with}}`.
    With(Branch),
    /// `{{template "name" pipeline}}`.
    Template {
        pos: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    /// `{{break}}`.
    Break,
    /// `{{continue}}`.
    Continue,
}

/// A control structure: pipeline, body and optional else body.
#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub(crate) pos: usize,
    pub(crate) pipe: Pipe,
    pub(crate) list: Vec<Node>,
    pub(crate) else_list: Option<Vec<Node>>,
}

/// A pipeline with optional variable declarations.
#[derive(Debug, Clone)]
pub(crate) struct Pipe {
    pub(crate) pos: usize,
    pub(crate) is_assign: bool,
    pub(crate) decl: Vec<String>,
    pub(crate) cmds: Vec<Command>,
}

/// One command of a pipeline: a function or operand and its arguments.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub(crate) pos: usize,
    pub(crate) args: Vec<Arg>,
}

/// An operand.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// A function name.
    Ident { pos: usize, name: String },
    /// `.`.
    Dot(usize),
    /// `nil`.
    Nil(usize),
    /// `true` / `false`.
    Bool(usize, bool),
    /// A number with its text and what it can be.
    Number {
        pos: usize,
        text: String,
        value: Number,
    },
    /// A string literal: original text and value.
    Str {
        pos: usize,
        quoted: String,
        value: String,
    },
    /// `$x.Field.Field` (name with the `$`).
    Var { pos: usize, idents: Vec<String> },
    /// `.Field.Field`.
    Field { pos: usize, idents: Vec<String> },
    /// `(pipeline).Field` or `$x` with fields after a non-field term.
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Vec<String>,
    },
    /// `(pipeline)`.
    Pipe(Box<Pipe>),
}

/// A numeric literal: what it can be, as Go's `NumberNode` records it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Number {
    /// Its value as an `int`, if it is one.
    pub(crate) int: Option<i64>,
    /// Its value as a `uint64`, if it is one.
    pub(crate) uint: Option<u64>,
    /// Its value as a `float64`, if it is one.
    pub(crate) float: Option<f64>,
    /// Written as a float (`.`, an exponent), so it is a `float64` when its
    /// type is free.
    pub(crate) float_syntax: bool,
}

impl Arg {
    /// The byte position of the operand.
    pub(crate) fn pos(&self) -> usize {
        match self {
            Arg::Ident { pos, .. }
            | Arg::Dot(pos)
            | Arg::Nil(pos)
            | Arg::Bool(pos, _)
            | Arg::Number { pos, .. }
            | Arg::Str { pos, .. }
            | Arg::Var { pos, .. }
            | Arg::Field { pos, .. }
            | Arg::Chain { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Ident { name, .. } => f.write_str(name),
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number { text, .. } => f.write_str(text),
            Arg::Str { quoted, .. } => f.write_str(quoted),
            Arg::Var { idents, .. } => f.write_str(&idents.join(".")),
            Arg::Field { idents, .. } => {
                for i in idents {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(p) = node.as_ref() {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for i in fields {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let Arg::Pipe(p) = a {
                write!(f, "({p})")?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}
