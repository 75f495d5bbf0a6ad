//! Tabular output for every command: an aligned text table for people, CSV and JSON for programs.
//!
//! Commands build a [`Table`] (directly, or from a polars frame with [`Table::from_frame`]) and
//! write it in the format the user asked for. Data goes to stdout only; logs go to stderr.

use std::io::Write;

use chrono::{DateTime, SecondsFormat};
use polars::prelude::{AnyValue, DataFrame, TimeUnit};
use serde::Serialize;

/// Output format of a command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Aligned columns for reading in a terminal.
    #[default]
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// A JSON array of objects, one per row.
    Json,
    /// An Apache Parquet file (`data export` only, which writes it to `--output FILE`).
    Parquet,
}

/// One cell of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Str(String),
    Num(f64),
    Int(i64),
    Bool(bool),
    Null,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Str(s) => s.clone(),
            Cell::Num(v) => format_number(*v),
            Cell::Int(v) => v.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Null => String::new(),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Str(s) => serde_json::Value::String(s.clone()),
            Cell::Num(v) => serde_json::Number::from_f64(*v)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Cell::Int(v) => serde_json::Value::from(*v),
            Cell::Bool(b) => serde_json::Value::Bool(*b),
            Cell::Null => serde_json::Value::Null,
        }
    }

    fn is_numeric(&self) -> bool {
        matches!(self, Cell::Num(_) | Cell::Int(_))
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Str(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Str(s)
    }
}
impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        if v.is_finite() {
            Cell::Num(v)
        } else {
            Cell::Null
        }
    }
}
impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}
impl From<usize> for Cell {
    fn from(v: usize) -> Self {
        Cell::Int(v as i64)
    }
}
impl From<bool> for Cell {
    fn from(v: bool) -> Self {
        Cell::Bool(v)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Null, Into::into)
    }
}

/// Numbers as the shortest text that reads back as the same value (`4300000`, `422831.95`).
pub fn format_number(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

/// Numbers for a person: at most `decimals` decimals, trailing zeros dropped, never `-0` (the
/// text tables use six, the report page four; CSV and JSON keep every digit).
pub fn format_decimals(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A text cell that a spreadsheet would run as a formula (`=1+2`, `+…`, `@…`, `-…` that is
/// not a number, or a leading tab or carriage return) gets a leading `'`, so opening a CSV
/// output never executes what a markets file or a source put in a field.
pub fn csv_safe(s: &str) -> String {
    let risky = match s.as_bytes().first() {
        Some(b'=' | b'+' | b'@' | b'\t' | b'\r') => true,
        Some(b'-') => s.len() > 1 && s.parse::<f64>().is_err(),
        _ => false,
    };
    if risky {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// A csv error as the I/O error under it (so a closed pipe stays `BrokenPipe`, which the binary
/// treats as success), or as an I/O error carrying its message.
fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// A table of named columns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = S>) -> Table {
        Table {
            columns: columns.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "row width");
        self.rows.push(row);
    }

    /// A polars frame as a table: dates as `YYYY-MM-DD`, datetimes as RFC 3339 UTC.
    pub fn from_frame(df: &DataFrame) -> Table {
        let columns: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut rows = vec![Vec::with_capacity(columns.len()); df.height()];
        for col in df.columns() {
            for (i, row) in rows.iter_mut().enumerate() {
                row.push(any_to_cell(col.get(i).unwrap_or(AnyValue::Null)));
            }
        }
        Table { columns, rows }
    }

    /// Write the table to `out` in `format`.
    pub fn write(&self, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
        match format {
            Format::Table => self.write_text(out),
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(self.columns.iter().map(|c| csv_safe(c)))
                    .map_err(csv_io)?;
                for row in &self.rows {
                    w.write_record(row.iter().map(|c| match c {
                        Cell::Str(s) => csv_safe(s),
                        other => other.text(),
                    }))
                    .map_err(csv_io)?;
                }
                w.flush()
            }
            Format::Json => {
                let rows: Vec<serde_json::Map<String, serde_json::Value>> = self
                    .rows
                    .iter()
                    .map(|row| {
                        self.columns
                            .iter()
                            .cloned()
                            .zip(row.iter().map(Cell::json))
                            .collect()
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut *out, &rows)?;
                writeln!(out)
            }
            // Refused up front for every command but `data export` (`commands::run`).
            Format::Parquet => Err(std::io::Error::other(
                "--format parquet is a file format of `portcast data export` only",
            )),
        }
    }

    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let texts: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| {
                        if let Cell::Num(v) = c {
                            format_decimals(*v, 6)
                        } else {
                            c.text()
                        }
                    })
                    .collect()
            })
            .collect();
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.chars().count()).collect();
        for row in &texts {
            for (w, t) in widths.iter_mut().zip(row) {
                *w = (*w).max(t.chars().count());
            }
        }
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|i| self.rows.iter().any(|r| r[i].is_numeric()))
            .collect();
        let line = |cells: &[String]| -> String {
            let parts: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let pad = widths[i].saturating_sub(c.chars().count());
                    if numeric[i] {
                        format!("{}{c}", " ".repeat(pad))
                    } else {
                        format!("{c}{}", " ".repeat(pad))
                    }
                })
                .collect();
            parts.join("  ").trim_end().to_string()
        };
        writeln!(out, "{}", line(&self.columns))?;
        for row in &texts {
            writeln!(out, "{}", line(row))?;
        }
        Ok(())
    }
}

fn any_to_cell(v: AnyValue<'_>) -> Cell {
    match v {
        AnyValue::Null => Cell::Null,
        AnyValue::Boolean(b) => Cell::Bool(b),
        AnyValue::String(s) => Cell::Str(s.to_string()),
        AnyValue::StringOwned(s) => Cell::Str(s.to_string()),
        AnyValue::Float64(f) => f.into(),
        AnyValue::Float32(f) => f64::from(f).into(),
        AnyValue::Int64(i) => Cell::Int(i),
        AnyValue::Int32(i) => Cell::Int(i.into()),
        AnyValue::UInt32(i) => Cell::Int(i.into()),
        AnyValue::UInt64(i) => Cell::Int(i as i64),
        AnyValue::Date(days) => Cell::Str(
            (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")
                + chrono::Duration::days(days.into()))
            .to_string(),
        ),
        AnyValue::Datetime(t, unit, _) => {
            let ms = match unit {
                TimeUnit::Milliseconds => t,
                TimeUnit::Microseconds => t / 1_000,
                TimeUnit::Nanoseconds => t / 1_000_000,
            };
            // Whole seconds print as such; a sub-second instant keeps its milliseconds, so an
            // `--as-of` copied from the output sees the figure it was copied from.
            DateTime::from_timestamp_millis(ms).map_or(Cell::Null, |d| {
                Cell::Str(d.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            })
        }
        other => Cell::Str(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(["series", "count"]);
        t.push(vec!["pmi".into(), 228usize.into()]);
        t.push(vec!["la_teu, monthly".into(), Cell::Null]);
        t
    }

    fn render(t: &Table, f: Format) -> String {
        let mut buf = Vec::new();
        t.write(f, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn three_formats() {
        let t = sample();
        assert_eq!(
            render(&t, Format::Csv),
            "series,count\npmi,228\n\"la_teu, monthly\",\n"
        );
        assert_eq!(
            render(&t, Format::Table),
            "series           count\npmi                228\nla_teu, monthly\n"
        );
        let json: serde_json::Value = serde_json::from_str(&render(&t, Format::Json)).unwrap();
        assert_eq!(json[0]["count"], 228);
        assert!(json[1]["count"].is_null());
    }
}
