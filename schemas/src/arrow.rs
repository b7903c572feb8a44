//! The Arrow form of every Doris type: what the row path builds, what sinks serialise, and
//! what readers of a local table (DuckDB, pyarrow) see. Each field carries its Doris type
//! in the metadata key [`DORIS_TYPE_KEY`], so a batch round-trips to the table's schema.
//!
//! | Doris | Arrow |
//! |---|---|
//! | BOOLEAN | Boolean |
//! | TINYINT / SMALLINT / INT / BIGINT | Int8 / Int16 / Int32 / Int64 |
//! | LARGEINT | Decimal128(38, 0) (the full i128 range is stored; values beyond 38 digits exceed the declared precision) |
//! | FLOAT / DOUBLE | Float32 / Float64 |
//! | DECIMAL(p, s) | Decimal128(p, s) |
//! | DATE | Date32 |
//! | DATETIME(p) | Timestamp(Microsecond, no zone): Doris DATETIME is wall-clock time |
//! | CHAR / VARCHAR / STRING | Utf8 |
//! | JSON / VARIANT | Utf8 holding compact JSON text |
//! | ARRAY / MAP / STRUCT | List / Map / Struct of the element types |
//! | IPV4 / IPV6 | UInt32 / FixedSizeBinary(16) (big-endian) |

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};

use crate::table::TableSchema;
use crate::types::DorisType;

/// Field metadata key holding the Doris type (`DECIMAL(10,2)`, `JSON`, ...).
pub const DORIS_TYPE_KEY: &str = "doris.type";

/// The Arrow data type of a Doris type.
pub fn arrow_type(ty: &DorisType) -> DataType {
    match ty {
        DorisType::Boolean => DataType::Boolean,
        DorisType::TinyInt => DataType::Int8,
        DorisType::SmallInt => DataType::Int16,
        DorisType::Int => DataType::Int32,
        DorisType::BigInt => DataType::Int64,
        DorisType::LargeInt => DataType::Decimal128(38, 0),
        DorisType::Float => DataType::Float32,
        DorisType::Double => DataType::Float64,
        DorisType::Decimal { precision, scale } => {
            DataType::Decimal128((*precision).min(38), *scale as i8)
        }
        DorisType::Date => DataType::Date32,
        DorisType::DateTime { .. } => DataType::Timestamp(TimeUnit::Microsecond, None),
        DorisType::Char { .. }
        | DorisType::Varchar { .. }
        | DorisType::String
        | DorisType::Json
        | DorisType::Variant
        | DorisType::Hll
        | DorisType::Bitmap
        | DorisType::QuantileState => DataType::Utf8,
        DorisType::Array(inner) => {
            DataType::List(Arc::new(Field::new("item", arrow_type(inner), true)))
        }
        DorisType::Map(k, v) => DataType::Map(
            Arc::new(Field::new(
                "entries",
                DataType::Struct(Fields::from(vec![
                    Field::new("key", arrow_type(k), false),
                    Field::new("value", arrow_type(v), true),
                ])),
                false,
            )),
            false,
        ),
        DorisType::Struct(fields) => DataType::Struct(Fields::from(
            fields
                .iter()
                .map(|f| Field::new(&f.name, arrow_type(&f.ty), true))
                .collect::<Vec<_>>(),
        )),
        DorisType::Ipv4 => DataType::UInt32,
        DorisType::Ipv6 => DataType::FixedSizeBinary(16),
    }
}

/// An Arrow field for a column, with the Doris type in its metadata.
pub fn arrow_field(name: &str, ty: &DorisType, nullable: bool) -> Field {
    Field::new(name, arrow_type(ty), nullable).with_metadata(HashMap::from([(
        DORIS_TYPE_KEY.to_string(),
        ty.to_string(),
    )]))
}

/// The Arrow schema of a table: one field per column, in declaration order.
pub fn arrow_schema(table: &TableSchema) -> Schema {
    Schema::new(
        table
            .columns
            .iter()
            .map(|c| arrow_field(&c.name, &c.ty, c.nullable))
            .collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Column, KeysType};

    #[test]
    fn maps_types_with_metadata() {
        let table = TableSchema {
            database: None,
            name: "t".into(),
            columns: vec![
                Column::new(
                    "d",
                    DorisType::Decimal {
                        precision: 10,
                        scale: 2,
                    },
                ),
                Column::new("ts", DorisType::DateTime { precision: 3 }),
                Column::new("j", DorisType::Json),
            ],
            keys_type: KeysType::Duplicate,
            key_columns: vec!["d".into()],
            partition_by: None,
            distributed_by: None,
            properties: vec![],
            comment: None,
            warnings: vec![],
        };
        let schema = arrow_schema(&table);
        assert_eq!(schema.field(0).data_type(), &DataType::Decimal128(10, 2));
        assert_eq!(
            schema.field(1).data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, None)
        );
        assert_eq!(
            schema
                .field(2)
                .metadata()
                .get(DORIS_TYPE_KEY)
                .map(String::as_str),
            Some("JSON")
        );
    }
}
