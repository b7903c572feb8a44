//! Evaluation of a compiled node tree over one row. Nodes are stored children-first, so a
//! node's arguments always sit at lower indexes than the node: a node writes its own register
//! while reading its arguments' registers through a split borrow. Slots whose value already
//! has the declared kind are read straight from the input (no copy); constants from the node.

use std::cmp::Ordering;

use super::cast::cast;
use super::types::{ArithOp, Kind, fits_decimal};
use super::value::{Out, Value, ValueRef, View};
use super::{CmpOp, EvalEnv, ExprInput, Node, Op, Temps, datetime, json, strings};
use crate::types::DorisType;
use crate::version::ExprSemantics;

/// Everything an evaluation reads or writes besides the registers.
pub(crate) struct Cx<'a> {
    pub(crate) input: &'a dyn ExprInput,
    pub(crate) env: &'a EvalEnv,
    pub(crate) tmp: &'a mut Temps,
    pub(crate) error: &'a mut Option<String>,
}

impl Cx<'_> {
    /// A runtime error: under 4.x rules Doris raises it (recorded once per evaluation);
    /// 2.1 / 3.0 return NULL silently.
    pub(crate) fn raise(&mut self, msg: impl FnOnce() -> String) {
        if self.env.rules.expr == ExprSemantics::Nereids && self.error.is_none() {
            *self.error = Some(msg());
        }
    }

    /// Whether 4.x semantics apply.
    pub(crate) fn v4(&self) -> bool {
        self.env.rules.expr == ExprSemantics::Nereids
    }
}

/// The kind a value of `v` has.
fn value_kind(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::Decimal { .. } => Kind::Dec,
        Value::Date(_) => Kind::Date,
        Value::DateTime { .. } => Kind::Dt,
        Value::Str(_) => Kind::Str,
        Value::Json(_) => Kind::Json,
    }
}

/// A slot value usable as is for a slot of type `ty`, or `None` when it needs a cast.
fn slot_direct<'a>(node: &Node, r: ValueRef<'a>) -> Option<View<'a>> {
    match r {
        ValueRef::Null => Some(View::Null),
        ValueRef::Text(b) => (node.kind == Kind::Str).then_some(View::Str(b)),
        ValueRef::Value(v) => {
            if v.is_null() {
                return Some(View::Null);
            }
            if value_kind(v) != node.kind {
                return None;
            }
            match (v, &node.ty) {
                (Value::Decimal { scale, .. }, DorisType::Decimal { scale: s, .. })
                    if scale != s =>
                {
                    None
                }
                (Value::DateTime { precision, .. }, DorisType::DateTime { precision: p })
                    if precision != p =>
                {
                    None
                }
                _ => Some(v.view()),
            }
        }
    }
}

/// The current value of node `idx` (after it was evaluated).
pub(crate) fn view<'a>(
    nodes: &'a [Node],
    idx: usize,
    regs: &'a [Value],
    input: &'a dyn ExprInput,
) -> View<'a> {
    let node = &nodes[idx];
    match &node.op {
        Op::Const(v) => v.view(),
        Op::Slot(i) => match slot_direct(node, input.slot(*i)) {
            Some(v) => v,
            None => regs[idx].view(),
        },
        _ => regs[idx].view(),
    }
}

/// The arguments of one node, viewed.
pub(crate) struct Args<'a> {
    nodes: &'a [Node],
    ids: &'a [usize],
    regs: &'a [Value],
    input: &'a dyn ExprInput,
}

impl<'a> Args<'a> {
    pub(crate) fn get(&self, i: usize) -> View<'a> {
        match self.ids.get(i) {
            Some(&id) => view(self.nodes, id, self.regs, self.input),
            None => View::Null,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(crate) fn ty(&self, i: usize) -> &'a DorisType {
        match self.ids.get(i) {
            Some(&id) => &self.nodes[id].ty,
            None => &DorisType::Boolean,
        }
    }
}

/// Evaluates node `idx` into its register.
pub(crate) fn eval(
    nodes: &[Node],
    idx: usize,
    regs: &mut [Value],
    spares: &mut [Vec<u8>],
    cx: &mut Cx<'_>,
) {
    let node = &nodes[idx];
    match &node.op {
        Op::Const(_) => {}
        Op::Slot(i) => {
            let r = cx.input.slot(*i);
            if slot_direct(node, r).is_none() {
                let (from_ty, v) = match r {
                    ValueRef::Text(b) => (DorisType::String, View::Str(b)),
                    ValueRef::Value(v) => (super::type_of_value(v), v.view()),
                    ValueRef::Null => (DorisType::String, View::Null),
                };
                let mut out = Out::new(&mut regs[idx], &mut spares[idx]);
                cast(v, &from_ty, &node.ty, &mut out, cx.env, &mut cx.tmp.json);
            }
        }
        Op::If => {
            let (c, a, b) = (node.args[0], node.args[1], node.args[2]);
            eval(nodes, c, regs, spares, cx);
            let take_a = view(nodes, c, regs, cx.input).as_bool() == Some(true);
            let chosen = if take_a { a } else { b };
            eval(nodes, chosen, regs, spares, cx);
            copy_child(nodes, idx, chosen, regs, spares, cx.input);
        }
        Op::Case { has_else } => {
            let pairs = node.args.len() / 2;
            for p in 0..pairs {
                let c = node.args[2 * p];
                eval(nodes, c, regs, spares, cx);
                if view(nodes, c, regs, cx.input).as_bool() == Some(true) {
                    let r = node.args[2 * p + 1];
                    eval(nodes, r, regs, spares, cx);
                    copy_child(nodes, idx, r, regs, spares, cx.input);
                    return;
                }
            }
            if *has_else && let Some(&e) = node.args.last() {
                eval(nodes, e, regs, spares, cx);
                copy_child(nodes, idx, e, regs, spares, cx.input);
            } else {
                Out::new(&mut regs[idx], &mut spares[idx]).null();
            }
        }
        Op::Coalesce => {
            for &a in &node.args {
                eval(nodes, a, regs, spares, cx);
                if !view(nodes, a, regs, cx.input).is_null() {
                    copy_child(nodes, idx, a, regs, spares, cx.input);
                    return;
                }
            }
            Out::new(&mut regs[idx], &mut spares[idx]).null();
        }
        _ => {
            for &a in &node.args {
                eval(nodes, a, regs, spares, cx);
            }
            compute(nodes, idx, regs, spares, cx);
        }
    }
}

fn copy_child(
    nodes: &[Node],
    idx: usize,
    child: usize,
    regs: &mut [Value],
    spares: &mut [Vec<u8>],
    input: &dyn ExprInput,
) {
    let (lower, upper) = regs.split_at_mut(idx);
    let spare = &mut spares[idx];
    let v = view(nodes, child, lower, input);
    Out::new(&mut upper[0], spare).copy(v);
}

/// Evaluates an eager node whose arguments are already evaluated.
fn compute(
    nodes: &[Node],
    idx: usize,
    regs: &mut [Value],
    spares: &mut [Vec<u8>],
    cx: &mut Cx<'_>,
) {
    let node = &nodes[idx];
    let (lower, upper) = regs.split_at_mut(idx);
    let mut out = Out::new(&mut upper[0], &mut spares[idx]);
    let args = Args {
        nodes,
        ids: &node.args,
        regs: lower,
        input: cx.input,
    };
    match &node.op {
        Op::Const(_) | Op::Slot(_) | Op::If | Op::Case { .. } | Op::Coalesce => {}
        Op::Cast => {
            let from = args.ty(0);
            cast(
                args.get(0),
                from,
                &node.ty,
                &mut out,
                cx.env,
                &mut cx.tmp.json,
            );
        }
        Op::Arith(op) => arith(*op, &node.ty, args.get(0), args.get(1), &mut out, cx),
        Op::Cmp(op) => {
            let (a, b) = (args.get(0), args.get(1));
            let r = match op {
                CmpOp::NullSafeEq => match (a.is_null(), b.is_null()) {
                    (true, true) => Some(true),
                    (true, false) | (false, true) => Some(false),
                    _ => compare(a, b).map(|o| o == Ordering::Equal),
                },
                _ => compare(a, b).map(|o| match op {
                    CmpOp::Eq => o == Ordering::Equal,
                    CmpOp::Ne => o != Ordering::Equal,
                    CmpOp::Lt => o == Ordering::Less,
                    CmpOp::Le => o != Ordering::Greater,
                    CmpOp::Gt => o == Ordering::Greater,
                    CmpOp::Ge => o != Ordering::Less,
                    CmpOp::NullSafeEq => o == Ordering::Equal,
                }),
            };
            set_bool(&mut out, r);
        }
        Op::And => {
            let (a, b) = (args.get(0).as_bool(), args.get(1).as_bool());
            let r = match (a, b) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
            set_bool(&mut out, r);
        }
        Op::Or => {
            let (a, b) = (args.get(0).as_bool(), args.get(1).as_bool());
            let r = match (a, b) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            };
            set_bool(&mut out, r);
        }
        Op::Xor => {
            let r = match (args.get(0).as_bool(), args.get(1).as_bool()) {
                (Some(a), Some(b)) => Some(a != b),
                _ => None,
            };
            set_bool(&mut out, r);
        }
        Op::Not => set_bool(&mut out, args.get(0).as_bool().map(|b| !b)),
        Op::IsNull { negated } => {
            let r = args.get(0).is_null() != *negated;
            out.set(Value::Bool(r));
        }
        Op::IsBool { want, negated } => {
            let r = (args.get(0).as_bool() == Some(*want)) != *negated;
            out.set(Value::Bool(r));
        }
        Op::In { negated } => {
            let a = args.get(0);
            if a.is_null() {
                out.null();
                return;
            }
            let mut saw_null = false;
            let mut found = false;
            for i in 1..args.len() {
                let b = args.get(i);
                if b.is_null() {
                    saw_null = true;
                } else if compare(a, b) == Some(Ordering::Equal) {
                    found = true;
                    break;
                }
            }
            let r = if found {
                Some(true)
            } else if saw_null {
                None
            } else {
                Some(false)
            };
            set_bool(&mut out, r.map(|b| b != *negated));
        }
        Op::Like { negated, escape } => {
            let (s, p) = (args.get(0), args.get(1));
            match (s.as_bytes(), p.as_bytes()) {
                (Some(s), Some(p)) => {
                    let m = strings::like(s, p, escape);
                    out.set(Value::Bool(m != *negated));
                }
                _ => out.null(),
            }
        }
        Op::Regexp { negated, re } => {
            let (s, p) = (args.get(0), args.get(1));
            match (s.as_bytes(), p.as_bytes()) {
                (Some(s), Some(p)) => {
                    let m = match re {
                        Some(re) => Some(re.is_match(s)),
                        None => strings::regexp_dynamic(s, p, cx),
                    };
                    set_bool(&mut out, m.map(|m| m != *negated));
                }
                _ => out.null(),
            }
        }
        Op::NullIf => {
            // args: [a, a = b]
            if args.get(1).as_bool() == Some(true) {
                out.null();
            } else {
                out.copy(args.get(0));
            }
        }
        Op::Func(f) => {
            use super::Func as F;
            match f {
                F::FromUnixtime
                | F::UnixTimestampNow
                | F::UnixTimestamp
                | F::UnixTimestampFmt
                | F::StrToDate
                | F::DateFormat
                | F::Now
                | F::CurDate
                | F::DatePart(_) => datetime::call(*f, node, &args, &mut out, cx),
                F::JsonExtract
                | F::JsonExtractString
                | F::JsonExtractInt
                | F::JsonExtractDouble
                | F::GetJsonString
                | F::GetJsonInt
                | F::GetJsonDouble
                | F::JsonUnquote => json::call(*f, node, &args, &mut out, cx),
                F::Abs => abs(&node.ty, args.get(0), &mut out),
                _ => strings::call(*f, node, &args, &mut out, cx),
            }
        }
    }
}

fn set_bool(out: &mut Out<'_>, r: Option<bool>) {
    match r {
        Some(b) => out.set(Value::Bool(b)),
        None => out.null(),
    }
}

fn abs(ty: &DorisType, v: View<'_>, out: &mut Out<'_>) {
    match v {
        View::Int(i) => match i.checked_abs() {
            Some(a) if ty.integer_range().is_none_or(|(_, hi)| a <= hi) => out.set(Value::Int(a)),
            _ => out.null(),
        },
        View::Float(f) => out.set(Value::Float(f.abs())),
        View::Dec(u, s) => out.set(Value::Decimal {
            unscaled: u.abs(),
            scale: s,
        }),
        _ => out.null(),
    }
}

/// Orders two non-NULL values of the same kind (NaN equals NaN and sorts above numbers).
pub(crate) fn compare(a: View<'_>, b: View<'_>) -> Option<Ordering> {
    Some(match (a, b) {
        (View::Bool(x), View::Bool(y)) => x.cmp(&y),
        (View::Int(x), View::Int(y)) => x.cmp(&y),
        (View::Float(x), View::Float(y)) => match (x.is_nan(), y.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        },
        (View::Dec(x, sx), View::Dec(y, sy)) => {
            if sx == sy {
                x.cmp(&y)
            } else {
                let s = sx.max(sy);
                let xx = super::cast::rescale(x, sx, s)?;
                let yy = super::cast::rescale(y, sy, s)?;
                xx.cmp(&yy)
            }
        }
        (View::Date(x), View::Date(y)) => x.cmp(&y),
        (View::Dt(x, _), View::Dt(y, _)) => x.cmp(&y),
        (View::Str(x) | View::Json(x), View::Str(y) | View::Json(y)) => x.cmp(y),
        _ => return None,
    })
}

/// Wraps an integer into the width of `ty` (two's complement), as C++ integer arithmetic
/// does when it overflows.
fn wrap_int(v: i128, ty: &DorisType) -> i128 {
    match ty {
        DorisType::TinyInt => v as i8 as i128,
        DorisType::SmallInt => v as i16 as i128,
        DorisType::Int => v as i32 as i128,
        DorisType::BigInt => v as i64 as i128,
        _ => v,
    }
}

fn arith(
    op: ArithOp,
    ty: &DorisType,
    a: View<'_>,
    b: View<'_>,
    out: &mut Out<'_>,
    cx: &mut Cx<'_>,
) {
    match (a, b) {
        (View::Int(x), View::Int(y)) => {
            let r = match op {
                ArithOp::Add => Some(x.wrapping_add(y)),
                ArithOp::Sub => Some(x.wrapping_sub(y)),
                ArithOp::Mul => Some(x.wrapping_mul(y)),
                ArithOp::IntDiv => (y != 0).then(|| x.wrapping_div(y)),
                ArithOp::Mod => (y != 0).then(|| x.wrapping_rem(y)),
                ArithOp::Div => None,
            };
            match r {
                Some(r) => out.set(Value::Int(wrap_int(r, ty))),
                None => out.null(),
            }
        }
        (View::Float(x), View::Float(y)) => {
            let r = match op {
                ArithOp::Add => Some(x + y),
                ArithOp::Sub => Some(x - y),
                ArithOp::Mul => Some(x * y),
                ArithOp::Div => (y != 0.0).then(|| x / y),
                ArithOp::Mod => (y != 0.0).then(|| x % y),
                ArithOp::IntDiv => (y != 0.0).then(|| (x / y).trunc()),
            };
            match r {
                Some(r) if *ty == DorisType::Float => out.set(Value::Float(r as f32 as f64)),
                Some(r) => out.set(Value::Float(r)),
                None => out.null(),
            }
        }
        (View::Dec(x, sx), View::Dec(y, sy)) => {
            let (p, s) = match ty {
                DorisType::Decimal { precision, scale } => (*precision, *scale),
                _ => (38, sx),
            };
            let r = match op {
                ArithOp::Add => x.checked_add(y).map(Some),
                ArithOp::Sub => x.checked_sub(y).map(Some),
                ArithOp::Mod => Some((y != 0).then(|| x % y)),
                ArithOp::Mul => x
                    .checked_mul(y)
                    .and_then(|m| super::cast::rescale(m, sx + sy, s))
                    .map(Some),
                ArithOp::Div => {
                    if y == 0 {
                        Some(None)
                    } else {
                        // x has scale s + sy: the quotient has scale s (truncated).
                        Some(Some(x / y))
                    }
                }
                ArithOp::IntDiv => Some((y != 0).then(|| x / y)),
            };
            match r {
                Some(Some(r)) if fits_decimal(r, p) => out.set(Value::Decimal {
                    unscaled: r,
                    scale: s,
                }),
                Some(None) => out.null(),
                _ => {
                    out.null();
                    cx.raise(|| {
                        format!(
                            "Arithmetic overflow in DECIMAL {}, result type DECIMAL({p}, {s})",
                            op.symbol()
                        )
                    });
                }
            }
        }
        _ => out.null(),
    }
}
