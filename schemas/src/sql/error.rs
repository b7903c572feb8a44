//! The error type of the statement parsers: [`SqlError`], a message at a 1-based line and
//! column, whose kind says whether the statement is malformed ([`SqlErrorKind::Syntax`]),
//! breaks a routine load rule ([`SqlErrorKind::Job`], Doris's text) or a table rule
//! ([`SqlErrorKind::Table`], Doris's text).

use crate::job::JobError;
use crate::table::{AggregationType, KeysType};

/// A statement routinely cannot accept, with the position of the offending token.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct SqlError {
    /// 1-based line of the offending token.
    pub line: u64,
    /// 1-based column (in characters) of the offending token.
    pub column: u64,
    /// What is wrong.
    pub kind: SqlErrorKind,
}

/// What is wrong with a statement.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SqlErrorKind {
    /// The text does not follow the grammar.
    #[error("{0}")]
    Syntax(String),
    /// A well-formed routine load statement that Doris would refuse.
    #[error(transparent)]
    Job(JobError),
    /// A well-formed `CREATE TABLE` (or type) that Doris would refuse, or that routinely
    /// does not support.
    #[error(transparent)]
    Table(TableError),
}

impl SqlError {
    /// A syntax error.
    pub(crate) fn syntax(line: u64, column: u64, message: impl Into<String>) -> SqlError {
        SqlError {
            line,
            column,
            kind: SqlErrorKind::Syntax(message.into()),
        }
    }

    /// The message without the position.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }

    /// The routine load rule that failed, if that is what this is.
    pub fn job_error(&self) -> Option<&JobError> {
        match &self.kind {
            SqlErrorKind::Job(e) => Some(e),
            _ => None,
        }
    }

    /// The table rule that failed, if that is what this is.
    pub fn table_error(&self) -> Option<&TableError> {
        match &self.kind {
            SqlErrorKind::Table(e) => Some(e),
            _ => None,
        }
    }
}

/// A `CREATE TABLE` or column type that Doris refuses (Doris's message text, from Nereids
/// `CreateTableInfo`, `ColumnDefinition`, `DistributionDescriptor`, `DataType`), or that
/// routinely does not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// `VARCHAR(0)`.
    #[error("VARCHAR size must be > 0: {0}")]
    VarcharTooShort(u64),
    /// `VARCHAR(65534)`.
    #[error("VARCHAR size must be <= 65533: {0}")]
    VarcharTooLong(u64),
    /// `CHAR(0)`.
    #[error("CHAR size must be > 0: {0}")]
    CharTooShort(u64),
    /// `CHAR(256)`.
    #[error("CHAR size must be <= 255: {0}")]
    CharTooLong(u64),
    /// `DATETIME(7)`.
    #[error("Scale of Datetime/Time must between 0 and 6. Scale was set to: {0}")]
    DatetimeScale(u64),
    /// `DECIMAL(0)` / `DECIMAL(77)`.
    #[error("precision should in (0, 76], but real precision is {0}")]
    DecimalPrecision(u64),
    /// `DECIMAL(5,7)`.
    #[error(
        "Scale of decimal must be smaller than precision. Scale is {scale} and precision is \
         {precision}"
    )]
    DecimalScale {
        /// Precision.
        precision: u64,
        /// Scale.
        scale: u64,
    },
    /// `DECIMALV2` (FE `disable_decimalv2`, on by default).
    #[error("Disable to create table with `DECIMAL` type columns,please use `DECIMALV3`.")]
    DecimalV2Disabled,
    /// `DATEV1` (FE `disable_datev1`, on by default).
    #[error("Disable to create table with `DATE` type columns, please use `DATEV2`.")]
    DateV1Disabled,
    /// `DATETIMEV1(p)`.
    #[error("Nereids do not support datetimev1 type with precision")]
    DatetimeV1Precision,
    /// An unknown type name.
    #[error("Nereids do not support type: {0}")]
    UnknownType(String),
    /// `ALL`.
    #[error("Disable to create table with `ALL` type columns")]
    AllType,
    /// Arrays nested more than 9 deep.
    #[error("Type exceeds the maximum nesting depth of 9")]
    NestingDepth,
    /// Two STRUCT fields with one name.
    #[error("Duplicate field name {field} in struct {sql}")]
    DuplicateStructField {
        /// The field.
        field: String,
        /// The struct type.
        sql: String,
    },
    /// `TIME` columns.
    #[error("Time type is not supported for olap table")]
    TimeColumn,
    /// A construct Doris accepts but routinely cannot load (CTAS, LIKE, AGG_STATE, generated
    /// columns, external / temporary tables).
    #[error("{0} is not supported by routinely")]
    Unsupported(String),
    /// A table name outside `^[a-zA-Z][a-zA-Z0-9-_]*$`.
    #[error("Incorrect table name '{0}'. Table name regex is '^[a-zA-Z][a-zA-Z0-9-_]*$'")]
    TableName(String),
    /// `a.b.c.d`.
    #[error("nameParts in create table should be [ctl.][db.]tbl")]
    NameParts,
    /// A column name starting with `__DORIS_`.
    #[error("Disable to create table column with name start with __DORIS_: {0}")]
    HiddenColumnName(String),
    /// Two columns with one name (case-insensitive).
    #[error("Duplicate column name '{0}'")]
    DuplicateColumn(String),
    /// No usable first column for the automatic DUPLICATE key.
    #[error(
        "The olap table first column could not be float, double, string or array, struct, map, \
         please use decimal or varchar instead."
    )]
    NoKeyColumn,
    /// `enable_duplicate_without_keys_by_default` with an explicit KEY clause.
    #[error(
        "table property 'enable_duplicate_without_keys_by_default' only can set 'true' when \
         create olap table by default."
    )]
    DuplicateWithoutKeys,
    /// `enable_unique_key_merge_on_write` on a table that is not UNIQUE KEY.
    #[error("enable_unique_key_merge_on_write property only support unique key table")]
    MowNotUnique,
    /// More key columns than columns.
    #[error("The number of key columns should be less than the number of columns.")]
    TooManyKeys,
    /// A KEY column that does not exist.
    #[error("Key column[{0}] doesn't exist.")]
    KeyMissing(String),
    /// KEY columns that are not a prefix of the columns.
    #[error(
        "Key columns should be a ordered prefix of the schema. KeyColumns[{index}] (starts \
         from zero) is {key}, but corresponding column is {column} in the previous columns \
         declaration."
    )]
    KeyPrefix {
        /// Position in the KEY clause.
        index: usize,
        /// The key named there.
        key: String,
        /// The column declared there.
        column: String,
    },
    /// A key column with an aggregation type.
    #[error("Key column[{0}] should not specify aggregate type.")]
    KeyAggregation(String),
    /// An AGGREGATE KEY value column without an aggregation type.
    #[error("AGG_KEYS table should specify aggregate type for non-key column[{0}]")]
    MissingAggregation(String),
    /// A DUPLICATE / UNIQUE value column with an aggregation type.
    #[error("{} table should not specify aggregate type for non-key column[{column}]", keys_name(*.keys_type))]
    UnexpectedAggregation {
        /// The table's key model.
        keys_type: KeysType,
        /// The column.
        column: String,
    },
    /// CLUSTER BY on a table that is not UNIQUE KEY.
    #[error("Cluster keys only support unique keys table.")]
    ClusterNotUnique,
    /// CLUSTER BY on a merge-on-read UNIQUE table.
    #[error(
        "Cluster keys only support unique keys table which enabled \
         enable_unique_key_merge_on_write"
    )]
    ClusterNeedsMow,
    /// A CLUSTER BY column listed twice.
    #[error("Duplicate cluster key column[{0}].")]
    DuplicateClusterKey(String),
    /// A CLUSTER BY column that does not exist.
    #[error("Key cluster column[{0}] doesn't exist.")]
    ClusterKeyMissing(String),
    /// CLUSTER BY the same columns as the key.
    #[error("Unique keys and cluster keys should be different.")]
    ClusterSameAsKeys,
    /// `BUCKETS 0`.
    #[error("Number of {} distribution should be greater than zero.", if *.hash { "hash" } else { "random" })]
    Buckets {
        /// Hash (else random) distribution.
        hash: bool,
    },
    /// `HASH(a, a)`.
    #[error("Duplicate key in distribution desc is not allowed")]
    DuplicateDistribution,
    /// `HASH(x)` with no column x.
    #[error("Distribution column({0}) doesn't exist")]
    DistributionMissing(String),
    /// `HASH(v)` with a value column of a UNIQUE / AGGREGATE table.
    #[error("Distribution column[{0}] is not key column")]
    DistributionNotKey(String),
    /// RANDOM distribution of a UNIQUE table.
    #[error("Create unique keys table should not contain random distribution desc")]
    RandomUnique,
    /// RANDOM distribution of an AGGREGATE table with REPLACE columns.
    #[error(
        "Create aggregate keys table with value columns of which aggregate type is REPLACE or \
         REPLACE_IF_NOT_NULL should not contain random distribution desc"
    )]
    RandomReplace,
    /// HLL / BITMAP / QUANTILE_STATE as a key.
    #[error("Key column can not set complex type:{0}")]
    ComplexKey(String),
    /// HLL / BITMAP / QUANTILE_STATE declared NULL.
    #[error("complex type column must be not nullable, column:{0}")]
    ComplexNullable(String),
    /// FLOAT / DOUBLE key.
    #[error("Float or double can not used as a key, use decimal instead.")]
    FloatKey,
    /// STRING key.
    #[error("String Type should not be used in key column[{0}]")]
    StringKey(String),
    /// ARRAY key.
    #[error("Array can only be used in the non-key column of the duplicate table at present.")]
    ArrayKey,
    /// MAP key.
    #[error("Map can only be used in the non-key column of the duplicate table at present.")]
    MapKey,
    /// STRUCT key.
    #[error("Struct can only be used in the non-key column of the duplicate table at present.")]
    StructKey,
    /// JSON key.
    #[error("JsonType type should not be used in key column[{0}].")]
    JsonKey(String),
    /// VARIANT key.
    #[error("Variant type should not be used in key column[{0}].")]
    VariantKey(String),
    /// An aggregation that does not fit the column type.
    #[error("Aggregate type {} is not compatible with primitive type {ty}", .aggregation.as_sql())]
    AggregationType {
        /// The aggregation.
        aggregation: AggregationType,
        /// The column type as Doris prints it.
        ty: String,
    },
    /// REPLACE_IF_NOT_NULL on a NOT NULL column.
    #[error("REPLACE_IF_NOT_NULL column must be nullable, maybe should use REPLACE, column:{0}")]
    ReplaceIfNotNullNotNull(String),
    /// `NOT NULL DEFAULT NULL`.
    #[error("Can not set null default value to non nullable column: {0}")]
    NullDefaultNotNull(String),
    /// A DEFAULT on an HLL column.
    #[error("Hll type column can not set default value")]
    HllDefault,
    /// A DEFAULT other than BITMAP_EMPTY / NULL on a BITMAP column.
    #[error("Bitmap type column default value only support BITMAP_EMPTY")]
    BitmapDefault,
    /// A DEFAULT other than NULL / `[]` on an ARRAY column.
    #[error("Array type column default value only support null or []")]
    ArrayDefault,
    /// A DEFAULT other than NULL on a MAP column.
    #[error("Map type column default value just support null")]
    MapDefault,
    /// A DEFAULT other than NULL on a STRUCT column.
    #[error("Struct type column default value just support null")]
    StructDefault,
    /// A DEFAULT other than NULL on a JSON / VARIANT column.
    #[error("Json or Variant type column default value just support null")]
    JsonDefault,
    /// `AUTO_INCREMENT(-1)`.
    #[error("AUTO_INCREMENT start value can not be negative.")]
    AutoIncrementNegative,
    /// `ON UPDATE CURRENT_TIMESTAMP` without `DEFAULT CURRENT_TIMESTAMP`.
    #[error(
        "You must set the default value of the column[{0}] to CURRENT_TIMESTAMP when using 'ON \
         UPDATE CURRENT_TIMESTAMP'."
    )]
    OnUpdateNeedsDefault(String),
    /// `ON UPDATE CURRENT_TIMESTAMP(p)` with another precision than the default.
    #[error(
        "The precision of the default value of column[{0}] should be the same with the \
         precision in 'ON UPDATE CURRENT_TIMESTAMP'."
    )]
    OnUpdatePrecision(String),
    /// A sequence column on a table that is not UNIQUE KEY.
    #[error("sequence column only support UNIQUE_KEYS")]
    SequenceNotUnique,
    /// `function_column.sequence_type` that is not an integer or date type.
    #[error("sequence type only support integer types and date types")]
    SequenceType,
}

fn keys_name(k: KeysType) -> &'static str {
    match k {
        KeysType::Duplicate => "DUP_KEYS",
        KeysType::Unique => "UNIQUE_KEYS",
        KeysType::Aggregate => "AGG_KEYS",
    }
}
