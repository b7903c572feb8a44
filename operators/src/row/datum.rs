//! Reading values back out of the row path's Arrow arrays as [`Datum`]s, so a batch can be
//! shown the way the MySQL client shows Doris rows (`routinely preview`, tests, local sinks).

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimestampMicrosecondType, UInt32Type,
};
use arrow_array::{Array, RecordBatch};

use routinely_schemas::display::Datum;
use routinely_schemas::{DorisType, TableSchema};

/// The value at `row` of an array the row path built for a column of type `ty`.
pub fn datum_at(array: &dyn Array, row: usize, ty: &DorisType) -> Datum {
    if array.is_null(row) {
        return Datum::Null;
    }
    match ty {
        DorisType::Boolean => Datum::Bool(array.as_boolean().value(row)),
        DorisType::TinyInt => Datum::Int(array.as_primitive::<Int8Type>().value(row) as i128),
        DorisType::SmallInt => Datum::Int(array.as_primitive::<Int16Type>().value(row) as i128),
        DorisType::Int => Datum::Int(array.as_primitive::<Int32Type>().value(row) as i128),
        DorisType::BigInt => Datum::Int(array.as_primitive::<Int64Type>().value(row) as i128),
        DorisType::LargeInt => Datum::Int(array.as_primitive::<Decimal128Type>().value(row)),
        DorisType::Float => Datum::Float(array.as_primitive::<Float32Type>().value(row)),
        DorisType::Double => Datum::Double(array.as_primitive::<Float64Type>().value(row)),
        DorisType::Decimal { scale, .. } => Datum::Decimal {
            unscaled: array.as_primitive::<Decimal128Type>().value(row),
            scale: *scale,
        },
        DorisType::Date => Datum::Date(array.as_primitive::<Date32Type>().value(row)),
        DorisType::DateTime { precision } => Datum::DateTime {
            micros: array.as_primitive::<TimestampMicrosecondType>().value(row),
            precision: *precision,
        },
        DorisType::Json | DorisType::Variant => {
            Datum::Json(array.as_string::<i32>().value(row).to_string())
        }
        DorisType::Ipv4 => Datum::Ipv4(array.as_primitive::<UInt32Type>().value(row)),
        DorisType::Ipv6 => {
            let b = array.as_fixed_size_binary().value(row);
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&b[..16.min(b.len())]);
            Datum::Ipv6(u128::from_be_bytes(bytes))
        }
        DorisType::Array(inner) => {
            let list = array.as_list::<i32>();
            let values = list.value(row);
            Datum::Array(
                (0..values.len())
                    .map(|i| datum_at(values.as_ref(), i, inner))
                    .collect(),
            )
        }
        DorisType::Map(k, v) => {
            let map = array.as_map();
            let entries = map.value(row);
            let keys = entries.column(0);
            let vals = entries.column(1);
            Datum::Map(
                (0..entries.len())
                    .map(|i| (datum_at(keys.as_ref(), i, k), datum_at(vals.as_ref(), i, v)))
                    .collect(),
            )
        }
        DorisType::Struct(fields) => {
            let st = array.as_struct();
            Datum::Struct(
                fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (f.name.clone(), datum_at(st.column(i).as_ref(), row, &f.ty)))
                    .collect(),
            )
        }
        _ => Datum::Str(array.as_string::<i32>().value(row).as_bytes().to_vec()),
    }
}

/// Every row of some batches as MySQL-client text (`None` for NULL), table columns only.
pub fn rows_as_text(batches: &[RecordBatch], table: &TableSchema) -> Vec<Vec<Option<String>>> {
    batches
        .iter()
        .flat_map(|batch| {
            (0..batch.num_rows()).map(move |r| {
                table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(c, col)| datum_at(batch.column(c).as_ref(), r, &col.ty).to_mysql())
                    .collect()
            })
        })
        .collect()
}
