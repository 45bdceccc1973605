//! The PromQL abstract syntax tree: expression nodes, operators, vector
//! matching, modifiers, and the value type each expression evaluates to.

use std::fmt;

use vigil_model::Matcher;

use crate::functions::Function;

/// A byte range `[start, end)` in the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct PosRange {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl PosRange {
    /// Builds a range.
    pub fn new(start: usize, end: usize) -> PosRange {
        PosRange { start, end }
    }
}

/// The type a PromQL expression evaluates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// No value (only for invalid nodes).
    None,
    /// A single float.
    Scalar,
    /// An instant vector.
    Vector,
    /// A range vector.
    Matrix,
    /// A string.
    String,
}

impl ValueType {
    /// Prometheus' internal name (`scalar`, `vector`, `matrix`, `string`).
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::None => "none",
            ValueType::Scalar => "scalar",
            ValueType::Vector => "vector",
            ValueType::Matrix => "matrix",
            ValueType::String => "string",
        }
    }

    /// The name used in user-facing messages (`instant vector`, `range vector`).
    pub fn documented(self) -> &'static str {
        match self {
            ValueType::Vector => "instant vector",
            ValueType::Matrix => "range vector",
            t => t.as_str(),
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Binary operators, including set operators and the histogram trim operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
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
    /// `atan2`
    Atan2,
    /// `==`
    Eql,
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
    /// `and`
    And,
    /// `or`
    Or,
    /// `unless`
    Unless,
}

impl BinaryOp {
    /// The operator's spelling.
    pub fn as_str(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Mod => "%",
            Pow => "^",
            Atan2 => "atan2",
            Eql => "==",
            Neq => "!=",
            Lte => "<=",
            Lss => "<",
            Gte => ">=",
            Gtr => ">",
            TrimUpper => "</",
            TrimLower => ">/",
            And => "and",
            Or => "or",
            Unless => "unless",
        }
    }

    /// `==`, `!=`, `<`, `<=`, `>`, `>=`.
    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eql | Neq | Lte | Lss | Gte | Gtr)
    }

    /// `and`, `or`, `unless`.
    pub fn is_set(self) -> bool {
        matches!(self, BinaryOp::And | BinaryOp::Or | BinaryOp::Unless)
    }

    /// Binding strength, higher binds tighter.
    pub fn precedence(self) -> u8 {
        use BinaryOp::*;
        match self {
            Or => 1,
            And | Unless => 2,
            Eql | Neq | Lte | Lss | Gte | Gtr | TrimUpper | TrimLower => 3,
            Add | Sub => 4,
            Mul | Div | Mod | Atan2 => 5,
            Pow => 6,
        }
    }

    /// Only `^` associates to the right.
    pub fn is_right_assoc(self) -> bool {
        self == BinaryOp::Pow
    }
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Aggregation operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateOp {
    /// `sum`
    Sum,
    /// `avg`
    Avg,
    /// `count`
    Count,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `group`
    Group,
    /// `stddev`
    Stddev,
    /// `stdvar`
    Stdvar,
    /// `topk`
    Topk,
    /// `bottomk`
    Bottomk,
    /// `count_values`
    CountValues,
    /// `quantile`
    Quantile,
    /// `limitk`
    Limitk,
    /// `limit_ratio`
    LimitRatio,
}

impl AggregateOp {
    /// Every aggregation operator, in the order Prometheus lists them.
    pub const ALL: [AggregateOp; 14] = [
        AggregateOp::Sum,
        AggregateOp::Avg,
        AggregateOp::Count,
        AggregateOp::Min,
        AggregateOp::Max,
        AggregateOp::Group,
        AggregateOp::Stddev,
        AggregateOp::Stdvar,
        AggregateOp::Topk,
        AggregateOp::Bottomk,
        AggregateOp::CountValues,
        AggregateOp::Quantile,
        AggregateOp::Limitk,
        AggregateOp::LimitRatio,
    ];

    /// The operator's name.
    pub fn as_str(self) -> &'static str {
        use AggregateOp::*;
        match self {
            Sum => "sum",
            Avg => "avg",
            Count => "count",
            Min => "min",
            Max => "max",
            Group => "group",
            Stddev => "stddev",
            Stdvar => "stdvar",
            Topk => "topk",
            Bottomk => "bottomk",
            CountValues => "count_values",
            Quantile => "quantile",
            Limitk => "limitk",
            LimitRatio => "limit_ratio",
        }
    }

    /// Whether the aggregation takes a parameter before the vector.
    pub fn has_param(self) -> bool {
        use AggregateOp::*;
        matches!(
            self,
            Topk | Bottomk | CountValues | Quantile | Limitk | LimitRatio
        )
    }

    /// Whether the aggregation is behind the experimental-functions flag.
    pub fn is_experimental(self) -> bool {
        matches!(self, AggregateOp::Limitk | AggregateOp::LimitRatio)
    }
}

impl fmt::Display for AggregateOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `+x`
    Add,
    /// `-x`
    Sub,
}

/// Operators of duration expressions (inside `[…]` and after `offset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationOp {
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
    /// `step`
    Step,
    /// `range`
    Range,
    /// `min_of`
    MinOf,
    /// `max_of`
    MaxOf,
}

impl DurationOp {
    /// The operator's spelling.
    pub fn as_str(self) -> &'static str {
        use DurationOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Mod => "%",
            Pow => "^",
            Step => "step",
            Range => "range",
            MinOf => "min_of",
            MaxOf => "max_of",
        }
    }
}

/// Cardinality of a vector match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cardinality {
    /// Default for arithmetic and comparison.
    OneToOne,
    /// `group_left`.
    ManyToOne,
    /// `group_right`.
    OneToMany,
    /// Set operators.
    ManyToMany,
}

/// How the two sides of a vector/vector binary operation are matched.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorMatching {
    /// Cardinality of the match.
    pub card: Cardinality,
    /// Labels listed in `on(…)` or `ignoring(…)`.
    pub matching_labels: Vec<String>,
    /// `true` for `on`, `false` for `ignoring` (or no clause).
    pub on: bool,
    /// Labels listed in `group_left(…)` / `group_right(…)`.
    pub include: Vec<String>,
    /// `fill(…)` / `fill_left(…)` value for missing left-hand series.
    pub fill_lhs: Option<f64>,
    /// `fill(…)` / `fill_right(…)` value for missing right-hand series.
    pub fill_rhs: Option<f64>,
}

impl Default for VectorMatching {
    fn default() -> Self {
        VectorMatching {
            card: Cardinality::OneToOne,
            matching_labels: Vec::new(),
            on: false,
            include: Vec::new(),
            fill_lhs: None,
            fill_rhs: None,
        }
    }
}

/// The `@` modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AtModifier {
    /// `@ <timestamp>`, in milliseconds.
    Timestamp(i64),
    /// `@ start()`.
    Start,
    /// `@ end()`.
    End,
}

/// A number (or a duration literal used as a number, in seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct NumberLiteral {
    /// The value.
    pub val: f64,
    /// Written as a duration (`5m`); printed back as one.
    pub duration: bool,
    /// Position in the query.
    pub pos: PosRange,
}

/// A string literal.
#[derive(Debug, Clone, PartialEq)]
pub struct StringLiteral {
    /// The unquoted value (invalid UTF-8 replaced by U+FFFD).
    pub val: String,
    /// The exact bytes, when escapes produced something that is not UTF-8
    /// (as Go strings may); `None` when `val` is exact.
    pub bytes: Option<Vec<u8>>,
    /// Position in the query.
    pub pos: PosRange,
}

/// An instant vector selector.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorSelector {
    /// Metric name written before the braces ("" if none).
    pub name: String,
    /// All matchers, including the `__name__` matcher derived from `name` (last).
    pub matchers: Vec<Matcher>,
    /// Offset in nanoseconds as written (`offset 5m`).
    pub offset: i64,
    /// Offset given as a duration expression.
    pub offset_expr: Option<Box<Expr>>,
    /// The `@` modifier.
    pub at: Option<AtModifier>,
    /// The experimental `anchored` modifier.
    pub anchored: bool,
    /// The experimental `smoothed` modifier.
    pub smoothed: bool,
    /// Skip the non-empty-matcher check (second argument of `info`).
    pub bypass_empty_matcher_check: bool,
    /// Position in the query.
    pub pos: PosRange,
}

/// A range vector selector `v[5m]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixSelector {
    /// The vector selector (any expression while parsing; checked later).
    pub vector: Box<Expr>,
    /// Range in nanoseconds when given as a literal.
    pub range: i64,
    /// Range given as a duration expression.
    pub range_expr: Option<Box<Expr>>,
    /// End of the whole selector.
    pub end: usize,
}

/// A subquery `expr[range:step]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubqueryExpr {
    /// The inner expression.
    pub expr: Box<Expr>,
    /// Range in nanoseconds.
    pub range: i64,
    /// Range as a duration expression.
    pub range_expr: Option<Box<Expr>>,
    /// Step in nanoseconds (0: default).
    pub step: i64,
    /// Step as a duration expression.
    pub step_expr: Option<Box<Expr>>,
    /// Offset in nanoseconds.
    pub offset: i64,
    /// Offset as a duration expression.
    pub offset_expr: Option<Box<Expr>>,
    /// The `@` modifier.
    pub at: Option<AtModifier>,
    /// End of the subquery.
    pub end: usize,
}

/// A function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The function.
    pub func: &'static Function,
    /// Arguments.
    pub args: Vec<Expr>,
    /// Position in the query.
    pub pos: PosRange,
}

/// An aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateExpr {
    /// The operator.
    pub op: AggregateOp,
    /// The aggregated vector.
    pub expr: Box<Expr>,
    /// The parameter (`topk(3, …)`), if the operator takes one.
    pub param: Option<Box<Expr>>,
    /// Labels in `by`/`without`.
    pub grouping: Vec<String>,
    /// `without` rather than `by`.
    pub without: bool,
    /// Position in the query.
    pub pos: PosRange,
}

/// A binary operation.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryExpr {
    /// The operator.
    pub op: BinaryOp,
    /// Left operand.
    pub lhs: Box<Expr>,
    /// Right operand.
    pub rhs: Box<Expr>,
    /// The `bool` modifier.
    pub return_bool: bool,
    /// Vector matching; `None` when an operand is a scalar.
    pub matching: Option<VectorMatching>,
}

/// A unary operation.
#[derive(Debug, Clone, PartialEq)]
pub struct UnaryExpr {
    /// The operator.
    pub op: UnaryOp,
    /// The operand.
    pub expr: Box<Expr>,
    /// Position of the operator.
    pub start: usize,
}

/// A parenthesised expression.
#[derive(Debug, Clone, PartialEq)]
pub struct ParenExpr {
    /// The inner expression.
    pub expr: Box<Expr>,
    /// Position including the parentheses.
    pub pos: PosRange,
}

/// A duration expression (`[5m * 2]`, `offset step()`, `min_of(…)`).
#[derive(Debug, Clone, PartialEq)]
pub struct DurationExpr {
    /// The operator.
    pub op: DurationOp,
    /// Left operand (absent for unary forms and `step()`/`range()`).
    pub lhs: Option<Box<Expr>>,
    /// Right operand.
    pub rhs: Option<Box<Expr>>,
    /// Written inside parentheses.
    pub wrapped: bool,
    /// Position in the query.
    pub pos: PosRange,
}

/// A PromQL expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `1.5`, `0x1f`, `Inf`, or a duration used as a number (`5m`).
    NumberLiteral(NumberLiteral),
    /// `"text"`.
    StringLiteral(StringLiteral),
    /// `foo{bar="baz"}`.
    VectorSelector(VectorSelector),
    /// `foo[5m]`.
    MatrixSelector(MatrixSelector),
    /// `expr[1h:1m]`.
    Subquery(SubqueryExpr),
    /// `rate(…)`.
    Call(Call),
    /// `sum by (job) (…)`.
    Aggregate(AggregateExpr),
    /// `a + b`.
    Binary(BinaryExpr),
    /// `-a`.
    Unary(UnaryExpr),
    /// `(a)`.
    Paren(ParenExpr),
    /// A duration expression (only inside ranges, steps and offsets).
    Duration(DurationExpr),
}

impl Expr {
    /// The type the expression evaluates to.
    pub fn type_of(&self) -> ValueType {
        match self {
            Expr::NumberLiteral(_) | Expr::Duration(_) => ValueType::Scalar,
            Expr::StringLiteral(_) => ValueType::String,
            Expr::VectorSelector(_) | Expr::Aggregate(_) => ValueType::Vector,
            Expr::MatrixSelector(_) | Expr::Subquery(_) => ValueType::Matrix,
            Expr::Call(c) => c.func.return_type,
            Expr::Binary(b) => {
                if b.lhs.type_of() == ValueType::Scalar && b.rhs.type_of() == ValueType::Scalar {
                    ValueType::Scalar
                } else {
                    ValueType::Vector
                }
            }
            Expr::Unary(u) => u.expr.type_of(),
            Expr::Paren(p) => p.expr.type_of(),
        }
    }

    /// The expression's position in the query.
    pub fn pos(&self) -> PosRange {
        match self {
            Expr::NumberLiteral(n) => n.pos,
            Expr::StringLiteral(s) => s.pos,
            Expr::VectorSelector(v) => v.pos,
            Expr::MatrixSelector(m) => PosRange::new(m.vector.pos().start, m.end),
            Expr::Subquery(s) => PosRange::new(s.expr.pos().start, s.end),
            Expr::Call(c) => c.pos,
            Expr::Aggregate(a) => a.pos,
            Expr::Binary(b) => PosRange::new(b.lhs.pos().start, b.rhs.pos().end),
            Expr::Unary(u) => PosRange::new(u.start, u.expr.pos().end),
            Expr::Paren(p) => p.pos,
            Expr::Duration(d) => d.pos,
        }
    }

    /// The direct sub-expressions, in source order (duration expressions
    /// of ranges, steps and offsets included).
    pub fn children(&self) -> Vec<&Expr> {
        let mut out: Vec<&Expr> = Vec::new();
        match self {
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) => {}
            Expr::VectorSelector(v) => out.extend(v.offset_expr.as_deref()),
            Expr::MatrixSelector(m) => {
                out.push(&m.vector);
                out.extend(m.range_expr.as_deref());
            }
            Expr::Subquery(s) => {
                out.push(&s.expr);
                out.extend(s.range_expr.as_deref());
                out.extend(s.step_expr.as_deref());
                out.extend(s.offset_expr.as_deref());
            }
            Expr::Call(c) => out.extend(c.args.iter()),
            Expr::Aggregate(a) => {
                out.extend(a.param.as_deref());
                out.push(&a.expr);
            }
            Expr::Binary(b) => {
                out.push(&b.lhs);
                out.push(&b.rhs);
            }
            Expr::Unary(u) => out.push(&u.expr),
            Expr::Paren(p) => out.push(&p.expr),
            Expr::Duration(d) => {
                out.extend(d.lhs.as_deref());
                out.extend(d.rhs.as_deref());
            }
        }
        out
    }

    /// Returns a copy with every position set to zero and selector matchers in
    /// sorted order, for comparing trees that came from different texts (the
    /// printer sorts matchers).
    pub fn without_positions(&self) -> Expr {
        let mut e = self.clone();
        e.clear_positions();
        e
    }

    fn clear_positions(&mut self) {
        fn opt(e: &mut Option<Box<Expr>>) {
            if let Some(e) = e {
                e.clear_positions();
            }
        }
        match self {
            Expr::NumberLiteral(n) => n.pos = PosRange::default(),
            Expr::StringLiteral(s) => s.pos = PosRange::default(),
            Expr::VectorSelector(v) => {
                v.pos = PosRange::default();
                v.matchers.sort_by_key(|m| m.to_string());
                opt(&mut v.offset_expr);
            }
            Expr::MatrixSelector(m) => {
                m.end = 0;
                m.vector.clear_positions();
                opt(&mut m.range_expr);
            }
            Expr::Subquery(s) => {
                s.end = 0;
                s.expr.clear_positions();
                opt(&mut s.range_expr);
                opt(&mut s.step_expr);
                opt(&mut s.offset_expr);
            }
            Expr::Call(c) => {
                c.pos = PosRange::default();
                c.args.iter_mut().for_each(Expr::clear_positions);
            }
            Expr::Aggregate(a) => {
                a.pos = PosRange::default();
                a.expr.clear_positions();
                opt(&mut a.param);
            }
            Expr::Binary(b) => {
                b.lhs.clear_positions();
                b.rhs.clear_positions();
            }
            Expr::Unary(u) => {
                u.start = 0;
                u.expr.clear_positions();
            }
            Expr::Paren(p) => {
                p.pos = PosRange::default();
                p.expr.clear_positions();
            }
            Expr::Duration(d) => {
                d.pos = PosRange::default();
                opt(&mut d.lhs);
                opt(&mut d.rhs);
            }
        }
    }
}
