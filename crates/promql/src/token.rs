//! Token kinds and tokens: the keyword table, operator/keyword classes, and
//! how Prometheus describes a token in "unexpected …" messages.

use std::fmt::Write as _;

/// The kind of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// End of input.
    Eof,
    /// A lexing error (the message is in the token).
    Error,
    /// An identifier without colons.
    Identifier,
    /// An identifier containing a colon.
    MetricIdentifier,
    /// A number (including `Inf` and `NaN`).
    Number,
    /// A duration such as `5m`.
    Duration,
    /// A quoted string, quotes included.
    String,
    /// `(`
    LeftParen,
    /// `)`
    RightParen,
    /// `{`
    LeftBrace,
    /// `}`
    RightBrace,
    /// `[`
    LeftBracket,
    /// `]`
    RightBracket,
    /// `,`
    Comma,
    /// `=`
    Eql,
    /// `:`
    Colon,
    // Operators.
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^`
    Pow,
    /// `==`
    EqlC,
    /// `!=`
    Neq,
    /// `<=`
    Lte,
    /// `<`
    Lss,
    /// `>=`
    Gte,
    /// `>`
    Gtr,
    /// `</`
    TrimUpper,
    /// `>/`
    TrimLower,
    /// `=~`
    EqlRegex,
    /// `!~`
    NeqRegex,
    /// `@`
    At,
    /// `and`
    Land,
    /// `or`
    Lor,
    /// `unless`
    Lunless,
    /// `atan2`
    Atan2,
    // Aggregators.
    /// `avg`
    Avg,
    /// `bottomk`
    Bottomk,
    /// `count`
    Count,
    /// `count_values`
    CountValues,
    /// `group`
    Group,
    /// `max`
    Max,
    /// `min`
    Min,
    /// `quantile`
    Quantile,
    /// `stddev`
    Stddev,
    /// `stdvar`
    Stdvar,
    /// `sum`
    Sum,
    /// `topk`
    Topk,
    /// `limitk`
    Limitk,
    /// `limit_ratio`
    LimitRatio,
    // Keywords.
    /// `bool`
    Bool,
    /// `by`
    By,
    /// `group_left`
    GroupLeft,
    /// `group_right`
    GroupRight,
    /// `fill`
    Fill,
    /// `fill_left`
    FillLeft,
    /// `fill_right`
    FillRight,
    /// `ignoring`
    Ignoring,
    /// `offset`
    Offset,
    /// `smoothed`
    Smoothed,
    /// `anchored`
    Anchored,
    /// `on`
    On,
    /// `without`
    Without,
    // Preprocessors.
    /// `start`
    Start,
    /// `end`
    End,
    /// `step`
    Step,
    /// `range`
    Range,
    /// `max_of`
    MaxOf,
    /// `min_of`
    MinOf,
}

impl Kind {
    /// Whether this is a binary/matching operator token.
    pub fn is_operator(self) -> bool {
        use Kind::*;
        matches!(
            self,
            Add | Sub
                | Mul
                | Div
                | Mod
                | Pow
                | EqlC
                | Neq
                | Lte
                | Lss
                | Gte
                | Gtr
                | TrimUpper
                | TrimLower
                | EqlRegex
                | NeqRegex
                | At
                | Land
                | Lor
                | Lunless
                | Atan2
        )
    }

    /// Whether this is an aggregation operator.
    pub fn is_aggregator(self) -> bool {
        use Kind::*;
        matches!(
            self,
            Avg | Bottomk
                | Count
                | CountValues
                | Group
                | Max
                | Min
                | Quantile
                | Stddev
                | Stdvar
                | Sum
                | Topk
                | Limitk
                | LimitRatio
        )
    }

    /// Whether this is a modifier keyword (`by`, `offset`, `bool`, …).
    pub fn is_keyword(self) -> bool {
        use Kind::*;
        matches!(
            self,
            Bool | By
                | GroupLeft
                | GroupRight
                | Fill
                | FillLeft
                | FillRight
                | Ignoring
                | Offset
                | Smoothed
                | Anchored
                | On
                | Without
        )
    }

    /// Whether the token can name a metric (keywords that double as names).
    pub fn is_metric_identifier(self) -> bool {
        use Kind::*;
        self.is_aggregator()
            || matches!(
                self,
                By | Fill
                    | FillLeft
                    | FillRight
                    | Identifier
                    | Land
                    | Lor
                    | Lunless
                    | MetricIdentifier
                    | Offset
                    | Without
                    | Start
                    | End
                    | Step
                    | Range
                    | Anchored
                    | Smoothed
                    | MaxOf
                    | MinOf
            )
    }

    /// Whether the token may be used as a label name in grouping clauses.
    pub fn is_maybe_label(self) -> bool {
        use Kind::*;
        self.is_metric_identifier()
            || matches!(self, Bool | GroupLeft | GroupRight | Ignoring | On | Atan2)
    }

    /// Whether this token has a fixed spelling (Prometheus' `ItemTypeStr`).
    fn has_fixed_text(self) -> bool {
        use Kind::*;
        !matches!(
            self,
            Eof | Error | Identifier | MetricIdentifier | Number | Duration | String
        )
    }

    /// Canonical text of operator and keyword tokens.
    pub fn as_str(self) -> &'static str {
        use Kind::*;
        match self {
            Eof => "EOF",
            Error => "error",
            Identifier => "identifier",
            MetricIdentifier => "metric identifier",
            Number => "number",
            Duration => "duration",
            String => "string",
            LeftParen => "(",
            RightParen => ")",
            LeftBrace => "{",
            RightBrace => "}",
            LeftBracket => "[",
            RightBracket => "]",
            Comma => ",",
            Eql => "=",
            Colon => ":",
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Mod => "%",
            Pow => "^",
            EqlC => "==",
            Neq => "!=",
            Lte => "<=",
            Lss => "<",
            Gte => ">=",
            Gtr => ">",
            TrimUpper => "</",
            TrimLower => ">/",
            EqlRegex => "=~",
            NeqRegex => "!~",
            At => "@",
            Land => "and",
            Lor => "or",
            Lunless => "unless",
            Atan2 => "atan2",
            Avg => "avg",
            Bottomk => "bottomk",
            Count => "count",
            CountValues => "count_values",
            Group => "group",
            Max => "max",
            Min => "min",
            Quantile => "quantile",
            Stddev => "stddev",
            Stdvar => "stdvar",
            Sum => "sum",
            Topk => "topk",
            Limitk => "limitk",
            LimitRatio => "limit_ratio",
            Bool => "bool",
            By => "by",
            GroupLeft => "group_left",
            GroupRight => "group_right",
            Fill => "fill",
            FillLeft => "fill_left",
            FillRight => "fill_right",
            Ignoring => "ignoring",
            Offset => "offset",
            Smoothed => "smoothed",
            Anchored => "anchored",
            On => "on",
            Without => "without",
            Start => "start",
            End => "end",
            Step => "step",
            Range => "range",
            MaxOf => "max_of",
            MinOf => "min_of",
        }
    }
}

/// Looks up a (lower-cased) word in the keyword table.
pub(crate) fn keyword(word: &str) -> Option<Kind> {
    use Kind::*;
    Some(match word {
        "and" => Land,
        "or" => Lor,
        "unless" => Lunless,
        "atan2" => Atan2,
        "sum" => Sum,
        "avg" => Avg,
        "count" => Count,
        "min" => Min,
        "max" => Max,
        "group" => Group,
        "stddev" => Stddev,
        "stdvar" => Stdvar,
        "topk" => Topk,
        "bottomk" => Bottomk,
        "count_values" => CountValues,
        "quantile" => Quantile,
        "limitk" => Limitk,
        "limit_ratio" => LimitRatio,
        "offset" => Offset,
        "smoothed" => Smoothed,
        "anchored" => Anchored,
        "by" => By,
        "without" => Without,
        "on" => On,
        "ignoring" => Ignoring,
        "group_left" => GroupLeft,
        "group_right" => GroupRight,
        "fill" => Fill,
        "fill_left" => FillLeft,
        "fill_right" => FillRight,
        "bool" => Bool,
        "start" => Start,
        "end" => End,
        "step" => Step,
        "range" => Range,
        "max_of" => MaxOf,
        "min_of" => MinOf,
        "inf" | "nan" => Number,
        _ => return None,
    })
}

pub(crate) fn duration_keyword(word: &str) -> Option<Kind> {
    match word {
        "step" => Some(Kind::Step),
        "range" => Some(Kind::Range),
        "max_of" => Some(Kind::MaxOf),
        "min_of" => Some(Kind::MinOf),
        _ => None,
    }
}

/// One token: its kind and byte range in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What the token is.
    pub kind: Kind,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// For [`Kind::Error`] tokens, the lexer's message.
    pub message: Option<String>,
}

impl Token {
    /// The token's text in `input`.
    pub fn text<'a>(&self, input: &'a str) -> &'a str {
        input.get(self.start..self.end).unwrap_or("")
    }

    /// Describes the token as Prometheus does in "unexpected …" messages.
    pub fn describe(&self, input: &str) -> String {
        let val = self.text(input);
        match self.kind {
            Kind::Eof => "end of input".to_string(),
            Kind::Error => self.message.clone().unwrap_or_default(),
            k if k.has_fixed_text() => item_string(k, val),
            k => format!("{} {}", k.as_str(), item_string(k, val)),
        }
    }
}

/// Prometheus' `Item.String()`.
fn item_string(kind: Kind, val: &str) -> String {
    if kind == Kind::Identifier || kind == Kind::MetricIdentifier {
        return vigil_model::quote::quote(val);
    }
    if kind.is_keyword() {
        return format!("<{val}>");
    }
    if kind.is_operator() {
        return format!("<op:{val}>");
    }
    if kind.is_aggregator() {
        return format!("<aggr:{val}>");
    }
    if val.chars().count() > 10 {
        let short: String = val.chars().take(10).collect();
        return format!("{}...", vigil_model::quote::quote(&short));
    }
    vigil_model::quote::quote(val)
}

/// Formats a character as Go's `%q` verb does for runes.
pub(crate) fn quote_rune(c: Option<char>) -> String {
    let Some(c) = c else {
        return "'\\uffffffff'".to_string();
    };
    match c {
        '\'' => "'\\''".to_string(),
        '\\' => "'\\\\'".to_string(),
        '"' => "'\"'".to_string(),
        _ => {
            let q = vigil_model::quote::quote(&c.to_string());
            let inner = &q[1..q.len() - 1];
            format!("'{inner}'")
        }
    }
}

/// Formats a character as Go's `%#U` verb does: `U+0063 'c'`.
pub(crate) fn unicode_desc(c: Option<char>) -> String {
    match c {
        None => "U+FFFFFFFFFFFFFFFF".to_string(),
        Some(c) => {
            let mut s = format!("U+{:04X}", c as u32);
            if !c.is_control() {
                let _ = write!(s, " '{c}'");
            }
            s
        }
    }
}
