//! Load expressions (COLUMNS mappings, WHERE, PRECEDING FILTER, DELETE ON): typing, three-valued
//! logic, CAST, every supported function, compile errors, runtime errors, and a check that a
//! warm evaluation does not allocate. Each test names the Doris rule or document it encodes
//! (notes: docs/doris/csv-and-expressions.md PART B, docs/doris/conversion.md §5).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use routinely_schemas::expr::{
    CompileContext, CompiledExpr, EvalEnv, EvalScratch, ExprError, Value, ValueRef, cast_value,
    cast_value_from, compile,
};
use routinely_schemas::{DorisType, DorisVersion, TimeZone, VersionRules};
use sqlparser::ast::Expr;
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

// ---------------------------------------------------------------------------------------------
// A per-thread counting allocator (tests run on several threads).

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCS.with(|c| c.get())
}

// ---------------------------------------------------------------------------------------------
// Harness.

/// 2024-04-02 09:00:00.123456 UTC.
const NOW: i64 = 1_712_048_400_123_456;

fn parse(sql: &str) -> Expr {
    Parser::new(&MySqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .unwrap_or_else(|e| panic!("parse {sql}: {e}"))
}

#[derive(Clone)]
struct Case {
    cols: Vec<(String, DorisType)>,
    rules: VersionRules,
    tz: TimeZone,
}

impl Case {
    fn new() -> Self {
        Case {
            cols: Vec::new(),
            rules: DorisVersion::V4_0.rules(),
            tz: TimeZone::UTC,
        }
    }
    fn col(mut self, name: &str, ty: DorisType) -> Self {
        self.cols.push((name.to_string(), ty));
        self
    }
    fn v21(mut self) -> Self {
        self.rules = DorisVersion::V2_1.rules();
        self
    }
    fn tz(mut self, name: &str) -> Self {
        self.tz = TimeZone::parse_property(name).unwrap().0;
        self
    }
    fn ctx(&self) -> CompileContext {
        CompileContext {
            time_zone: self.tz,
            rules: self.rules,
        }
    }
    fn env(&self) -> EvalEnv {
        EvalEnv::new(&self.ctx(), NOW)
    }
    fn compile(&self, sql: &str) -> Result<CompiledExpr, ExprError> {
        let cols = self.cols.clone();
        let scope = move |name: &str| {
            cols.iter()
                .position(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|i| (i, cols[i].1.clone()))
        };
        compile(&parse(sql), &scope, &self.ctx())
    }
    /// Evaluates over one row; returns the value, its type and the runtime error.
    fn run(&self, sql: &str, row: &[ValueRef<'_>]) -> (Value, DorisType, Option<String>) {
        let c = self
            .compile(sql)
            .unwrap_or_else(|e| panic!("compile {sql}: {e}"));
        let mut scratch = c.new_scratch();
        let mut out = Value::Null;
        c.eval_into(&row, &mut scratch, &self.env(), &mut out);
        (out, c.result_type().clone(), scratch.error())
    }
    /// The result as the MySQL client shows it (`NULL` for NULL).
    fn show(&self, sql: &str, row: &[ValueRef<'_>]) -> String {
        self.run(sql, row).0.to_string()
    }
    fn err(&self, sql: &str) -> String {
        match self.compile(sql) {
            Ok(_) => panic!("{sql} compiled"),
            Err(e) => e.to_string(),
        }
    }
}

fn show(sql: &str) -> String {
    Case::new().show(sql, &[])
}

fn ty(sql: &str) -> DorisType {
    Case::new().run(sql, &[]).1
}

fn t(s: &str) -> ValueRef<'_> {
    ValueRef::Text(s.as_bytes())
}

fn varchar(name: &str) -> Case {
    Case::new().col(name, DorisType::Varchar { len: 64 })
}

fn dec(p: u8, s: u8) -> DorisType {
    DorisType::Decimal {
        precision: p,
        scale: s,
    }
}

// ---------------------------------------------------------------------------------------------
// Literals and arithmetic typing.

// Nereids LogicalPlanBuilder: integer literals take the smallest integer type.
#[test]
fn integer_literal_types() {
    assert_eq!(ty("1"), DorisType::TinyInt);
    assert_eq!(ty("300"), DorisType::SmallInt);
    assert_eq!(ty("70000"), DorisType::Int);
    assert_eq!(ty("3000000000"), DorisType::BigInt);
    assert_eq!(ty("-128"), DorisType::TinyInt);
}

// Nereids: `1.5` is a DECIMALV3 literal with its own digits; `1e3` is a DOUBLE.
#[test]
fn decimal_and_double_literals() {
    assert_eq!(ty("1.5"), dec(2, 1));
    assert_eq!(ty("0.05"), dec(2, 2));
    assert_eq!(ty("1e3"), DorisType::Double);
    assert_eq!(show("1e3"), "1000");
    assert_eq!(show("1.50"), "1.50");
}

// Arithmetic-operators doc (4.x): integer / integer is DOUBLE.
#[test]
fn int_division_is_double() {
    assert_eq!(show("5 / 3"), "1.666666666666667");
    assert_eq!(Case::new().run("5 / 3", &[]).0, Value::Float(5.0 / 3.0));
    assert_eq!(ty("5 / 3"), DorisType::Double);
}

// processIntegralDivide: DIV of integers keeps the wider integer type; DIV 0 → NULL.
#[test]
fn integral_divide() {
    assert_eq!(show("5 DIV 3"), "1");
    assert_eq!(ty("5 DIV 3"), DorisType::TinyInt);
    let c = Case::new().col("x", DorisType::Int);
    assert_eq!(c.show("x DIV 0", &[t("7")]), "NULL");
    assert_eq!(ty("5.5 DIV 2"), DorisType::BigInt);
    assert_eq!(show("-7 DIV 2"), "-3");
}

// Arithmetic-operators doc: `5 % 3` = 2, `9 % 0` → NULL, division by zero → NULL.
#[test]
fn modulo_and_division_by_zero() {
    assert_eq!(show("5 % 3"), "2");
    assert_eq!(show("9 % 0"), "NULL");
    assert_eq!(show("5 / 0"), "NULL");
    assert_eq!(show("-7 % 3"), "-1");
    assert_eq!(show("5.5 % 2"), "1.5");
}

// processBinaryArithmetic: INT + INT is promoted to BIGINT (TINYINT → SMALLINT, ...).
#[test]
fn integer_promotion() {
    let c = Case::new().col("k1", DorisType::Int);
    let (v, ty, _) = c.run("k1 + 1", &[ValueRef::Value(&Value::Int(2147483647))]);
    assert_eq!(ty, DorisType::BigInt);
    assert_eq!(v, Value::Int(2147483648));
    assert_eq!(self::ty("1 + 1"), DorisType::SmallInt);
    assert_eq!(self::ty("1 * 1"), DorisType::SmallInt);
}

// B.1: `COLUMNS(tmp, k3 = tmp + 1)` — tmp is VARCHAR, so `tmp + 1` is DOUBLE: '5' → 6.0.
#[test]
fn varchar_slot_plus_int_is_double() {
    let c = varchar("tmp");
    let (v, ty, _) = c.run("tmp + 1", &[t("5")]);
    assert_eq!(ty, DorisType::Double);
    assert_eq!(v, Value::Float(6.0));
    assert_eq!(c.show("tmp + 1", &[t("abc")]), "NULL");
    assert_eq!(c.show("tmp * 2", &[t(" 6 ")]), "12");
}

// processCharacterLiteralInBinaryOperator: a string literal next to a number becomes that
// number's type (`'5' + 1` is SMALLINT arithmetic, not DOUBLE).
#[test]
fn string_literal_narrowed_in_arithmetic() {
    assert_eq!(ty("'5' + 1"), DorisType::SmallInt);
    assert_eq!(show("'5' + 1"), "6");
    assert_eq!(ty("'1.5' + 1"), DorisType::Double);
}

// processBinaryArithmetic: a string literal that is not a number fails planning.
#[test]
fn non_numeric_string_literal_in_arithmetic_is_an_error() {
    assert_eq!(
        Case::new().err("'x' + 1"),
        "string literal 'x' cannot be cast to double"
    );
}

// Add.getDataTypeForDecimalV3: max scale, wider integer part plus one digit; exact values.
#[test]
fn decimal_addition_is_exact() {
    assert_eq!(show("0.1 + 0.2"), "0.3");
    assert_eq!(ty("0.1 + 0.2"), dec(2, 1));
    assert_eq!(show("1.5 + 1"), "2.5");
    assert_eq!(ty("1.5 + 1"), dec(5, 1));
    assert_eq!(show("1.25 - 2.5"), "-1.25");
}

// Multiply.getDataTypeForDecimalV3: precision p1 + p2, scale s1 + s2.
#[test]
fn decimal_multiplication_scale() {
    assert_eq!(show("1.25 * 2.5"), "3.125");
    assert_eq!(ty("1.25 * 2.5"), dec(5, 3));
}

// Divide.getDataTypeForDecimalV3: the result scale is s1 + div_precision_increment (4).
#[test]
fn decimal_division_scale() {
    assert_eq!(show("1.5 / 2"), "0.75000");
    assert_eq!(ty("1.5 / 2"), dec(6, 5));
    assert_eq!(show("1.0 / 0"), "NULL");
}

// processBinaryArithmetic: FLOAT / DOUBLE with DECIMAL → DOUBLE.
#[test]
fn float_with_decimal_is_double() {
    assert_eq!(ty("1.5 + 1e0"), DorisType::Double);
    assert_eq!(show("1.5 + 1e0"), "2.5");
}

// Unary minus: `-5` is a TINYINT literal; `-x` is `0 - x` (INT → BIGINT).
#[test]
fn unary_minus() {
    assert_eq!(show("-5"), "-5");
    let c = Case::new().col("k", DorisType::Int);
    let (v, ty, _) = c.run("-k", &[t("7")]);
    assert_eq!((v, ty), (Value::Int(-7), DorisType::BigInt));
    assert_eq!(varchar("s").show("-s", &[t("2.5")]), "-2.5");
}

// B.5 (4.x): a table column used in another mapping is already CAST to its type:
// raw "7.9" → CAST AS INT = 7 → k1 * 2 = 14.
#[test]
fn typed_slot_from_text_is_cast_non_strict() {
    let c = Case::new().col("k1", DorisType::Int);
    assert_eq!(c.show("k1 * 2", &[t("7.9")]), "14");
    assert_eq!(c.show("k1 * 2", &[t("abc")]), "NULL");
    // 2.1: the same mapping sees raw VARCHAR (the caller declares it so) → DOUBLE 15.8.
    assert_eq!(varchar("k1").v21().show("k1 * 2", &[t("7.9")]), "15.8");
}

// ---------------------------------------------------------------------------------------------
// Comparisons.

// B.2 comparison typing: numeric vs string → DOUBLE, so VARCHAR '10' > 9 is TRUE.
#[test]
fn varchar_vs_number_compares_as_double() {
    let c = varchar("s");
    assert_eq!(c.show("s > 9", &[t("10")]), "1");
    assert_eq!(c.show("s > 9", &[t("9.5")]), "1");
    assert_eq!(c.show("s = 1", &[t("1.0")]), "1");
    // `'abc' > 9` → CAST('abc' AS DOUBLE) is NULL → NULL.
    assert_eq!(c.show("s > 9", &[t("abc")]), "NULL");
}

// B.2: varchar vs varchar is a bytewise string comparison.
#[test]
fn string_comparison_is_bytewise() {
    let c = varchar("s");
    assert_eq!(c.show("s > '9'", &[t("10")]), "0");
    assert_eq!(c.show("s < 'b'", &[t("B")]), "1");
}

// characterLiteralTypeCoercion: INT column vs '9' compares as integers.
#[test]
fn string_literal_narrowed_to_int_column() {
    let c = Case::new().col("k", DorisType::Int);
    assert_eq!(c.show("k > '9'", &[t("10")]), "1");
    assert_eq!(c.show("k = '010'", &[t("10")]), "1");
}

// B.2: date vs string → DATETIME; a date literal next to a DATE column is a DATE.
#[test]
fn date_comparisons() {
    let c = Case::new()
        .col("d", DorisType::Date)
        .col("s", DorisType::String);
    let row = [t("2024-01-01"), t("2024-01-01 00:00:00")];
    assert_eq!(c.show("d = '2024-01-01'", &row), "1");
    assert_eq!(c.show("d >= '2023-12-31 23:59:59'", &row), "1");
    assert_eq!(c.show("d = s", &row), "1");
    let dt = Case::new().col("t", DorisType::DateTime { precision: 0 });
    assert_eq!(
        dt.show("t > '2024-04-02 16:59:59'", &[t("2024-04-02 17:00:00")]),
        "1"
    );
}

// Null-safe equal `<=>`: NULL <=> NULL is TRUE, never NULL.
#[test]
fn null_safe_equal() {
    assert_eq!(show("NULL <=> NULL"), "1");
    assert_eq!(show("1 <=> NULL"), "0");
    assert_eq!(show("1 <=> 1"), "1");
    assert_eq!(show("1 = NULL"), "NULL");
    assert_eq!(show("1 IS NOT DISTINCT FROM NULL"), "0");
}

// `!=` and `<>` are the same operator.
#[test]
fn not_equal_spellings() {
    assert_eq!(show("1 != 2"), "1");
    assert_eq!(show("1 <> 1"), "0");
}

// B.2 IN: int vs string → STRING, so VARCHAR '01' IN (1) is FALSE and '1' IN (1) TRUE.
#[test]
fn in_int_vs_string_compares_as_string() {
    let c = varchar("tmp");
    assert_eq!(c.show("tmp IN (1, 2)", &[t("01")]), "0");
    assert_eq!(c.show("tmp IN (1, 2)", &[t("1")]), "1");
}

// processInPredicate: string literal options take an INT column's type.
#[test]
fn in_string_literals_vs_int_column() {
    let c = Case::new().col("k", DorisType::Int);
    assert_eq!(c.show("k IN ('1', '2')", &[t("2")]), "1");
    assert_eq!(c.show("k NOT IN ('1', '2')", &[t("3")]), "1");
}

// IN with NULL: no match and a NULL option → NULL; NOT IN with NULL is never TRUE.
#[test]
fn in_with_nulls() {
    assert_eq!(show("3 IN (1, NULL)"), "NULL");
    assert_eq!(show("1 IN (1, NULL)"), "1");
    assert_eq!(show("3 NOT IN (1, NULL)"), "NULL");
    assert_eq!(show("NULL IN (1, 2)"), "NULL");
}

// BETWEEN is `>= AND <=` with the comparison rules (DOUBLE for a VARCHAR slot).
#[test]
fn between() {
    let c = varchar("s");
    assert_eq!(c.show("s BETWEEN 1 AND 10", &[t("5")]), "1");
    assert_eq!(c.show("s BETWEEN 1 AND 10", &[t("10.5")]), "0");
    assert_eq!(c.show("s NOT BETWEEN 1 AND 10", &[t("11")]), "1");
    assert_eq!(c.show("s BETWEEN 1 AND 10", &[ValueRef::Null]), "NULL");
}

// ---------------------------------------------------------------------------------------------
// Three-valued logic.

// Standard SQL: NULL AND FALSE = FALSE, NULL AND TRUE = NULL.
#[test]
fn and_truth_table() {
    assert_eq!(show("NULL AND FALSE"), "0");
    assert_eq!(show("NULL AND TRUE"), "NULL");
    assert_eq!(show("TRUE AND TRUE"), "1");
}

// Standard SQL: NULL OR TRUE = TRUE, NULL OR FALSE = NULL; NOT NULL = NULL.
#[test]
fn or_not_truth_table() {
    assert_eq!(show("NULL OR TRUE"), "1");
    assert_eq!(show("NULL OR FALSE"), "NULL");
    assert_eq!(show("NOT NULL"), "NULL");
    assert_eq!(show("NOT FALSE"), "1");
    assert_eq!(show("TRUE XOR FALSE"), "1");
}

// Doris's default sql_mode has no PIPES_AS_CONCAT: `||` is OR, `&&` is AND.
#[test]
fn pipes_are_or() {
    assert_eq!(show("FALSE || TRUE"), "1");
    assert_eq!(show("TRUE && FALSE"), "0");
}

// IS [NOT] NULL and IS [NOT] TRUE / FALSE never return NULL.
#[test]
fn is_predicates() {
    let c = varchar("s");
    assert_eq!(c.show("s IS NULL", &[ValueRef::Null]), "1");
    assert_eq!(c.show("s IS NOT NULL", &[t("")]), "1");
    assert_eq!(show("NULL IS TRUE"), "0");
    assert_eq!(show("NULL IS NOT TRUE"), "1");
    assert_eq!(show("(1 > 2) IS FALSE"), "1");
}

// A predicate on a NULL value is NULL (WHERE then drops the row as unselected).
#[test]
fn predicate_on_null_is_null() {
    let c = Case::new().col("v2", DorisType::Int);
    assert_eq!(c.show("v2 > 10", &[ValueRef::Null]), "NULL");
    assert_eq!(c.run("v2 > 10", &[ValueRef::Null]).1, DorisType::Boolean);
}

// ---------------------------------------------------------------------------------------------
// LIKE and REGEXP.

// pattern-matching-operators doc: `%` any sequence, `_` one character, case-sensitive.
#[test]
fn like_wildcards() {
    let c = varchar("s");
    assert_eq!(c.show("s LIKE 'ab%'", &[t("abc")]), "1");
    assert_eq!(c.show("s LIKE 'a_c'", &[t("abc")]), "1");
    assert_eq!(c.show("s LIKE 'A%'", &[t("abc")]), "0");
    assert_eq!(c.show("s NOT LIKE '%z%'", &[t("abc")]), "1");
    assert_eq!(c.show("s LIKE '%'", &[ValueRef::Null]), "NULL");
}

// Doc: `'%a' LIKE '\%_'` → 1 (default escape `\`); `'%a' LIKE 'a%_' ESCAPE 'a'` → 1.
#[test]
fn like_escapes() {
    assert_eq!(show(r"'%a' LIKE '\%_'"), "1");
    assert_eq!(show("'%a' LIKE 'a%_' ESCAPE 'a'"), "1");
    assert_eq!(show(r"'xa' LIKE '\%_'"), "0");
}

// LIKE compiles to a UTF-8 regex in Doris: `_` is one character, not one byte.
#[test]
fn like_underscore_is_one_character() {
    assert_eq!(show("'中文字' LIKE '中_字'"), "1");
    assert_eq!(show("'中文字' LIKE '中__字'"), "0");
}

// REGEXP / RLIKE: RE2 partial match.
#[test]
fn regexp() {
    let c = varchar("s");
    assert_eq!(c.show("s REGEXP '^a.c$'", &[t("abc")]), "1");
    assert_eq!(c.show("s NOT REGEXP 'b'", &[t("abc")]), "0");
    assert_eq!(c.show("s RLIKE '[0-9]+'", &[t("x42")]), "1");
    assert!(Case::new().compile("'a' REGEXP '('").is_err());
}

// ---------------------------------------------------------------------------------------------
// CASE, IF and the NULL functions.

// B.3.8: the first TRUE condition wins; NULL conditions count as not true; no ELSE → NULL.
#[test]
fn searched_case() {
    let c = Case::new().col("k", DorisType::Int);
    let sql = "CASE WHEN k > 10 THEN 'big' WHEN k > 5 THEN 'mid' ELSE 'small' END";
    assert_eq!(c.show(sql, &[t("7")]), "mid");
    assert_eq!(c.show(sql, &[ValueRef::Null]), "small");
    assert_eq!(c.show("CASE WHEN k > 10 THEN 1 END", &[t("1")]), "NULL");
}

// B.3.8: `CASE x WHEN v ...` compares with `=`; NULL never matches.
#[test]
fn simple_case() {
    let c = varchar("s");
    let sql = "CASE s WHEN 'a' THEN 1 WHEN 'b' THEN 2 ELSE 0 END";
    assert_eq!(c.show(sql, &[t("b")]), "2");
    assert_eq!(c.show(sql, &[ValueRef::Null]), "0");
    assert_eq!(show("CASE NULL WHEN NULL THEN 1 ELSE 2 END"), "2");
}

// findCommonPrimitiveTypeForCaseWhen: any string branch makes the result a string.
#[test]
fn if_result_type() {
    let c = Case::new().col("b", DorisType::Boolean);
    let (v, ty, _) = c.run("IF(b, 1, 'x')", &[t("true")]);
    assert_eq!((v.to_string(), ty), ("1".to_string(), DorisType::String));
    assert_eq!(c.show("IF(b, 1, 2)", &[ValueRef::Null]), "2");
    // TINYINT is DECIMAL(3,0) here: wider of (3,0) and (2,1) is (4,1).
    assert_eq!(self::ty("IF(TRUE, 1, 2.5)"), dec(4, 1));
    assert_eq!(self::ty("IF(TRUE, 1, 2e0)"), DorisType::Double);
}

// IFNULL / NVL / COALESCE / NULLIF (MySQL semantics).
#[test]
fn null_functions() {
    assert_eq!(show("IFNULL(NULL, 'b')"), "b");
    assert_eq!(show("NVL('a', 'b')"), "a");
    assert_eq!(show("COALESCE(NULL, NULL, 3)"), "3");
    assert_eq!(show("COALESCE(NULL, NULL)"), "NULL");
    assert_eq!(show("NULLIF(1, 1)"), "NULL");
    assert_eq!(show("NULLIF(1, 2)"), "1");
    assert_eq!(ty("COALESCE(NULL, 1, 300)"), DorisType::SmallInt);
}

// Only the branch that is returned is evaluated (an error in the other one is not raised).
#[test]
fn if_evaluates_the_taken_branch_only() {
    let c = Case::new();
    let (v, _, err) = c.run("IF(TRUE, 'ok', from_unixtime(-1))", &[]);
    assert_eq!((v.to_string(), err), ("ok".to_string(), None));
}

// ---------------------------------------------------------------------------------------------
// CAST (non-strict load CAST, docs/doris/conversion.md §5).

// String → INT: `[ws][+-]digits[.digits][ws]`, fraction truncated, overflow → NULL.
#[test]
fn cast_string_to_int() {
    assert_eq!(show("CAST('3.7' AS INT)"), "3");
    assert_eq!(show("CAST(' 42\t' AS BIGINT)"), "42");
    assert_eq!(show("CAST('abc' AS INT)"), "NULL");
    assert_eq!(show("CAST('2147483648' AS INT)"), "NULL");
    assert_eq!(show("CAST('1e3' AS INT)"), "NULL");
    assert_eq!(
        show("CAST('170141183460469231731687303715884105727' AS LARGEINT)"),
        "170141183460469231731687303715884105727"
    );
}

// Float / decimal → int truncates toward zero; overflow → NULL.
#[test]
fn cast_number_to_int() {
    assert_eq!(show("CAST(1.9e0 AS INT)"), "1");
    assert_eq!(show("CAST(-1.9 AS INT)"), "-1");
    assert_eq!(show("CAST(300 AS TINYINT)"), "NULL");
    assert_eq!(show("CAST(TRUE AS INT)"), "1");
}

// §5.4: DECIMAL rounds half away from zero on the first dropped digit.
#[test]
fn cast_to_decimal() {
    assert_eq!(show("CAST('1.005' AS DECIMAL(5,2))"), "1.01");
    assert_eq!(show("CAST('-1.005' AS DECIMAL(5,2))"), "-1.01");
    assert_eq!(show("CAST('1000' AS DECIMAL(5,2))"), "NULL");
    assert_eq!(show("CAST(2.5e0 AS DECIMAL(5,2))"), "2.50");
    assert_eq!(show("CAST(1.255 AS DECIMALV3(10,2))"), "1.26");
    assert_eq!(ty("CAST(1 AS DECIMAL(10,2))"), dec(10, 2));
}

// §7: DECIMAL integer-part overflow saturates in 2.1 / 3.0 and is NULL in 4.x.
#[test]
fn cast_decimal_overflow_by_version() {
    assert_eq!(
        Case::new().v21().show("CAST('1000' AS DECIMAL(5,2))", &[]),
        "999.99"
    );
}

// §5.6: DATETIME(p) rounds on the next digit; a zone suffix converts into the load zone.
#[test]
fn cast_to_datetime() {
    assert_eq!(
        show("CAST('2024-04-02 17:00:00.1235' AS DATETIME(3))"),
        "2024-04-02 17:00:00.124"
    );
    let c = Case::new().tz("Asia/Shanghai");
    assert_eq!(
        c.show("CAST('2024-04-02T09:00:00Z' AS DATETIME)", &[]),
        "2024-04-02 17:00:00"
    );
    assert_eq!(show("CAST('2025-02-30' AS DATETIME)"), "NULL");
    assert_eq!(
        show("CAST('2024-04-02 17:00:00' AS DATETIMEV2(3))"),
        "2024-04-02 17:00:00.000"
    );
}

// §5.5: DATE drops the time; DATETIME → DATE truncates; 20240102 → DATE.
#[test]
fn cast_to_date() {
    assert_eq!(
        show("CAST('2024-04-02 23:59:59.9999' AS DATE)"),
        "2024-04-02"
    );
    assert_eq!(
        show("CAST(CAST('2024-04-02 23:00:00' AS DATETIME) AS DATE)"),
        "2024-04-02"
    );
    assert_eq!(show("CAST(20240102 AS DATE)"), "2024-01-02");
    assert_eq!(show("DATE '2024-01-02'"), "2024-01-02");
}

// §5.2: BOOLEAN words differ by version (4.x accepts yes/no/on/off; 2.1 does not).
#[test]
fn cast_to_boolean_by_version() {
    assert_eq!(show("CAST('yes' AS BOOLEAN)"), "1");
    assert_eq!(
        Case::new().v21().show("CAST('yes' AS BOOLEAN)", &[]),
        "NULL"
    );
    assert_eq!(show("CAST('2' AS BOOLEAN)"), "NULL");
}

// §5.3: DOUBLE overflow is ±Infinity in 4.x and NULL in 2.1 / 3.0.
#[test]
fn cast_double_overflow_by_version() {
    assert_eq!(show("CAST('1e400' AS DOUBLE)"), "Infinity");
    assert_eq!(
        Case::new().v21().show("CAST('1e400' AS DOUBLE)", &[]),
        "NULL"
    );
}

// Doris's CAST to STRING: DOUBLE %.16g, DECIMAL with its scale, BOOLEAN as 1/0.
#[test]
fn cast_to_string() {
    assert_eq!(show("CAST(1/3 AS STRING)"), "0.3333333333333333");
    assert_eq!(show("CAST(1.50 AS VARCHAR(10))"), "1.50");
    assert_eq!(show("CAST(TRUE AS CHAR(1))"), "1");
    assert_eq!(
        show("CAST(CAST('2024-01-02' AS DATE) AS STRING)"),
        "2024-01-02"
    );
    assert_eq!(ty("CAST(1 AS VARCHAR(10))"), DorisType::String);
}

// §5.8: text → JSON parses a document (compact canonical form); invalid text → NULL.
#[test]
fn cast_to_json() {
    assert_eq!(
        show(r#"CAST('{"a": 1, "b": [1, 2.50]}' AS JSON)"#),
        r#"{"a":1,"b":[1,2.5]}"#
    );
    assert_eq!(show("CAST('abc' AS JSON)"), "NULL");
    assert_eq!(show("CAST(12 AS JSONB)"), "12");
}

// CAST to a type load expressions do not handle is a compile error.
#[test]
fn cast_to_unsupported_type() {
    assert!(
        Case::new()
            .err("CAST(1 AS BIGINT UNSIGNED)")
            .contains("unsupported")
    );
    assert!(
        Case::new()
            .err("CAST(1 AS DECIMAL(50,2))")
            .contains("DECIMAL(50,2)")
    );
    assert!(Case::new().err("CAST(1 AS DATETIME(7))").contains("Scale"));
}

// ---------------------------------------------------------------------------------------------
// String functions (B.3.7).

// CONCAT: NULL if any argument is NULL; numbers are cast to strings.
#[test]
fn concat() {
    assert_eq!(show("CONCAT('a', NULL)"), "NULL");
    assert_eq!(show("CONCAT('a', '')"), "a");
    assert_eq!(show("CONCAT(1, 'x', 2.50)"), "1x2.50");
}

// concat-ws doc: NULLs are skipped, empty strings kept, all NULL → '', NULL sep → NULL.
#[test]
fn concat_ws() {
    assert_eq!(show("CONCAT_WS('or', 'd', NULL, 'is')"), "doris");
    assert_eq!(
        show("CONCAT_WS('|', 'hello', '', 'world', NULL)"),
        "hello||world"
    );
    assert_eq!(show("CONCAT_WS('|', NULL, NULL)"), "");
    assert_eq!(show("CONCAT_WS(NULL, 'a')"), "NULL");
}

// substring doc: characters, negative pos from the end, out of range → ''.
#[test]
fn substr_positions() {
    assert_eq!(show("SUBSTR('abc1', -2)"), "c1");
    assert_eq!(show("SUBSTR('中文字', 2, 1)"), "文");
    assert_eq!(show("SUBSTRING('abc', -5)"), "");
    assert_eq!(show("SUBSTRING('abc1def', 2, 2)"), "bc");
    assert_eq!(show("SUBSTR('abc', 0)"), "");
    assert_eq!(show("SUBSTR('abc', 2, -1)"), "");
    assert_eq!(show("SUBSTR('abc', 2, 100)"), "bc");
    assert_eq!(show("SUBSTR(NULL, 1)"), "NULL");
}

// SUBSTRING(x FROM p FOR l) is the same function.
#[test]
fn substring_from_for() {
    assert_eq!(show("SUBSTRING('abcdef' FROM 2 FOR 3)"), "bcd");
    assert_eq!(show("SUBSTRING('abcdef' FROM -2)"), "ef");
}

// LEFT / RIGHT count characters.
#[test]
fn left_right() {
    assert_eq!(show("LEFT('中文字', 2)"), "中文");
    assert_eq!(show("RIGHT('中文字', 2)"), "文字");
    assert_eq!(show("RIGHT('abc', 5)"), "abc");
    assert_eq!(show("LEFT('abc', 0)"), "");
}

// ucase doc (4.x): Unicode case mapping; 2.1 / 3.0 converted ASCII only.
#[test]
fn upper_lower_by_version() {
    assert_eq!(show("UPPER('ṭṛì test')"), "ṬṚÌ TEST");
    assert_eq!(show("UCASE('Бәйтерек')"), "БӘЙТЕРЕК");
    assert_eq!(show("LOWER('ÀB')"), "àb");
    assert_eq!(Case::new().v21().show("UPPER('éa')", &[]), "éA");
    assert_eq!(Case::new().v21().show("LCASE('ÉA')", &[]), "Éa");
}

// trim doc / Trim1Impl: only ' ' is removed; tabs stay.
#[test]
fn trim_spaces_only() {
    assert_eq!(show("TRIM('  ab d  ')"), "ab d");
    assert_eq!(show("TRIM('\tx ')"), "\tx");
    assert_eq!(show("LTRIM('  x ')"), "x ");
    assert_eq!(show("RTRIM('  x ')"), "  x");
}

// trim doc: TRIM(str, rhs) removes the whole string rhs repeatedly (here via the
// `TRIM(BOTH rhs FROM str)` spelling and the 2-argument LTRIM / RTRIM).
#[test]
fn trim_string() {
    assert_eq!(show("TRIM(BOTH 'ab' FROM 'ababccaab')"), "cca");
    assert_eq!(show("TRIM(BOTH 'abc' FROM 'abcabcabc')"), "");
    assert_eq!(show("TRIM(BOTH '' FROM 'abc')"), "abc");
    assert_eq!(show("LTRIM('ababc', 'ab')"), "c");
    assert_eq!(show("RTRIM('cabab', 'ab')"), "c");
    assert_eq!(show("TRIM(LEADING 'x' FROM 'xxaxx')"), "axx");
}

// LENGTH counts bytes, CHAR_LENGTH characters (MySQL semantics).
#[test]
fn lengths() {
    assert_eq!(show("LENGTH('中')"), "3");
    assert_eq!(show("CHAR_LENGTH('中')"), "1");
    assert_eq!(show("CHARACTER_LENGTH('ab中')"), "3");
    assert_eq!(ty("LENGTH('a')"), DorisType::Int);
}

// REPLACE: every occurrence, case-sensitive; empty search string → unchanged.
#[test]
fn replace() {
    assert_eq!(show("REPLACE('aXbXc', 'X', '--')"), "a--b--c");
    assert_eq!(show("REPLACE('abc', 'B', 'x')"), "abc");
    assert_eq!(show("REPLACE('abc', '', 'x')"), "abc");
}

// REVERSE keeps UTF-8 characters whole.
#[test]
fn reverse() {
    assert_eq!(show("REVERSE('ab中')"), "中ba");
}

// ---------------------------------------------------------------------------------------------
// Date and time functions (B.3.1 – B.3.5).

// from-unixtime doc: from_unixtime(0) is 1970-01-01 08:00:00 in Asia/Shanghai, 00:00 in UTC.
#[test]
fn from_unixtime_zero() {
    assert_eq!(show("FROM_UNIXTIME(0)"), "1970-01-01 00:00:00");
    let c = Case::new().tz("+08:00");
    assert_eq!(c.show("FROM_UNIXTIME(0)", &[]), "1970-01-01 08:00:00");
    assert_eq!(ty("FROM_UNIXTIME(0)"), DorisType::String);
}

// from-unixtime doc: formats use DATE_FORMAT specifiers and the Java-style fast paths.
#[test]
fn from_unixtime_formats() {
    let c = Case::new().tz("Asia/Shanghai");
    assert_eq!(
        c.show("FROM_UNIXTIME(1196440219)", &[]),
        "2007-12-01 00:30:19"
    );
    assert_eq!(
        c.show("FROM_UNIXTIME(1196440219, '%Y-%m-%d')", &[]),
        "2007-12-01"
    );
    assert_eq!(
        c.show("FROM_UNIXTIME(1196440219, 'yyyy-MM-dd')", &[]),
        "2007-12-01"
    );
    assert_eq!(
        c.show("FROM_UNIXTIME(1196440219, 'yyyyMMdd')", &[]),
        "20071201"
    );
    assert_eq!(
        c.show("FROM_UNIXTIME(1196440219, 'gdaskpdp')", &[]),
        "gdaskpdp"
    );
}

// from-unixtime doc (4.x): a fractional input prints microseconds with the default format.
#[test]
fn from_unixtime_fractional() {
    let c = Case::new().tz("Asia/Shanghai");
    assert_eq!(
        c.show("FROM_UNIXTIME(1196440219.5)", &[]),
        "2007-12-01 00:30:19.500000"
    );
    assert_eq!(
        c.show("FROM_UNIXTIME(1196440219.5, '%s.%f')", &[]),
        "19.500000"
    );
}

// B.3.2 (4.x): out of range (negative, or past 9999-12-31 in the load zone) is an error.
#[test]
fn from_unixtime_out_of_range_is_an_error_in_4x() {
    let c = Case::new().tz("Asia/Shanghai");
    let (v, _, err) = c.run("FROM_UNIXTIME(253402281999)", &[]);
    assert_eq!(v, Value::Null);
    assert_eq!(
        err.as_deref(),
        Some(
            "[INVALID_ARGUMENT]Operation from_unixtime_new of 253402281999, yyyy-MM-dd HH:mm:ss is invalid"
        )
    );
    assert!(c.run("FROM_UNIXTIME(-1)", &[]).2.is_some());
    assert_eq!(
        c.run("FROM_UNIXTIME(253402271999)", &[]).0.to_string(),
        "9999-12-31 23:59:59"
    );
}

// B.3.2 (2.1): values outside [0, 32536771199] are NULL, without an error.
#[test]
fn from_unixtime_out_of_range_is_null_in_21() {
    let c = Case::new().v21();
    let (v, _, err) = c.run("FROM_UNIXTIME(32536771200)", &[]);
    assert_eq!((v, err), (Value::Null, None));
    assert_eq!(c.run("FROM_UNIXTIME(-1)", &[]).2, None);
}

// B.3.2: a VARCHAR argument is cast to BIGINT first; 'abc' → NULL, no error.
#[test]
fn from_unixtime_of_text() {
    let c = varchar("ts");
    assert_eq!(
        c.show("FROM_UNIXTIME(ts)", &[t("86400")]),
        "1970-01-02 00:00:00"
    );
    let (v, _, err) = c.run("FROM_UNIXTIME(ts)", &[t("abc")]);
    assert_eq!((v, err), (Value::Null, None));
}

// unix-timestamp doc: the value is read in the load zone; before 1970 → 0.
#[test]
fn unix_timestamp_of_datetime_text() {
    let c = Case::new().tz("+08:00");
    assert_eq!(
        c.show("UNIX_TIMESTAMP('2007-11-30 10:30:19')", &[]),
        "1196389819"
    );
    assert_eq!(show("UNIX_TIMESTAMP('1970-01-01 00:00:00')"), "0");
    assert_eq!(show("UNIX_TIMESTAMP('1960-01-01 00:00:00')"), "0");
    assert_eq!(show("UNIX_TIMESTAMP('not a date')"), "NULL");
}

// unix-timestamp doc: DATETIME(p > 0) gives a DECIMAL with p digits (truncated).
#[test]
fn unix_timestamp_of_datetime_with_fraction() {
    let c = Case::new().tz("+08:00");
    let sql = "UNIX_TIMESTAMP(CAST('2015-11-13 10:20:19.123' AS DATETIME(3)))";
    let (v, ty, _) = c.run(sql, &[]);
    assert_eq!(v.to_string(), "1447381219.123");
    assert_eq!(ty, dec(15, 3));
}

// unix-timestamp doc: (str, fmt) → DECIMAL(18, 6); a mismatch is an error in 4.x.
#[test]
fn unix_timestamp_with_format() {
    let c = Case::new().tz("+08:00");
    let (v, ty, _) = c.run(
        "UNIX_TIMESTAMP('2007-11-30 10:30-19', '%Y-%m-%d %H:%i-%s')",
        &[],
    );
    assert_eq!(v.to_string(), "1196389819.000000");
    assert_eq!(ty, dec(18, 6));
    let (v, _, err) = c.run("UNIX_TIMESTAMP('nope', '%Y')", &[]);
    assert_eq!(v, Value::Null);
    assert_eq!(
        err.as_deref(),
        Some("[INVALID_ARGUMENT]Operation unix_timestamp of nope, %Y is invalid")
    );
    assert_eq!(
        c.clone().v21().run("UNIX_TIMESTAMP('nope', '%Y')", &[]).2,
        None
    );
}

// now.md: UNIX_TIMESTAMP() and NOW() read the task's start time, the same for every row.
#[test]
fn now_and_unix_timestamp_now() {
    let c = Case::new().tz("Asia/Shanghai");
    assert_eq!(
        c.show("UNIX_TIMESTAMP()", &[]),
        (NOW / 1_000_000).to_string()
    );
    assert_eq!(c.show("NOW()", &[]), "2024-04-02 17:00:00");
    assert_eq!(c.show("CURRENT_TIMESTAMP()", &[]), "2024-04-02 17:00:00");
    assert_eq!(c.show("NOW(3)", &[]), "2024-04-02 17:00:00.123");
    assert_eq!(c.show("CURDATE()", &[]), "2024-04-02");
    assert_eq!(c.show("CURRENT_DATE", &[]), "2024-04-02");
    assert_eq!(c.run("NOW(6)", &[]).1, DorisType::DateTime { precision: 6 });
}

// now.md: a precision outside 0..6 is an analysis error.
#[test]
fn now_precision_checked() {
    assert!(
        Case::new()
            .err("NOW(7)")
            .contains("Invalid precision for NOW function")
    );
}

// str-to-date doc: the return type follows the format's letters (FE StrToDate).
#[test]
fn str_to_date_types() {
    assert_eq!(ty("STR_TO_DATE('2025-01-23', '%Y-%m-%d')"), DorisType::Date);
    assert_eq!(
        ty("STR_TO_DATE('2025-01-23 12:34:56', '%Y-%m-%d %H:%i:%s')"),
        DorisType::DateTime { precision: 6 }
    );
    assert_eq!(ty("STR_TO_DATE('20230713', 'yyyyMMdd')"), DorisType::Date);
    assert_eq!(
        ty("STR_TO_DATE('x', '%Y-%m-%dT')"),
        DorisType::DateTime { precision: 6 }
    );
    let c = varchar("f");
    assert_eq!(
        c.run("STR_TO_DATE('2025', f)", &[t("%Y")]).1,
        DorisType::DateTime { precision: 6 }
    );
}

// str-to-date doc examples.
#[test]
fn str_to_date_examples() {
    assert_eq!(
        show("STR_TO_DATE('2025-01-23 12:34:56', '%Y-%m-%d %H:%i:%s')"),
        "2025-01-23 12:34:56.000000"
    );
    assert_eq!(
        show("CAST(STR_TO_DATE('Oct 5 2023 3:45:00 PM', '%b %d %Y %h:%i:%s %p') AS DATETIME)"),
        "2023-10-05 15:45:00"
    );
    assert_eq!(
        show("STR_TO_DATE('200442 Monday', '%X%V %W')"),
        "2004-10-18"
    );
    assert_eq!(show("STR_TO_DATE('20230713', 'yyyyMMdd')"), "2023-07-13");
}

// str-to-date doc: mismatch → NULL; trailing input ignored; leftover format → zeros.
#[test]
fn str_to_date_edges() {
    assert_eq!(show("STR_TO_DATE('2023/01/01', '%Y-%m-%d')"), "NULL");
    assert_eq!(
        show("STR_TO_DATE('2023-01-01 10:00:00 (GMT)', '%Y-%m-%d %H:%i:%s')"),
        "2023-01-01 10:00:00.000000"
    );
    assert_eq!(
        show("STR_TO_DATE('2023-01-01', '%Y-%m-%d %H:%i:%s')"),
        "2023-01-01 00:00:00.000000"
    );
    assert_eq!(show("STR_TO_DATE('2023-7-5', '%Y-%m-%d')"), "2023-07-05");
    assert_eq!(show("STR_TO_DATE('2023-02-30', '%Y-%m-%d')"), "NULL");
    assert_eq!(show("STR_TO_DATE('13:00 PM', '%h:%i %p')"), "NULL");
}

// date-format doc: `date_format('2009-10-04 22:23:00', '%W %M %Y')` → `Sunday October 2009`.
#[test]
fn date_format_doc_example() {
    assert_eq!(
        show("DATE_FORMAT('2009-10-04 22:23:00', '%W %M %Y')"),
        "Sunday October 2009"
    );
    assert_eq!(
        show("DATE_FORMAT('1900-10-04 22:23:00', 'Day: %D, Year: %y, Month: %b, DayOfYear: %j')"),
        "Day: 4th, Year: 00, Month: Oct, DayOfYear: 277"
    );
}

// date-format doc: week-years, `%%`, and unknown specifiers print the character.
#[test]
fn date_format_specifiers() {
    assert_eq!(show("DATE_FORMAT('1999-01-01', '%X-%V')"), "1998-52");
    assert_eq!(show("DATE_FORMAT('2006-06-01', '%%%d/%m')"), "%01/06");
    assert_eq!(
        show(
            "DATE_FORMAT('2009-10-04 22:23:00.012345', '%H|%k|%h|%l|%i|%s|%f|%p|%r|%T|%a|%w|%e|%c|%D')"
        ),
        "22|22|10|10|23|00|012345|PM|10:23:00 PM|22:23:00|Sun|0|4|10|4th"
    );
    assert_eq!(
        show("DATE_FORMAT('2024-01-01', '%U %u %v %x %q')"),
        "00 01 01 2024 q"
    );
    assert_eq!(show("DATE_FORMAT('2024-03-22', '%D %D')"), "22nd 22nd");
}

// time_format_type: the Java-style formats are recognised as whole strings.
#[test]
fn date_format_fast_paths() {
    let sql = "DATE_FORMAT(CAST('2024-04-02 17:05:09' AS DATETIME), '{f}')";
    let run = |f: &str| show(&sql.replace("{f}", f));
    assert_eq!(run("yyyy-MM-dd HH:mm:ss"), "2024-04-02 17:05:09");
    assert_eq!(run("yyyyMMdd"), "20240402");
    assert_eq!(run("yyyy-MM"), "2024-04");
    assert_eq!(run("yyyyMM"), "202404");
    assert_eq!(run("yyyy"), "2024");
    assert_eq!(run("yyyy/MM/dd"), "yyyy/MM/dd");
}

// B.3.5: an invalid datetime string → NULL; a format over 128 bytes → error (4.x) / NULL (2.1).
#[test]
fn date_format_failures() {
    assert_eq!(show("DATE_FORMAT('not a date', '%Y')"), "NULL");
    let long = "x".repeat(129);
    let sql = format!("DATE_FORMAT('2024-01-01', '{long}')");
    let (v, _, err) = Case::new().run(&sql, &[]);
    assert_eq!(v, Value::Null);
    assert!(
        err.unwrap()
            .contains("Operation date_format of invalid or oversized format")
    );
    assert_eq!(Case::new().v21().run(&sql, &[]).2, None);
}

// YEAR / MONTH / DAY / HOUR / MINUTE / SECOND and TO_DATE.
#[test]
fn datetime_fields() {
    let c = varchar("s");
    let row = [t("2024-04-02 17:05:09")];
    assert_eq!(c.show("YEAR(s)", &row), "2024");
    assert_eq!(c.show("MONTH(s) * 100 + DAY(s)", &row), "402");
    assert_eq!(
        c.show("CONCAT(HOUR(s), ':', MINUTE(s), ':', SECOND(s))", &row),
        "17:5:9"
    );
    assert_eq!(c.show("TO_DATE(s)", &row), "2024-04-02");
}

// Hadoop compatibility: strftime(fmt, ts) → from_unixtime(ts); time_format(out, in, s).
#[test]
fn hadoop_compat_functions() {
    assert_eq!(show("STRFTIME('%Y', 86400)"), "1970-01-02 00:00:00");
    assert_eq!(
        show("TIME_FORMAT('%Y/%m/%d', '%Y%m%d', '20240402')"),
        "2024/04/02"
    );
}

// ---------------------------------------------------------------------------------------------
// JSON functions (B.3.6).

// json-extract doc: strings keep their quotes; numbers as written; the type is JSON.
#[test]
fn json_extract_basic() {
    let doc = r#"'{"k1":"v31","k2":300}'"#;
    assert_eq!(show(&format!("JSON_EXTRACT({doc}, '$.k1')")), "\"v31\"");
    assert_eq!(show(&format!("JSON_EXTRACT({doc}, '$.k2')")), "300");
    assert_eq!(ty(&format!("JSON_EXTRACT({doc}, '$.k1')")), DorisType::Json);
}

// json-extract doc: several paths → an array of the matches; a missing path → NULL.
#[test]
fn json_extract_paths() {
    let doc = r#"'{"k1":"v31","k2":300,"k3":{"k4":"v4"},"a":[1,2,3]}'"#;
    assert_eq!(
        show(&format!("JSON_EXTRACT({doc}, '$.k1', '$.k2')")),
        r#"["v31",300]"#
    );
    assert_eq!(
        show(&format!("JSON_EXTRACT({doc}, '$.k3')")),
        r#"{"k4":"v4"}"#
    );
    assert_eq!(show(&format!("JSON_EXTRACT({doc}, '$.a[1]')")), "2");
    assert_eq!(show(&format!("JSON_EXTRACT({doc}, '$.a[*]')")), "[1,2,3]");
    assert_eq!(show(&format!("JSON_EXTRACT({doc}, '$.a[last]')")), "3");
    assert_eq!(show(&format!("JSON_EXTRACT({doc}, '$.nope')")), "NULL");
    assert_eq!(
        show(&format!("JSON_EXTRACT({doc}, '$.nope', '$.k2')")),
        "[300]"
    );
}

// json-extract doc: JSON null is a JSON value, not SQL NULL; invalid JSON text → NULL.
#[test]
fn json_extract_null_and_invalid() {
    assert_eq!(show(r#"JSON_EXTRACT('{"a":null}', '$.a')"#), "null");
    assert_eq!(show(r#"JSON_EXTRACT('{"a":null}', '$.a') IS NULL"#), "0");
    assert_eq!(show("JSON_EXTRACT('not json', '$.a')"), "NULL");
    assert_eq!(show("JSON_EXTRACT(NULL, '$.a')"), "NULL");
}

// json-extract doc (4.x): an invalid path is an error (a constant one already at compile
// time); a path read from the row raises at run time.
#[test]
fn json_extract_invalid_path() {
    let e = Case::new().err(r#"JSON_EXTRACT('{"a":1}', 'a.b')"#);
    assert!(e.contains("Invalid Json Path for value: a.b"), "{e}");
    let c = varchar("p");
    let (v, _, err) = c.run(r#"JSON_EXTRACT('{"a":1}', p)"#, &[t("$.a[")]);
    assert_eq!(v, Value::Null);
    assert!(err.unwrap().contains("Json path error"));
}

// get-json-string doc (2.1): `'$."my.key"[1]'` style quoted keys and indexes.
#[test]
fn json_quoted_key_path() {
    assert_eq!(
        show(r#"JSON_EXTRACT('{"my.key":[1,2,3]}', '$."my.key"[1]')"#),
        "2"
    );
}

// json-extract-string doc: strings unquoted, JSON null → the text "null".
#[test]
fn json_extract_string() {
    assert_eq!(show(r#"JSON_EXTRACT_STRING('{"k1":"v1"}', '$.k1')"#), "v1");
    assert_eq!(show(r#"JSON_EXTRACT_STRING('{"id":123}', '$.id')"#), "123");
    assert_eq!(
        show(r#"JSON_EXTRACT_STRING('{"a":{"b":1}}', '$.a')"#),
        r#"{"b":1}"#
    );
    assert_eq!(show(r#"JSON_EXTRACT_STRING('{"a":null}', '$.a')"#), "null");
    // `\\"` in the SQL literal is `\"` in the JSON text.
    assert_eq!(
        show(r#"JSON_EXTRACT_STRING('{"a":"x\\"y"}', '$.a')"#),
        "x\"y"
    );
}

// B.3.6 VERSION: GET_JSON_STRING maps JSON null to SQL NULL in 2.1, to "null" in 4.x.
#[test]
fn get_json_string_null_by_version() {
    let sql = r#"GET_JSON_STRING('{"a":null}', '$.a')"#;
    assert_eq!(show(sql), "null");
    assert_eq!(Case::new().v21().show(sql, &[]), "NULL");
    assert_eq!(
        Case::new()
            .v21()
            .show(r#"GET_JSON_STRING('{"k1":"v1"}', '$.k1')"#, &[]),
        "v1"
    );
}

// B.3.6 (2.1 rapidjson): `$` returns the input unchanged; `.k` on an array root collects.
#[test]
fn get_json_string_rapidjson_quirks() {
    let c = Case::new().v21();
    assert_eq!(
        c.show("GET_JSON_STRING('{ \"a\" : 1 }', '$')", &[]),
        "{ \"a\" : 1 }"
    );
    assert_eq!(
        c.show(r#"GET_JSON_STRING('[{"k":1},{"k":2}]', '$.k')"#, &[]),
        "[1,2]"
    );
    assert_eq!(
        show(r#"GET_JSON_STRING('[{"k":1},{"k":2}]', '$.k')"#),
        "NULL"
    );
    assert_eq!(c.show("GET_JSON_STRING('{\"a\":1}', 'a')", &[]), "NULL");
}

// B.3.6 (2.1): GET_JSON_INT returns only int32 integers; everything else is NULL.
#[test]
fn get_json_int_rapidjson() {
    let c = Case::new().v21();
    let j = r#"'{"k1":1, "k2":"2", "k3":1.5, "k4":3000000000, "k5":true}'"#;
    assert_eq!(c.show(&format!("GET_JSON_INT({j}, '$.k1')"), &[]), "1");
    for k in ["k2", "k3", "k4", "k5", "nope"] {
        assert_eq!(
            c.show(&format!("GET_JSON_INT({j}, '$.{k}')"), &[]),
            "NULL",
            "{k}"
        );
    }
    assert_eq!(
        c.show(&format!("GET_JSON_BIGINT({j}, '$.k4')"), &[]),
        "3000000000"
    );
}

// B.3.6 (4.x): GET_JSON_INT = JSON_EXTRACT_INT = CAST(JSON_EXTRACT(..) AS INT): a string
// ("doris") → NULL, a number converts.
#[test]
fn get_json_int_cast_semantics() {
    let j = r#"'{"k1":1, "k2":"doris", "k3":1.5, "k4":3000000000, "k5":true}'"#;
    assert_eq!(show(&format!("GET_JSON_INT({j}, '$.k1')")), "1");
    assert_eq!(show(&format!("JSON_EXTRACT_INT({j}, '$.k2')")), "NULL");
    assert_eq!(show(&format!("JSON_EXTRACT_INT({j}, '$.k3')")), "1");
    assert_eq!(show(&format!("JSON_EXTRACT_INT({j}, '$.k4')")), "NULL");
    assert_eq!(
        show(&format!("JSON_EXTRACT_BIGINT({j}, '$.k4')")),
        "3000000000"
    );
    assert_eq!(show(&format!("GET_JSON_BIGINT({j}, '$.k5')")), "1");
}

// B.3.6 SURPRISE (2.1): GET_JSON_DOUBLE of an int64 outside int32 is NULL; 4.x casts.
#[test]
fn get_json_double_by_version() {
    let j = r#"'{"a":3000000000,"b":1.5,"c":7,"d":"8"}'"#;
    let c = Case::new().v21();
    assert_eq!(c.show(&format!("GET_JSON_DOUBLE({j}, '$.a')"), &[]), "NULL");
    assert_eq!(c.show(&format!("GET_JSON_DOUBLE({j}, '$.b')"), &[]), "1.5");
    assert_eq!(c.show(&format!("GET_JSON_DOUBLE({j}, '$.c')"), &[]), "7");
    assert_eq!(c.show(&format!("GET_JSON_DOUBLE({j}, '$.d')"), &[]), "NULL");
    assert_eq!(show(&format!("GET_JSON_DOUBLE({j}, '$.a')")), "3000000000");
    assert_eq!(show(&format!("JSON_EXTRACT_DOUBLE({j}, '$.b')")), "1.5");
}

// A JSON column slot is read as is (already canonical JSON text).
#[test]
fn json_slot() {
    let c = Case::new().col("j", DorisType::Json);
    let v = Value::Json(br#"{"a":{"b":[10,20]}}"#.to_vec());
    assert_eq!(
        c.show("JSON_EXTRACT(j, '$.a.b[1]')", &[ValueRef::Value(&v)]),
        "20"
    );
    assert_eq!(
        c.show(
            "JSON_UNQUOTE(JSON_EXTRACT_STRING(j, '$.a'))",
            &[ValueRef::Value(&v)]
        ),
        r#"{"b":[10,20]}"#
    );
    assert_eq!(show(r#"JSON_UNQUOTE('"a\\tb"')"#), "a\tb");
}

// ---------------------------------------------------------------------------------------------
// Names, literals, errors.

// MySQL (Doris without ANSI_QUOTES): a "double-quoted" token is a string literal.
#[test]
fn double_quoted_text_is_a_string() {
    assert_eq!(show(r#"CONCAT("a", 'b')"#), "ab");
    let c = varchar("k1");
    assert_eq!(c.show(r#"k1 = "x""#, &[t("x")]), "1");
}

// Backquoted names are column references.
#[test]
fn backquoted_identifier() {
    let c = varchar("my col");
    assert_eq!(c.show("CONCAT(`my col`, '!')", &[t("hi")]), "hi!");
}

// Nereids: an unknown function is `Can not found function '<name>'`.
#[test]
fn unknown_function() {
    assert_eq!(
        Case::new().err("no_such_fn(1)"),
        "Can not found function 'no_such_fn'"
    );
}

// Load.initColumns: `unknown reference column, column=<target>, reference=<name>`.
#[test]
fn unknown_column() {
    let e = Case::new().compile("nope + 1").unwrap_err();
    assert_eq!(
        e.clone(),
        ExprError::UnknownColumn {
            target: None,
            name: "nope".into()
        }
    );
    assert_eq!(
        e.with_target("k3").to_string(),
        "unknown reference column, column=k3, reference=nope"
    );
}

// Load.initColumns: aggregates are refused in load expressions (also windows).
#[test]
fn aggregates_are_refused() {
    let msg = "Don't support aggregation function in load expression";
    assert_eq!(Case::new().err("SUM(1)"), msg);
    assert_eq!(Case::new().err("count(*)"), msg);
    assert_eq!(Case::new().err("row_number() OVER ()"), msg);
}

// Wrong argument counts name the function and its forms.
#[test]
fn wrong_arity() {
    let e = Case::new().err("substr('a', 1, 2, 3)");
    assert_eq!(
        e,
        "Can not found function 'substr' which has 4 arity. Candidate functions are: [substr(str, pos[, len])]"
    );
    assert!(Case::new().err("from_unixtime()").contains("from_unixtime"));
}

// Unsupported syntax fails at compile time, never at the first row.
#[test]
fn unsupported_syntax() {
    assert!(
        Case::new()
            .err("(SELECT 1)")
            .starts_with("unsupported expression in load")
    );
    assert!(
        Case::new()
            .err("1 & 2")
            .starts_with("unsupported expression in load")
    );
    assert!(
        Case::new()
            .err("x'41'")
            .starts_with("unsupported expression in load")
    );
}

// slots(): the referenced slot indexes, sorted, without duplicates.
#[test]
fn referenced_slots() {
    let c = Case::new()
        .col("a", DorisType::Int)
        .col("b", DorisType::Int)
        .col("c", DorisType::String);
    let e = c.compile("c = 'x' AND a > b OR a IS NULL").unwrap();
    assert_eq!(e.slots(), &[0, 1, 2]);
    assert!(c.compile("1 + 1").unwrap().slots().is_empty());
}

// A bare NULL has Doris's NULL type.
#[test]
fn null_type() {
    let e = Case::new().compile("NULL").unwrap();
    assert!(e.is_null_type());
    assert!(
        !Case::new()
            .compile("IFNULL(NULL, 1)")
            .unwrap()
            .is_null_type()
    );
}

// ---------------------------------------------------------------------------------------------
// The final projection (BindSink casts a mapping's value to its column's type).

// B.2 example: v2 = tmp * 2 → CAST(12.0 AS INT) = 12; 'x' → NULL.
#[test]
fn cast_value_into_column() {
    let env = Case::new().env();
    let mut out = Value::Null;
    cast_value(&Value::Float(12.0), &DorisType::Int, &env, &mut out);
    assert_eq!(out, Value::Int(12));
    cast_value(&Value::Str(b"x".to_vec()), &DorisType::Int, &env, &mut out);
    assert_eq!(out, Value::Null);
    cast_value(
        &Value::Str(br#"{"a": 1}"#.to_vec()),
        &DorisType::Json,
        &env,
        &mut out,
    );
    assert_eq!(out, Value::Json(br#"{"a":1}"#.to_vec()));
    cast_value(
        &Value::Int(7),
        &DorisType::Varchar { len: 3 },
        &env,
        &mut out,
    );
    assert_eq!(out, Value::Str(b"7".to_vec()));
    cast_value(
        &Value::Float(0.1f32 as f64),
        &DorisType::String,
        &env,
        &mut out,
    );
    assert_eq!(out.to_string(), "0.1000000014901161");
    cast_value_from(
        &Value::Float(0.1f32 as f64),
        &DorisType::Float,
        &DorisType::String,
        &env,
        &mut out,
    );
    assert_eq!(out.to_string(), "0.1");
}

// eval_cast_into casts with the expression's own type (a FLOAT result prints 7 digits).
#[test]
fn eval_cast_into_uses_result_type() {
    let c = Case::new().col("f", DorisType::Float);
    let e = c.compile("f").unwrap();
    let mut s = e.new_scratch();
    let mut out = Value::Null;
    let v = Value::Float(0.1f32 as f64);
    e.eval_cast_into(
        &[ValueRef::Value(&v)],
        &mut s,
        &c.env(),
        &DorisType::String,
        &mut out,
    );
    assert_eq!(out.to_string(), "0.1");
    let e = c.compile("f * 2").unwrap();
    e.eval_cast_into(&[t("2.5")], &mut s, &c.env(), &DorisType::Int, &mut out);
    assert_eq!(out, Value::Int(5));
}

// ---------------------------------------------------------------------------------------------
// Robustness and allocation.

// No input makes evaluation panic: every expression over odd rows.
#[test]
fn no_panics_on_odd_input() {
    let c = Case::new()
        .col("s", DorisType::String)
        .col("i", DorisType::BigInt)
        .col("d", DorisType::DateTime { precision: 6 })
        .col("j", DorisType::Json);
    let exprs = [
        "s + i",
        "i DIV 0",
        "CAST(s AS DECIMAL(38,10)) * CAST(s AS DECIMAL(38,10))",
        "SUBSTR(s, i, i)",
        "LEFT(s, i)",
        "RIGHT(s, i)",
        "FROM_UNIXTIME(i, s)",
        "DATE_FORMAT(d, s)",
        "STR_TO_DATE(s, s)",
        "UNIX_TIMESTAMP(s, s)",
        "JSON_EXTRACT(s, s)",
        "JSON_EXTRACT_STRING(j, s)",
        "GET_JSON_INT(s, s)",
        "s LIKE s",
        "s REGEXP s",
        "UPPER(s)",
        "TRIM(BOTH s FROM s)",
        "CAST(s AS DATETIME(6))",
        "CAST(i AS DATE)",
        "i * i * i * i * i * i",
        "ABS(i)",
        "REVERSE(s)",
        "CONCAT_WS(s, s, s)",
    ];
    let texts: [&[u8]; 12] = [
        b"",
        b"%",
        b"\\",
        b"$.a[",
        b"$[last-99]",
        b"\xff\xfe\xc3",
        b"-9223372036854775808",
        b"99999999999999999999999999999999999999999",
        b"%Y%m%d%H%i%s%f%p%r%T%X%V%W",
        b"[[[[[[[[[[",
        "中文字".as_bytes(),
        b"1e400",
    ];
    for sql in exprs {
        let e = c.compile(sql).unwrap_or_else(|err| panic!("{sql}: {err}"));
        let mut s = e.new_scratch();
        let mut out = Value::Null;
        for a in texts {
            for b in texts {
                let row = [
                    ValueRef::Text(a),
                    ValueRef::Text(b),
                    ValueRef::Text(a),
                    ValueRef::Text(b),
                ];
                e.eval_into(&row, &mut s, &c.env(), &mut out);
            }
        }
    }
    for sql in ["'", "CASE", "CAST(", "1 +", "f(,)", "''''"] {
        if let Ok(mut p) = Parser::new(&MySqlDialect {}).try_with_sql(sql)
            && let Ok(e) = p.parse_expr()
        {
            let _ = c.compile(&e.to_string());
        }
    }
}

fn warm_twice_allocs(e: &CompiledExpr, row: &[ValueRef<'_>], env: &EvalEnv) -> (u64, Value) {
    let mut scratch: EvalScratch = e.new_scratch();
    let mut out = Value::Null;
    e.eval_into(&row, &mut scratch, env, &mut out);
    let before = allocations();
    e.eval_into(&row, &mut scratch, env, &mut out);
    let used = allocations() - before;
    (used, out)
}

// The row path must not allocate per row once warm: the second evaluation of a string-heavy
// expression over the same row allocates nothing.
#[test]
fn warm_evaluation_does_not_allocate() {
    let c = Case::new()
        .tz("Asia/Shanghai")
        .col("a", DorisType::String)
        .col("ts", DorisType::BigInt)
        .col("b", DorisType::Int)
        .col("d", DorisType::String);
    let row = [
        t("Hello Wörld"),
        t("1196440219"),
        t("42"),
        t("2009-10-04 22:23:00.5"),
    ];
    let sql = "CONCAT(UPPER(SUBSTR(a, 2, 5)), '-', LOWER(a), '/', \
               DATE_FORMAT(d, '%W %M %D %Y %H:%i:%s.%f %X-%V'), '|', \
               FROM_UNIXTIME(ts, '%Y-%m-%d %H:%i:%s'), '|', FROM_UNIXTIME(ts), '|', \
               CONCAT_WS(',', TRIM(a), REPLACE(a, 'l', 'L'), LEFT(a, 3), RIGHT(a, 2)), \
               CAST(b + 1.5 AS STRING), CAST(b / 7 AS STRING), \
               IF(a LIKE 'H%', 'y', 'n'), \
               CASE WHEN b > 40 THEN CAST(NOW(3) AS STRING) ELSE 'x' END, \
               CAST(STR_TO_DATE(d, '%Y-%m-%d %H:%i:%s') AS STRING), \
               CAST(UNIX_TIMESTAMP(d) AS STRING))";
    let e = c.compile(sql).unwrap();
    let (n, out) = warm_twice_allocs(&e, &row, &c.env());
    assert_eq!(n, 0, "allocations on the second evaluation; result {out}");
    assert!(
        out.to_string()
            .starts_with("ELLO -hello wörld/Sunday October 4th 2009"),
        "{out}"
    );

    // Predicates with casts and comparisons, and NULL-producing rows.
    let sql = "a > 9 AND b IN (1, 42) AND d BETWEEN '2009-01-01' AND '2010-01-01' OR a IS NULL";
    let e = c.compile(sql).unwrap();
    assert_eq!(warm_twice_allocs(&e, &row, &c.env()).0, 0);
    let nulls = [
        ValueRef::Null,
        ValueRef::Null,
        ValueRef::Null,
        ValueRef::Null,
    ];
    let e = c.compile("CONCAT(a, UPPER(a))").unwrap();
    assert_eq!(warm_twice_allocs(&e, &nulls, &c.env()).0, 0);
}

// The JSON functions reuse their buffers too.
#[test]
fn warm_json_evaluation_does_not_allocate() {
    let c = Case::new().col("j", DorisType::String);
    let row = [t(
        r#"{"k1": "v31", "k2": 300, "a": {"b": [1, 2.5, {"c": "x\"y"}]}}"#,
    )];
    let sql = "CONCAT(JSON_EXTRACT(j, '$.k1'), JSON_EXTRACT_STRING(j, '$.a.b[2].c'), \
               JSON_EXTRACT(j, '$.a.b[*]', '$.k2'), CAST(JSON_EXTRACT_INT(j, '$.k2') AS STRING), \
               CAST(GET_JSON_DOUBLE(j, '$.a.b[1]') AS STRING))";
    let e = c.compile(sql).unwrap();
    let (n, out) = warm_twice_allocs(&e, &row, &c.env());
    assert_eq!(n, 0, "{out}");
    assert_eq!(out.to_string(), r#""v31"x"y[1,2.5,{"c":"x\"y"},300]3002.5"#);
}

// Rows that alternate between NULL and values keep their buffers (no allocation either way).
#[test]
fn alternating_null_rows_do_not_allocate() {
    let c = Case::new()
        .col("a", DorisType::String)
        .col("n", DorisType::Int);
    let e = c
        .compile("CONCAT(UPPER(a), '-', CAST(n * 2 AS STRING), IF(a IS NULL, 'z', LOWER(a)))")
        .unwrap();
    let env = c.env();
    let full = [t("Hello"), t("21")];
    let nulls = [ValueRef::Null, ValueRef::Null];
    let mut scratch = e.new_scratch();
    let mut out = Value::Null;
    for _ in 0..2 {
        e.eval_into(&full, &mut scratch, &env, &mut out);
        e.eval_into(&nulls, &mut scratch, &env, &mut out);
    }
    let before = allocations();
    for _ in 0..3 {
        e.eval_into(&full, &mut scratch, &env, &mut out);
        // Compared without allocating.
        assert_eq!(out.as_bytes(), Some(b"HELLO-42hello".as_slice()));
        e.eval_into(&nulls, &mut scratch, &env, &mut out);
        assert_eq!(out, Value::Null);
    }
    assert_eq!(allocations() - before, 0);
}

// Typed values handed in by a caller are trusted but never make evaluation panic, even when
// they are out of range or malformed.
#[test]
fn no_panics_on_odd_typed_values() {
    let c = Case::new()
        .col("d", DorisType::Date)
        .col("t", DorisType::DateTime { precision: 6 })
        .col("j", DorisType::Json)
        .col("m", dec(10, 2))
        .col("i", DorisType::LargeInt);
    let values = [
        Value::Date(i32::MAX),
        Value::Date(i32::MIN),
        Value::DateTime {
            micros: i64::MAX,
            precision: 6,
        },
        Value::DateTime {
            micros: i64::MIN,
            precision: 9,
        },
        Value::Json(b"{\"a\":[1,{\"b\"".to_vec()),
        Value::Json(b"\"".to_vec()),
        Value::Decimal {
            unscaled: i128::MAX,
            scale: 60,
        },
        Value::Int(i128::MIN),
        Value::Float(f64::NAN),
        Value::Str(b"\xff".to_vec()),
    ];
    let exprs = [
        "DATE_FORMAT(d, '%X %V %j %D %W')",
        "DATE_FORMAT(t, '%Y-%m-%d %H:%i:%s.%f')",
        "UNIX_TIMESTAMP(t)",
        "UNIX_TIMESTAMP(d)",
        "CAST(d AS STRING)",
        "CAST(t AS DATE)",
        "YEAR(d) + MONTH(t)",
        "JSON_EXTRACT(j, '$.a[1].b', '$.*', '$[last]')",
        "JSON_EXTRACT_STRING(j, '$.a')",
        "m * m / m + m % m",
        "CAST(m AS BIGINT)",
        "i * i + i DIV -1",
        "i % -1",
        "ABS(i)",
        "FROM_UNIXTIME(i)",
        "CAST(i AS DATE)",
    ];
    for sql in exprs {
        let e = c.compile(sql).unwrap_or_else(|err| panic!("{sql}: {err}"));
        let mut s = e.new_scratch();
        let mut out = Value::Null;
        for v in &values {
            let row = [
                ValueRef::Value(v),
                ValueRef::Value(v),
                ValueRef::Value(v),
                ValueRef::Value(v),
                ValueRef::Value(v),
            ];
            e.eval_into(&row, &mut s, &c.env(), &mut out);
        }
    }
}

// Compiled expressions are shared across worker threads; scratches move with a worker.
#[test]
fn compiled_expressions_are_thread_safe() {
    fn shared<T: Send + Sync>() {}
    fn movable<T: Send>() {}
    shared::<CompiledExpr>();
    movable::<EvalScratch>();
}

// B.2 PRECEDING FILTER example: raw "9.5" vs 10 compares as DOUBLE (false); "abc" → NULL.
#[test]
fn preceding_filter_on_raw_text() {
    let c = varchar("k1");
    assert_eq!(c.show("k1 > 10", &[t("9.5")]), "0");
    assert_eq!(c.show("k1 > 10", &[t("abc")]), "NULL");
}

// B.5 DELETE ON: 4.x sees the cast value (k1 = 7 for raw "7.9"), 2.1 the raw text.
#[test]
fn delete_on_by_version() {
    let v4 = Case::new().col("k1", DorisType::Int);
    assert_eq!(v4.show("k1 = 7", &[t("7.9")]), "1");
    let v21 = varchar("k1").v21();
    assert_eq!(v21.show("k1 = 7", &[t("7.9")]), "0");
}

// Every listed function name is known to the compiler (an arity error, never "not found").
#[test]
fn listed_functions_are_known() {
    let c = Case::new();
    for name in routinely_schemas::expr::FUNCTIONS {
        let sql = format!("{name}(1, 2, 3, 4, 5, 6, 7)");
        // TRIM has its own grammar in sqlparser.
        let Ok(expr) = Parser::new(&MySqlDialect {})
            .try_with_sql(&sql)
            .and_then(|mut p| p.parse_expr())
        else {
            continue;
        };
        let scope = |_: &str| None;
        let err = compile(&expr, &scope, &c.ctx())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            !err.starts_with("Can not found function '") || err.contains("arity"),
            "{name}: {err}"
        );
    }
}
