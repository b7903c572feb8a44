//! The load plan: what a `CREATE ROUTINE LOAD` over a `CREATE TABLE` means for each row,
//! decided once when the job is created, as Doris's FE plans a load.
//!
//! - **Source slots** are the plain names of `COLUMNS(...)` in order (the table's columns in
//!   order when there is no COLUMNS, or when COLUMNS lists only mappings). CSV fields and
//!   jsonpaths map to them by position; JSON keys match them by name, exactly
//!   (case-sensitive).
//! - **Destination columns** take a slot directly (converted, strict-mode checked), a mapping
//!   expression (cast, exempt from strict mode), or their DEFAULT / NULL when not mentioned.
//!   A NOT NULL column with no DEFAULT that the load never fills is an error now, not at the
//!   first row (`Column has no default value, column=<c>`).
//! - **Expressions** see, per Doris 4.x's Nereids load planner: in mappings and DELETE ON, a
//!   plain table column already cast to its type (2.1 / 3.0: its raw text), temporary names as
//!   VARCHAR, and earlier mappings by name; WHERE sees the final column values; PRECEDING
//!   FILTER sees the raw slots.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef};

use routinely_schemas::arrow::arrow_field;
use routinely_schemas::expr::{self, CompileContext, CompiledExpr, Scope};
use routinely_schemas::job::{DataFormat, MergeType, RoutineLoadJob};
use routinely_schemas::table::DefaultValue;
use routinely_schemas::version::MappingSourceView;
use routinely_schemas::{DorisType, TableSchema, TimeZone, VersionRules};

use super::columns::Converter;
use super::jsonpath::{self, JsonPath};

/// The hidden delete-sign column added for `WITH MERGE` / `WITH DELETE`.
pub const DELETE_SIGN_COLUMN: &str = "__DORIS_DELETE_SIGN__";

/// A job that cannot run against its table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The job names no target table (multi-table jobs route each message by a table name
    /// prefix, which the row path does not do).
    #[error("multi-table routine load (no ON table) is not supported by the row path")]
    MultiTable,
    /// The job's table is not the given table.
    #[error("the job loads table `{job}` but the table given is `{table}`")]
    WrongTable {
        /// Table named by the job.
        job: String,
        /// Table given.
        table: String,
    },
    /// A NOT NULL column with no DEFAULT that the load never fills.
    #[error("Column has no default value, column={0}")]
    NoDefault(String),
    /// A mapping names a column the table does not have.
    #[error("can not find column {column} in table {table}")]
    UnknownColumn {
        /// The mapping target.
        column: String,
        /// The table.
        table: String,
    },
    /// An expression failed to compile.
    #[error("{clause}: {message}")]
    Expr {
        /// Where the expression is (`COLUMNS k3`, `WHERE`, ...).
        clause: String,
        /// What is wrong.
        message: String,
    },
    /// The jsonpaths or json_root property is invalid.
    #[error("{0}")]
    JsonPath(String),
    /// A column type the row path cannot fill.
    #[error("column `{column}` of type {ty} cannot be loaded: {why}")]
    UnsupportedType {
        /// The column.
        column: String,
        /// Its type.
        ty: String,
        /// Why.
        why: String,
    },
}

/// What a missing JSON key becomes before conversion.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SlotDefault {
    Null,
    Text(String),
    CurrentTimestamp { precision: u8 },
    CurrentDate,
}

/// A source slot.
#[derive(Debug, Clone)]
pub(crate) struct SlotDef {
    /// The name as written (JSON keys match it exactly).
    pub name: String,
    /// The table column of the same name (case-insensitive), if any.
    pub table_col: Option<usize>,
    /// The value of a missing JSON key.
    pub default: SlotDefault,
}

/// Where a destination column's value comes from.
#[derive(Debug, Clone)]
pub(crate) enum DestSource {
    /// A slot, converted with the column's rule (strict mode applies).
    Direct(usize),
    /// A mapping result, cast to the column type (strict mode does not apply).
    Mapped(usize),
    /// The column's DEFAULT, NULL, or a value Doris fills (AUTO_INCREMENT).
    Default(SlotDefault),
}

/// One destination column.
#[derive(Debug, Clone)]
pub(crate) struct DestDef {
    pub name: String,
    pub ty: DorisType,
    pub nullable: bool,
    pub source: DestSource,
    pub converter: Converter,
    /// AUTO_INCREMENT columns are filled by Doris: NULL is allowed here.
    pub auto_increment: bool,
}

/// A `name = expr` entry of COLUMNS.
pub(crate) struct MappingDef {
    pub name: String,
    pub expr: CompiledExpr,
}

/// JSON reading options.
#[derive(Debug, Clone)]
pub(crate) struct JsonPlan {
    pub paths: Option<Vec<JsonPath>>,
    /// The jsonpaths property as written (error messages quote it).
    pub paths_text: String,
    pub root: Option<JsonPath>,
    pub strip_outer_array: bool,
}

/// CSV reading options.
#[derive(Debug, Clone)]
pub(crate) struct CsvPlan {
    pub separator: Vec<u8>,
    pub enclose: Option<u8>,
    pub escape: Option<u8>,
    pub empty_field_as_null: bool,
}

/// A compiled load: everything the row path needs, checked before the first row.
pub struct LoadPlan {
    pub(crate) table: TableSchema,
    pub(crate) format: DataFormat,
    pub(crate) rules: VersionRules,
    pub(crate) strict: bool,
    pub(crate) tz: TimeZone,
    pub(crate) slots: Vec<SlotDef>,
    pub(crate) dests: Vec<DestDef>,
    pub(crate) mappings: Vec<MappingDef>,
    pub(crate) preceding: Option<CompiledExpr>,
    pub(crate) where_: Option<CompiledExpr>,
    pub(crate) delete_on: Option<CompiledExpr>,
    pub(crate) merge_type: MergeType,
    pub(crate) json: JsonPlan,
    pub(crate) csv: CsvPlan,
    /// Table columns some mapping or DELETE ON reads as converted values (4.x).
    pub(crate) converted_needed: Vec<bool>,
    schema: SchemaRef,
}

/// Expression inputs are numbered: slots, then converted table columns, then mapping
/// results, then final column values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub slots: usize,
    pub cols: usize,
    pub mappings: usize,
}

impl Layout {
    pub fn converted(&self, col: usize) -> usize {
        self.slots + col
    }
    pub fn mapping(&self, m: usize) -> usize {
        self.slots + self.cols + m
    }
    pub fn final_value(&self, col: usize) -> usize {
        self.slots + self.cols + self.mappings + col
    }
    pub fn total(&self) -> usize {
        self.slots + 2 * self.cols + self.mappings
    }
}

/// Resolves names inside a mapping or DELETE ON.
struct MappingScope<'a> {
    plan_slots: &'a [SlotDef],
    table: &'a TableSchema,
    mappings: &'a [(String, DorisType)],
    /// Mapping targets in COLUMNS (a table column with a same-name mapping is raw text).
    targets: &'a [String],
    view: MappingSourceView,
    layout: Layout,
    /// The mapping being compiled (its own name is not an earlier mapping).
    current: Option<&'a str>,
}

impl Scope for MappingScope<'_> {
    fn resolve(&self, name: &str) -> Option<(usize, DorisType)> {
        if let Some(m) = self
            .mappings
            .iter()
            .rposition(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            return Some((self.layout.mapping(m), self.mappings[m].1.clone()));
        }
        let s = self
            .plan_slots
            .iter()
            .position(|s| s.name.eq_ignore_ascii_case(name))?;
        let slot = &self.plan_slots[s];
        let has_mapping = self.targets.iter().any(|t| t.eq_ignore_ascii_case(name))
            || self.current.is_some_and(|c| c.eq_ignore_ascii_case(name));
        match (slot.table_col, self.view) {
            (Some(col), MappingSourceView::Converted) if !has_mapping => Some((
                self.layout.converted(col),
                self.table.columns[col].ty.clone(),
            )),
            _ => Some((s, DorisType::String)),
        }
    }
}

/// Resolves names inside PRECEDING FILTER: raw slots.
struct SlotScope<'a> {
    slots: &'a [SlotDef],
}

impl Scope for SlotScope<'_> {
    fn resolve(&self, name: &str) -> Option<(usize, DorisType)> {
        self.slots
            .iter()
            .position(|s| s.name.eq_ignore_ascii_case(name))
            .map(|i| (i, DorisType::String))
    }
}

/// Resolves names inside WHERE: final column values.
struct FinalScope<'a> {
    table: &'a TableSchema,
    layout: Layout,
}

impl Scope for FinalScope<'_> {
    fn resolve(&self, name: &str) -> Option<(usize, DorisType)> {
        let col = self.table.column_index(name)?;
        Some((
            self.layout.final_value(col),
            self.table.columns[col].ty.clone(),
        ))
    }
}

fn slot_default(col: &routinely_schemas::Column) -> SlotDefault {
    match &col.default {
        None | Some(DefaultValue::Null) => SlotDefault::Null,
        Some(DefaultValue::Literal(s)) => SlotDefault::Text(s.clone()),
        Some(DefaultValue::CurrentTimestamp { precision }) => SlotDefault::CurrentTimestamp {
            precision: *precision,
        },
        Some(DefaultValue::CurrentDate) => SlotDefault::CurrentDate,
        Some(DefaultValue::Pi) => SlotDefault::Text(std::f64::consts::PI.to_string()),
        Some(DefaultValue::E) => SlotDefault::Text(std::f64::consts::E.to_string()),
        Some(DefaultValue::BitmapEmpty) => SlotDefault::Null,
    }
}

impl LoadPlan {
    /// Plans `job` over `table`.
    pub fn new(table: &TableSchema, job: &RoutineLoadJob) -> Result<LoadPlan, PlanError> {
        let Some(job_table) = &job.table else {
            return Err(PlanError::MultiTable);
        };
        if !job_table.eq_ignore_ascii_case(&table.name) {
            return Err(PlanError::WrongTable {
                job: job_table.clone(),
                table: table.name.clone(),
            });
        }
        let props = &job.properties;
        let rules = props.doris_version.rules();
        let tz = props.time_zone;
        let ctx = CompileContext {
            time_zone: tz,
            rules,
        };
        let expr_err = |clause: String| {
            move |e: expr::ExprError| PlanError::Expr {
                clause: clause.clone(),
                message: e.to_string(),
            }
        };

        for c in &table.columns {
            if c.ty.is_aggregate_state() {
                return Err(PlanError::UnsupportedType {
                    column: c.name.clone(),
                    ty: c.ty.to_string(),
                    why: "HLL / BITMAP / QUANTILE_STATE columns need Doris's aggregate functions"
                        .into(),
                });
            }
            if let DorisType::Decimal { precision, .. } = c.ty
                && precision > 38
            {
                return Err(PlanError::UnsupportedType {
                    column: c.name.clone(),
                    ty: c.ty.to_string(),
                    why: "DECIMAL precision above 38 (DECIMAL256) is not supported".into(),
                });
            }
        }

        // Source slots and mappings, in COLUMNS order. A COLUMNS list with no plain name
        // reads the table's columns, as if there were no COLUMNS (Doris `Load.initColumns`:
        // `specifyFileFieldNames` is false; regression test_json_load `columns: id = id * 10`).
        let table_slots = || table.columns.iter().map(|c| (c.name.clone(), None));
        let entries: Vec<(String, Option<&routinely_schemas::job::SqlExpr>)> =
            match &job.load.columns {
                Some(cols) if cols.iter().any(|c| c.expr.is_none()) => cols
                    .iter()
                    .map(|c| (c.name.clone(), c.expr.as_ref()))
                    .collect(),
                Some(cols) => table_slots()
                    .chain(cols.iter().map(|c| (c.name.clone(), c.expr.as_ref())))
                    .collect(),
                None => table_slots().collect(),
            };
        let targets: Vec<String> = entries
            .iter()
            .filter(|(_, e)| e.is_some())
            .map(|(n, _)| n.clone())
            .collect();
        let mut slots = Vec::new();
        for (name, e) in &entries {
            if e.is_some() {
                continue;
            }
            let table_col = table.column_index(name);
            let mapped = targets.iter().any(|t| t.eq_ignore_ascii_case(name));
            let default = match table_col {
                Some(c) if !mapped => slot_default(&table.columns[c]),
                _ => SlotDefault::Null,
            };
            slots.push(SlotDef {
                name: name.clone(),
                table_col,
                default,
            });
        }
        let layout = Layout {
            slots: slots.len(),
            cols: table.columns.len(),
            mappings: targets.len(),
        };

        let view = rules.mapping_source_view;
        let mut mapping_types: Vec<(String, DorisType)> = Vec::new();
        let mut mappings = Vec::new();
        for (name, e) in &entries {
            let Some(e) = e else { continue };
            let scope = MappingScope {
                plan_slots: &slots,
                table,
                mappings: &mapping_types,
                targets: &targets[mappings.len() + 1..],
                view,
                layout,
                current: Some(name),
            };
            let compiled =
                expr::compile(&e.ast, &scope, &ctx).map_err(expr_err(format!("COLUMNS {name}")))?;
            mapping_types.push((name.clone(), compiled.result_type().clone()));
            mappings.push(MappingDef {
                name: name.clone(),
                expr: compiled,
            });
        }

        // Destination columns.
        let mut dests = Vec::with_capacity(table.columns.len());
        for (ci, c) in table.columns.iter().enumerate() {
            let source = if let Some(m) = mappings
                .iter()
                .rposition(|m| m.name.eq_ignore_ascii_case(&c.name))
            {
                DestSource::Mapped(m)
            } else if let Some(s) = slots.iter().position(|s| s.table_col == Some(ci)) {
                DestSource::Direct(s)
            } else {
                let d = slot_default(c);
                if d == SlotDefault::Null && !c.nullable && !c.auto_increment {
                    return Err(PlanError::NoDefault(c.name.clone()));
                }
                DestSource::Default(d)
            };
            dests.push(DestDef {
                name: c.name.clone(),
                ty: c.ty.clone(),
                nullable: c.nullable,
                source,
                converter: Converter::for_type(&c.ty),
                auto_increment: c.auto_increment,
            });
        }
        let preceding = match &job.load.preceding_filter {
            Some(e) => Some(
                expr::compile(&e.ast, &SlotScope { slots: &slots }, &ctx)
                    .map_err(expr_err("PRECEDING FILTER".into()))?,
            ),
            None => None,
        };
        let where_ = match &job.load.where_predicate {
            Some(e) => Some(
                expr::compile(&e.ast, &FinalScope { table, layout }, &ctx)
                    .map_err(expr_err("WHERE".into()))?,
            ),
            None => None,
        };
        let delete_on = match (&job.load.delete_on, job.merge_type) {
            (Some(e), MergeType::Merge) => {
                let scope = MappingScope {
                    plan_slots: &slots,
                    table,
                    mappings: &mapping_types,
                    targets: &[],
                    view,
                    layout,
                    current: None,
                };
                Some(expr::compile(&e.ast, &scope, &ctx).map_err(expr_err("DELETE ON".into()))?)
            }
            _ => None,
        };

        let mut converted_needed = vec![false; table.columns.len()];
        for e in mappings.iter().map(|m| &m.expr).chain(delete_on.iter()) {
            for &s in e.slots() {
                if s >= layout.slots && s < layout.slots + layout.cols {
                    converted_needed[s - layout.slots] = true;
                }
            }
        }

        let json = JsonPlan {
            paths: match &props.jsonpaths {
                Some(p) if !p.trim().is_empty() => {
                    Some(jsonpath::parse_jsonpaths(p, &rules).map_err(PlanError::JsonPath)?)
                }
                _ => None,
            },
            paths_text: props.jsonpaths.clone().unwrap_or_default(),
            root: match &props.json_root {
                Some(r) if !r.is_empty() => Some(
                    jsonpath::parse_path(r, &rules)
                        .map_err(|e| PlanError::JsonPath(format!("[INVALID_JSON_PATH]{e}")))?,
                ),
                _ => None,
            },
            strip_outer_array: props.strip_outer_array,
        };
        let csv = CsvPlan {
            separator: job
                .load
                .column_separator
                .clone()
                .unwrap_or_else(|| b"\t".to_vec()),
            enclose: props.enclose,
            escape: props.escape,
            empty_field_as_null: props.empty_field_as_null && rules.has_empty_field_as_null,
        };

        let mut fields: Vec<Field> = table
            .columns
            .iter()
            .map(|c| arrow_field(&c.name, &c.ty, c.nullable || c.auto_increment))
            .collect();
        if job.merge_type != MergeType::Append {
            fields.push(Field::new(DELETE_SIGN_COLUMN, DataType::Int8, false));
        }
        Ok(LoadPlan {
            table: table.clone(),
            format: props.format,
            rules,
            strict: props.strict_mode,
            tz,
            slots,
            dests,
            mappings,
            preceding,
            where_,
            delete_on,
            merge_type: job.merge_type,
            json,
            csv,
            converted_needed,
            schema: Arc::new(Schema::new(fields)),
        })
    }

    /// The Arrow schema of the batches: the table's columns in order, then
    /// `__DORIS_DELETE_SIGN__` (Int8, 1 = delete) for MERGE / DELETE jobs.
    pub fn output_schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The table this plan loads.
    pub fn table(&self) -> &TableSchema {
        &self.table
    }

    /// The rules of the Doris release the job follows.
    pub fn rules(&self) -> &VersionRules {
        &self.rules
    }

    /// The names of the source slots, in order.
    pub fn slot_names(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(|s| s.name.as_str())
    }

    pub(crate) fn layout(&self) -> Layout {
        Layout {
            slots: self.slots.len(),
            cols: self.dests.len(),
            mappings: self.mappings.len(),
        }
    }
}
