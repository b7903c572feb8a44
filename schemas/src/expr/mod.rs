//! The expression engine of the row path: COLUMNS mapping expressions (`k3 = k1 + 1`,
//! `dt = from_unixtime(ts)`), WHERE, PRECEDING FILTER and DELETE ON, with Doris's semantics.
//!
//! An expression arrives parsed by `sqlparser` (MySQL dialect). [`compile()`] types it once, when
//! the job is created, the way Doris's Nereids planner does (implicit casts, literal narrowing,
//! result types; see `types.rs`), and rejects anything unsupported there and then: an unknown
//! function or column never surfaces at the first row. [`CompiledExpr::eval_into`] then
//! evaluates it per row over the slots an [`ExprInput`] provides, into one preallocated register
//! per node held by an [`EvalScratch`]; string registers keep their buffers, so a warm
//! evaluation does not allocate.
//!
//! Errors at run time: where Doris 4.x raises an error inside a load expression (which fails
//! the whole task, e.g. `from_unixtime` out of range) the result is NULL and
//! [`EvalScratch::error`] holds Doris's message; the caller decides. Under 2.1 / 3.0 rules the
//! same cases are plain NULLs.
//!
//! Choices where Doris was ambiguous:
//! * a `"double-quoted"` token is a string literal (Doris's default `sql_mode` has no
//!   `ANSI_QUOTES`); a quoted identifier that `sqlparser` hands over names a column when the
//!   scope knows it, and is a string literal otherwise;
//! * `||` is OR (no `PIPES_AS_CONCAT`);
//! * IF / CASE / COALESCE evaluate only the branch they return, so an error in another
//!   branch is not raised; AND / OR evaluate both sides;
//! * `from_unixtime` takes BIGINT, or (4.x) DECIMAL(18, 6) for a DECIMAL / FLOAT / DOUBLE
//!   argument; a VARCHAR argument is cast to BIGINT;
//! * `unix_timestamp()` and `unix_timestamp(date)` are INT in 2.1 / 3.0 (past 2038 → 0) and
//!   BIGINT in 4.x; a VARCHAR argument is cast to DATETIME(0);
//! * `date_format` and the field extractors cast a VARCHAR argument to DATETIME(6);
//! * the JSON → INT / DOUBLE casts of `json_extract_int` / `_double` truncate a fractional
//!   number, take `true` / `false` as 1 / 0 and give NULL for strings;
//! * DECIMAL arithmetic overflow is NULL with a runtime error under 4.x rules.
//!
//! The functions are listed in [`FUNCTIONS`].

mod cast;
mod compile;
mod datetime;
mod eval;
mod fmt;
mod json;
mod strings;
mod types;
mod value;

pub use value::{Value, ValueRef};

use crate::convert::json::JsonScratch;
use crate::timezone::TimeZone;
use crate::types::DorisType;
use crate::version::VersionRules;
use types::{ArithOp, Kind};
use value::Out;

/// Every function name [`compile()`] accepts (case-insensitive), aliases included.
pub const FUNCTIONS: &[&str] = &[
    "abs",
    "char_length",
    "character_length",
    "coalesce",
    "concat",
    "concat_ws",
    "curdate",
    "current_date",
    "current_timestamp",
    "date",
    "date_format",
    "day",
    "dayofmonth",
    "from_unixtime",
    "get_json_bigint",
    "get_json_double",
    "get_json_int",
    "get_json_string",
    "hour",
    "if",
    "ifnull",
    "json_extract",
    "json_extract_bigint",
    "json_extract_double",
    "json_extract_int",
    "json_extract_string",
    "json_unquote",
    "jsonb_extract",
    "jsonb_extract_bigint",
    "jsonb_extract_double",
    "jsonb_extract_int",
    "jsonb_extract_string",
    "lcase",
    "left",
    "length",
    "localtime",
    "localtimestamp",
    "lower",
    "ltrim",
    "minute",
    "month",
    "now",
    "nullif",
    "nvl",
    "replace",
    "reverse",
    "right",
    "rtrim",
    "second",
    "str_to_date",
    "strftime",
    "strleft",
    "strright",
    "substr",
    "substring",
    "time_format",
    "to_date",
    "trim",
    "ucase",
    "unix_timestamp",
    "upper",
    "year",
];

/// What compiling needs besides the expression: the load's time zone and release rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompileContext {
    /// The load's time zone (job property `timezone`).
    pub time_zone: TimeZone,
    /// The Doris release whose semantics apply.
    pub rules: VersionRules,
}

/// Resolves names: returns the slot index and the type the expression sees for that name.
pub trait Scope {
    /// The slot index and type of `name`, or `None` when the name is unknown.
    fn resolve(&self, name: &str) -> Option<(usize, DorisType)>;
}

impl<F> Scope for F
where
    F: Fn(&str) -> Option<(usize, DorisType)>,
{
    fn resolve(&self, name: &str) -> Option<(usize, DorisType)> {
        self(name)
    }
}

/// One row's slot values, by slot index.
pub trait ExprInput {
    /// The value of slot `index`.
    fn slot(&self, index: usize) -> ValueRef<'_>;
}

fn value_slot(values: &[Value], index: usize) -> ValueRef<'_> {
    match values.get(index) {
        Some(v) => ValueRef::Value(v),
        None => ValueRef::Null,
    }
}

fn ref_slot<'a>(refs: &[ValueRef<'a>], index: usize) -> ValueRef<'a> {
    refs.get(index).copied().unwrap_or(ValueRef::Null)
}

/// Typed values by slot index (a slot past the end is NULL).
impl ExprInput for &[Value] {
    fn slot(&self, index: usize) -> ValueRef<'_> {
        value_slot(self, index)
    }
}

/// Typed values by slot index (a slot past the end is NULL).
impl ExprInput for Vec<Value> {
    fn slot(&self, index: usize) -> ValueRef<'_> {
        value_slot(self, index)
    }
}

/// Typed values by slot index (a slot past the end is NULL).
impl<const N: usize> ExprInput for [Value; N] {
    fn slot(&self, index: usize) -> ValueRef<'_> {
        value_slot(self, index)
    }
}

/// Slot values by index (a slot past the end is NULL).
impl ExprInput for &[ValueRef<'_>] {
    fn slot(&self, index: usize) -> ValueRef<'_> {
        ref_slot(self, index)
    }
}

/// Slot values by index (a slot past the end is NULL).
impl ExprInput for Vec<ValueRef<'_>> {
    fn slot(&self, index: usize) -> ValueRef<'_> {
        ref_slot(self, index)
    }
}

/// Slot values by index (a slot past the end is NULL).
impl<const N: usize> ExprInput for [ValueRef<'_>; N] {
    fn slot(&self, index: usize) -> ValueRef<'_> {
        ref_slot(self, index)
    }
}

/// What evaluation needs besides the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalEnv {
    /// The current time in UTC microseconds: one value per batch, because Doris evaluates
    /// `now()` once per task.
    pub now_utc_micros: i64,
    /// The load's time zone.
    pub time_zone: TimeZone,
    /// The Doris release whose semantics apply.
    pub rules: VersionRules,
}

impl EvalEnv {
    /// The environment of a compile context at a given instant.
    pub fn new(ctx: &CompileContext, now_utc_micros: i64) -> Self {
        EvalEnv {
            now_utc_micros,
            time_zone: ctx.time_zone,
            rules: ctx.rules,
        }
    }
}

/// Why an expression cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    /// A function Doris (or routinely) does not know.
    #[error("Can not found function '{name}'")]
    UnknownFunction {
        /// The name as written.
        name: String,
    },
    /// A known function called with the wrong number of arguments.
    #[error(
        "Can not found function '{name}' which has {arity} arity. Candidate functions are: [{candidates}]"
    )]
    WrongArity {
        /// The function name, lower case.
        name: String,
        /// The number of arguments given.
        arity: usize,
        /// The accepted forms, e.g. `substr(str, pos[, len])`.
        candidates: String,
    },
    /// A name that is neither a column nor a slot. Doris's message names the mapping target
    /// (`unknown reference column, column=<target>, reference=<name>`); set it with
    /// [`ExprError::with_target`].
    #[error("{}", unknown_reference(target.as_deref(), name))]
    UnknownColumn {
        /// The mapping target, when the caller knows it.
        target: Option<String>,
        /// The unknown name.
        name: String,
    },
    /// An aggregate (or window) function.
    #[error("Don't support aggregation function in load expression")]
    Aggregate,
    /// A function argument of the wrong kind (e.g. a non-constant where a literal is needed).
    #[error("{function}: {message}")]
    InvalidArgument {
        /// The function name, lower case.
        function: String,
        /// What is wrong.
        message: String,
    },
    /// Operands whose types Doris cannot combine.
    #[error("{0}")]
    Type(String),
    /// Syntax that load expressions do not support (subqueries, intervals, ...).
    #[error("unsupported expression in load: {0}")]
    Unsupported(String),
}

fn unknown_reference(target: Option<&str>, name: &str) -> String {
    match target {
        Some(t) => format!("unknown reference column, column={t}, reference={name}"),
        None => format!("unknown reference column, reference={name}"),
    }
}

impl ExprError {
    /// Names the mapping target in an [`ExprError::UnknownColumn`] (other errors unchanged).
    pub fn with_target(self, target: &str) -> Self {
        match self {
            ExprError::UnknownColumn { name, .. } => ExprError::UnknownColumn {
                target: Some(target.to_string()),
                name,
            },
            other => other,
        }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    NullSafeEq,
}

/// TRIM sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Both,
    Left,
    Right,
}

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Concat,
    ConcatWs,
    Substr,
    Left,
    Right,
    Upper,
    Lower,
    Trim(Side),
    TrimStr(Side),
    Length,
    CharLength,
    Replace,
    Reverse,
    FromUnixtime,
    UnixTimestampNow,
    UnixTimestamp,
    UnixTimestampFmt,
    StrToDate,
    DateFormat,
    Now,
    CurDate,
    DatePart(datetime::Part),
    JsonExtract,
    JsonExtractString,
    JsonExtractInt,
    JsonExtractDouble,
    GetJsonString,
    GetJsonInt,
    GetJsonDouble,
    JsonUnquote,
    Abs,
}

/// One node of a compiled expression.
#[derive(Debug)]
pub(crate) enum Op {
    Const(Value),
    Slot(usize),
    Cast,
    Arith(ArithOp),
    Cmp(CmpOp),
    And,
    Or,
    Xor,
    Not,
    IsNull {
        negated: bool,
    },
    IsBool {
        want: bool,
        negated: bool,
    },
    In {
        negated: bool,
    },
    Like {
        negated: bool,
        escape: Vec<u8>,
    },
    Regexp {
        negated: bool,
        re: Option<Box<regex::bytes::Regex>>,
    },
    Case {
        has_else: bool,
    },
    If,
    Coalesce,
    NullIf,
    Func(Func),
}

#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) op: Op,
    pub(crate) args: Vec<usize>,
    pub(crate) ty: DorisType,
    pub(crate) kind: Kind,
}

/// An expression typed and checked once, evaluable per row.
#[derive(Debug)]
pub struct CompiledExpr {
    nodes: Vec<Node>,
    root: usize,
    result_type: DorisType,
    null_type: bool,
    slots: Vec<usize>,
}

/// Compiles a parsed expression against `scope`: resolves names, infers types and inserts
/// Doris's implicit casts, folds constants, and rejects anything unsupported.
pub fn compile(
    expr: &sqlparser::ast::Expr,
    scope: &dyn Scope,
    ctx: &CompileContext,
) -> Result<CompiledExpr, ExprError> {
    compile::compile(expr, scope, ctx)
}

impl CompiledExpr {
    /// Doris's inferred type of the result. String results are [`DorisType::String`],
    /// predicates [`DorisType::Boolean`]; an expression of Doris's NULL type (a bare `NULL`)
    /// reports BOOLEAN and [`CompiledExpr::is_null_type`].
    pub fn result_type(&self) -> &DorisType {
        &self.result_type
    }

    /// Whether the expression has Doris's NULL type (it is NULL for every row).
    pub fn is_null_type(&self) -> bool {
        self.null_type
    }

    /// The slot indexes the expression reads, ascending, without duplicates.
    pub fn slots(&self) -> &[usize] {
        &self.slots
    }

    /// A scratch area sized for this expression (one register per node).
    pub fn new_scratch(&self) -> EvalScratch {
        EvalScratch {
            regs: (0..self.nodes.len()).map(|_| Value::Null).collect(),
            spares: (0..self.nodes.len()).map(|_| Vec::new()).collect(),
            tmp: Temps::default(),
            error: None,
            out_spare: Vec::new(),
        }
    }

    /// Evaluates the expression over one row into `out` (whose byte buffer is reused).
    /// A runtime error Doris would raise leaves NULL in `out` and its message in
    /// [`EvalScratch::error`].
    pub fn eval_into(
        &self,
        input: &dyn ExprInput,
        scratch: &mut EvalScratch,
        env: &EvalEnv,
        out: &mut Value,
    ) {
        self.evaluate(input, scratch, env, out, None);
    }

    /// Evaluates, then writes the result into `out`: copied, or cast to `cast_to`.
    fn evaluate(
        &self,
        input: &dyn ExprInput,
        scratch: &mut EvalScratch,
        env: &EvalEnv,
        out: &mut Value,
        cast_to: Option<&DorisType>,
    ) {
        scratch.error = None;
        if scratch.regs.len() < self.nodes.len() {
            scratch.regs.resize_with(self.nodes.len(), || Value::Null);
            scratch.spares.resize_with(self.nodes.len(), Vec::new);
        }
        let mut cx = eval::Cx {
            input,
            env,
            tmp: &mut scratch.tmp,
            error: &mut scratch.error,
        };
        eval::eval(
            &self.nodes,
            self.root,
            &mut scratch.regs,
            &mut scratch.spares,
            &mut cx,
        );
        let v = eval::view(&self.nodes, self.root, &scratch.regs, input);
        let mut o = Out::new(out, &mut scratch.out_spare);
        match (scratch.error.is_some(), cast_to) {
            (true, _) => o.null(),
            (false, None) => o.copy(v),
            (false, Some(to)) => {
                cast::cast(v, &self.result_type, to, &mut o, env, &mut scratch.tmp.json)
            }
        }
    }

    /// Evaluates the expression and casts the result to `to` (the final projection of a
    /// mapping into its column), knowing the result's own type (FLOAT prints with 7 digits).
    pub fn eval_cast_into(
        &self,
        input: &dyn ExprInput,
        scratch: &mut EvalScratch,
        env: &EvalEnv,
        to: &DorisType,
        out: &mut Value,
    ) {
        self.evaluate(input, scratch, env, out, Some(to));
    }
}

/// Per-expression scratch: registers, reusable buffers, and the last evaluation's error.
#[derive(Debug, Default)]
pub struct EvalScratch {
    regs: Vec<Value>,
    spares: Vec<Vec<u8>>,
    tmp: Temps,
    error: Option<String>,
    out_spare: Vec<u8>,
}

impl EvalScratch {
    /// The first runtime error of the last evaluation (Doris 4.x would fail the task with
    /// it), cleared by each evaluation.
    pub fn error(&self) -> Option<String> {
        self.error.clone()
    }

    /// [`EvalScratch::error`] without copying.
    pub fn error_str(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

/// Buffers for parsing JSON text without allocating once warm.
#[derive(Debug, Default)]
pub(crate) struct JsonBufs {
    pub(crate) scratch: JsonScratch,
    pub(crate) compact: Vec<u8>,
    pub(crate) unescaped: Vec<u8>,
}

/// Buffers shared by the functions of one evaluation.
#[derive(Debug, Default)]
pub(crate) struct Temps {
    pub(crate) json: JsonBufs,
    pub(crate) doc: Vec<u8>,
    pub(crate) key: Vec<u8>,
    pub(crate) legs: Vec<json::Leg>,
    pub(crate) matches: Vec<(usize, usize)>,
    pub(crate) regex: Option<(Vec<u8>, Option<regex::bytes::Regex>)>,
}

thread_local! {
    static CAST_TEMPS: std::cell::RefCell<(JsonBufs, Vec<u8>)> =
        std::cell::RefCell::new((JsonBufs::default(), Vec::new()));
}

fn type_of_value(v: &Value) -> DorisType {
    match v {
        Value::Null | Value::Bool(_) => DorisType::Boolean,
        Value::Int(_) => DorisType::LargeInt,
        Value::Float(_) => DorisType::Double,
        Value::Decimal { scale, .. } => DorisType::Decimal {
            precision: 38,
            scale: *scale,
        },
        Value::Date(_) => DorisType::Date,
        Value::DateTime { precision, .. } => DorisType::DateTime {
            precision: *precision,
        },
        Value::Str(_) => DorisType::String,
        Value::Json(_) => DorisType::Json,
    }
}

/// Doris's non-strict CAST of an expression result to a column type (the final projection of
/// a mapping into its column): failure → `Value::Null`. A `Value::Float` is taken as a DOUBLE
/// (use [`cast_value_from`] or [`CompiledExpr::eval_cast_into`] for a FLOAT source).
pub fn cast_value(value: &Value, to: &DorisType, env: &EvalEnv, out: &mut Value) {
    cast_value_from(value, &type_of_value(value), to, env, out);
}

/// [`cast_value`] with the source type given.
pub fn cast_value_from(
    value: &Value,
    from: &DorisType,
    to: &DorisType,
    env: &EvalEnv,
    out: &mut Value,
) {
    CAST_TEMPS.with(|t| match t.try_borrow_mut() {
        Ok(mut t) => {
            let (json, spare) = &mut *t;
            let mut o = Out::new(out, spare);
            cast::cast(value.view(), from, to, &mut o, env, json);
        }
        Err(_) => {
            let mut spare = Vec::new();
            let mut o = Out::new(out, &mut spare);
            cast::cast(
                value.view(),
                from,
                to,
                &mut o,
                env,
                &mut JsonBufs::default(),
            );
        }
    });
}
