//! The table a job loads into: columns with their types, nullability, defaults and
//! aggregation, the key model, and the clauses of `CREATE TABLE` that routinely keeps for
//! information (partitioning, distribution, properties). Built by
//! [`crate::sql::parse_create_table`].

use crate::types::DorisType;

/// The key model of a Doris table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeysType {
    /// `DUPLICATE KEY`: every row is kept.
    Duplicate,
    /// `UNIQUE KEY`: the latest row per key wins.
    Unique,
    /// `AGGREGATE KEY`: rows per key merge through each value column's aggregation.
    Aggregate,
}

impl KeysType {
    /// The keyword Doris prints for the model (`DUP_KEYS`-style names are internal).
    pub fn as_sql(self) -> &'static str {
        match self {
            KeysType::Duplicate => "DUPLICATE KEY",
            KeysType::Unique => "UNIQUE KEY",
            KeysType::Aggregate => "AGGREGATE KEY",
        }
    }
}

/// Aggregation of a value column in an AGGREGATE KEY table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregationType {
    /// `SUM`
    Sum,
    /// `MAX`
    Max,
    /// `MIN`
    Min,
    /// `REPLACE`
    Replace,
    /// `REPLACE_IF_NOT_NULL`
    ReplaceIfNotNull,
    /// `HLL_UNION`
    HllUnion,
    /// `BITMAP_UNION`
    BitmapUnion,
    /// `QUANTILE_UNION`
    QuantileUnion,
    /// `GENERIC`
    Generic,
}

impl AggregationType {
    /// Parses an aggregation keyword, case-insensitively.
    pub fn from_keyword(word: &str) -> Option<Self> {
        Some(match word.to_ascii_uppercase().as_str() {
            "SUM" => AggregationType::Sum,
            "MAX" => AggregationType::Max,
            "MIN" => AggregationType::Min,
            "REPLACE" => AggregationType::Replace,
            "REPLACE_IF_NOT_NULL" => AggregationType::ReplaceIfNotNull,
            "HLL_UNION" => AggregationType::HllUnion,
            "BITMAP_UNION" => AggregationType::BitmapUnion,
            "QUANTILE_UNION" => AggregationType::QuantileUnion,
            "GENERIC" => AggregationType::Generic,
            _ => return None,
        })
    }

    /// The keyword as written in `CREATE TABLE`.
    pub fn as_sql(self) -> &'static str {
        match self {
            AggregationType::Sum => "SUM",
            AggregationType::Max => "MAX",
            AggregationType::Min => "MIN",
            AggregationType::Replace => "REPLACE",
            AggregationType::ReplaceIfNotNull => "REPLACE_IF_NOT_NULL",
            AggregationType::HllUnion => "HLL_UNION",
            AggregationType::BitmapUnion => "BITMAP_UNION",
            AggregationType::QuantileUnion => "QUANTILE_UNION",
            AggregationType::Generic => "GENERIC",
        }
    }
}

/// A column's `DEFAULT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DefaultValue {
    /// `DEFAULT NULL`.
    Null,
    /// A literal, kept as the text Doris would convert (`DEFAULT "0"`, `DEFAULT 1.5`).
    Literal(String),
    /// `DEFAULT CURRENT_TIMESTAMP[(p)]`: the load's current time in the job's timezone.
    CurrentTimestamp {
        /// Fractional digits requested, 0..=6.
        precision: u8,
    },
    /// `DEFAULT CURRENT_DATE`.
    CurrentDate,
    /// `DEFAULT PI`.
    Pi,
    /// `DEFAULT E`.
    E,
    /// `DEFAULT BITMAP_EMPTY`.
    BitmapEmpty,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Column {
    /// Name as declared (Doris column names are case-insensitive in SQL).
    pub name: String,
    /// Type.
    pub ty: DorisType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// Default value, if declared.
    pub default: Option<DefaultValue>,
    /// Comment, if declared.
    pub comment: Option<String>,
    /// Whether the column belongs to the key.
    pub is_key: bool,
    /// Aggregation of a value column in an AGGREGATE KEY table.
    pub aggregation: Option<AggregationType>,
    /// `AUTO_INCREMENT`: Doris fills it when the load leaves it out.
    pub auto_increment: bool,
    /// `ON UPDATE CURRENT_TIMESTAMP`.
    pub on_update_current_timestamp: bool,
}

impl Column {
    /// A nullable column with no default, no comment and no aggregation.
    pub fn new(name: impl Into<String>, ty: DorisType) -> Self {
        Column {
            name: name.into(),
            ty,
            nullable: true,
            default: None,
            comment: None,
            is_key: false,
            aggregation: None,
            auto_increment: false,
            on_update_current_timestamp: false,
        }
    }
}

/// A parsed `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    /// Database, when the name was qualified.
    pub database: Option<String>,
    /// Table name.
    pub name: String,
    /// Columns in declaration order.
    pub columns: Vec<Column>,
    /// The key model.
    pub keys_type: KeysType,
    /// Key column names, in the order of the KEY clause.
    pub key_columns: Vec<String>,
    /// The PARTITION BY clause as written, if any.
    pub partition_by: Option<String>,
    /// The DISTRIBUTED BY clause as written, if any.
    pub distributed_by: Option<Distribution>,
    /// PROPERTIES, in order.
    pub properties: Vec<(String, String)>,
    /// Table comment.
    pub comment: Option<String>,
    /// Clauses that were recognised but are not used by routinely (ROLLUP, INDEX, ...).
    pub warnings: Vec<String>,
}

/// The DISTRIBUTED BY clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    /// `HASH(cols)` columns; empty for `RANDOM`.
    pub hash_columns: Vec<String>,
    /// Bucket count; `None` for `BUCKETS AUTO` or when absent.
    pub buckets: Option<u32>,
}

impl TableSchema {
    /// Finds a column by name, case-insensitively as Doris does.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Index of a column by name, case-insensitively.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// A table property, looked up case-insensitively.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The sequence column named by `function_column.sequence_col`, if any.
    pub fn sequence_column(&self) -> Option<&str> {
        self.property("function_column.sequence_col")
    }

    /// Whether a UNIQUE KEY table uses merge-on-write (the default since Doris 2.1).
    pub fn merge_on_write(&self) -> bool {
        self.keys_type == KeysType::Unique
            && self
                .property("enable_unique_key_merge_on_write")
                .map(|v| !v.eq_ignore_ascii_case("false"))
                .unwrap_or(true)
    }
}
