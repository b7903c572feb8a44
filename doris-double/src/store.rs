//! A table's visible data under its key model (doris-spec.md §8): DUPLICATE KEY appends;
//! UNIQUE KEY upserts by key (a sequence column keeps a smaller sequence value from
//! overwriting; the delete sign removes the key, leaving a tombstone that still carries its
//! sequence value); AGGREGATE KEY merges value columns with their aggregation
//! ([`crate::value::aggregate`]).

use std::collections::BTreeMap;

use routinely_schemas::TableSchema;
use routinely_schemas::display::Datum;
use routinely_schemas::table::{AggregationType, KeysType};

use crate::load::LoadRow;
use crate::value::{aggregate, compare};

/// The MySQL text of each value (`None` for NULL): how rows are keyed, sorted and shown.
pub type TextRow = Vec<Option<String>>;

#[derive(Debug, Clone)]
struct Keyed {
    values: Vec<Datum>,
    deleted: bool,
}

/// One table's rows.
#[derive(Debug)]
pub struct TableData {
    schema: TableSchema,
    key_idx: Vec<usize>,
    duplicate: Vec<Vec<Datum>>,
    keyed: BTreeMap<TextRow, Keyed>,
}

impl TableData {
    /// An empty table.
    pub fn new(schema: TableSchema) -> TableData {
        let key_idx = schema
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.is_key
                    || schema
                        .key_columns
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(&c.name))
            })
            .map(|(i, _)| i)
            .collect();
        TableData {
            schema,
            key_idx,
            duplicate: Vec::new(),
            keyed: BTreeMap::new(),
        }
    }

    /// The table's schema.
    pub fn schema(&self) -> &TableSchema {
        &self.schema
    }

    /// Applies one visible txn's rows, in load order. `seq` is the sequence column's index
    /// when the load used one.
    pub fn apply(&mut self, rows: &[LoadRow], seq: Option<usize>) {
        for row in rows {
            match self.schema.keys_type {
                KeysType::Duplicate => self.duplicate.push(row.values.clone()),
                KeysType::Unique => self.upsert(row, seq),
                KeysType::Aggregate => self.merge(row),
            }
        }
    }

    fn key(&self, values: &[Datum]) -> TextRow {
        self.key_idx.iter().map(|&i| values[i].to_mysql()).collect()
    }

    fn upsert(&mut self, row: &LoadRow, seq: Option<usize>) {
        let key = self.key(&row.values);
        if let (Some(s), Some(old)) = (seq, self.keyed.get(&key))
            && compare(&row.values[s], &old.values[s]).is_lt()
        {
            return;
        }
        self.keyed.insert(
            key,
            Keyed {
                values: row.values.clone(),
                deleted: row.delete,
            },
        );
    }

    fn merge(&mut self, row: &LoadRow) {
        let key = self.key(&row.values);
        match self.keyed.get_mut(&key) {
            None => {
                self.keyed.insert(
                    key,
                    Keyed {
                        values: row.values.clone(),
                        deleted: false,
                    },
                );
            }
            Some(old) => {
                for (i, col) in self.schema.columns.iter().enumerate() {
                    if self.key_idx.contains(&i) {
                        continue;
                    }
                    let agg = col.aggregation.unwrap_or(AggregationType::Replace);
                    old.values[i] = aggregate(agg, &old.values[i], row.values[i].clone());
                }
            }
        }
    }

    /// Visible rows as text, sorted.
    pub fn rows(&self) -> Vec<TextRow> {
        let mut out: Vec<TextRow> = match self.schema.keys_type {
            KeysType::Duplicate => self
                .duplicate
                .iter()
                .map(|r| r.iter().map(Datum::to_mysql).collect())
                .collect(),
            _ => self
                .keyed
                .values()
                .filter(|k| !k.deleted)
                .map(|k| k.values.iter().map(Datum::to_mysql).collect())
                .collect(),
        };
        out.sort();
        out
    }
}
