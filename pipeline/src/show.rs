//! Result sets printed as the MySQL client prints them: the boxed table (numbers
//! right-aligned, `NULL` for NULL, `N rows in set`) and the vertical `\G` form; and
//! [`ResultSet`], a statement's rows with their column names, in those forms or as JSON.

use routinely_schemas::DorisType;

/// A statement's result: named columns (all shown as text) and rows.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct ResultSet {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows; `None` is NULL.
    pub rows: Vec<Vec<Option<String>>>,
}

impl ResultSet {
    fn typed(&self) -> Vec<(String, DorisType)> {
        self.columns
            .iter()
            .map(|c| (c.clone(), DorisType::String))
            .collect()
    }

    /// The boxed table form.
    pub fn table(&self) -> String {
        table(&self.typed(), &self.rows)
    }

    /// The vertical (`\G`) form.
    pub fn vertical(&self) -> String {
        vertical(&self.typed(), &self.rows)
    }

    /// One JSON object per row, keyed by column name, in column order; NULL as `null`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.rows
                .iter()
                .map(|row| {
                    let mut o = serde_json::Map::new();
                    for (i, c) in self.columns.iter().enumerate() {
                        let v = row.get(i).cloned().flatten();
                        o.insert(
                            c.clone(),
                            v.map_or(serde_json::Value::Null, serde_json::Value::String),
                        );
                    }
                    serde_json::Value::Object(o)
                })
                .collect(),
        )
    }
}

/// Whether the MySQL client right-aligns values of this type.
fn right_aligned(ty: &DorisType) -> bool {
    matches!(
        ty,
        DorisType::Boolean
            | DorisType::TinyInt
            | DorisType::SmallInt
            | DorisType::Int
            | DorisType::BigInt
            | DorisType::LargeInt
            | DorisType::Float
            | DorisType::Double
            | DorisType::Decimal { .. }
    )
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// The boxed table form.
pub fn table(columns: &[(String, DorisType)], rows: &[Vec<Option<String>>]) -> String {
    if rows.is_empty() {
        return "Empty set\n".to_string();
    }
    let mut widths: Vec<usize> = columns.iter().map(|(n, _)| width(n)).collect();
    for row in rows {
        for (i, v) in row.iter().enumerate() {
            let w = v.as_deref().map_or(4, width);
            if let Some(max) = widths.get_mut(i) {
                *max = (*max).max(w);
            }
        }
    }
    let mut out = String::new();
    let rule = |out: &mut String| {
        out.push('+');
        for w in &widths {
            out.push_str(&"-".repeat(w + 2));
            out.push('+');
        }
        out.push('\n');
    };
    rule(&mut out);
    out.push('|');
    for ((name, _), w) in columns.iter().zip(&widths) {
        out.push(' ');
        out.push_str(name);
        out.push_str(&" ".repeat(w - width(name)));
        out.push_str(" |");
    }
    out.push('\n');
    rule(&mut out);
    for row in rows {
        out.push('|');
        for (i, ((_, ty), w)) in columns.iter().zip(&widths).enumerate() {
            let v = row.get(i).and_then(|v| v.as_deref()).unwrap_or("NULL");
            let pad = " ".repeat(w - width(v));
            out.push(' ');
            if right_aligned(ty) {
                out.push_str(&pad);
                out.push_str(v);
            } else {
                out.push_str(v);
                out.push_str(&pad);
            }
            out.push_str(" |");
        }
        out.push('\n');
    }
    rule(&mut out);
    let n = rows.len();
    out.push_str(&format!(
        "{n} {} in set\n",
        if n == 1 { "row" } else { "rows" }
    ));
    out
}

/// The vertical (`\G`) form.
pub fn vertical(columns: &[(String, DorisType)], rows: &[Vec<Option<String>>]) -> String {
    if rows.is_empty() {
        return "Empty set\n".to_string();
    }
    let name_w = columns.iter().map(|(n, _)| width(n)).max().unwrap_or(0);
    let mut out = String::new();
    for (r, row) in rows.iter().enumerate() {
        out.push_str(&format!(
            "*************************** {}. row ***************************\n",
            r + 1
        ));
        for (i, (name, _)) in columns.iter().enumerate() {
            let v = row.get(i).and_then(|v| v.as_deref()).unwrap_or("NULL");
            out.push_str(&" ".repeat(name_w - width(name)));
            out.push_str(name);
            out.push_str(": ");
            out.push_str(v);
            out.push('\n');
        }
    }
    let n = rows.len();
    out.push_str(&format!(
        "{n} {} in set\n",
        if n == 1 { "row" } else { "rows" }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxed_table_aligns_like_mysql() {
        let cols = vec![
            ("id".to_string(), DorisType::Int),
            ("name".to_string(), DorisType::String),
        ];
        let rows = vec![
            vec![Some("1".into()), Some("alice".into())],
            vec![Some("22".into()), None],
        ];
        assert_eq!(
            table(&cols, &rows),
            "+----+-------+\n| id | name  |\n+----+-------+\n|  1 | alice |\n| 22 | NULL  |\n+----+-------+\n2 rows in set\n"
        );
        assert_eq!(
            vertical(&cols, &rows[..1]),
            "*************************** 1. row ***************************\n  id: 1\nname: alice\n1 row in set\n"
        );
    }
}
