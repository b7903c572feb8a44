//! From a `sqlparser` expression to a typed node list: name resolution, Doris's implicit casts
//! and literal narrowing (`types.rs`), function lookup with arity and argument checks,
//! constant folding, and a final compaction that keeps only the nodes the root reaches.

use sqlparser::ast::{
    BinaryOperator, CastFormat, DataType, ExactNumberInfo, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArguments, Ident, InTarget, ObjectName, TrimWhereField, TypeModifier,
    UnaryOperator, Value as SqlValue,
};

use super::datetime::{Part, str_to_date_type};
use super::eval::{Cx, eval};
use super::types::{
    ArithOp, Kind, Ty, arith_plan, case_common, cmp_common, int_type_for, is_date_like, is_dec,
    is_float_text, is_integer_text, is_json, is_str, kind_of, number_literal, promotion, same,
    ty_kind,
};
use super::value::Value;
use super::{
    CmpOp, CompileContext, CompiledExpr, EvalEnv, ExprError, ExprInput, Func, Node, Op, Scope,
    Side, Temps, ValueRef, json,
};
use crate::convert::{parse_datetime, parse_decimal};
use crate::types::{DorisType, MAX_DECIMAL128_PRECISION};
use crate::version::{DorisVersion, ExprSemantics, GetJsonFlavor};

/// Aggregate and analytic functions Doris knows (their use is an error in a load).
const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "group_concat",
    "bitmap_union",
    "bitmap_union_count",
    "bitmap_intersect",
    "hll_union",
    "hll_union_agg",
    "hll_raw_agg",
    "ndv",
    "approx_count_distinct",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "variance_pop",
    "variance_samp",
    "percentile",
    "percentile_approx",
    "any_value",
    "collect_list",
    "collect_set",
    "array_agg",
    "map_agg",
    "topn",
    "max_by",
    "min_by",
    "multi_distinct_count",
    "multi_distinct_sum",
    "orthogonal_bitmap_union_count",
    "retention",
    "window_funnel",
    "sequence_match",
    "sequence_count",
    "histogram",
    "quantile_union",
    "bool_and",
    "bool_or",
    "bit_and",
    "bit_or",
    "bit_xor",
    "corr",
    "covar",
    "covar_pop",
    "covar_samp",
    "median",
    "row_number",
    "rank",
    "dense_rank",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "ntile",
];

struct NoInput;

impl ExprInput for NoInput {
    fn slot(&self, _index: usize) -> ValueRef<'_> {
        ValueRef::Null
    }
}

pub(crate) struct Builder<'a> {
    nodes: Vec<Node>,
    /// Whether a node is a literal as written in the SQL text (not a folded result).
    literal: Vec<bool>,
    scope: &'a dyn Scope,
    ctx: &'a CompileContext,
}

pub(crate) fn compile(
    expr: &Expr,
    scope: &dyn Scope,
    ctx: &CompileContext,
) -> Result<CompiledExpr, ExprError> {
    let mut b = Builder {
        nodes: Vec::new(),
        literal: Vec::new(),
        scope,
        ctx,
    };
    let root = b.build(expr)?;
    let (nodes, root) = compact(b.nodes, root);
    let mut slots: Vec<usize> = nodes
        .iter()
        .filter_map(|n| match n.op {
            Op::Slot(i) => Some(i),
            _ => None,
        })
        .collect();
    slots.sort_unstable();
    slots.dedup();
    let null_type = nodes[root].kind == Kind::Null;
    let result_type = nodes[root].ty.clone();
    Ok(CompiledExpr {
        nodes,
        root,
        result_type,
        null_type,
        slots,
    })
}

/// Keeps the nodes reachable from `root`, in order (children stay before parents).
fn compact(nodes: Vec<Node>, root: usize) -> (Vec<Node>, usize) {
    let mut keep = vec![false; nodes.len()];
    keep[root] = true;
    for i in (0..=root).rev() {
        if keep[i] {
            for &a in &nodes[i].args {
                keep[a] = true;
            }
        }
    }
    let mut map = vec![usize::MAX; nodes.len()];
    let mut out = Vec::with_capacity(nodes.len());
    for (i, mut n) in nodes.into_iter().enumerate() {
        if !keep[i] {
            continue;
        }
        for a in n.args.iter_mut() {
            *a = map[*a];
        }
        map[i] = out.len();
        out.push(n);
    }
    let root = map[root];
    (out, root)
}

fn unsupported(e: &impl std::fmt::Display) -> ExprError {
    ExprError::Unsupported(e.to_string())
}

/// Strings are STRING and JSON-likes JSON inside an expression.
fn norm_type(t: DorisType) -> DorisType {
    if is_str(&t) {
        DorisType::String
    } else if is_json(&t) {
        DorisType::Json
    } else {
        t
    }
}

fn arity(name: &str, n: usize, candidates: &str) -> ExprError {
    ExprError::WrongArity {
        name: name.to_string(),
        arity: n,
        candidates: candidates.to_string(),
    }
}

impl Builder<'_> {
    fn env(&self) -> EvalEnv {
        EvalEnv::new(self.ctx, 0)
    }

    fn v4(&self) -> bool {
        self.ctx.rules.expr == ExprSemantics::Nereids
    }

    fn ty(&self, id: usize) -> Ty {
        let n = &self.nodes[id];
        (n.kind != Kind::Null).then(|| n.ty.clone())
    }

    fn is_const(&self, id: usize) -> bool {
        matches!(self.nodes[id].op, Op::Const(_))
    }

    fn const_bytes(&self, id: usize) -> Option<&[u8]> {
        match &self.nodes[id].op {
            Op::Const(Value::Str(b)) => Some(b),
            _ => None,
        }
    }

    fn is_str_literal(&self, id: usize) -> bool {
        self.literal[id] && self.const_bytes(id).is_some()
    }

    fn push_raw(&mut self, op: Op, args: Vec<usize>, ty: Ty) -> Result<usize, ExprError> {
        let kind = ty_kind(&ty).ok_or_else(|| {
            ExprError::Type(format!(
                "type {} is not supported in load expressions",
                ty.clone().unwrap_or(DorisType::Boolean)
            ))
        })?;
        let ty = ty.map(norm_type).unwrap_or(DorisType::Boolean);
        self.nodes.push(Node { op, args, ty, kind });
        self.literal.push(false);
        Ok(self.nodes.len() - 1)
    }

    /// Adds a node; folds it when every argument is a constant and it is deterministic.
    fn push(&mut self, op: Op, args: Vec<usize>, ty: Ty) -> Result<usize, ExprError> {
        let foldable = !matches!(
            op,
            Op::Const(_)
                | Op::Slot(_)
                | Op::Func(Func::Now | Func::CurDate | Func::UnixTimestampNow)
        ) && args.iter().all(|&a| self.is_const(a));
        let id = self.push_raw(op, args, ty)?;
        if foldable {
            self.fold(id);
        }
        Ok(id)
    }

    fn fold(&mut self, id: usize) {
        let env = self.env();
        let mut regs: Vec<Value> = (0..self.nodes.len()).map(|_| Value::Null).collect();
        let mut spares: Vec<Vec<u8>> = (0..self.nodes.len()).map(|_| Vec::new()).collect();
        let mut tmp = Temps::default();
        let mut error = None;
        let input = NoInput;
        let mut cx = Cx {
            input: &input,
            env: &env,
            tmp: &mut tmp,
            error: &mut error,
        };
        eval(&self.nodes, id, &mut regs, &mut spares, &mut cx);
        if error.is_some() {
            // Leave it to run time: Doris raises the error for every row.
            return;
        }
        let v = std::mem::take(&mut regs[id]);
        self.nodes[id].op = Op::Const(v);
        self.nodes[id].args.clear();
    }

    fn konst(&mut self, v: Value, ty: Ty) -> Result<usize, ExprError> {
        self.push_raw(Op::Const(v), Vec::new(), ty)
    }

    fn literal(&mut self, v: Value, ty: Ty) -> Result<usize, ExprError> {
        let id = self.konst(v, ty)?;
        self.literal[id] = true;
        Ok(id)
    }

    fn str_literal(&mut self, s: &str) -> Result<usize, ExprError> {
        self.literal(Value::Str(s.as_bytes().to_vec()), Some(DorisType::String))
    }

    /// `castIfNotSameType`.
    fn cast(&mut self, id: usize, to: &DorisType) -> Result<usize, ExprError> {
        let to = norm_type(to.clone());
        if kind_of(&to).is_none() {
            return Err(ExprError::Type(format!(
                "can not cast from origin type {} to target type={to}",
                self.nodes[id].ty
            )));
        }
        let n = &self.nodes[id];
        if n.kind == Kind::Null {
            return self.konst(Value::Null, Some(to));
        }
        if n.ty == to || (is_str(&n.ty) && is_str(&to)) || (is_json(&n.ty) && is_json(&to)) {
            return Ok(id);
        }
        self.push(Op::Cast, vec![id], Some(to))
    }

    fn cast_ty(&mut self, id: usize, to: &Ty) -> Result<usize, ExprError> {
        match to {
            Some(t) => self.cast(id, t),
            None => Ok(id),
        }
    }

    fn boolean(&mut self, id: usize) -> Result<usize, ExprError> {
        self.cast(id, &DorisType::Boolean)
    }

    fn string(&mut self, id: usize) -> Result<usize, ExprError> {
        self.cast(id, &DorisType::String)
    }

    fn build(&mut self, e: &Expr) -> Result<usize, ExprError> {
        match e {
            Expr::Identifier(id) => self.ident(id),
            Expr::Nested(inner) => self.build(inner),
            Expr::Value(v) => self.sql_value(&v.value),
            Expr::TypedString(ts) => {
                let text = match &ts.value.value {
                    SqlValue::SingleQuotedString(s) | SqlValue::DoubleQuotedString(s) => s,
                    _ => return Err(unsupported(e)),
                };
                let to = doris_type(&ts.data_type)?;
                let lit = self.str_literal(text)?;
                self.cast(lit, &to)
            }
            Expr::UnaryOp { op, expr } => match op {
                UnaryOperator::Minus => {
                    if let Expr::Value(v) = expr.as_ref()
                        && let SqlValue::Number(n, _) = &v.value
                    {
                        let (v, t) = number_literal(&format!("-{n}"))?;
                        return self.literal(v, Some(t));
                    }
                    let x = self.build(expr)?;
                    let zero = self.literal(Value::Int(0), Some(DorisType::TinyInt))?;
                    self.arith(ArithOp::Sub, zero, x)
                }
                UnaryOperator::Plus => self.build(expr),
                UnaryOperator::Not => {
                    let x = self.build(expr)?;
                    let x = self.boolean(x)?;
                    self.push(Op::Not, vec![x], Some(DorisType::Boolean))
                }
                _ => Err(unsupported(e)),
            },
            Expr::BinaryOp { left, op, right } => self.binary(left, op, right, e),
            Expr::IsNull(x) | Expr::IsUnknown(x) => {
                let x = self.build(x)?;
                self.push(
                    Op::IsNull { negated: false },
                    vec![x],
                    Some(DorisType::Boolean),
                )
            }
            Expr::IsNotNull(x) | Expr::IsNotUnknown(x) => {
                let x = self.build(x)?;
                self.push(
                    Op::IsNull { negated: true },
                    vec![x],
                    Some(DorisType::Boolean),
                )
            }
            Expr::IsTrue(x) => self.is_bool(x, true, false),
            Expr::IsNotTrue(x) => self.is_bool(x, true, true),
            Expr::IsFalse(x) => self.is_bool(x, false, false),
            Expr::IsNotFalse(x) => self.is_bool(x, false, true),
            Expr::IsDistinctFrom(a, b) => {
                let (a, b) = (self.build(a)?, self.build(b)?);
                let eq = self.comparison(CmpOp::NullSafeEq, a, b)?;
                self.push(Op::Not, vec![eq], Some(DorisType::Boolean))
            }
            Expr::IsNotDistinctFrom(a, b) => {
                let (a, b) = (self.build(a)?, self.build(b)?);
                self.comparison(CmpOp::NullSafeEq, a, b)
            }
            Expr::In {
                expr,
                target: InTarget::List(list),
                negated,
                ..
            } => self.in_list(expr, list, *negated),
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let x = self.build(expr)?;
                let (lo, hi) = (self.build(low)?, self.build(high)?);
                let a = self.comparison(CmpOp::Ge, x, lo)?;
                let b = self.comparison(CmpOp::Le, x, hi)?;
                let both = self.push(Op::And, vec![a, b], Some(DorisType::Boolean))?;
                if *negated {
                    self.push(Op::Not, vec![both], Some(DorisType::Boolean))
                } else {
                    Ok(both)
                }
            }
            Expr::Like {
                negated,
                any: false,
                expr,
                pattern,
                escape_char,
            } => self.like(expr, pattern, escape_char.as_deref(), *negated),
            Expr::RLike {
                negated,
                expr,
                pattern,
                ..
            } => self.regexp(expr, pattern, *negated),
            Expr::Cast {
                expr,
                data_type,
                format,
                ..
            } => {
                if let Some(f) = format {
                    return Err(unsupported(&cast_format(f)));
                }
                let to = doris_type(data_type)?;
                let x = self.build(expr)?;
                self.cast(x, &to)
            }
            Expr::Convert {
                expr,
                data_type: Some(dt),
                charset: None,
                ..
            } => {
                let to = doris_type(dt)?;
                let x = self.build(expr)?;
                self.cast(x, &to)
            }
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                let operand = match operand {
                    Some(o) => Some(self.build(o)?),
                    None => None,
                };
                let mut conds = Vec::with_capacity(conditions.len());
                let mut results = Vec::with_capacity(conditions.len() + 1);
                for w in conditions {
                    let c = self.build(&w.condition)?;
                    let c = match operand {
                        Some(x) => self.comparison(CmpOp::Eq, x, c)?,
                        None => self.boolean(c)?,
                    };
                    conds.push(c);
                    results.push(self.build(&w.result)?);
                }
                let has_else = else_result.is_some();
                if let Some(e) = else_result {
                    results.push(self.build(e)?);
                }
                let common = self.common_of(&results)?;
                let mut args = Vec::with_capacity(conds.len() * 2 + 1);
                for (i, c) in conds.iter().enumerate() {
                    args.push(*c);
                    args.push(self.cast_ty(results[i], &common)?);
                }
                if has_else && let Some(&e) = results.last() {
                    args.push(self.cast_ty(e, &common)?);
                }
                self.push(Op::Case { has_else }, args, common)
            }
            Expr::Function(f) => self.function(f, e),
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args = vec![self.build(expr)?];
                match substring_from {
                    Some(f) => args.push(self.build(f)?),
                    None => return Err(arity("substring", 1, "substring(str, pos[, len])")),
                }
                if let Some(f) = substring_for {
                    args.push(self.build(f)?);
                }
                self.substr(Func::Substr, args)
            }
            Expr::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                let side = match trim_where {
                    None | Some(TrimWhereField::Both) => Side::Both,
                    Some(TrimWhereField::Leading) => Side::Left,
                    Some(TrimWhereField::Trailing) => Side::Right,
                };
                let x = self.build(expr)?;
                let what = match (trim_what, trim_characters) {
                    (Some(w), _) => Some(self.build(w)?),
                    (None, Some(chars)) if chars.len() == 1 => Some(self.build(&chars[0])?),
                    (None, Some(_)) => return Err(arity("trim", 3, "trim(str[, rhs])")),
                    (None, None) => None,
                };
                self.trim(side, x, what)
            }
            _ => Err(unsupported(e)),
        }
    }

    fn ident(&mut self, id: &Ident) -> Result<usize, ExprError> {
        match self.scope.resolve(&id.value) {
            Some((slot, ty)) => {
                if kind_of(&ty).is_none() {
                    return Err(ExprError::Type(format!(
                        "column {} of type {ty} is not supported in load expressions",
                        id.value
                    )));
                }
                self.push_raw(Op::Slot(slot), Vec::new(), Some(ty))
            }
            // MySQL (and Doris without ANSI_QUOTES): "text" is a string literal.
            None if id.quote_style == Some('"') => self.str_literal(&id.value),
            None => Err(ExprError::UnknownColumn {
                target: None,
                name: id.value.clone(),
            }),
        }
    }

    fn sql_value(&mut self, v: &SqlValue) -> Result<usize, ExprError> {
        match v {
            SqlValue::Number(n, _) => {
                let (v, t) = number_literal(n)?;
                self.literal(v, Some(t))
            }
            SqlValue::SingleQuotedString(s)
            | SqlValue::DoubleQuotedString(s)
            | SqlValue::EscapedStringLiteral(s)
            | SqlValue::NationalStringLiteral(s)
            | SqlValue::TripleSingleQuotedString(s)
            | SqlValue::TripleDoubleQuotedString(s) => self.str_literal(s),
            SqlValue::Boolean(b) => self.literal(Value::Bool(*b), Some(DorisType::Boolean)),
            SqlValue::Null => self.literal(Value::Null, None),
            other => Err(unsupported(other)),
        }
    }

    fn is_bool(&mut self, x: &Expr, want: bool, negated: bool) -> Result<usize, ExprError> {
        let x = self.build(x)?;
        let x = self.boolean(x)?;
        self.push(
            Op::IsBool { want, negated },
            vec![x],
            Some(DorisType::Boolean),
        )
    }

    fn binary(
        &mut self,
        left: &Expr,
        op: &BinaryOperator,
        right: &Expr,
        whole: &Expr,
    ) -> Result<usize, ExprError> {
        let cmp = match op {
            BinaryOperator::Eq => Some(CmpOp::Eq),
            BinaryOperator::NotEq => Some(CmpOp::Ne),
            BinaryOperator::Lt => Some(CmpOp::Lt),
            BinaryOperator::LtEq => Some(CmpOp::Le),
            BinaryOperator::Gt => Some(CmpOp::Gt),
            BinaryOperator::GtEq => Some(CmpOp::Ge),
            BinaryOperator::Spaceship => Some(CmpOp::NullSafeEq),
            _ => None,
        };
        let arith = match op {
            BinaryOperator::Plus => Some(ArithOp::Add),
            BinaryOperator::Minus => Some(ArithOp::Sub),
            BinaryOperator::Multiply => Some(ArithOp::Mul),
            BinaryOperator::Divide => Some(ArithOp::Div),
            BinaryOperator::Modulo => Some(ArithOp::Mod),
            BinaryOperator::MyIntegerDivide | BinaryOperator::DuckIntegerDivide => {
                Some(ArithOp::IntDiv)
            }
            _ => None,
        };
        let logic = match op {
            BinaryOperator::And => Some(Op::And),
            // `||` is OR under Doris's default sql_mode (no PIPES_AS_CONCAT).
            BinaryOperator::Or | BinaryOperator::StringConcat => Some(Op::Or),
            BinaryOperator::Xor => Some(Op::Xor),
            _ => None,
        };
        if cmp.is_none() && arith.is_none() && logic.is_none() {
            return Err(unsupported(whole));
        }
        let l = self.build(left)?;
        let r = self.build(right)?;
        if let Some(c) = cmp {
            return self.comparison(c, l, r);
        }
        if let Some(a) = arith {
            return self.arith(a, l, r);
        }
        let l = self.boolean(l)?;
        let r = self.boolean(r)?;
        match logic {
            Some(op) => self.push(op, vec![l, r], Some(DorisType::Boolean)),
            None => Err(unsupported(whole)),
        }
    }

    /// `characterLiteralTypeCoercion`: a string literal next to a non-string operand takes the
    /// operand's type when its text is a value of that type.
    fn narrow_literal(&mut self, id: usize, other: &Ty) -> Result<usize, ExprError> {
        let Some(target) = other else {
            return Ok(id);
        };
        if !self.is_str_literal(id) || is_str(target) {
            return Ok(id);
        }
        let Some(bytes) = self.const_bytes(id) else {
            return Ok(id);
        };
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Ok(id);
        };
        let text = text.to_string();
        match self.coerce_literal(&text, target) {
            Some((v, t)) => self.konst(v, Some(t)),
            None => Ok(id),
        }
    }

    fn coerce_literal(&self, text: &str, target: &DorisType) -> Option<(Value, DorisType)> {
        let v4 = DorisVersion::V4_0.rules();
        match target {
            DorisType::Boolean => {
                if text.eq_ignore_ascii_case("true") {
                    Some((Value::Bool(true), DorisType::Boolean))
                } else if text.eq_ignore_ascii_case("false") {
                    Some((Value::Bool(false), DorisType::Boolean))
                } else {
                    None
                }
            }
            t if t.is_integer() => {
                if !is_integer_text(text) {
                    return None;
                }
                let v: i128 = text.strip_prefix('+').unwrap_or(text).parse().ok()?;
                Some((Value::Int(v), int_type_for(v, t)))
            }
            DorisType::Float => {
                if !is_float_text(text) {
                    return None;
                }
                let f: f32 = text.parse().ok()?;
                Some((Value::Float(f as f64), DorisType::Float))
            }
            DorisType::Double => {
                if !is_float_text(text) {
                    return None;
                }
                let f: f64 = text.parse().ok()?;
                Some((Value::Float(f), DorisType::Double))
            }
            DorisType::Decimal { precision, scale } => {
                if !is_float_text(text) {
                    return None;
                }
                let u = parse_decimal(text.as_bytes(), *precision, *scale, &v4)?;
                Some((
                    Value::Decimal {
                        unscaled: u,
                        scale: *scale,
                    },
                    target.clone(),
                ))
            }
            DorisType::Date | DorisType::DateTime { .. } => {
                let m = parse_datetime(text.as_bytes(), 6, &self.ctx.time_zone, &v4)?;
                let scale = literal_scale(text);
                let m = super::cast::round_micros(m, scale)?;
                if *target == DorisType::Date
                    && m.rem_euclid(crate::convert::datetime::MICROS_PER_DAY) == 0
                {
                    let d = m.div_euclid(crate::convert::datetime::MICROS_PER_DAY) as i32;
                    return Some((Value::Date(d), DorisType::Date));
                }
                Some((
                    Value::DateTime {
                        micros: m,
                        precision: scale,
                    },
                    DorisType::DateTime { precision: scale },
                ))
            }
            _ => None,
        }
    }

    fn comparison(&mut self, op: CmpOp, l: usize, r: usize) -> Result<usize, ExprError> {
        let (mut l, mut r) = (l, r);
        let (lt, rt) = (self.ty(l), self.ty(r));
        let same_type = match (&lt, &rt) {
            (Some(a), Some(b)) => same(a, b) && (a == b || is_str(a)),
            (None, None) => true,
            _ => false,
        };
        if !same_type {
            l = self.narrow_literal(l, &rt)?;
            r = self.narrow_literal(r, &lt)?;
        }
        let common = cmp_common(&self.ty(l), &self.ty(r), false)?;
        if let Some(t) = &common
            && is_json(t)
        {
            return Err(ExprError::Type(format!(
                "data type {t} could not used in ComparisonPredicate"
            )));
        }
        let l = self.cast_ty(l, &common)?;
        let r = self.cast_ty(r, &common)?;
        self.push(Op::Cmp(op), vec![l, r], Some(DorisType::Boolean))
    }

    fn arith(&mut self, op: ArithOp, l: usize, r: usize) -> Result<usize, ExprError> {
        let (mut l, mut r) = (l, r);
        if matches!(
            op,
            ArithOp::Add | ArithOp::Sub | ArithOp::Mul | ArithOp::Mod
        ) {
            let (lt, rt) = (self.ty(l), self.ty(r));
            l = self.narrow_literal(l, &rt)?;
            r = self.narrow_literal(r, &lt)?;
            for id in [l, r] {
                if self.is_str_literal(id) {
                    let text = self
                        .const_bytes(id)
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                        .unwrap_or_default();
                    if !is_float_text(&text) {
                        return Err(ExprError::Type(format!(
                            "string literal '{text}' cannot be cast to double"
                        )));
                    }
                }
            }
        }
        let plan = arith_plan(op, &self.ty(l), &self.ty(r))?;
        let l = self.cast(l, &plan.left)?;
        let r = self.cast(r, &plan.right)?;
        self.push(Op::Arith(op), vec![l, r], Some(plan.result))
    }

    fn in_list(&mut self, expr: &Expr, list: &[Expr], negated: bool) -> Result<usize, ExprError> {
        let x = self.build(expr)?;
        let mut items = Vec::with_capacity(list.len());
        for e in list {
            items.push(self.build(e)?);
        }
        let xt = self.ty(x);
        if let Some(t) = &xt
            && !is_str(t)
        {
            for it in items.iter_mut() {
                *it = self.narrow_literal(*it, &xt)?;
            }
        }
        let mut common: Ty = None;
        for &id in std::iter::once(&x).chain(items.iter()) {
            common = cmp_common(&common, &self.ty(id), true)?;
        }
        if let Some(t) = &common
            && is_json(t)
        {
            return Err(ExprError::Type(format!(
                "data type {t} could not used in InPredicate"
            )));
        }
        let mut args = Vec::with_capacity(items.len() + 1);
        args.push(self.cast_ty(x, &common)?);
        for it in items {
            args.push(self.cast_ty(it, &common)?);
        }
        self.push(Op::In { negated }, args, Some(DorisType::Boolean))
    }

    fn like(
        &mut self,
        expr: &Expr,
        pattern: &Expr,
        escape: Option<&Expr>,
        negated: bool,
    ) -> Result<usize, ExprError> {
        let escape = match escape {
            None => b"\\".to_vec(),
            Some(e) => {
                let id = self.build(e)?;
                match self.const_bytes(id) {
                    Some(b) if std::str::from_utf8(b).is_ok_and(|s| s.chars().count() == 1) => {
                        b.to_vec()
                    }
                    _ => {
                        return Err(ExprError::InvalidArgument {
                            function: "like".into(),
                            message: "ESCAPE must be a single character string literal".into(),
                        });
                    }
                }
            }
        };
        let s = self.build(expr)?;
        let s = self.string(s)?;
        let p = self.build(pattern)?;
        let p = self.string(p)?;
        self.push(
            Op::Like { negated, escape },
            vec![s, p],
            Some(DorisType::Boolean),
        )
    }

    fn regexp(&mut self, expr: &Expr, pattern: &Expr, negated: bool) -> Result<usize, ExprError> {
        let s = self.build(expr)?;
        let s = self.string(s)?;
        let p = self.build(pattern)?;
        let p = self.string(p)?;
        let re = match self.const_bytes(p) {
            Some(b) => {
                let text = std::str::from_utf8(b).map_err(|_| ExprError::InvalidArgument {
                    function: "regexp".into(),
                    message: "the pattern is not UTF-8".into(),
                })?;
                let re =
                    regex::bytes::Regex::new(text).map_err(|e| ExprError::InvalidArgument {
                        function: "regexp".into(),
                        message: format!("Invalid regex expression: {text}: {e}"),
                    })?;
                Some(Box::new(re))
            }
            None => None,
        };
        self.push(
            Op::Regexp { negated, re },
            vec![s, p],
            Some(DorisType::Boolean),
        )
    }

    fn common_of(&self, ids: &[usize]) -> Result<Ty, ExprError> {
        let mut common: Ty = None;
        for &id in ids {
            common = case_common(&common, &self.ty(id))?;
        }
        Ok(common)
    }

    fn substr(&mut self, f: Func, args: Vec<usize>) -> Result<usize, ExprError> {
        let mut a = Vec::with_capacity(args.len());
        a.push(self.string(args[0])?);
        for &x in &args[1..] {
            a.push(self.cast(x, &DorisType::Int)?);
        }
        self.push(Op::Func(f), a, Some(DorisType::String))
    }

    fn trim(&mut self, side: Side, x: usize, what: Option<usize>) -> Result<usize, ExprError> {
        let x = self.string(x)?;
        match what {
            Some(w) => {
                let w = self.string(w)?;
                self.push(
                    Op::Func(Func::TrimStr(side)),
                    vec![x, w],
                    Some(DorisType::String),
                )
            }
            None => self.push(Op::Func(Func::Trim(side)), vec![x], Some(DorisType::String)),
        }
    }

    fn datetime_arg(&mut self, id: usize) -> Result<usize, ExprError> {
        match self.ty(id) {
            Some(t) if is_date_like(&t) => Ok(id),
            _ => self.cast(id, &DorisType::DateTime { precision: 6 }),
        }
    }

    fn json_doc_arg(&mut self, id: usize) -> Result<usize, ExprError> {
        match self.ty(id) {
            Some(t) if is_json(&t) => Ok(id),
            _ => self.string(id),
        }
    }

    fn function(&mut self, f: &Function, whole: &Expr) -> Result<usize, ExprError> {
        let name = match f.name.0.as_slice() {
            [part] => match part.as_ident() {
                Some(id) => id.value.to_ascii_lowercase(),
                None => return Err(unsupported(whole)),
            },
            _ => return Err(unsupported(whole)),
        };
        if f.over.is_some() || AGGREGATES.contains(&name.as_str()) {
            return Err(ExprError::Aggregate);
        }
        if f.filter.is_some() || !f.within_group.is_empty() {
            return Err(unsupported(whole));
        }
        let raw: Vec<&Expr> = match &f.args {
            FunctionArguments::None => Vec::new(),
            FunctionArguments::Subquery(_) => return Err(unsupported(whole)),
            FunctionArguments::List(list) => {
                if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                    return Err(unsupported(whole));
                }
                let mut v = Vec::with_capacity(list.args.len());
                for a in &list.args {
                    match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => v.push(e),
                        _ => return Err(unsupported(whole)),
                    }
                }
                v
            }
        };
        let n = raw.len();
        let mut args = Vec::with_capacity(n);
        // NOW(p) needs its literal before building (to check it).
        for e in &raw {
            args.push(self.build(e)?);
        }
        let s = Some(DorisType::String);
        match name.as_str() {
            "concat" => {
                if n == 0 {
                    return Err(arity(&name, n, "concat(str, ...)"));
                }
                let a = args
                    .into_iter()
                    .map(|x| self.string(x))
                    .collect::<Result<Vec<_>, _>>()?;
                self.push(Op::Func(Func::Concat), a, s)
            }
            "concat_ws" => {
                if n < 2 {
                    return Err(arity(&name, n, "concat_ws(sep, str, ...)"));
                }
                let a = args
                    .into_iter()
                    .map(|x| self.string(x))
                    .collect::<Result<Vec<_>, _>>()?;
                self.push(Op::Func(Func::ConcatWs), a, s)
            }
            "substr" | "substring" => {
                if !(2..=3).contains(&n) {
                    return Err(arity(&name, n, "substr(str, pos[, len])"));
                }
                self.substr(Func::Substr, args)
            }
            "left" | "strleft" => {
                if n != 2 {
                    return Err(arity(&name, n, "left(str, len)"));
                }
                self.substr(Func::Left, args)
            }
            "right" | "strright" => {
                if n != 2 {
                    return Err(arity(&name, n, "right(str, len)"));
                }
                self.substr(Func::Right, args)
            }
            "upper" | "ucase" | "lower" | "lcase" | "reverse" => {
                if n != 1 {
                    return Err(arity(&name, n, &format!("{name}(str)")));
                }
                let f = match name.as_str() {
                    "upper" | "ucase" => Func::Upper,
                    "reverse" => Func::Reverse,
                    _ => Func::Lower,
                };
                let x = self.string(args[0])?;
                self.push(Op::Func(f), vec![x], s)
            }
            "trim" | "ltrim" | "rtrim" => {
                if !(1..=2).contains(&n) {
                    return Err(arity(&name, n, &format!("{name}(str[, rhs])")));
                }
                let side = match name.as_str() {
                    "ltrim" => Side::Left,
                    "rtrim" => Side::Right,
                    _ => Side::Both,
                };
                self.trim(side, args[0], args.get(1).copied())
            }
            "length" | "char_length" | "character_length" => {
                if n != 1 {
                    return Err(arity(&name, n, &format!("{name}(str)")));
                }
                let f = if name == "length" {
                    Func::Length
                } else {
                    Func::CharLength
                };
                let x = self.string(args[0])?;
                self.push(Op::Func(f), vec![x], Some(DorisType::Int))
            }
            "replace" => {
                if n != 3 {
                    return Err(arity(&name, n, "replace(str, old, new)"));
                }
                let a = args
                    .into_iter()
                    .map(|x| self.string(x))
                    .collect::<Result<Vec<_>, _>>()?;
                self.push(Op::Func(Func::Replace), a, s)
            }
            "if" => {
                if n != 3 {
                    return Err(arity(&name, n, "if(cond, then, else)"));
                }
                let c = self.boolean(args[0])?;
                let common = self.common_of(&args[1..])?;
                let a = self.cast_ty(args[1], &common)?;
                let b = self.cast_ty(args[2], &common)?;
                self.push(Op::If, vec![c, a, b], common)
            }
            "ifnull" | "nvl" | "coalesce" => {
                if (name != "coalesce" && n != 2) || n == 0 {
                    return Err(arity(&name, n, &format!("{name}(expr, ...)")));
                }
                let common = self.common_of(&args)?;
                let a = args
                    .into_iter()
                    .map(|x| self.cast_ty(x, &common))
                    .collect::<Result<Vec<_>, _>>()?;
                self.push(Op::Coalesce, a, common)
            }
            "nullif" => {
                if n != 2 {
                    return Err(arity(&name, n, "nullif(expr1, expr2)"));
                }
                let ty = self.ty(args[0]);
                let eq = self.comparison(CmpOp::Eq, args[0], args[1])?;
                self.push(Op::NullIf, vec![args[0], eq], ty)
            }
            "from_unixtime" => {
                if !(1..=2).contains(&n) {
                    return Err(arity(&name, n, "from_unixtime(unix_timestamp[, format])"));
                }
                self.build_from_unixtime(args)
            }
            "strftime" => {
                // Hadoop compatibility: strftime(fmt, ts) → from_unixtime(ts); the format is
                // ignored (`transformHadoopFunctionExpr`).
                if n != 2 {
                    return Err(arity(&name, n, "strftime(format, unix_timestamp)"));
                }
                self.build_from_unixtime(vec![args[1]])
            }
            "time_format" => {
                // Hadoop compatibility: date_format(str_to_date(s, in_fmt), out_fmt).
                if n != 3 {
                    return Err(arity(&name, n, "time_format(out_format, in_format, str)"));
                }
                let d = self.str_to_date(args[2], args[1])?;
                self.date_format(d, args[0])
            }
            "unix_timestamp" => self.unix_timestamp(&name, args),
            "str_to_date" => {
                if n != 2 {
                    return Err(arity(&name, n, "str_to_date(str, format)"));
                }
                self.str_to_date(args[0], args[1])
            }
            "date_format" => {
                if n != 2 {
                    return Err(arity(&name, n, "date_format(datetime, format)"));
                }
                self.date_format(args[0], args[1])
            }
            "now" | "current_timestamp" | "localtime" | "localtimestamp" => {
                if n > 1 {
                    return Err(arity(&name, n, &format!("{name}([precision])")));
                }
                let p = match args.first() {
                    None => 0,
                    Some(&a) => match &self.nodes[a].op {
                        Op::Const(Value::Int(p)) if (0..=6).contains(p) => *p as u8,
                        _ => {
                            return Err(ExprError::InvalidArgument {
                                function: name,
                                message: "Invalid precision for NOW function. Precision must be between 0 and 6.".into(),
                            });
                        }
                    },
                };
                self.push(
                    Op::Func(Func::Now),
                    Vec::new(),
                    Some(DorisType::DateTime { precision: p }),
                )
            }
            "curdate" | "current_date" => {
                if n != 0 {
                    return Err(arity(&name, n, &format!("{name}()")));
                }
                self.push(Op::Func(Func::CurDate), Vec::new(), Some(DorisType::Date))
            }
            "year" | "month" | "day" | "dayofmonth" | "hour" | "minute" | "second" | "to_date"
            | "date" => {
                if n != 1 {
                    return Err(arity(&name, n, &format!("{name}(datetime)")));
                }
                let (part, ty) = match name.as_str() {
                    "year" => (Part::Year, DorisType::SmallInt),
                    "month" => (Part::Month, DorisType::TinyInt),
                    "day" | "dayofmonth" => (Part::Day, DorisType::TinyInt),
                    "hour" => (Part::Hour, DorisType::TinyInt),
                    "minute" => (Part::Minute, DorisType::TinyInt),
                    "second" => (Part::Second, DorisType::TinyInt),
                    _ => (Part::ToDate, DorisType::Date),
                };
                let x = self.datetime_arg(args[0])?;
                self.push(Op::Func(Func::DatePart(part)), vec![x], Some(ty))
            }
            "abs" => {
                if n != 1 {
                    return Err(arity(&name, n, "abs(number)"));
                }
                let ty = match self.ty(args[0]) {
                    None | Some(DorisType::Boolean) => DorisType::SmallInt,
                    Some(t) if t.is_integer() => promotion(&t),
                    Some(t) if matches!(t, DorisType::Float | DorisType::Double) || is_dec(&t) => t,
                    Some(_) => DorisType::Double,
                };
                let x = self.cast(args[0], &ty)?;
                self.push(Op::Func(Func::Abs), vec![x], Some(ty))
            }
            "json_extract" | "jsonb_extract" => {
                if n < 2 {
                    return Err(arity(&name, n, "json_extract(json, path[, path...])"));
                }
                self.json_fn(&name, Func::JsonExtract, args, Some(DorisType::Json), true)
            }
            "json_extract_string" | "jsonb_extract_string" => {
                self.json2(&name, Func::JsonExtractString, args, s, true)
            }
            "json_extract_int" | "jsonb_extract_int" => self.json2(
                &name,
                Func::JsonExtractInt,
                args,
                Some(DorisType::Int),
                true,
            ),
            "json_extract_bigint" | "jsonb_extract_bigint" => self.json2(
                &name,
                Func::JsonExtractInt,
                args,
                Some(DorisType::BigInt),
                true,
            ),
            "json_extract_double" | "jsonb_extract_double" => self.json2(
                &name,
                Func::JsonExtractDouble,
                args,
                Some(DorisType::Double),
                true,
            ),
            "get_json_string" | "get_json_int" | "get_json_bigint" | "get_json_double" => {
                let rapid = self.ctx.rules.get_json == GetJsonFlavor::Rapidjson;
                let (f, ty) = match (name.as_str(), rapid) {
                    ("get_json_string", true) => (Func::GetJsonString, s),
                    ("get_json_string", false) => (Func::JsonExtractString, s),
                    ("get_json_int", true) => (Func::GetJsonInt, Some(DorisType::Int)),
                    ("get_json_int", false) => (Func::JsonExtractInt, Some(DorisType::Int)),
                    ("get_json_bigint", true) => (Func::GetJsonInt, Some(DorisType::BigInt)),
                    ("get_json_bigint", false) => (Func::JsonExtractInt, Some(DorisType::BigInt)),
                    (_, true) => (Func::GetJsonDouble, Some(DorisType::Double)),
                    (_, false) => (Func::JsonExtractDouble, Some(DorisType::Double)),
                };
                self.json2(&name, f, args, ty, !rapid)
            }
            "json_unquote" => {
                if n != 1 {
                    return Err(arity(&name, n, "json_unquote(str)"));
                }
                let x = self.string(args[0])?;
                self.push(Op::Func(Func::JsonUnquote), vec![x], s)
            }
            "replace_value" | "default_value" | "alignment_timestamp" => {
                Err(ExprError::Unsupported(format!(
                    "{name}(): the Hadoop-compatible mapping functions are not supported"
                )))
            }
            _ => Err(ExprError::UnknownFunction {
                name: f.name.to_string(),
            }),
        }
    }

    fn json2(
        &mut self,
        name: &str,
        f: Func,
        args: Vec<usize>,
        ty: Ty,
        strict_path: bool,
    ) -> Result<usize, ExprError> {
        if args.len() != 2 {
            return Err(arity(name, args.len(), &format!("{name}(json, path)")));
        }
        self.json_fn(name, f, args, ty, strict_path)
    }

    fn json_fn(
        &mut self,
        name: &str,
        f: Func,
        args: Vec<usize>,
        ty: Ty,
        strict_path: bool,
    ) -> Result<usize, ExprError> {
        let mut a = Vec::with_capacity(args.len());
        a.push(self.json_doc_arg(args[0])?);
        for &p in &args[1..] {
            let p = self.string(p)?;
            if strict_path
                && let Some(b) = self.const_bytes(p)
                && !json::valid_path(b)
            {
                return Err(ExprError::InvalidArgument {
                    function: name.to_string(),
                    message: format!(
                        "Json path error: Invalid Json Path for value: {}",
                        String::from_utf8_lossy(b)
                    ),
                });
            }
            a.push(p);
        }
        self.push(Op::Func(f), a, ty)
    }

    fn build_from_unixtime(&mut self, args: Vec<usize>) -> Result<usize, ExprError> {
        let decimal_arg = DorisType::Decimal {
            precision: 18,
            scale: 6,
        };
        let ts_ty = match self.ty(args[0]) {
            Some(t)
                if self.v4()
                    && (is_dec(&t) || matches!(t, DorisType::Float | DorisType::Double)) =>
            {
                decimal_arg
            }
            _ => DorisType::BigInt,
        };
        let mut a = vec![self.cast(args[0], &ts_ty)?];
        if let Some(&f) = args.get(1) {
            a.push(self.string(f)?);
        }
        self.push(Op::Func(Func::FromUnixtime), a, Some(DorisType::String))
    }

    fn unix_timestamp(&mut self, name: &str, args: Vec<usize>) -> Result<usize, ExprError> {
        let int_ty = if self.v4() {
            DorisType::BigInt
        } else {
            DorisType::Int
        };
        match args.len() {
            0 => self.push(Op::Func(Func::UnixTimestampNow), Vec::new(), Some(int_ty)),
            1 => {
                let x = match self.ty(args[0]) {
                    Some(t) if is_date_like(&t) => args[0],
                    _ => self.cast(args[0], &DorisType::DateTime { precision: 0 })?,
                };
                let ty = match &self.nodes[x].ty {
                    DorisType::DateTime { precision } if *precision > 0 => DorisType::Decimal {
                        precision: 12 + precision,
                        scale: *precision,
                    },
                    _ => int_ty,
                };
                self.push(Op::Func(Func::UnixTimestamp), vec![x], Some(ty))
            }
            2 => {
                let s = self.string(args[0])?;
                let f = self.string(args[1])?;
                let precision = if self.v4() { 18 } else { 16 };
                self.push(
                    Op::Func(Func::UnixTimestampFmt),
                    vec![s, f],
                    Some(DorisType::Decimal {
                        precision,
                        scale: 6,
                    }),
                )
            }
            n => Err(arity(name, n, "unix_timestamp([datetime[, format]])")),
        }
    }

    fn str_to_date(&mut self, s: usize, fmt: usize) -> Result<usize, ExprError> {
        let s = self.string(s)?;
        let fmt = self.string(fmt)?;
        let ty = str_to_date_type(self.const_bytes(fmt));
        self.push(Op::Func(Func::StrToDate), vec![s, fmt], Some(ty))
    }

    fn date_format(&mut self, d: usize, fmt: usize) -> Result<usize, ExprError> {
        let d = self.datetime_arg(d)?;
        let fmt = self.string(fmt)?;
        self.push(
            Op::Func(Func::DateFormat),
            vec![d, fmt],
            Some(DorisType::String),
        )
    }
}

/// Fraction digits written in a datetime literal (0..=6).
fn literal_scale(text: &str) -> u8 {
    let Some(colon) = text.rfind(':') else {
        return 0;
    };
    match text[colon..].find('.') {
        Some(dot) => text[colon + dot + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count()
            .min(6) as u8,
        None => 0,
    }
}

fn cast_format(f: &CastFormat) -> String {
    format!("CAST ... FORMAT {f:?}")
}

fn custom_name(n: &ObjectName) -> String {
    n.to_string().to_ascii_uppercase()
}

fn modifier_num(m: &TypeModifier) -> Option<u64> {
    match m {
        TypeModifier::Number(n, _) => n.parse().ok(),
        _ => None,
    }
}

fn decimal(p: u64, s: u64) -> Result<DorisType, ExprError> {
    if p == 0 || p > MAX_DECIMAL128_PRECISION as u64 || s > p {
        return Err(ExprError::Type(format!(
            "DECIMAL({p},{s}) is not supported in load expressions (precision 1..38, scale <= precision)"
        )));
    }
    Ok(DorisType::Decimal {
        precision: p as u8,
        scale: s as u8,
    })
}

fn datetime(p: Option<u64>) -> Result<DorisType, ExprError> {
    let p = p.unwrap_or(0);
    if p > 6 {
        return Err(ExprError::Type(format!(
            "Scale of Datetime/Time must between 0 and 6. Scale was set to: {p}"
        )));
    }
    Ok(DorisType::DateTime { precision: p as u8 })
}

/// A CAST target type as Doris spells it.
pub(crate) fn doris_type(dt: &DataType) -> Result<DorisType, ExprError> {
    let exact = |i: &ExactNumberInfo| match i {
        ExactNumberInfo::None => decimal(10, 0),
        ExactNumberInfo::Precision(p) => decimal(*p, 0),
        ExactNumberInfo::PrecisionAndScale(p, s) => decimal(*p, (*s).max(0) as u64),
    };
    Ok(match dt {
        DataType::Boolean | DataType::Bool => DorisType::Boolean,
        DataType::TinyInt(_) => DorisType::TinyInt,
        DataType::SmallInt(_) => DorisType::SmallInt,
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => DorisType::Int,
        DataType::BigInt(_) | DataType::Int8(_) | DataType::Signed | DataType::SignedInteger => {
            DorisType::BigInt
        }
        DataType::Float(_) | DataType::Float4 | DataType::Real => DorisType::Float,
        DataType::Double(_) | DataType::DoublePrecision | DataType::Float8 => DorisType::Double,
        DataType::Decimal(i) | DataType::Dec(i) | DataType::Numeric(i) => exact(i)?,
        DataType::Date => DorisType::Date,
        DataType::Datetime(p) | DataType::Timestamp(p, _) => datetime(*p)?,
        DataType::Char(_)
        | DataType::Character(_)
        | DataType::Varchar(_)
        | DataType::CharacterVarying(_)
        | DataType::CharVarying(_)
        | DataType::Nvarchar(_)
        | DataType::String(_)
        | DataType::Text
        | DataType::TinyText
        | DataType::MediumText
        | DataType::LongText => DorisType::String,
        DataType::JSON | DataType::JSONB => DorisType::Json,
        DataType::Custom(name, mods) => match custom_name(name).as_str() {
            "LARGEINT" => DorisType::LargeInt,
            "DATEV2" => DorisType::Date,
            "DATETIMEV2" => datetime(mods.first().and_then(modifier_num))?,
            "DECIMALV3" | "DECIMALV2" => match mods.as_slice() {
                [] => decimal(10, 0)?,
                [p] => decimal(modifier_num(p).unwrap_or(0), 0)?,
                [p, s] => decimal(modifier_num(p).unwrap_or(0), modifier_num(s).unwrap_or(0))?,
                _ => return Err(unsupported(dt)),
            },
            "VARIANT" => DorisType::Json,
            _ => return Err(unsupported(&format!("CAST to {dt}"))),
        },
        _ => return Err(unsupported(&format!("CAST to {dt}"))),
    })
}
